#!/usr/bin/env bash
# Provision what tests/test_postman.py needs: Node.js (Debian's nodejs and npm, when node is missing) and newman,
# Postman's command-line runner, pinned below and installed from npm into $TEMPLATE_NEWMAN (by default
# ~/.cache/sagemaker-template/newman), where the tests look for it. Idempotent; prints nothing on stdout.
set -euo pipefail

NEWMAN_VERSION=6.2.2  # README's `npx newman@... run` names the same version (a test checks it)

log() { echo "newman-up: $*" >&2; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    log "installing Node.js and npm with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; } || {
        echo "newman-up: apt-get could not install nodejs and npm" >&2
        exit 1
    }
fi

tools=${TEMPLATE_NEWMAN:-$HOME/.cache/sagemaker-template/newman}
newman="$tools/node_modules/.bin/newman"
if [[ -x $newman && $("$newman" --version 2>/dev/null) == "$NEWMAN_VERSION" ]]; then
    log "newman $NEWMAN_VERSION already in $tools"
    exit 0
fi
log "installing newman $NEWMAN_VERSION into $tools"
mkdir -p "$tools"
npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "newman@$NEWMAN_VERSION" >&2
