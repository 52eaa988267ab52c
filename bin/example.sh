#!/usr/bin/env bash
# Switches the project to one of the examples under examples/ (its algorithm.py, lib/, opt/ml/input and
# transform/input copied over the root's), or lists them with no NAME. It refuses, naming the files that differ, when
# the root's are not an example's (your own work), unless --force, which sets them aside in set-aside/ first; the
# last example's model and outputs are set aside there too. The logic is develop/local/example.py, run by the :dev
# image's Python with the project mounted as bin/train.sh mounts it.
# Usage: bin/example.sh [NAME] [--force]
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
require_docker
require_image "$DEV"

dev_run_args
exec docker run "${run_args[@]}" -e PYTHONPATH=/opt/program \
    --entrypoint /opt/venv/bin/python "$DEV" -P -m develop.local.example "$@"
