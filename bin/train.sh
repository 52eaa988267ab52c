#!/usr/bin/env bash
# Train in ${DOCKER_NAME}:dev as SageMaker would: the model lands in ./opt/ml/model and ./opt/ml/output/model.tar.gz,
# a failure in ./opt/ml/output/failure. Hyperparameters: ./opt/ml/input/config/hyperparameters.json.
# --instances N: a job on N hosts, algo-1 ... algo-N, each a container on a network made for the job
# (docs/how-to/train-on-several-hosts.md); --cpus CPUS: each host's CPU share, as docker run --cpus. The logic of those is
# develop/local/training/cluster.py, run in the :dev image with the engine's socket, through which it starts the hosts.
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
usage="usage: bin/train.sh [--instances N] [--cpus CPUS]"
options=()
while (($#)); do
    case $1 in
    --instances | --cpus)  # the flag and its value, which cluster.py checks
        options+=("$1" "${2-}")
        shift $(($# > 1 ? 2 : 1))
        ;;
    *) refuse_argument "$1" ;;
    esac
done
require_docker
require_image "$DEV"

dev_run_args
if ((${#options[@]} == 0)); then
    exec docker run "${run_args[@]}" "$DEV" train
fi
exec docker run "${run_args[@]}" -v /var/run/docker.sock:/var/run/docker.sock -e "HOST_PROJECT=$ROOT" \
    -e "DOCKER_NAME=$DOCKER_NAME" -e "DEV_IMAGE=$DEV" -e PYTHONPATH=/opt/program \
    --entrypoint /opt/venv/bin/python "$DEV" -P -m develop.local.training.cluster "${options[@]}"
