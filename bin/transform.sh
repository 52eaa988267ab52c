#!/usr/bin/env bash
# A local batch transform in ${DOCKER_NAME}:dev, as SageMaker runs one: the image's `serve` in a container with a
# transform job's environment, and develop/local/transform/runner.py beside it sending it the input files
# (docs/how-to/batch-transform.md). bin/local.sh transform takes the same arguments without Docker.
# Usage: bin/transform.sh [INPUT_DIR [OUTPUT_DIR]] [--SplitType Line] [--Accept text/csv] [--AssembleWith Line] ...
# Defaults: transform/input and transform/output. Every file under INPUT_DIR gets its <file>.out under OUTPUT_DIR.
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
require_docker
require_image "$DEV"

input=$ROOT/transform/input
output=$ROOT/transform/output
if [[ $# -gt 0 && $1 != -* ]]; then input=$1 && shift; fi
if [[ $# -gt 0 && $1 != -* ]]; then output=$1 && shift; fi
[[ -d $input ]] || die "input folder $input does not exist: put the files to transform in it"
input=$(cd "$input" && pwd)
[[ $output == /* ]] || output=$PWD/$output
[[ $output/ != "$input"/* ]] || die "the output folder $output is inside the input folder: choose another"
mkdir -p "$output"

dev_run_args
# The input is mounted read-only: nothing in it is ever modified.
exec docker run "${run_args[@]}" -v "$input:/opt/transform/input:ro" -v "$output:/opt/transform/output" \
    -e PYTHONPATH=/opt/program --entrypoint /opt/venv/bin/python "$DEV" -P -m develop.local.transform.runner \
    /opt/transform/input /opt/transform/output \
    --serve-command "/opt/venv/bin/python /usr/local/lib/sagemaker-standin/entrypoint.py serve" "$@"
