#!/usr/bin/env bash
# The main job without Docker: trains algorithm.py on the repository's opt/ml, then serves the model on
# 127.0.0.1:8080 (SAGEMAKER_BIND_TO_PORT moves it) until Ctrl-C. `bin/local.sh train` or `bin/local.sh serve` does
# one step only. The development tools run here too, with .venv's Python, taking the arguments of their Docker twins:
#   bin/local.sh transform [INPUT_DIR [OUTPUT_DIR]] [options]   a local batch transform (bin/transform.sh)
#   bin/local.sh tune [--trials N] [...]                        a seeded random search (bin/tune.sh)
#   bin/local.sh algorithm-spec [IMAGE_URI] [...]               the algorithm's spec/*.json (bin/algorithm-spec.sh)
#   bin/local.sh smoke [URL | --serve]                          opt/ml/input/smoke-tests.json against the server
#                                                               bin/local.sh started (or URL, or one it starts)
#   bin/local.sh postman [--check]                              the Postman collections' bodies from the payloads
#   bin/local.sh example [NAME] [--force]                      bin/example.sh: switch the project to an example
#   bin/local.sh process [ARGS]                                 algorithm.py's process(job) on opt/ml/processing
#                                                               (bin/process.sh; docs/how-to/processing.md)
# Creates .venv when needed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage="usage: bin/local.sh [train|serve|transform|tune|algorithm-spec|smoke|postman|process|example [ARGUMENTS]]  (no argument: train, then serve)"
step=${1:-all}
case $step in
    all | train | serve | process) tool= ;;
    transform) tool=local.transform.runner ;;
    tune) tool=local.training.tune ;;
    algorithm-spec) tool=sagemaker.algorithm_spec ;;
    smoke) tool=release.smoke ;;
    postman) tool=local.postman ;;
    example) tool=local.example ;;
    *)
        echo "$usage" >&2
        exit 2
        ;;
esac
# Only the tools and process take more; a multi-model server (bin/serve.sh --models) runs in Docker only.
if [[ -z $tool && $step != process && $# -gt 1 ]]; then
    echo "error: unknown argument '$2': $usage" >&2
    exit 2
fi

"$ROOT/bin/setup.sh"
export ML_ROOT="$ROOT/opt/ml"
# A development server is not for the network.
export SERVE_HOST=${SERVE_HOST:-127.0.0.1}
python="$ROOT/.venv/bin/python"

if [[ -n $tool ]]; then
    # -P: the develop package and algorithm.py are the project's (PYTHONPATH), whatever folder this runs from.
    PYTHONPATH=$ROOT exec "$python" -P -m "develop.$tool" "${@:2}"
fi

if [[ $step == process ]]; then
    exec "$python" "$ROOT/main.py" process "${@:2}"
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
