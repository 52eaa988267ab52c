#!/usr/bin/env bash
# Runs the whole test suite (arguments go to pytest, e.g. bin/test.sh -k serving). Creates .venv first when needed.
# The Docker tests need a running Docker engine; without one they are skipped, and the summary says so.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/bin/setup.sh"
cd "$ROOT"
exec "$ROOT/.venv/bin/python" -m pytest -rs "$@"
