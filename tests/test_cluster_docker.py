"""`bin/train.sh --instances N` with a real engine: develop/local/training/cluster.py in the :dev image starts N host
containers on a network of their own, as SageMaker runs a job with InstanceCount N, and combines what they wrote.

Where no Docker engine can run, the tests are skipped with the reason. The images are built once for this module
(Docker's layer cache shares the other modules' builds), under a unique name, and removed at the end.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
import requests

from docker_helpers import BUILD_TIMEOUT, PROJECT_LABEL, DockerProject, copy_project, docker, docker_unavailable

UNAVAILABLE = docker_unavailable()
ALGORITHMS = Path(__file__).resolve().parent / "algorithms"
USER_UID = 12345  # stands for the host user who owns the project's folder, when the tests run as root
PAYLOAD = {"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3], [7.7, 3.0, 6.1, 2.3]]}


def tail(done: subprocess.CompletedProcess, lines: int = 60) -> str:
    return "\n".join((done.stdout + done.stderr).splitlines()[-lines:])


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Both images, built once through bin/docker-build.sh; every test trains in its own copy of the project."""
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)
    built = DockerProject(copy_project(tmp_path_factory.mktemp("cluster-images")))
    try:
        done = built.script("docker-build.sh", timeout=BUILD_TIMEOUT)
        assert done.returncode == 0, f"bin/docker-build.sh failed from base image {built.base}:\n{tail(done)}"
        yield built
    finally:
        built.script("docker-destroy.sh")


@pytest.fixture
def project(images, tmp_path):
    """A fresh copy of the project that uses the built images, owned by a user who is not root."""
    copy = DockerProject(copy_project(tmp_path), name=images.name, base=images.base)
    if os.geteuid() == 0:
        for folder in (copy.folder, copy.ml, *copy.ml.iterdir()):
            shutil.chown(folder, USER_UID, USER_UID)
    yield copy
    assert left_behind(copy) == ([], [])


def left_behind(project) -> tuple[list[str], list[str]]:
    """The containers and networks of the project that still exist."""
    label = f"label={PROJECT_LABEL}={project.name}"
    networks = docker("network", "ls", "-q", "--filter", label).stdout.split()
    return project.containers(), networks


def use_algorithm(project, name: str, **hyperparameters) -> None:
    shutil.copy(ALGORITHMS / f"{name}.py", project.folder / "algorithm.py")
    text = json.dumps({key: str(value) for key, value in hyperparameters.items()})
    (project.ml / "input" / "config" / "hyperparameters.json").write_text(text)


def members(archive) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_three_hosts_fit_the_forest_on_every_host_and_the_model_serves(project):
    done = project.script("train.sh", "--instances", "3", timeout=600)
    assert done.returncode == 0, tail(done)
    for host in ("algo-1", "algo-2", "algo-3"):  # every host's lines, prefixed with its name as CloudWatch streams
        assert re.search(rf"^{host} \| .* train: training starts", done.stdout, re.M), tail(done)
    tasks = re.search(r"^algo-1 \| .*Dask tasks run per host: (.*) \(computing for .* s\)$", done.stdout, re.M).group(1)
    counts = dict(pair.split(" ") for pair in tasks.split(", "))
    assert sorted(counts) == ["algo-1", "algo-2", "algo-3"] and all(int(n) > 0 for n in counts.values()), tasks
    assert re.search(r"^algo-2 \| .*the leader algo-1 is done; worker host algo-2 leaves the job", done.stdout, re.M)
    assert "metric validation:accuracy=" in done.stdout and "algo-2 | metric" not in done.stdout
    assert sorted(members(project.ml / "output" / "model.tar.gz")) == ["metadata.json", "model.joblib"]
    if os.geteuid() == 0:  # what root wrote in the container is the project owner's
        written = [project.ml / "output", *(project.ml / "output").rglob("*"), *(project.ml / "model").rglob("*")]
        assert [p for p in written if p.lstat().st_uid != USER_UID] == []

    shutil.rmtree(project.ml / "model")  # serve unpacks model.tar.gz, as SageMaker hosts the job's model
    with project.serving():
        answer = requests.post(project.url + "/invocations", json=PAYLOAD, timeout=30)
    assert answer.status_code == 200 and answer.json() == {"predictions": ["setosa", "versicolor", "virginica"]}


def test_sharded_channel_shares_are_whole_disjoint_and_cover_every_file(project):
    use_algorithm(project, "behaves_per_host")
    training = project.ml / "input" / "data" / "training"
    shutil.rmtree(training)
    files = {f"part-{n}.csv": f"file {n}\n" * (n + 1) for n in range(7)}
    files["nested/extra.csv"] = "nested\n"
    for name, text in files.items():
        (training / name).parent.mkdir(parents=True, exist_ok=True)
        (training / name).write_text(text)
    config = {"training": {"TrainingInputMode": "File", "S3DistributionType": "ShardedByS3Key"}}
    (project.ml / "input" / "config" / "inputdataconfig.json").write_text(json.dumps(config))

    done = project.script("train.sh", "--instances", "3", timeout=300)
    assert done.returncode == 0, tail(done)
    reports = {name: json.loads(data) for name, data in members(project.ml / "output" / "output.tar.gz").items()}
    assert sorted(reports) == ["algo-1.json", "algo-2.json", "algo-3.json"]
    shares = [report["share"] for report in reports.values()]
    assert sorted(name for share in shares for name in share) == sorted(files)  # each file to exactly one host
    assert all(share for share in shares) and all(share == {n: files[n] for n in share} for share in shares)
    # Each host's model file, combined into one model.tar.gz.
    assert members(project.ml / "output" / "model.tar.gz") == {f"algo-{n}.txt": f"algo-{n}".encode() for n in (1, 2, 3)}


def test_two_hosts_writing_the_same_model_file_fail_the_job_naming_both(project):
    use_algorithm(project, "behaves_per_host", model_file="model.joblib")
    done = project.script("train.sh", "--instances", "2", timeout=300)
    assert done.returncode == 1, tail(done)
    reason = "model/model.joblib was written by algo-1 and algo-2"
    assert reason in done.stderr.splitlines()[-1] and reason in (project.ml / "output" / "failure").read_text()
    assert not (project.ml / "output" / "model.tar.gz").exists()


def test_a_failing_host_fails_the_job_with_its_reason_and_the_others_are_stopped(project):
    use_algorithm(project, "behaves_per_host", fail_on="algo-2", sleep=300)
    started = time.monotonic()
    done = project.script("train.sh", "--instances", "3", timeout=300)
    assert done.returncode == 1, tail(done)
    assert time.monotonic() - started < 120  # not the 300 s the others would sleep
    assert done.stderr.splitlines()[-1] == "error: training failed: algo-2: ValueError: algo-2 cannot train"
    assert (project.ml / "output" / "failure").read_text() == "algo-2: ValueError: algo-2 cannot train\n"
    for host in ("algo-1", "algo-3"):  # SIGTERM reached their training, which ended as SageMaker's stop asks
        assert re.search(rf"^{host} \| .*received SIGTERM: stopping training", done.stdout, re.M), tail(done)


def test_ctrl_c_stops_every_host_and_leaves_no_container_or_network(project):
    use_algorithm(project, "behaves_per_host", sleep=300)
    log = project.folder / "train.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(project.folder / "bin" / "train.sh"), "--instances", "3"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while log.read_text().count("train: training starts") < 3:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert process.wait(timeout=120) == 130, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert "interrupted: stopping every host" in log.read_text()
