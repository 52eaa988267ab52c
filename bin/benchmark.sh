#!/usr/bin/env bash
# Benchmark the framework's `serve` against the classic nginx + gunicorn sync + pandas stack and a Flask floor, on
# this machine, everything on 127.0.0.1 (bench/run.py does the work; ~17 minutes, or ~4 with --quick).
# The table is printed and written to bench/RESULTS.md (--quick: bench/results/quick.md). Then your algorithm, the
# root's, on its own opt/ml/input/payload* in a section of its own; --only yours runs that alone (bench/results/yours.md).
#   bin/benchmark.sh [--quick] [--runs N] [--duration SECONDS] [--workers N] [--out FILE] [--only STACKS] [--baseline GIT_REF]
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

# The same .venv as bin/local.sh and bin/test.sh: created, or updated after a requirements change, by bin/setup.sh.
"$ROOT/bin/setup.sh"
exec "$ROOT/.venv/bin/python" "$ROOT/bench/run.py" "$@"
