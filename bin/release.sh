#!/usr/bin/env bash
# A release of VERSION, as the build server runs it (docs/how-to/release.md): test -> build -> push -> train -> evaluate
# -> register -> staging -> smoke -> approval -> production -> report. develop/release/stages.py, with this machine's Python (its
# standard library only), checks the arguments and runs test and build here (bin/test.sh, bin/docker-build.sh), then
# the docker run below, in which develop/release/pipeline.py runs the rest in the AWS venv of ${DOCKER_NAME}:dev.
# Each stage prints its start and end; a failing stage stops the release (exit code non-zero), and production is
# only updated for a version approved in SageMaker's Model Registry, or approved here with --approved.
# Usage: bin/release.sh [--from STAGE] [--to STAGE] [--only STAGE] [--approved] [--model-data s3://...] VERSION
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
PYTHON=${PYTHON:-python3}
"$PYTHON" -c "" >/dev/null 2>&1 || die "$PYTHON did not start: install Python 3.11 or newer (or set PYTHON=...)"
require_docker
# The settings pipeline.py reads, with AWS's own variables: by name, never a value.
push_run_args EXECUTION_ROLE S3_BUCKET S3_PREFIX ENDPOINT_NAME STAGING_ENDPOINT_NAME MODEL_PACKAGE_GROUP \
    TRAINING_INSTANCE_TYPE ENDPOINT_INSTANCE_TYPE RELEASE_ALARMS RELEASE_CANARY_PERCENT RELEASE_BAKE_SECONDS \
    APPROVAL_TIMEOUT RELEASE_APPROVED_BY RELEASE_THRESHOLDS \
    SUBNETS SECURITY_GROUPS KMS_KEY_ID NETWORK_ISOLATION INTER_CONTAINER_ENCRYPTION
# -i: Ctrl-C reaches the release (a training job is then stopped on SageMaker).
DEV_IMAGE=$DEV exec "$PYTHON" "$ROOT/develop/release/stages.py" docker run "${run_args[@]}" -i \
    --entrypoint /opt/aws/bin/python "$DEV" -P -m develop.release -- "$@"
