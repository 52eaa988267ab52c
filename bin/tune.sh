#!/usr/bin/env bash
# A small, seeded random search on opt/ml without Docker: N real trainings with hyperparameters drawn from the Ranges
# declared in algorithm.py, each ranked by the objective read from its log with the regex SageMaker will use; a table
# at the end and the best hyperparameters in opt/ml/output/tuning/best-hyperparameters.json. The logic is
# develop/tune.py, run in .venv (created first when needed).
# Usage: bin/tune.sh [--trials N] [--seed S] [--objective METRIC] [--timeout SECONDS] [--out DIR]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/bin/setup.sh"
export ML_ROOT="$ROOT/opt/ml"
PYTHONPATH="$ROOT" exec "$ROOT/.venv/bin/python" "$ROOT/develop/tune.py" "$@"
