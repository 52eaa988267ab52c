#!/usr/bin/env bash
# Provision what tests/test_windows.py needs to run the bin\*.bat twins under a real cmd interpreter: Debian's wine64.
# Idempotent (does nothing when wine64 is there) and silent on stdout; the tests create their own wine prefix.
set -euo pipefail

if [[ -x /usr/lib/wine/wine64 ]] || command -v wine64 >/dev/null 2>&1; then
    exit 0
fi
echo "wine-up: installing wine64 with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine may be missing or stale: update once, only when the first try fails.
apt-get install -y -qq --no-install-recommends wine64 >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends wine64 >/dev/null; } || {
    echo "wine-up: apt-get could not install wine64" >&2
    exit 1
}
