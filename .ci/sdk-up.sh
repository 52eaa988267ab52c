#!/usr/bin/env bash
# Provision what tests/test_sagemaker_local.py needs besides Docker: the SageMaker Python SDK (v2, pinned in
# .ci/requirements-sdk.txt) in a venv of its own, and a compose command for its local mode (which runs a job's or an
# endpoint's containers with `docker compose`, else `docker-compose`): Debian's docker-compose where neither is there.
# Idempotent: what is already there is kept. Prints nothing on stdout.
# The venv: $TEMPLATE_SAGEMAKER_SDK, by default ~/.cache/sagemaker-template/sagemaker-sdk, where the tests look for it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "sdk-up: $*" >&2; }

if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
    log "installing docker-compose"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi

sdk=${TEMPLATE_SAGEMAKER_SDK:-$HOME/.cache/sagemaker-template/sagemaker-sdk}
requirements=.ci/requirements-sdk.txt
stamp="$sdk/.requirements-installed"
wanted=$(cksum <"$requirements")
if [[ -f $stamp && $(<"$stamp") == "$wanted" ]]; then
    log "the SageMaker Python SDK already in $sdk"
    exit 0
fi
if [[ -e $sdk && ! -f $sdk/pyvenv.cfg ]]; then
    echo "sdk-up: error: $sdk exists and is not a venv: remove it or set TEMPLATE_SAGEMAKER_SDK" >&2
    exit 1
fi
log "installing the SageMaker Python SDK into $sdk"
rm -rf "$sdk"
"${PYTHON:-python3}" -m venv "$sdk" >&2
"$sdk/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$requirements" >&2
echo "$wanted" >"$stamp"
