#!/usr/bin/env bash
# A bash shell in ${DOCKER_NAME}:dev with the same mounts as bin/train.sh (the platform stand-in is not run).
# Arguments go to bash, e.g. bin/shell.sh -c 'python main.py train'.
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
require_docker
require_image "$DEV"

dev_run_args
[[ -t 0 && -t 1 ]] && run_args+=(-it)
exec docker run "${run_args[@]}" --entrypoint bash "$DEV" "$@"
