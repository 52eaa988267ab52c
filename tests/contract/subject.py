"""The subject of the contract suite: a project folder (CONTRACT_PROJECT, by default this repository) with its
algorithm.py, lib/, opt/ml/input/ and transform/input/, copied into a temporary folder next to this checkout's
main.py and framework/, so that nothing the suite runs writes into the user's files."""

import json
import os
import shutil
import subprocess
import sys
from functools import cached_property
from pathlib import Path

import pytest

from projects import ROOT, Project, develop_path

HERE = Path(__file__).resolve().parent


def subject_folder() -> Path:
    folder = Path(os.environ.get("CONTRACT_PROJECT") or ROOT).resolve()
    if not (folder / "algorithm.py").is_file():
        pytest.fail(f"CONTRACT_PROJECT={folder}: no algorithm.py there", pytrace=False)
    return folder


def fail(file: str, reason: str) -> None:
    """The one line a broken algorithm gets: the subject's file, then what is wrong with it."""
    pytest.fail(f"{file}: {reason}", pytrace=False)


class Subject(Project):
    """A Project (tests/projects.py) whose algorithm, lib/ and inputs are the subject's."""

    def __init__(self, folder: Path, source: Path):
        self.source, self.folder, self.ml = source, folder, folder / "opt" / "ml"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "main.py", folder / "main.py")
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / "framework", folder / "framework", ignore=ignore)
        shutil.copy(source / "algorithm.py", folder / "algorithm.py")
        for part in ("lib", "opt/ml/input", "transform/input"):
            if (source / part).is_dir():
                shutil.copytree(source / part, folder / part, ignore=ignore)

    def run_tool(self, module: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """A develop/ tool as bin/local.sh runs it, with this copy's algorithm.py and opt/ml."""
        return subprocess.run(
            [sys.executable, "-P", "-m", f"develop.{module}", *args],
            cwd=self.folder,
            env=self.env(PYTHONPATH=develop_path(self.folder)),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    @cached_property
    def declarations(self) -> dict:
        done = subprocess.run(
            [sys.executable, str(HERE / "declarations.py")],
            cwd=self.folder,
            env=self.env(PYTHONPATH=str(self.folder)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            fail("algorithm.py", f"cannot be imported: {last}")
        return json.loads(done.stdout)

    def payloads(self) -> list[Path]:
        return sorted(p for p in (self.ml / "input").glob("payload*") if p.is_file())
