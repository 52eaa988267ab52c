#!/usr/bin/env bash
# Writes what the AWS CLI takes to register the algorithm and to tune it, derived from algorithm.py:
# spec/create-algorithm.json (aws sagemaker create-algorithm) and spec/create-tuning-job.json
# (aws sagemaker create-hyper-parameter-tuning-job). The logic is develop/sagemaker/algorithm_spec.py, run by the Python of
# ${DOCKER_NAME}:dev with the project mounted as bin/train.sh mounts it.
# Usage: bin/algorithm-spec.sh [IMAGE_URI] [--role ARN] [--data s3://bucket/prefix] [--name NAME] [--objective METRIC]
#        [--out DIR]     (no IMAGE_URI: the one in image-uri.txt, from bin/docker-push.sh VERSION > image-uri.txt)
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
require_docker
require_image "$DEV"

dev_run_args
exec docker run "${run_args[@]}" -e PYTHONPATH=/opt/program \
    --entrypoint /opt/venv/bin/python "$DEV" -P -m develop.sagemaker.algorithm_spec "$@"
