#!/usr/bin/env bash
# Benchmark the framework's `serve` against the classic nginx + gunicorn sync + pandas stack and a Flask floor, on
# this machine, everything on 127.0.0.1 (bench/run.py does the work; ~10 minutes, or ~3 with --quick).
# The table is printed and written to bench/RESULTS.md (--quick: bench/results/quick.md).
#   bin/benchmark.sh [--quick] [--runs N] [--duration SECONDS] [--workers N] [--out FILE]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() {
    echo "error: $*" >&2
    exit 1
}

# nginx lives in /usr/sbin, which a normal user's PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 && -f /etc/debian_version ]] && command -v apt-get >/dev/null 2>&1; then
        echo "benchmark: installing ${missing[*]} with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
            { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
            die "apt-get could not install ${missing[*]}"
    else
        die "the benchmark needs ${missing[*]}: install it (Debian/Ubuntu: sudo apt-get install ${missing[*]})"
    fi
fi

PYTHON=$ROOT/.venv/bin/python
if [[ ! -x $PYTHON ]]; then
    [[ -x $ROOT/bin/setup.sh ]] ||
        die "$ROOT/.venv is missing: create it (python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt)"
    "$ROOT/bin/setup.sh"
fi
"$PYTHON" -c 'import flask, gunicorn, gevent, pandas, sklearn' 2>/dev/null ||
    die "$ROOT/.venv lacks the pinned packages: run bin/setup.sh"

exec "$PYTHON" "$ROOT/bench/run.py" "$@"
