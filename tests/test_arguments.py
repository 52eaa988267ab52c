"""The development tools that bin/ runs refuse an argument they do not take, with their usage line and exit code 2,
before doing anything (the bin/ scripts' own refusals, and their twins', are in tests/test_windows.py)."""

import os
import subprocess

import pytest

from projects import develop_path, develop_tool

TOOLS = {
    "local.training.tune": "usage: bin/tune.sh",
    "local.training.cluster": "usage: bin/train.sh [--instances N] [--cpus CPUS]",
    "sagemaker.algorithm_spec": "usage: bin/algorithm-spec.sh",
    "local.transform.runner": "usage: transform",
}


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_a_tool_refuses_an_argument_it_does_not_take(tool, tmp_path):
    done = subprocess.run(
        develop_tool(tool, "--no-such-flag"),
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": develop_path()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(TOOLS[tool]), done.stderr
    assert done.stderr.rstrip().endswith("unrecognized arguments: --no-such-flag"), done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_the_transform_runner_takes_at_most_two_folders(tmp_path):
    done = subprocess.run(
        develop_tool("local.transform.runner", "in", "out", "third"),
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": develop_path()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stderr.rstrip().endswith("unrecognized arguments: third"), done.stderr


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--instances", "0"], "'0' is not a number above 0"),
        (["--instances", "two"], "'two' is not a number above 0"),
        (["--instances", "1.5"], "'1.5' is not a number above 0"),
        (["--cpus", ""], "'' is not a number above 0"),
        (["--instances"], "expected one argument"),
    ],
)
def test_the_cluster_simulation_refuses_a_bad_value_with_its_usage(args, reason, tmp_path):
    done = subprocess.run(
        develop_tool("local.training.cluster", *args),
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": develop_path()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stderr.startswith("usage: bin/train.sh [--instances N] [--cpus CPUS]")
    assert done.stderr.rstrip().endswith(reason), done.stderr
