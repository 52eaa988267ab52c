#!/usr/bin/env bash
# The main job without Docker: trains algorithm.py on the repository's opt/ml, then serves the model on
# 127.0.0.1:8080 (SAGEMAKER_BIND_TO_PORT moves it) until Ctrl-C. `bin/local.sh train` or `bin/local.sh serve` does
# one step only. `bin/local.sh transform [options]` runs a local batch transform against that server
# (develop/transform.py; docs/batch-transform.md). Creates .venv first when needed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
step=${1:-all}
case $step in
    all | train | serve | transform) ;;
    *)
        echo "usage: bin/local.sh [train|serve|transform [options]]  (no argument: train, then serve)" >&2
        exit 2
        ;;
esac

"$ROOT/bin/setup.sh"
export ML_ROOT="$ROOT/opt/ml"
# A development server is not for the network.
export SERVE_HOST=${SERVE_HOST:-127.0.0.1}
python="$ROOT/.venv/bin/python"

if [[ $step == transform ]]; then
    exec "$python" "$ROOT/develop/transform.py" "${@:2}"
fi

if [[ $step != serve ]]; then
    "$python" "$ROOT/main.py" train
fi
if [[ $step != train ]]; then
    exec "$python" "$ROOT/main.py" serve
fi
