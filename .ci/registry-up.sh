#!/usr/bin/env bash
# Provision what tests/test_push.py needs besides Docker: Debian's docker-registry (the tests start their own on
# 127.0.0.1 with a temporary config; the Debian service is never used) and a venv with the AWS CLI and moto's server,
# pinned in .ci/requirements-aws.txt. Idempotent: what is already there is kept. Prints nothing on stdout.
# The venv: $TEMPLATE_AWS_TOOLS, by default ~/.cache/sagemaker-template/aws-tools, where the tests look for it.
# Debian's awscli (2.9) is too old for AWS_ENDPOINT_URL (2.13 / 1.29), which the tests point at moto.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=venv.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"

log() { echo "registry-up: $*" >&2; }

if ! command -v docker-registry >/dev/null 2>&1; then
    log "installing docker-registry"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends docker-registry >/dev/null
fi

venv=${TEMPLATE_AWS_TOOLS:-$HOME/.cache/sagemaker-template/aws-tools}
provision_venv "the AWS CLI and moto" "$venv" TEMPLATE_AWS_TOOLS .ci/requirements-aws.txt
