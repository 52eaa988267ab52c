#!/usr/bin/env bash
# Serve the model in ./opt/ml/model from ${DOCKER_NAME}:dev on http://127.0.0.1:${HOST_PORT}, in the foreground.
# Usage: bin/serve.sh [--models FOLDER]
#   --models FOLDER   a multi-model endpoint: FOLDER holds one sub-folder per model (what train wrote, or its
#                     model.tar.gz), seen under /opt/ml/models as SageMaker lays them out; bin/predict.sh --model NAME
# Only this machine can reach it. Ctrl-C stops and removes the container.
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
usage="usage: bin/serve.sh [--models FOLDER]"
if [[ $# -gt 0 && ${1:-} != --models ]]; then refuse_argument "$1"; fi
if [[ $# -gt 2 ]]; then refuse_argument "$3"; fi
require_docker
require_image "$DEV"

dev_run_args
routes="POST /invocations, GET /ping"
if [[ ${1:-} == --models ]]; then
    [[ -d ${2:-} ]] || die "--models needs a folder with one sub-folder per model; '${2:-}' is not a folder"
    models=$(cd "$2" && pwd)
    # Made by us, not by Docker as root, inside the user's opt/ml: the mount point of the models.
    mkdir -p "$ROOT/opt/ml/models"
    run_args+=(-v "$models:/opt/ml/models" -e SAGEMAKER_MULTI_MODEL=true)
    routes="the models in $models: bin/predict.sh --model NAME"
fi
echo "serving on http://127.0.0.1:$HOST_PORT ($routes); Ctrl-C stops" >&2
exec docker run "${run_args[@]}" -p "127.0.0.1:$HOST_PORT:${SAGEMAKER_BIND_TO_PORT:-8080}" "$DEV" serve
