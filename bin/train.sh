#!/usr/bin/env bash
# Train in ${DOCKER_NAME}:dev as SageMaker would: the model lands in ./opt/ml/model and ./opt/ml/output/model.tar.gz,
# a failure in ./opt/ml/output/failure. Hyperparameters: ./opt/ml/input/config/hyperparameters.json.
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
usage="usage: bin/train.sh"
[[ $# -eq 0 ]] || refuse_argument "$1"
require_docker
require_image "$DEV"

dev_run_args
exec docker run "${run_args[@]}" "$DEV" train
