#!/usr/bin/env bash
# The release's smoke test before the release: opt/ml/input/smoke-tests.json against ${DOCKER_NAME}:dev-base, the
# image a release pushes, serving the model bin/train.sh wrote in ./opt/ml/model with its own code (the project's
# source is not mounted). The cases run in the same container with develop/release/smoke.py, the code the release's
# smoke stage runs against the staging endpoint; `bin/local.sh smoke` runs it against a server without Docker.
# Usage: bin/smoke.sh
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
usage="usage: bin/smoke.sh"
if [[ $# -gt 0 ]]; then refuse_argument "$1"; fi
require_docker
require_image "$DEV_BASE"

run_args=(--rm --label "$PROJECT_LABEL=$DOCKER_NAME" -v "$ROOT/opt/ml:/opt/ml" -v "$ROOT/develop:/opt/smoke/develop:ro")
for var in $(compgen -e); do
    if [[ $var == SAGEMAKER_* ]]; then run_args+=(-e "$var"); fi
done
# PROJECT_DIR=/: the smoke tests are /opt/ml/input/smoke-tests.json, as ./opt/ml is mounted.
exec docker run "${run_args[@]}" -e PYTHONPATH=/opt/smoke -e PROJECT_DIR=/ --entrypoint /opt/venv/bin/python \
    "$DEV_BASE" -P -m develop.release.smoke --serve-command "/opt/venv/bin/python /opt/program/main.py serve"
