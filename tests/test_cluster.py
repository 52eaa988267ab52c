"""A training job on several hosts without Docker: the hosts' facts from resourceconfig.json, name resolution, and a
real Dask cluster of `main.py train` processes on 127.0.0.x, each host with its own opt/ml (its own config folder)."""

import json
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from develop.local.training.cluster import shares

from framework.errors import ConfigError
from framework.training.cluster import Cluster, ClusterError
from projects import develop_path, develop_tool, free_port

SAGEMAKER_ORDER = ["algo-3", "algo-1", "algo-4", "algo-2"]  # instance_groups' hosts, as SageMaker lists them


# --- The facts of resourceconfig.json -----------------------------------------------------------------------------


def test_the_leader_is_the_first_of_the_sorted_hosts_whatever_their_names():
    local_mode = Cluster.from_resource_config(
        {"current_host": "algo-1-zq3x9", "hosts": ["algo-1-zq3x9", "algo-1-b7k2m"], "network_interface_name": "ethwe"}
    )
    assert local_mode.leader == "algo-1-b7k2m"
    assert not local_mode.is_leader and local_mode.rank == 1 and local_mode.network_interface == "ethwe"


def test_only_hosts_is_read_not_instance_groups_order():
    config = {
        "current_host": "algo-2",
        "hosts": sorted(SAGEMAKER_ORDER),
        "network_interface_name": "eth0",
        "current_group_name": "homogeneousCluster",
        "instance_groups": [{"instance_group_name": "homogeneousCluster", "hosts": SAGEMAKER_ORDER}],
    }
    cluster = Cluster.from_resource_config(config)
    assert cluster.hosts == ("algo-1", "algo-2", "algo-3", "algo-4")
    assert cluster.leader == "algo-1" and cluster.rank == 1 and cluster.distributed


def test_no_resource_config_is_one_host_that_leads():
    cluster = Cluster.from_resource_config({})
    assert cluster.hosts == ("algo-1",) and cluster.is_leader and not cluster.distributed


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"current_host": "algo-9", "hosts": ["algo-1", "algo-2"]}, "current_host 'algo-9' is not one of the hosts"),
        ({"current_host": "algo-1", "hosts": []}, "hosts must be a non-empty list"),
        ({"current_host": "algo-1", "hosts": ["algo-1", "algo-1"]}, "lists a host twice"),
    ],
)
def test_an_inconsistent_resource_config_is_refused(config, reason):
    with pytest.raises(ConfigError, match=reason):
        Cluster.from_resource_config(config)


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("CLUSTER_START_TIMEOUT", "soon", "CLUSTER_START_TIMEOUT='soon' must be a number of seconds above 0"),
        ("CLUSTER_START_TIMEOUT", "0", "CLUSTER_START_TIMEOUT='0' must be a number of seconds above 0"),
        ("CLUSTER_SCHEDULER_PORT", "70000", "CLUSTER_SCHEDULER_PORT='70000' must be a port number from 1 to 65535"),
    ],
)
def test_a_bad_cluster_setting_is_refused_naming_it(monkeypatch, variable, value, reason):
    from framework.training.dask_cluster import LeaderCluster, serve

    monkeypatch.setenv(variable, value)
    for start in (LeaderCluster, serve):  # the leader and a worker host read the same settings
        with pytest.raises(ConfigError) as refused:
            start(Cluster(("localhost",), "localhost", "lo"))
        assert str(refused.value) == reason


def test_names_that_resolve_late_are_retried(monkeypatch):
    attempts = []

    def resolve(host):
        attempts.append(host)
        if len(attempts) < 3:
            raise socket.gaierror(-2, "Name or service not known")
        return "10.0.0.7"

    monkeypatch.setattr(socket, "gethostbyname", resolve)
    assert Cluster(("algo-1",), "algo-1", "eth0").addresses(timeout=10) == {"algo-1": "10.0.0.7"}
    assert len(attempts) == 3


def test_a_name_that_never_resolves_fails_after_the_deadline_naming_the_host():
    cluster = Cluster(("localhost", "no-such-host.invalid"), "localhost", "lo")
    started = time.monotonic()
    with pytest.raises(ClusterError, match=r"host no-such-host.invalid did not resolve to an address within 1 s"):
        cluster.addresses(timeout=1)
    assert time.monotonic() - started < 5


@given(st.lists(st.text(min_size=1), unique=True), st.integers(1, 8))
def test_sharded_by_s3_key_gives_whole_files_each_to_exactly_one_host(names, count):
    files = sorted(Path(name) for name in names)
    hosts = [f"algo-{n}" for n in range(1, count + 1)]
    dealt = shares(files, hosts)
    assert sorted(dealt) == hosts
    assert sorted(f for share in dealt.values() for f in share) == files  # disjoint, and covering every file
    assert max(map(len, dealt.values())) - min(map(len, dealt.values())) <= 1  # about 1/N each


# --- Several `main.py train` processes: a real Dask cluster on 127.0.0.x ------------------------------------------


class Hosts:
    """One copy of the program and, per host, its own opt/ml whose resourceconfig.json names it."""

    def __init__(self, project, count: int, hyperparameters: dict | None = None):
        self.project = project
        self.names = [f"127.0.0.{n}" for n in range(1, count + 1)]
        self.port = str(free_port())
        self.roots = {}
        for name in self.names:
            root = project.folder / "hosts" / name
            shutil.copytree(project.ml, root)
            config = root / "input" / "config"
            # instance_groups' order is SageMaker's, not sorted: the framework must not read it.
            hosts = list(reversed(self.names))
            resource = {
                "current_host": name,
                "hosts": sorted(hosts),
                "network_interface_name": "lo",
                "instance_groups": [{"instance_group_name": "homogeneousCluster", "hosts": hosts}],
            }
            (config / "resourceconfig.json").write_text(json.dumps(resource))
            if hyperparameters is not None:
                text = json.dumps({key: str(value) for key, value in hyperparameters.items()})
                (config / "hyperparameters.json").write_text(text)
            self.roots[name] = root
        self.processes = {}

    def start(self, *names: str, timeout: str = "60") -> None:
        for name in names or self.names:
            log = open(self.roots[name] / "train.log", "w")
            self.processes[name] = subprocess.Popen(
                self.project.command("train"),
                env=self.project.env(
                    ML_ROOT=str(self.roots[name]), CLUSTER_SCHEDULER_PORT=self.port, CLUSTER_START_TIMEOUT=timeout
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()

    def wait(self, timeout: float = 90) -> dict[str, int]:
        deadline = time.monotonic() + timeout
        try:
            return {name: p.wait(max(0.1, deadline - time.monotonic())) for name, p in self.processes.items()}
        finally:
            for process in self.processes.values():
                if process.poll() is None:
                    process.kill()
                    process.wait()

    def log(self, name: str) -> str:
        return (self.roots[name] / "train.log").read_text()

    def failure(self, name: str) -> str | None:
        path = self.roots[name] / "output" / "failure"
        return path.read_text().strip() if path.exists() else None

    def model(self, name: str) -> list[str]:
        return sorted(p.name for p in (self.roots[name] / "model").iterdir() if p.name != ".gitkeep")


@pytest.fixture
def hosts(make_project):
    def make(count: int = 3, **hyperparameters) -> Hosts:
        return Hosts(make_project("works_across_hosts"), count, hyperparameters or None)

    return make


def test_three_hosts_form_one_cluster_run_tasks_on_every_host_and_only_the_leader_writes(hosts):
    job = hosts(3)
    job.start()
    assert job.wait() == {name: 0 for name in job.names}, job.log("127.0.0.1")
    leader = job.log("127.0.0.1")
    assert "Dask cluster formed in" in leader
    counts = dict(
        pair.rsplit(" ", 1)
        for pair in re.search(r"Dask tasks run per host: (.*) \(computing", leader).group(1).split(", ")
    )
    assert sorted(counts) == job.names and all(int(n) > 0 for n in counts.values()), counts
    assert sum(int(n) for n in counts.values()) == 30
    assert job.model("127.0.0.1") == ["model.txt"] and "metric train:accuracy=1" in leader
    for worker in job.names[1:]:
        assert job.model(worker) == [] and job.failure(worker) is None
        assert "the leader 127.0.0.1 is done; worker host" in job.log(worker)
        assert "metric train:accuracy" not in job.log(worker)


def test_worker_hosts_stay_until_the_leader_has_written_its_model(hosts):
    # Where the first host to exit ends the job (the SDK's local mode), a worker host that left when the block ended
    # would stop the leader before its model was written.
    job = hosts(3, write_after_s=3)
    job.start()
    model = job.roots["127.0.0.1"] / "model" / "model.txt"
    left_early, deadline = set(), time.monotonic() + 90
    while time.monotonic() < deadline:
        gone = {name for name in job.names[1:] if job.processes[name].poll() is not None}
        if model.exists():  # checked after: these hosts were gone while the model was not written
            break
        left_early |= gone
        time.sleep(0.05)
    assert job.wait() == {name: 0 for name in job.names}, job.log("127.0.0.1")
    assert model.exists() and left_early == set()


def test_an_exception_on_the_leader_fails_every_host_with_its_reason(hosts):
    job = hosts(2, leader_raises=True)
    job.start()
    assert job.wait() == {"127.0.0.1": 1, "127.0.0.2": 1}
    assert job.failure("127.0.0.1") == "ValueError: the leader broke after its tasks"
    assert (
        job.failure("127.0.0.2")
        == "ClusterError: the leader 127.0.0.1 failed: ValueError: the leader broke after its tasks"
    )


def test_a_worker_host_that_dies_fails_the_job(hosts):
    job = hosts(3, kill_host="127.0.0.3")
    job.start()
    codes = job.wait()
    assert codes["127.0.0.3"] == 3 and codes["127.0.0.1"] == 1, codes
    assert "worker host 127.0.0.3 left the Dask cluster before the leader was done" in job.failure("127.0.0.1")


def test_worker_hosts_fail_when_the_leader_dies_mid_job(hosts):
    job = hosts(3, kill_host="127.0.0.1")  # the leader's own worker is the leader's process
    job.start()
    assert job.wait() == {"127.0.0.1": 3, "127.0.0.2": 1, "127.0.0.3": 1}
    for worker in ("127.0.0.2", "127.0.0.3"):
        assert job.failure(worker) == (
            "ClusterError: lost the Dask scheduler on the leader 127.0.0.1 before it was done (its host failed or was "
            "stopped)"
        )


def test_a_worker_host_without_its_leader_fails_after_the_deadline(hosts):
    job = hosts(2)
    job.start("127.0.0.2", timeout="2")
    assert job.wait(timeout=30) == {"127.0.0.2": 1}
    assert "could not join the Dask scheduler tcp://127.0.0.1:" in job.failure("127.0.0.2")
    assert "on the leader 127.0.0.1 within 2 s" in job.failure("127.0.0.2")


def test_sigterm_stops_a_worker_host_promptly(hosts):
    job = hosts(2)
    job.start("127.0.0.2")
    deadline = time.monotonic() + 30
    while "serving as a Dask worker" not in job.log("127.0.0.2") and time.monotonic() < deadline:
        time.sleep(0.1)
    job.processes["127.0.0.2"].send_signal(signal.SIGTERM)
    assert job.wait(timeout=15) == {"127.0.0.2": 128 + signal.SIGTERM}


def test_a_host_that_is_not_the_leader_may_not_write_the_model(hosts):
    job = hosts(2, without_dask=True)
    job.start("127.0.0.2")
    assert job.wait() == {"127.0.0.2": 1}
    assert job.failure("127.0.0.2").startswith(
        "RuntimeError: host 127.0.0.2 wrote model.txt into the model folder, but only the leader (127.0.0.1) writes"
    )
    assert "metric train:accuracy" not in job.log("127.0.0.2")


def test_every_host_writes_when_the_algorithm_says_so(hosts):
    job = hosts(2, without_dask=True)
    algorithm = job.project.folder / "algorithm.py"
    algorithm.write_text(algorithm.read_text() + "\nEVERY_HOST_WRITES = True\n")
    job.start("127.0.0.2")
    assert job.wait() == {"127.0.0.2": 0}, job.log("127.0.0.2")
    assert job.model("127.0.0.2") == ["model.txt"] and "metric train:accuracy=0.5" in job.log("127.0.0.2")


def test_a_host_name_that_never_resolves_fails_the_job_naming_it(hosts):
    job = hosts(2)
    config = job.roots["127.0.0.2"] / "input" / "config" / "resourceconfig.json"
    config.write_text(
        json.dumps(
            {"current_host": "127.0.0.2", "hosts": ["127.0.0.2", "algo-gone.invalid"], "network_interface_name": "lo"}
        )
    )
    job.start("127.0.0.2", timeout="1")
    assert job.wait(timeout=30) == {"127.0.0.2": 1}
    assert "host algo-gone.invalid did not resolve to an address within 1 s" in job.failure("127.0.0.2")


def test_the_example_fits_its_forest_on_every_host_into_the_model_one_host_fits(make_project, hosts):
    import joblib
    import numpy as np

    job = Hosts(make_project("example"), 3)
    job.start()
    assert job.wait() == {name: 0 for name in job.names}, job.log("127.0.0.1")
    counts = re.search(r"Dask tasks run per host: (.*) \(computing", job.log("127.0.0.1")).group(1)
    assert all(int(pair.rsplit(" ", 1)[1]) > 0 for pair in counts.split(", ")), counts
    assert job.model("127.0.0.1") == ["metadata.json", "model.joblib"]
    assert all(job.model(worker) == [] for worker in job.names[1:])

    alone = make_project("example")
    assert alone.train().returncode == 0
    spread = joblib.load(job.roots["127.0.0.1"] / "model" / "model.joblib")
    single = joblib.load(alone.ml / "model" / "model.joblib")
    rows = np.random.default_rng(0).uniform(0, 8, size=(200, 4))
    # The same seeds draw the same trees wherever they are fitted: the model serves as one host's does.
    assert np.array_equal(spread.predict_proba(rows), single.predict_proba(rows))


def test_the_simulation_without_a_docker_cli_says_to_rebuild_the_image(tmp_path):
    # A :dev image built before the simulation existed has no Docker CLI.
    (tmp_path / "opt" / "ml").mkdir(parents=True)
    done = subprocess.run(
        develop_tool("local.training.cluster", "--instances", "2"),
        cwd=tmp_path,
        env={
            "PATH": str(tmp_path),
            "PYTHONPATH": develop_path(),
            "PROJECT_DIR": str(tmp_path),
            "HOST_PROJECT": "/home/me/project",
            "DOCKER_NAME": "algo",
            "DEV_IMAGE": "algo:dev",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "error: training failed: the docker command is missing in this image: rebuild it with bin/docker-build.sh\n"
    )
    assert (tmp_path / "opt" / "ml" / "output" / "failure").read_text().startswith("the docker command is missing")


# --- An algorithm written for one host, on several ------------------------------------------------------------------


def test_an_algorithm_that_never_uses_its_hosts_trains_on_the_leader_and_the_others_exit_0(make_project):
    job = Hosts(make_project("trains_on_one_host"), 3)
    job.start()
    assert job.wait() == {name: 0 for name in job.names}, job.log("127.0.0.1")
    leader = job.log("127.0.0.1")
    assert "algorithm.py never uses the job's hosts" in leader and "metric train:accuracy=0.75" in leader
    assert job.model("127.0.0.1") == ["model.txt"] and (job.roots["127.0.0.1"] / "output/data/trained.txt").exists()
    for worker in job.names[1:]:
        log = job.log(worker)
        [why] = [line for line in log.splitlines() if "has nothing to do" in line]
        assert f"host {worker} has nothing to do: algorithm.py never uses the job's hosts" in why
        assert "so the leader 127.0.0.1 trains alone; this host waits for it, then exits 0" in why
        assert "the leader 127.0.0.1 is done" in log and job.failure(worker) is None
        assert job.model(worker) == [] and not (job.roots[worker] / "output/data/trained.txt").exists()


def test_when_that_leader_fails_the_other_hosts_fail_with_its_reason(make_project):
    job = Hosts(make_project("trains_on_one_host"), 2, {"fail": True})
    job.start()
    assert job.wait() == {"127.0.0.1": 1, "127.0.0.2": 1}
    assert job.failure("127.0.0.1") == "ValueError: this model cannot be trained"
    reason = "ClusterError: the leader 127.0.0.1 failed: ValueError: this model cannot be trained"
    assert job.failure("127.0.0.2") == reason


def test_a_sharded_channel_for_an_algorithm_that_never_uses_its_hosts_is_refused(make_project):
    job = Hosts(make_project("trains_on_one_host"), 2)
    for root in job.roots.values():
        config = {"training": {"TrainingInputMode": "File", "S3DistributionType": "ShardedByS3Key"}}
        (root / "input" / "config" / "inputdataconfig.json").write_text(json.dumps(config))
    job.start()
    assert job.wait() == {"127.0.0.1": 2, "127.0.0.2": 2}
    assert job.failure("127.0.0.2").startswith(
        "ConfigError: channel training is ShardedByS3Key (each host gets part of its files), but algorithm.py never "
        "uses the job's hosts, so only the leader would train, on its part"
    )


@pytest.mark.parametrize(
    "algorithm, helper, uses",
    [
        ("def train(job):\n    fit(job.channels)\n", "", False),
        ("def train(job):\n    with job.dask():\n        fit(job)\n", "", True),
        ("def train(job):\n    if job.is_leader:\n        save()\n", "", True),
        ("def train(job):\n    getattr(job, 'current_host')\n", "", True),
        ("def train(job):\n    open('/opt/ml/input/config/resourceconfig.json')\n", "", True),
        ("from lib import helper\n\ndef train(job):\n    helper.fit(job)\n", "def fit(job):\n    job.dask()", True),
        ("from lib import helper\n\ndef train(job):\n    helper.fit(job)\n", "def fit(job):\n    job.model_dir", False),
        ("EVERY_HOST_WRITES = True\n\ndef train(job):\n    pass\n", "", True),
    ],
)
def test_an_algorithm_uses_its_hosts_when_it_or_lib_names_them(tmp_path, algorithm, helper, uses):
    import types

    from framework.training.host_aware import uses_the_hosts

    (tmp_path / "algorithm.py").write_text(algorithm)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "helper.py").write_text(helper)
    module = types.ModuleType("algorithm")
    module.__file__ = str(tmp_path / "algorithm.py")
    module.EVERY_HOST_WRITES = "EVERY_HOST_WRITES = True" in algorithm
    assert uses_the_hosts(module) is uses
