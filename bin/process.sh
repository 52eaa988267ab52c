#!/usr/bin/env bash
# A processing job in ${DOCKER_NAME}:dev as SageMaker runs one: `process ARGS` with the inputs under
# ./opt/ml/processing/input/<name>/, the outputs written under ./opt/ml/processing/output/<name>/, the reason of a
# failure in ./opt/ml/output/message (docs/how-to/processing.md). The job's config is ./opt/ml/config/processingjobconfig.json,
# written from those folders when missing. Every other argument goes to algorithm.py's process(job) as job.arguments.
# --instances N: a job on N hosts, algo-1 ... algo-N; --cpus CPUS: each host's CPU share (develop/local/processing/
# cluster.py, run in the :dev image with the engine's socket, as bin/train.sh --instances N runs training's).
# Usage: bin/process.sh [--instances N] [--cpus CPUS] [ARGS]   (the example: bin/process.sh preprocess)
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
require_docker
require_image "$DEV"

dev_run_args
if [[ ${1-} != --instances && ${1-} != --cpus ]]; then
    exec docker run "${run_args[@]}" "$DEV" process "$@"
fi
exec docker run "${run_args[@]}" -v /var/run/docker.sock:/var/run/docker.sock -e "HOST_PROJECT=$ROOT" \
    -e "DOCKER_NAME=$DOCKER_NAME" -e "DEV_IMAGE=$DEV" -e PYTHONPATH=/opt/program \
    --entrypoint /opt/venv/bin/python "$DEV" -P -m develop.local.processing.cluster "$@"
