#!/usr/bin/env bash
# Runs the whole test suite (arguments go to pytest, e.g. bin/test.sh -k serving). Creates .venv first when needed.
# The Docker tests need a running Docker engine; without one they are skipped, and the summary says so.
# The tests run in TEST_WORKERS parallel processes (pytest-xdist; most of a test's time is spent waiting for a server,
# a subprocess or a container, so more workers than cores pay); -n 0 or -p no:xdist runs them in this one process.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/bin/setup.sh"
cd "$ROOT"
parallel=(--numprocesses "${TEST_WORKERS:-4}" --dist loadgroup)
for arg in "$@"; do
    if [[ $arg == no:xdist || $arg == -pno:xdist ]]; then parallel=(); fi
done
exec "$ROOT/.venv/bin/python" -m pytest -rs ${parallel[@]+"${parallel[@]}"} "$@"
