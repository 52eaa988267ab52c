#!/usr/bin/env bash
# Remove every container, network and image of this project (labelled with its DOCKER_NAME at build time, including
# earlier builds and copies tagged for ECR), and nothing else.
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
usage="usage: bin/docker-destroy.sh"
[[ $# -eq 0 ]] || refuse_argument "$1"
require_docker

filter="label=$PROJECT_LABEL=$DOCKER_NAME"
mapfile -t containers < <(docker ps -aq --filter "$filter")
if ((${#containers[@]})); then
    docker rm -f "${containers[@]}" >/dev/null
fi
# A training cluster's network (develop/local/training/cluster.py makes one per job), left when its run was killed.
mapfile -t networks < <(docker network ls -q --filter "$filter")
if ((${#networks[@]})); then
    docker network rm "${networks[@]}" >/dev/null
fi
# An image with a child (:dev-base under :dev) cannot go before it, and images of one build share a timestamp, so
# whatever is refused is retried once its children are gone.
for _ in 1 2 3 4 5; do
    mapfile -t images < <(docker image ls -q --filter "$filter" | awk '!seen[$0]++')
    ((${#images[@]})) || break
    docker image rm -f "${images[@]}" >/dev/null 2>&1 || true
done
mapfile -t left < <(docker image ls -q --filter "$filter")
((${#left[@]} == 0)) || die "could not remove images ${left[*]}: see docker image rm ${left[*]}"
echo "removed ${#containers[@]} container(s) and the images of $DOCKER_NAME" >&2
