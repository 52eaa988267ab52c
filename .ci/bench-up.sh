#!/usr/bin/env bash
# Provision what tests/test_bench_yours.py needs to put load on a server: Debian's wrk (bin/benchmark.sh installs it
# itself, with nginx, for a full run). Idempotent (does nothing when wrk is there) and silent on stdout.
set -euo pipefail

if command -v wrk >/dev/null 2>&1; then
    exit 0
fi
echo "bench-up: installing wrk with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine may be missing or stale: update once, only when the first try fails.
apt-get install -y -qq --no-install-recommends wrk >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends wrk >/dev/null; } || {
    echo "bench-up: apt-get could not install wrk" >&2
    exit 1
}
