"""A temporary copy of the project with one algorithm, and free ports on 127.0.0.1: used by the tests and by bench/."""

import os
import random
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The framework's tests take the iris example from examples/, never from the root, which is the user's to replace.
EXAMPLE_DIR = ROOT / "examples" / "iris"
EXAMPLE = EXAMPLE_DIR / "algorithm.py"

PORTS = range(20000, 32768)  # where free_port() takes them
_handed_out: set[int] = set()


def example_of(root: Path) -> Path:
    """The iris example's folder in a checkout `root`: examples/iris, or the root itself in a commit that predates
    examples/ (the benchmark's --baseline)."""
    return root / "examples" / "iris" if (root / "examples" / "iris").is_dir() else root


def develop_tool(module: str, *args: str) -> list[str]:
    """The command that runs a tool of develop/ as bin/ does: a module, found through PYTHONPATH (develop_path)."""
    return [sys.executable, "-P", "-m", f"develop.{module}", *args]


def develop_path(*first: Path) -> str:
    """A PYTHONPATH with `first` (a project's algorithm.py) before this checkout, whose develop/ package it finds."""
    return os.pathsep.join(str(folder) for folder in (*first, ROOT))


def free_port() -> int:
    """A port nothing listens on, and not one handed out before in this process: servers bind theirs a moment later.
    Taken below the system's ephemeral range (32768 and up on Linux), which it hands out to every connection: in
    between, it could hand ours out. The tests' parallel workers (pytest-xdist) keep to ports of their own, those equal
    to their number modulo their count, so that no two can hand out the same one."""
    worker, workers = _worker()
    for _ in range(1000):
        port = random.randrange(PORTS.start + worker, PORTS.stop, workers)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:  # taken
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port on 127.0.0.1 in {PORTS.start}-{PORTS.stop - 1}")


def _worker() -> tuple[int, int]:
    """(this process's number, how many there are) among pytest-xdist's workers: (0, 1) outside of them."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ...
    if not name.startswith("gw"):
        return 0, 1
    return int(name[2:]), int(os.environ["PYTEST_XDIST_WORKER_COUNT"])


class Project:
    """A copy of the framework with one algorithm and its own opt/ml tree, so nothing touches the user's files."""

    def __init__(self, folder: Path, algorithm: Path, root: Path = ROOT):
        """root: where main.py, framework/ and lib/ come from, and opt/ml/input, from its examples/iris (the
        benchmark's --baseline: another commit's; one from before examples/ existed has it at its root)."""
        self.folder, self.ml = folder, folder / "opt" / "ml"
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("main.py", "framework", "lib"):
            source = root / name
            if source.is_dir():
                shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(source, folder / name)
        shutil.copy(algorithm, folder / "algorithm.py")
        example = example_of(root)
        shutil.copytree(example / "opt" / "ml" / "input", self.ml / "input")
        if algorithm != example / "algorithm.py":
            self.write_hyperparameters("{}")  # the sample's are the example algorithm's

    def command(self, name: str) -> list[str]:
        return [sys.executable, str(self.folder / "main.py"), name]

    def env(self, **extra: str) -> dict:
        return {**os.environ, "ML_ROOT": str(self.ml), "PYTHONUNBUFFERED": "1", **extra}

    def train(self, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command("train"), env=self.env(**env), capture_output=True, text=True, timeout=timeout
        )

    def popen(self, command: str, log: Path, **env: str) -> subprocess.Popen:
        # Output goes to a file, not a pipe: a pipe nobody reads would block a chatty server.
        with open(log, "w") as out:
            return subprocess.Popen(self.command(command), env=self.env(**env), stdout=out, stderr=subprocess.STDOUT)

    def write_hyperparameters(self, text: str) -> None:
        (self.ml / "input" / "config" / "hyperparameters.json").write_text(text)

    @property
    def failure(self) -> Path:
        return self.ml / "output" / "failure"
