#!/usr/bin/env bash
# Remove every container and image of this project (labelled with its DOCKER_NAME at build time, including
# earlier builds and copies tagged for ECR), and nothing else.
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
require_docker

filter="label=$PROJECT_LABEL=$DOCKER_NAME"
mapfile -t containers < <(docker ps -aq --filter "$filter")
if ((${#containers[@]})); then
    docker rm -f "${containers[@]}" >/dev/null
fi
# Newest first, so that :dev goes before the :dev-base it is built on.
mapfile -t images < <(docker image ls -q --filter "$filter" | awk '!seen[$0]++')
if ((${#images[@]})); then
    docker image rm -f "${images[@]}" >/dev/null
fi
echo "removed ${#containers[@]} container(s) and ${#images[@]} image(s) of $DOCKER_NAME" >&2
