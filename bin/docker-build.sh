#!/usr/bin/env bash
# Build ${DOCKER_NAME}:dev-base (Dockerfile, what SageMaker runs), then ${DOCKER_NAME}:dev (Dockerfile.develop).
# Extra arguments go to both `docker build` calls, e.g. --no-cache or --pull.
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
require_docker

docker build --build-arg "BASE_IMAGE=$BASE_IMAGE" --label "$PROJECT_LABEL=$DOCKER_NAME" \
    -f "$ROOT/Dockerfile" -t "$DEV_BASE" "$@" "$ROOT"
docker build --build-arg "DEV_BASE_IMAGE=$DEV_BASE" --label "$PROJECT_LABEL=$DOCKER_NAME" \
    -f "$ROOT/Dockerfile.develop" -t "$DEV" "$@" "$ROOT"
docker image ls "$DOCKER_NAME"
