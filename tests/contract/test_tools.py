"""What a project takes to SageMaker: the algorithm spec botocore accepts, a tuning job's ranking of its trials."""

import json
import subprocess
from pathlib import Path

import pytest
from test_algorithm_spec import AWS_PYTHON, NO_AWS_PYTHON, VALIDATE

from .subject import fail

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/contract:1.0.0"
ROLE = "arn:aws:iam::123456789012:role/contract"


@pytest.mark.skipif(AWS_PYTHON is None, reason=NO_AWS_PYTHON)
def test_the_algorithm_spec_is_valid_for_botocore(subject, tmp_path):
    done = subject.run_tool(
        "sagemaker.algorithm_spec", IMAGE, "--role", ROLE, "--data", "s3://contract/data", "--out", str(tmp_path)
    )
    if done.returncode != 0:
        fail("algorithm.py", f"bin/algorithm-spec.sh refuses it: {done.stderr.strip().splitlines()[-1]}")
    pairs = [("CreateAlgorithm", "create-algorithm.json"), ("CreateHyperParameterTuningJob", "create-tuning-job.json")]
    args = [str(a) for operation, name in pairs for a in (operation, tmp_path / name)]
    checked = subprocess.run([AWS_PYTHON, str(VALIDATE), *args], capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stderr
    for file, errors in json.loads(checked.stdout).items():
        if errors:
            fail("algorithm.py", f"its {Path(file).name} is refused by botocore: {errors[0]}")


def test_a_two_trial_tune_ranks_its_trials(subject, trained, tmp_path):
    found = subject.declarations
    if not found.get("metrics"):
        pytest.skip("algorithm.py declares no METRICS: there is nothing to tune on")
    if not found.get("tunable"):
        pytest.skip("algorithm.py declares no tunable Range: there is nothing to tune")
    done = subject.run_tool("local.training.tune", "--trials", "2", "--out", str(tmp_path))
    if done.returncode != 0:
        fail("algorithm.py", f"bin/tune.sh --trials 2 failed: {done.stderr.strip().splitlines()[-1]}")
    objective, maximize = next(iter(found["metrics"].items()))
    header, *rows = done.stdout.splitlines()
    values = [row.split()[1] for row in rows]
    if header.split()[1] != objective or len(rows) != 2 or "failed" in values:
        fail("algorithm.py", f"bin/tune.sh --trials 2 did not rank two trials by {objective}: {' | '.join(rows)}")
    ranked = [float(v) for v in values]
    assert ranked == sorted(ranked, reverse=maximize == "maximize"), (
        "algorithm.py: bin/tune.sh ranked its trials out of order: " + " | ".join(rows)
    )
