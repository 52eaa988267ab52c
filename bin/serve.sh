#!/usr/bin/env bash
# Serve the model in ./opt/ml/model from ${DOCKER_NAME}:dev on http://127.0.0.1:${HOST_PORT}, in the foreground.
# Only this machine can reach it. Ctrl-C stops and removes the container.
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
require_docker
require_image "$DEV"

dev_run_args
echo "serving on http://127.0.0.1:$HOST_PORT (POST /invocations, GET /ping); Ctrl-C stops" >&2
exec docker run "${run_args[@]}" -p "127.0.0.1:$HOST_PORT:${SAGEMAKER_BIND_TO_PORT:-8080}" "$DEV" serve
