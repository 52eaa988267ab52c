#!/usr/bin/env bash
# Provision what tests/test_sagemaker_local.py needs besides Docker: the SageMaker Python SDK (v2, pinned in
# .ci/requirements-sdk.txt) in a venv of its own, and a compose command for its local mode (which runs a job's or an
# endpoint's containers with `docker compose`, else `docker-compose`): Debian's docker-compose where neither is there.
# Idempotent: what is already there is kept. Prints nothing on stdout.
# The venv: $TEMPLATE_SAGEMAKER_SDK, by default ~/.cache/sagemaker-template/sagemaker-sdk, where the tests look for it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=venv.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"

log() { echo "sdk-up: $*" >&2; }

if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
    log "installing docker-compose"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi

venv=${TEMPLATE_SAGEMAKER_SDK:-$HOME/.cache/sagemaker-template/sagemaker-sdk}
provision_venv "the SageMaker Python SDK" "$venv" TEMPLATE_SAGEMAKER_SDK .ci/requirements-sdk.txt --no-deps
