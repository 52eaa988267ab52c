"""`bin/benchmark.sh --only yours` (bench/yours.py): the project root's algorithm, trained in a copy, under load with
each of the root's own payloads, in projects copied as a clone has them: the iris example at the root, and the
diabetes example switched in as bin/example.sh does. Each run is the benchmark's shortest (1 run of 2 s a payload);
the checks are on what the report names, never on how fast anything was.

Needs wrk (.ci/bench-up.sh installs it); without it these tests are skipped with a line that says so."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from docker_helpers import copy_project
from projects import develop_tool

pytestmark = pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (Debian: apt-get install wrk; .ci/bench-up.sh does it)"
)


def benchmark_yours(project: Path) -> tuple[subprocess.CompletedProcess, str]:
    """The copy's own bench/run.py, as bin/benchmark.sh runs it; returns the run and its report (or '')."""
    done = subprocess.run(
        [sys.executable, str(project / "bench" / "run.py"), "--only", "yours", "--runs", "1", "--duration", "2"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=400,
    )
    report = project / "bench" / "results" / "yours.md"
    return done, report.read_text() if report.exists() else ""


def switch(project: Path, example: str) -> None:
    switched = subprocess.run(
        develop_tool("local.example", example, "--force"),
        env={**os.environ, "PYTHONPATH": str(project), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert switched.returncode == 0, switched.stderr


def rows(report: str) -> dict[str, float]:
    """payload name -> requests/s, from the section's table."""
    found = re.findall(r"^\| (payload\S*) \| [^|]+ \| [0-9,]+ \| ([0-9,.]+) \|", report, re.M)
    return {name: float(figure.replace(",", "")) for name, figure in found}


def tree(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def payload_names(project: Path) -> set[str]:
    return {path.name for path in (project / "opt" / "ml" / "input").glob("payload*")}


def test_every_payload_of_the_root_example_gets_its_figures(tmp_path):
    project = copy_project(tmp_path)
    before = tree(project / "opt" / "ml")
    done, report = benchmark_yours(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "## Your algorithm: The algorithm: the one file an algorithm author edits" in report
    measured = rows(report)
    assert set(measured) == payload_names(project) and len(measured) >= 4, report
    assert all(figure > 0 for figure in measured.values()), report
    # Trained in a temporary copy: the project's own opt/ml gets no model, no output, no change.
    assert tree(project / "opt" / "ml") == before


def test_another_example_and_a_payload_it_refuses(tmp_path):
    project = copy_project(tmp_path)
    switch(project, "diabetes")
    (project / "opt" / "ml" / "input" / "payload-photo.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    done, report = benchmark_yours(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "HistGradientBoostingRegressor" not in report  # the title is the docstring's first line, not its body
    measured = rows(report)
    assert set(measured) == payload_names(project) - {"payload-photo.png"}, report
    assert all(figure > 0 for figure in measured.values()), report
    # The refused payload: one line, naming it, its status and the server's reason; the others are measured anyway.
    assert re.search(r"^- payload-photo\.png \(image/png\) skipped: the server answered 415: .*image/png", report, re.M)
    assert "payload-photo.png (image/png) skipped: the server answered 415" in done.stdout


def test_a_failed_training_is_one_line_with_its_reason(tmp_path):
    project = copy_project(tmp_path)
    with open(project / "algorithm.py", "a") as source:
        source.write("\n\ndef train(job):\n    raise ValueError('the bench test broke training on purpose')\n")
    done, report = benchmark_yours(project)
    assert done.returncode == 1, done.stdout + done.stderr
    failed = r"^- nothing measured: training failed \(exit code \d+\): .*broke training on purpose"
    assert re.search(failed, report, re.M), report
    assert not rows(report)
