#!/usr/bin/env bash
# Writes what the AWS CLI takes to register the algorithm and to tune it, derived from algorithm.py:
# spec/create-algorithm.json (aws sagemaker create-algorithm) and spec/create-tuning-job.json
# (aws sagemaker create-hyper-parameter-tuning-job). The logic is develop/algorithm_spec.py, run in .venv.
# Usage: bin/algorithm-spec.sh [IMAGE_URI] [--role ARN] [--data s3://bucket/prefix] [--name NAME] [--objective METRIC]
#        [--out DIR]     (no IMAGE_URI: the one in image-uri.txt, from bin/docker-push.sh VERSION > image-uri.txt)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/bin/setup.sh"
PYTHONPATH="$ROOT" exec "$ROOT/.venv/bin/python" "$ROOT/develop/algorithm_spec.py" "$@"
