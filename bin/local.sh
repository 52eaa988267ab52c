#!/usr/bin/env bash
# The main job without Docker: trains algorithm.py on the repository's opt/ml, then serves the model on
# 127.0.0.1:8080 (SAGEMAKER_BIND_TO_PORT moves it) until Ctrl-C. `bin/local.sh train` or `bin/local.sh serve` does
# one step only. `bin/local.sh transform [INPUT_DIR [OUTPUT_DIR]] [options]` runs a local batch transform with
# bin/transform.sh's arguments (develop/local/transform/runner.py; docs/batch-transform.md). `bin/local.sh example
# [NAME] [--force]` is bin/example.sh without Docker (develop/local/example.py). Creates .venv when needed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage="usage: bin/local.sh [train|serve|transform [INPUT_DIR [OUTPUT_DIR]] [options]|example [NAME] [--force]]  (no argument: train, then serve)"
step=${1:-all}
case $step in
    all | train | serve | transform | example) ;;
    *)
        echo "$usage" >&2
        exit 2
        ;;
esac
# Only transform and example take more; a multi-model server (bin/serve.sh --models) runs in Docker only.
if [[ $step != transform && $step != example && $# -gt 1 ]]; then
    echo "error: unknown argument '$2': $usage" >&2
    exit 2
fi

"$ROOT/bin/setup.sh"
export ML_ROOT="$ROOT/opt/ml"
# A development server is not for the network.
export SERVE_HOST=${SERVE_HOST:-127.0.0.1}
python="$ROOT/.venv/bin/python"

# -P: the develop package is the project's (PYTHONPATH), whatever folder this runs from.
if [[ $step == transform ]]; then
    PYTHONPATH=$ROOT exec "$python" -P -m develop.local.transform.runner "${@:2}"
fi
if [[ $step == example ]]; then
    PYTHONPATH=$ROOT exec "$python" -P -m develop.local.example "${@:2}"
fi

if [[ $step != serve ]]; then
    "$python" "$ROOT/main.py" train
fi
if [[ $step != train ]]; then
    exec "$python" "$ROOT/main.py" serve
fi
