"""The template proves the user's algorithm, not only its example: a copy of the project switched to another example
(bin/example.sh's logic) still passes the framework's whole suite, and each example passes the contract suite.

Slow (a suite run in a copy): marked `examples_in_copies`, so `-m "not examples_in_copies"` leaves it out and
`-m examples_in_copies` runs it alone. The Docker tests are left out of the copy's run (DOCKER_HOST points at no
engine, so they skip as they do on a machine without Docker): they build their own copies, whose root is always
examples/iris (tests/docker_helpers.py's copy_project).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from docker_helpers import copy_project
from projects import ROOT, develop_tool

pytestmark = pytest.mark.examples_in_copies
EXAMPLES = sorted(p.name for p in (ROOT / "examples").iterdir() if (p / "algorithm.py").is_file())
# The switch under test is the other shape: a regressor answering numbers, where the fixture's forest answers labels.
OTHER = "diabetes"
SUITE_TIMEOUT = 3600


def switched_copy(folder: Path, name: str) -> Path:
    """A copy of the project as a clone has it, then switched to examples/<name> as bin/example.sh does."""
    copy_project(folder)  # its root is examples/iris
    done = subprocess.run(
        develop_tool("local.example", name),
        env={**os.environ, "PYTHONPATH": str(folder), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"the project now holds the example {name} ") or name == "iris", done.stdout
    return folder


def pytest_in(folder: Path, *args: str) -> tuple[int, str]:
    """pytest run in the copy, its own folder the rootdir, no cache written, no Docker engine in reach: its exit code
    and its last lines. Its output goes to a file beside the copy (suite.log), to follow while it runs."""
    log = folder.parent / "suite.log"
    with open(log, "w") as out:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(folder), "-q", "-rfE", *args],
            cwd=folder,
            env={**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock", "PYTHONDONTWRITEBYTECODE": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=SUITE_TIMEOUT,
        )
    return done.returncode, "\n".join(log.read_text().splitlines()[-60:])


def test_the_framework_suite_passes_with_another_example_in_the_root(tmp_path):
    project = switched_copy(tmp_path / "project", OTHER)
    assert (project / "algorithm.py").read_bytes() == (ROOT / "examples" / OTHER / "algorithm.py").read_bytes()
    code, last = pytest_in(project, "tests", "-m", "not examples_in_copies", "--ignore", "tests/contract")
    summary = last.splitlines()[-1]
    assert code == 0 and " passed" in summary and " failed" not in summary, last


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_passes_the_contract_suite(tmp_path, name):
    if not (ROOT / "tests" / "contract").is_dir():
        pytest.skip("tests/contract/ (the contract suite over the root's example) is not in this checkout")
    project = switched_copy(tmp_path / "project", name)
    code, last = pytest_in(project, "tests/contract")
    assert code == 0, last
