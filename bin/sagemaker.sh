#!/usr/bin/env bash
# SageMaker itself, from the project: train | deploy | predict | transform | process | status | destroy
# (docs/how-to/sagemaker.md).
# The logic is develop/sagemaker, run by the AWS venv of ${DOCKER_NAME}:dev (boto3 is there and nowhere in the image
# SageMaker runs), with the project mounted as bin/train.sh mounts it. Credentials are yours: ~/.aws is mounted
# read-only when it exists and the AWS_* variables are passed on by name (docker reads their values from this
# environment: no value is ever on a command line). Relative paths are read from the current folder.
# Usage: bin/sagemaker.sh COMMAND [options]     (bin/sagemaker.sh COMMAND --help: the command's options)
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
usage="usage: bin/sagemaker.sh train|deploy|predict|transform|process|status|destroy [options]   (COMMAND --help: its options)"
# A word that is no command is refused before Docker is asked anything; the rest is the command's to check.
case ${1:-} in
"" | train | deploy | predict | transform | process | status | destroy | -h | --help) ;;
*) refuse_argument "$1" ;;
esac
require_docker
require_image "$DEV"

dev_run_args
# The settings of .env that develop/sagemaker/config.py reads, with AWS's own variables: names only.
aws_run_args DOCKER_NAME EXECUTION_ROLE S3_BUCKET S3_PREFIX ENDPOINT_NAME \
    TRAINING_INSTANCE_TYPE ENDPOINT_INSTANCE_TYPE TRANSFORM_INSTANCE_TYPE \
    SUBNETS SECURITY_GROUPS KMS_KEY_ID NETWORK_ISOLATION INTER_CONTAINER_ENCRYPTION
# The current folder, where relative paths (a payload, a transform's folders) are: in the project, or mounted.
workdir=/opt/program
if [[ $PWD == "$ROOT" || $PWD == "$ROOT"/* ]]; then
    workdir=/opt/program${PWD#"$ROOT"}
else
    run_args+=(-v "$PWD:/opt/cwd")
    workdir=/opt/cwd
fi
# -i: destroy asks on stdin (no answer, no deletion). No -t, as the batch twin cannot tell a terminal: docker passes
# Ctrl-C on as a signal all the same, and a training job is then stopped on SageMaker.
exec docker run "${run_args[@]}" -i -e PROJECT_DIR=/opt/program -e PYTHONPATH=/opt/program -w "$workdir" \
    --entrypoint /opt/aws/bin/python "$DEV" -P -m develop.sagemaker "$@"
