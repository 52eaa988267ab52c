#!/usr/bin/env bash
# A small, seeded random search on ./opt/ml in ${DOCKER_NAME}:dev: N real trainings with hyperparameters drawn from
# the Ranges declared in algorithm.py, each ranked by the objective read from its log with the regex SageMaker will
# use; a table at the end and the best hyperparameters in ./opt/ml/output/tuning/best-hyperparameters.json. The logic
# is develop/local/training/tune.py, run by the image's Python with the project mounted as bin/train.sh mounts it.
# Usage: bin/tune.sh [--trials N] [--seed S] [--objective METRIC] [--timeout SECONDS] [--out DIR]
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
require_docker
require_image "$DEV"

dev_run_args
# ML_ROOT in the mounted project (the same folder as /opt/ml), so that the paths tune.py prints are the project's.
exec docker run "${run_args[@]}" -e PYTHONPATH=/opt/program -e ML_ROOT=/opt/program/opt/ml \
    --entrypoint /opt/venv/bin/python "$DEV" -P -m develop.local.training.tune "$@"
