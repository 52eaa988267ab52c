#!/usr/bin/env bash
# Creates .venv with the pinned requirements (runtime and tests) for work without Docker. Safe to run again: it
# reinstalls only when a requirements file has changed since the last install.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
PYTHON=${PYTHON:-python3}

die() {
    echo "error: $*" >&2
    exit 1
}

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found: install Python 3.11 or newer (or set PYTHON=...)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    die "$("$PYTHON" --version 2>&1) is too old: the pinned packages need Python 3.11 or newer (set PYTHON=...)"
if [[ ! -x $VENV/bin/python ]]; then
    echo "creating $VENV" >&2
    "$PYTHON" -m venv "$VENV" || die "could not create $VENV: on Debian or Ubuntu, install python3-venv"
fi

stamp="$VENV/.requirements-installed"
wanted=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" | cksum)
if [[ ! -f $stamp || $(<"$stamp") != "$wanted" ]]; then
    echo "installing the pinned requirements into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
        -r "$ROOT/requirements-dev.txt" ||
        die "pip could not install requirements-dev.txt (see above)"
    echo "$wanted" >"$stamp"
fi
