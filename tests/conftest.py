"""Shared fixtures: a temporary copy of the project with a chosen algorithm, and a real server on 127.0.0.1."""

import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from projects import EXAMPLE, ROOT, Project, free_port

ALGORITHMS = ROOT / "tests" / "algorithms"

# The tests play a user at a terminal, where Ctrl-C (SIGINT) interrupts. A suite started in the background of a script
# (`bash .ci/run &`) inherits SIGINT ignored, bash's rule for background jobs, and an ignored signal stays ignored
# in every process started after: the drivers' SIGINT and the tests' Ctrl-C would then do nothing. A handled signal
# is reset to the default at exec, so this one line gives every child a terminal's SIGINT.
signal.signal(signal.SIGINT, signal.default_int_handler)

# Modules whose tests share images built per module or session: bin/test.sh runs the tests in parallel workers
# (pytest-xdist, --dist loadgroup), and each of these runs whole on one of them, which builds its images once. The
# other modules' tests are spread over all the workers.
ONE_WORKER = {
    "test_docker",
    "test_tools_docker",
    "test_cluster_docker",
    "test_sagemaker_local",
    "test_push",
    "test_processing_docker",
}


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's, called where it runs
def pytest_xdist_make_scheduler(config, log):
    """--dist loadgroup, with ONE_WORKER's modules as groups. Not by xdist_group marks: pytest-xdist 3.8 groups by a
    suffix it writes into the test's id, which pytest 9 no longer reads back."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class ModulesOnOneWorker(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if Path(module).stem in ONE_WORKER else super()._split_scope(nodeid)

    return ModulesOnOneWorker(config, log)


@pytest.fixture
def make_project(tmp_path_factory):
    def make(algorithm: str = "reports_its_job") -> Project:
        file = EXAMPLE if algorithm == "example" else ALGORITHMS / f"{algorithm}.py"
        return Project(tmp_path_factory.mktemp(algorithm), file)

    return make


class Server:
    """`main.py serve` as a real gunicorn with gevent workers, bound to 127.0.0.1 on a free port."""

    def __init__(self, project: Project, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = project.folder / f"serve-{self.port}.log"
        self.process = project.popen(
            "serve", self.log_file, SERVE_HOST="127.0.0.1", SAGEMAKER_BIND_TO_PORT=str(self.port), **env
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.stop()}")
            try:
                if requests.get(self.url + "/ping", timeout=1).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or no worker has booted to answer
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server not ready in {timeout} s:\n{self.stop()}")

    def stop(self, timeout: float = 30) -> str:
        """SIGTERM, as SageMaker stops an endpoint; returns everything the server logged."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.log

    @property
    def log(self) -> str:
        return self.log_file.read_text()

    def post(self, body, content_type="application/json", **headers) -> requests.Response:
        answer = requests.post(
            self.url + "/invocations", data=body, timeout=30, headers={"Content-Type": content_type, **headers}
        )
        # The body is read; closing lets the server see the connection end. An idle keep-alive connection would
        # hold a gevent worker's graceful shutdown for the whole graceful timeout.
        answer.close()
        return answer


@pytest.fixture
def start_server():
    servers = []

    def start(project: Project, **env: str) -> Server:
        server = Server(project, **env)
        servers.append(server)
        server.wait_ready()
        return server

    yield start
    for server in servers:
        server.stop()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "examples_in_copies: slow; the suites run in copies of the project switched to each example"
    )
