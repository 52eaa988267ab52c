"""bin/tune.sh and bin/algorithm-spec.sh with a real engine: develop/local/training/tune.py and
develop/sagemaker/algorithm_spec.py run by the :dev image's Python with the project mounted as bin/train.sh mounts
it, so that a user needs Docker and nothing else.
What they write lands in the project and belongs to the project's owner; the paths they print are the project's.

Where no Docker engine can run, the tests are skipped with the reason. The images are built once for this module,
under a unique name, and removed at the end through bin/docker-destroy.sh.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid

import pytest
from test_algorithm_spec import AWS_PYTHON, NO_AWS_PYTHON

from docker_helpers import BUILD_TIMEOUT, ROOT, DockerProject, copy_project, docker_unavailable, free_port, run
from projects import develop_path, develop_tool
from tuning_helpers import assert_tuning_run

UNAVAILABLE = docker_unavailable()
needs_docker = pytest.mark.skipif(UNAVAILABLE is not None, reason=UNAVAILABLE or "")
USER_UID = 12345  # stands for the host user who owns the project's folder, when the tests run as root
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-algorithm:1.2.0"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
DATA = "s3://my-bucket/iris"


def tail(done: subprocess.CompletedProcess, lines: int = 40) -> str:
    return "\n".join((done.stdout + done.stderr).splitlines()[-lines:])


def not_the_owners(*tops) -> list:
    """What under these folders (themselves included) the project's owner does not own: nothing, when root gave
    everything back (only checkable as root: another user cannot write as root)."""
    if os.geteuid() != 0:
        return []
    return [p for top in tops for p in (top, *top.rglob("*")) if p.lstat().st_uid != USER_UID]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the project, owned by a user who is not root, with both images built through bin/docker-build.sh."""
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)
    built = DockerProject(copy_project(tmp_path_factory.mktemp("tools-project")))
    try:
        done = built.script("docker-build.sh", timeout=BUILD_TIMEOUT)
        assert done.returncode == 0, f"bin/docker-build.sh failed from base image {built.base}:\n{tail(done)}"
        if os.geteuid() == 0:
            for folder in (built.folder, built.ml):
                shutil.chown(folder, USER_UID, USER_UID)
        yield built
    finally:
        built.script("docker-destroy.sh")


@needs_docker
def test_before_building_the_tools_say_to_build(tmp_path):
    shutil.copytree(ROOT / "bin", tmp_path / "bin")
    (tmp_path / ".env").write_text(f"DOCKER_NAME=sagemaker-template-test-never-built-{uuid.uuid4().hex[:8]}\n")
    for script in ("tune.sh", "algorithm-spec.sh"):
        done = run([str(tmp_path / "bin" / script)])
        assert done.returncode == 1 and done.stdout == "", done
        assert done.stderr.endswith("does not exist: run bin/docker-build.sh\n") and done.stderr.count("\n") == 1


@needs_docker
def test_tune_runs_in_the_dev_image_on_the_sample_data(project):
    done = project.script("tune.sh", "--trials", "3", "--seed", "5", timeout=900)
    assert done.returncode == 0, tail(done)
    out = project.ml / "output" / "tuning"  # on the host, in the project
    for _, trial in assert_tuning_run(done.stdout, out, trials=3):
        assert (out / trial / "model" / "model.joblib").is_file()
        assert (out / trial / "input" / "data" / "training").is_dir()  # the link resolves on the host too
    # Paths as the user finds them in the project, not the container's.
    assert "; trials in opt/ml/output/tuning\n" in done.stderr
    assert (
        "its hyperparameters: opt/ml/output/tuning/best-hyperparameters.json "
        "(copy it to opt/ml/input/config/hyperparameters.json to train with them)\n"
    ) in done.stderr
    assert "/opt/program" not in done.stderr
    assert not_the_owners(project.ml / "output") == []  # output/ too, which the run made


@needs_docker
def test_tune_stops_with_one_line_for_a_wrong_option(project):
    done = project.script("tune.sh", "--trials", "0")
    assert (done.returncode, done.stdout, done.stderr) == (2, "", "error: --trials must be at least 1\n")


@needs_docker
def test_ctrl_c_stops_tune_in_the_container(project):
    """Ctrl-C reaches tune.py, process 1 of the container: the running trial is killed, the container removed."""
    log = project.folder / "tune-interrupted.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(project.folder / "bin" / "tune.sh"), "--trials", "50", "--out", "interrupted"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 300
        while "[1/50]" not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)  # one trial done: the second is training
        assert process.poll() is None, log.read_text()
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    assert process.returncode == 130 and log.read_text().endswith("tune: stopped\n"), log.read_text()
    assert project.containers() == []
    assert not_the_owners(project.folder / "interrupted") == []


@needs_docker
def test_algorithm_spec_writes_both_documents_into_the_project(project, tmp_path):
    (project.folder / "image-uri.txt").write_text(IMAGE + "\n")  # as bin/docker-push.sh 1.2.0 > image-uri.txt
    done = project.script("algorithm-spec.sh", "--role", ROLE, "--data", DATA)  # from outside the project
    assert done.returncode == 0, tail(done)
    assert done.stdout.splitlines() == ["spec/create-algorithm.json", "spec/create-tuning-job.json"]
    documents = {
        name: json.loads((project.folder / done.stdout.splitlines()[0]).parent.joinpath(name).read_text())
        for name in ("create-algorithm.json", "create-tuning-job.json")
    }
    assert documents["create-algorithm.json"]["TrainingSpecification"]["TrainingImage"] == IMAGE
    assert documents["create-tuning-job.json"]["TrainingJobDefinition"]["RoleArn"] == ROLE
    # The same documents as develop/sagemaker/algorithm_spec.py writes without Docker (which
    # tests/test_algorithm_spec.py validates against botocore's service model).
    host = subprocess.run(
        [
            *develop_tool("sagemaker.algorithm_spec"),
            "--role",
            ROLE,
            "--data",
            DATA,
            "--out",
            str(tmp_path),
        ],
        env={**os.environ, "PYTHONPATH": develop_path(project.folder)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert host.returncode == 0, host.stderr
    for name, document in documents.items():
        assert json.loads((tmp_path / name).read_text()) == document
    assert not_the_owners(project.folder / "spec") == []


# --- bin/sagemaker.sh: develop/sagemaker in the :dev image's AWS venv ------------------------------------------------


def sagemaker(project: DockerProject, *args: str, **env: str) -> subprocess.CompletedProcess:
    """bin/sagemaker.sh with none of the machine's AWS settings and no ~/.aws: only what the test gives."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    home = project.folder.parent / "home"
    home.mkdir(exist_ok=True)
    return run(
        [str(project.folder / "bin" / "sagemaker.sh"), *args],
        cwd=project.folder.parent,
        env={**clean, "HOME": str(home), **env},
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@needs_docker
def test_boto3_is_in_the_dev_images_aws_venv_and_not_in_the_image_sagemaker_runs(project):
    locked = next(
        line.split("==")[1].split()[0]
        for line in (ROOT / "requirements-aws.txt").read_text().splitlines()
        if line.startswith("boto3==")
    )
    dev = run(
        [
            "docker",
            "run",
            "--rm",
            "--entrypoint",
            "/opt/aws/bin/python",
            f"{project.name}:dev",
            "-c",
            "import boto3; print(boto3.__version__)",
        ]
    )
    assert dev.returncode == 0 and dev.stdout.strip() == locked, tail(dev)
    for python in ("/opt/venv/bin/python", "python3"):
        base = run(["docker", "run", "--rm", "--entrypoint", python, f"{project.name}:dev-base", "-c", "import boto3"])
        assert base.returncode != 0 and "No module named 'boto3'" in base.stderr


@needs_docker
def test_sagemaker_without_a_region_is_one_line_and_no_call(project):
    done = sagemaker(project, "status", AWS_EC2_METADATA_DISABLED="true")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "error: no AWS region: set AWS_REGION in .env (or a profile's region) or give --region\n"


@needs_docker
def test_sagemaker_train_describes_the_algorithm_in_the_image_then_calls_aws(project):
    """Everything up to the first request runs in the image: the settings and credentials (passed by name), the
    algorithm described by the runtime's Python, boto3's first call, which finds AWS out of reach (a closed port on
    this machine, host.docker.internal in the container): one line, and nothing recorded as created."""
    (project.folder / "image-uri.txt").write_text(IMAGE + "\n")
    secret = "fake-secret-never-printed"
    done = sagemaker(
        project,
        "train",
        "--bucket",
        "my-bucket",
        AWS_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID="AKIAFAKE",
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_ENDPOINT_URL="http://host.docker.internal:9",
        AWS_MAX_ATTEMPTS="1",
        EXECUTION_ROLE=ROLE,
    )
    assert done.returncode == 1 and done.stdout == "", tail(done)
    assert done.stderr.startswith(
        'error: Could not connect to the endpoint URL: "http://host.docker.internal:9/my-bucket?'
    )
    assert done.stderr.count("\n") == 1 and secret not in done.stderr
    assert not (project.folder / "sagemaker-state.json").exists()


def answers(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


def docker_bridge_address() -> str | None:
    """This machine's address on Docker's default bridge (Linux: docker0), which host.docker.internal names."""
    done = run(["ip", "-4", "-o", "addr", "show", "docker0"]) if shutil.which("ip") else None
    fields = done.stdout.split() if done and done.returncode == 0 else []
    return fields[fields.index("inet") + 1].split("/")[0] if "inet" in fields else None


@needs_docker
def test_sagemaker_reaches_an_emulator_on_this_machines_localhost(project, tmp_path):
    """AWS_ENDPOINT_URL=http://localhost:PORT, a user's moto server: in the container localhost is the container, so
    the command reaches this machine as host.docker.internal and says so; nothing there is one line at once."""
    address = docker_bridge_address()
    if address is None or AWS_PYTHON is None:
        pytest.skip(NO_AWS_PYTHON if address else "no docker0 bridge on this machine (Docker Desktop has none)")
    port = free_port()
    aws = {"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIAFAKE", "AWS_SECRET_ACCESS_KEY": "fake"}
    state = project.folder / "sagemaker-state.json"
    entry = {"kind": "endpoint", "name": "e", "region": "eu-west-1", "created": "2026-12-03T12:00:00+00:00"}
    state.write_text(json.dumps({"resources": [entry]}))
    # Listening on the bridge's address only: what the container reaches, and nothing beyond this machine.
    server = [AWS_PYTHON, "-m", "moto.server", "-H", address, "-p", str(port)]
    with open(tmp_path / "moto.log", "w") as log:
        moto = subprocess.Popen(server, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while not answers(address, port):
            assert moto.poll() is None and time.monotonic() < deadline, (tmp_path / "moto.log").read_text()
            time.sleep(0.2)
        done = sagemaker(project, "status", AWS_ENDPOINT_URL=f"http://localhost:{port}", **aws)
        assert done.returncode == 0, tail(done)
        assert done.stderr.splitlines()[0] == (
            f"AWS_ENDPOINT_URL=http://localhost:{port} is this machine: the :dev container reaches it as "
            f"http://host.docker.internal:{port}"
        )
        assert "gone" in done.stdout  # moto's answer: no such endpoint
        assert "POST / " in (tmp_path / "moto.log").read_text()
    finally:
        moto.terminate()
        moto.wait(timeout=30)
        state.unlink()
    started = time.monotonic()
    done = sagemaker(project, "status", AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", **aws)  # nothing listens now
    assert done.returncode == 2 and time.monotonic() - started < 20, tail(done)
    assert done.stderr == (
        f"error: AWS_ENDPOINT_URL=http://127.0.0.1:{port}: nothing answers at 127.0.0.1:{port} in the :dev container, "
        f"nor at host.docker.internal:{port}, this machine as the container sees it: start the emulator listening on "
        "every address (moto_server -H 0.0.0.0; LocalStack's published port does), or give the address it listens on\n"
    )


# --- bin/release.sh: its SageMaker stages in the same image ----------------------------------------------------------


@needs_docker
def test_release_runs_its_sagemaker_stages_in_the_image_and_reports_a_failure(project):
    """bin/release.sh --from train: release.py in the :dev image's AWS venv, the settings passed by name; AWS out of
    reach (a closed port inside the container) fails the first stage with one line, after a report on stdout."""
    (project.folder / "image-uri.txt").write_text(IMAGE + "\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = run(
        [str(project.folder / "bin" / "release.sh"), "--from", "train", "--to", "register", "1.2.0"],
        cwd=project.folder.parent,
        env={
            **clean,
            "HOME": str(project.folder.parent),
            "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "AKIAFAKE",
            "AWS_SECRET_ACCESS_KEY": "fake-secret-never-printed",
            "AWS_ENDPOINT_URL": "http://host.docker.internal:9",
            "AWS_MAX_ATTEMPTS": "1",
            "EXECUTION_ROLE": ROLE,
            "S3_BUCKET": "my-bucket",
        },
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1, tail(done)
    assert done.stderr.startswith("== release 1.2.0: stage train started\n== release 1.2.0: stage train FAILED: ")
    assert done.stderr.splitlines()[-1].startswith(
        'error: train: Could not connect to the endpoint URL: "http://host.docker.internal:9'
    )
    assert done.stdout.startswith("release 1.2.0: FAILED at train: Could not connect")
    assert "fake-secret-never-printed" not in done.stdout + done.stderr
