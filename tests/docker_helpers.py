"""Helpers of tests/test_docker.py: a throw-away copy of the project with its own .env and images, driven through
the real bin/ scripts, and bounded waits for real HTTP on 127.0.0.1."""

import os
import shutil
import signal
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests

from projects import develop_tool, free_port  # noqa: F401 (the Docker tests import free_port from here)

ROOT = Path(__file__).resolve().parent.parent
PROJECT_LABEL = "sagemaker-template.project"  # as in bin/_common.sh
BUILD_TIMEOUT = 1800  # both images, pip installing requirements.txt over the network
RUN_TIMEOUT = 180


def docker_unavailable() -> str | None:
    """Why the Docker tests cannot run here, or None when an engine answers."""
    if shutil.which("docker") is None:
        return "Docker tests skipped: the docker command is not installed"
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "Docker tests skipped: `docker info` did not answer in 30 s"
    if info.returncode != 0:
        return "Docker tests skipped: no Docker engine is reachable (`docker info` failed)"
    return None


def base_image() -> str:
    """TEMPLATE_BASE_IMAGE (printed by .ci/docker-up.sh where no registry is reachable), else .env.example's."""
    if os.environ.get("TEMPLATE_BASE_IMAGE"):
        return os.environ["TEMPLATE_BASE_IMAGE"]
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("BASE_IMAGE="):
            return line.split("=", 1)[1].strip()
    raise AssertionError(".env.example sets no BASE_IMAGE")


def copy_project(dest: Path) -> Path:
    """The project's files as a clone would have them (tracked, plus new files not ignored): no .env, no model; its
    root holds the iris example, whatever this checkout's root holds (the tests' fixture, not the user's algorithm)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    if listed.returncode == 0:
        for name in filter(None, listed.stdout.decode().split("\0")):
            source = ROOT / name
            if source.is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest / name)
    else:  # not a git checkout (e.g. an unpacked archive)
        shutil.copytree(
            ROOT,
            dest,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(
                ".git", ".venv", "__pycache__", ".pytest_cache", ".env", ".env.bat", "model.joblib", "model.tar.gz"
            ),
        )
    # bin/example.sh's logic: what the root held instead (the user's own work) goes to the copy's set-aside/.
    switched = subprocess.run(
        develop_tool("local.example", "iris", "--force"),
        env={**os.environ, "PYTHONPATH": str(dest), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert switched.returncode == 0, f"the copy did not switch to examples/iris: {switched.stderr}"
    return dest


def run(args, timeout: float = RUN_TIMEOUT, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)


def docker(*args, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    return run(["docker", *args], timeout=timeout)


class DockerProject:
    """A copy of the project with a unique DOCKER_NAME, so that no user's or parallel run's image is touched."""

    def __init__(self, folder: Path, name: str | None = None, base: str | None = None):
        self.folder = folder
        self.ml = folder / "opt" / "ml"
        self.name = name or f"sagemaker-template-test-{uuid.uuid4().hex[:10]}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.base = base or base_image()
        self.write_env(DOCKER_NAME=self.name, BASE_IMAGE=self.base, HOST_PORT=str(self.port))

    def write_env(self, **settings: str) -> None:
        (self.folder / ".env").write_text("".join(f"{key}={value}\n" for key, value in settings.items()))

    def script(
        self, name: str, *args: str, timeout: float = RUN_TIMEOUT, cwd: Path | None = None, env: dict | None = None
    ) -> subprocess.CompletedProcess:
        # From another directory than the project's: the scripts must find it themselves.
        return run(
            [str(self.folder / "bin" / name), *args],
            timeout=timeout,
            cwd=cwd or self.folder.parent,
            env={**os.environ, **(env or {})},
        )

    def containers(self) -> list[str]:
        return docker("ps", "-aq", "--filter", f"label={PROJECT_LABEL}={self.name}").stdout.split()

    def images(self) -> list[str]:
        return docker("image", "ls", "-q", "--filter", f"label={PROJECT_LABEL}={self.name}").stdout.split()

    @contextmanager
    def serving(self, env: dict | None = None, ready_timeout: float = 120, args: tuple = ()):
        """bin/serve.sh in the foreground of its own session; leaving sends Ctrl-C (SIGINT to its process group)."""
        log = self.folder / f"serve-{uuid.uuid4().hex[:6]}.log"
        with open(log, "w") as out:
            process = subprocess.Popen(
                [str(self.folder / "bin" / "serve.sh"), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, **(env or {})},
            )
        server = Served(process, log, self.url)
        try:
            wait_for_ping(self.url, ready_timeout, process, log)
            yield server
        finally:
            server.interrupt()


class Served:
    def __init__(self, process: subprocess.Popen, log: Path, url: str):
        self.process, self.log_file, self.url = process, log, url
        self.stop_seconds = None

    @property
    def log(self) -> str:
        return self.log_file.read_text()

    def interrupt(self, timeout: float = 60) -> int:
        """What Ctrl-C in the terminal does: SIGINT to the foreground process group. Returns the exit code."""
        if self.process.poll() is None:
            started = time.monotonic()
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
            self.stop_seconds = time.monotonic() - started
        return self.process.returncode


def wait_for_ping(url: str, timeout: float, process: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{log.read_text() if log else ''}")
        try:
            if requests.get(url + "/ping", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no 200 from {url}/ping within {timeout} s:\n{log.read_text() if log else ''}")
