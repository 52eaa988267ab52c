#!/usr/bin/env bash
# Push ${DOCKER_NAME}:dev-base, the image SageMaker runs, as ${REGISTRY}/${REPOSITORY}:VERSION, and print that image
# URI, alone on stdout and last, for SageMaker (CreateModel, CreateTrainingJob). Progress goes to stderr.
# Usage: bin/docker-push.sh [--force] [VERSION]     (no VERSION: VERSION from .env; never `latest`)
# The logic is develop/release/push.py (docs/how-to/release.md), run in the AWS venv of ${DOCKER_NAME}:dev with the
# engine's socket and its host network, so that REGISTRY is reached as the engine reaches it.
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
require_docker
require_image "$DEV"
# shellcheck disable=SC2119  # push.py reads no settings but the registry's and AWS's
push_run_args
exec docker run "${run_args[@]}" --entrypoint /opt/aws/bin/python "$DEV" -P -m develop.release.push "$@"
