#!/usr/bin/env bash
# A processing job in ${DOCKER_NAME}:dev as SageMaker runs one: `process ARGS` with the inputs under
# ./opt/ml/processing/input/<name>/, the outputs written under ./opt/ml/processing/output/<name>/, the reason of a
# failure in ./opt/ml/output/message (docs/processing.md). The job's config is ./opt/ml/config/processingjobconfig.json,
# written from those folders when missing. Every argument goes to algorithm.py's process(job) as job.arguments.
# Usage: bin/process.sh [ARGS]   (the example: bin/process.sh preprocess, bin/process.sh evaluate)
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
require_docker
require_image "$DEV"

dev_run_args
exec docker run "${run_args[@]}" "$DEV" process "$@"
