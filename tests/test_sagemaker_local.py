"""bin/sagemaker.sh's commands end to end on AWS's own model of the platform (the 4th proof of
docs/how-to/sagemaker.md): the SageMaker Python SDK's local mode runs the calls the commands make (CreateTrainingJob,
CreateModel, CreateEndpointConfig, CreateEndpoint, InvokeEndpoint, the deletes) with the project's real :dev-base image
in Docker, its locations file:// folders. train -> deploy -> predict -> destroy, once, shared by the tests below.

The commands run in tests/sagemaker_local_driver.py with the SDK's venv (.ci/sdk-up.sh: the SDK pins packages of its
own); without an engine, that venv or a compose command the tests are skipped with a line that says which.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from docker_helpers import BUILD_TIMEOUT, DockerProject, copy_project, docker, docker_unavailable, free_port

DRIVER = Path(__file__).resolve().parent / "sagemaker_local_driver.py"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
NETWORK = "sagemaker-local"  # the SDK's compose network, one name for every local-mode run on the engine
# Appended to the copy's algorithm.py: on several hosts the leader writes one more file 3 s after the example's train.
# In local mode the first container to exit ends the job; a worker host that left before the leader's train returned
# would end it before that file was written.
WRITES_LAST = """

import time as _time

_example_train = train


def train(job):
    _example_train(job)
    if job.cluster.distributed:
        _time.sleep(3)
        (job.model_dir / "written-last.txt").write_text("after the Dask block")
"""


def sdk_python() -> tuple[str | None, str]:
    """The SageMaker Python SDK's venv, or why the tests cannot run."""
    folder = os.environ.get("TEMPLATE_SAGEMAKER_SDK") or Path.home() / ".cache" / "sagemaker-template" / "sagemaker-sdk"
    python = Path(folder) / "bin" / "python"
    if not python.exists():
        return None, f"SageMaker local-mode tests skipped: no SDK venv at {folder} (bash .ci/sdk-up.sh makes it)"
    if subprocess.run([str(python), "-c", "import sagemaker.local"], capture_output=True, timeout=120).returncode:
        return None, f"SageMaker local-mode tests skipped: {python} cannot import sagemaker.local"
    return str(python), ""


def missing() -> str | None:
    why = docker_unavailable()
    if why:
        return why
    compose = subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    if not compose and shutil.which("docker-compose") is None:
        return "SageMaker local-mode tests skipped: no `docker compose` nor docker-compose (bash .ci/sdk-up.sh)"
    python, why = sdk_python()
    return None if python else why


MISSING = missing()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A project copy with its images built; at the end, what the SDK's runs left behind is removed."""
    folder = copy_project(tmp_path_factory.mktemp("sdk") / "project")
    with open(folder / "algorithm.py", "a") as algorithm:
        algorithm.write(WRITES_LAST)
    project = DockerProject(folder)
    image = f"{project.name}:dev-base"
    network_there = docker("network", "inspect", NETWORK).returncode == 0
    try:
        done = project.script("docker-build.sh", timeout=BUILD_TIMEOUT)
        assert done.returncode == 0, done.stderr[-3000:]
        yield dict(project=project, folder=folder, image=image)
    finally:
        # The SDK's compose leaves its containers (exited) behind: this test's image's only.
        made = docker("ps", "-aq", "--filter", f"ancestor={image}").stdout.split()
        if made:
            docker("rm", "-f", *made)
        docker("image", "rm", "-f", f"{project.name}:dev", image)
        if not network_there:  # made by this run's compose; refused (and kept) while another run uses it
            docker("network", "rm", NETWORK)


def drive(built, name: str, commands: list[list[str]]) -> dict:
    """The commands run one after the other by the driver through the SDK's local mode, with a store and a record of
    the calls of their own; then the containers they ran are counted and removed."""
    folder, image = built["folder"], built["image"]
    store, record = folder.parent / f"{name}-store", folder.parent / f"{name}-requests.jsonl"  # store: the "bucket"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [
            sdk_python()[0],
            str(DRIVER),
            str(folder),
            str(record),
            str(free_port()),
            str(folder.parent / f"{name}-containers"),
            *(json.dumps(c) for c in commands),
        ],
        env={
            **environment,
            "DOCKER_NAME": built["project"].name,
            "EXECUTION_ROLE": ROLE,
            "S3_BUCKET": f"file://{store}",
            "ALGORITHM_PYTHON": sys.executable,
        },
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith('{"argv"')]  # not the SDK's
    results = {r["argv"][0]: r for r in map(json.loads, lines)}
    running = docker("ps", "-q", "--filter", f"ancestor={image}").stdout.split()
    ran = docker("ps", "-aq", "--filter", f"ancestor={image}").stdout.split()
    if ran:
        docker("rm", "-f", *ran)
    sent = [json.loads(line) for line in record.read_text().splitlines()]
    return dict(results=results, sent=sent, image=image, store=store, folder=folder, running=running, ran=ran)


@pytest.fixture(scope="module")
def journey(built):
    """train -> deploy -> predict -> destroy --yes, one host."""
    commands = [["train", "--image", built["image"]], ["deploy"], ["predict"], ["destroy", "--yes"]]
    return drive(built, "journey", commands)


@pytest.fixture(scope="module")
def three_hosts(built):
    """train --instance-count 3: the SDK runs the image on three hosts, algo-1-xxxxx ..., on its compose network."""
    return drive(built, "three-hosts", [["train", "--image", built["image"], "--instance-count", "3"]])


def calls(journey, operation: str) -> list[dict]:
    return [r["params"] for r in journey["sent"] if r["operation"] == operation]


def test_train_runs_the_image_and_its_model_comes_back(journey):
    train = journey["results"]["train"]
    assert train["code"] == 0, train["stderr"][-3000:]
    (job,) = calls(journey, "create_training_job")
    assert job["AlgorithmSpecification"]["TrainingImage"] == journey["image"]
    assert len(journey["ran"]) == 2  # the SDK ran this image twice: the training job's host and the endpoint's
    # The container's own log: the project's algorithm trained on the channels the command put in the store.
    assert "train: training succeeded" in train["stderr"]
    assert "metric validation:accuracy=" in train["stderr"]
    model = train["stdout"].strip()
    assert model.startswith("file://") and model.endswith("/model.tar.gz")
    with tarfile.open(model.removeprefix("file://")) as archive:
        assert "model.joblib" in archive.getnames()


def test_the_endpoint_serves_the_trained_model_from_the_image(journey):
    deploy, predict = journey["results"]["deploy"], journey["results"]["predict"]
    assert deploy["code"] == 0, deploy["stderr"][-3000:]
    (model,) = calls(journey, "create_model")
    assert model["PrimaryContainer"] == {
        "Image": journey["image"],
        "ModelDataUrl": journey["results"]["train"]["stdout"].strip(),
    }
    (config,) = calls(journey, "create_endpoint_config")
    assert config["ProductionVariants"][0]["ModelName"] == model["ModelName"]
    assert calls(journey, "create_endpoint")[0]["EndpointConfigName"] == config["EndpointConfigName"]
    assert "serve: model loaded from /opt/ml/model" in deploy["stderr"]  # the image's server, the model unpacked
    assert predict["code"] == 0, predict["stderr"][-3000:]
    payload = json.loads((journey["folder"] / "opt" / "ml" / "input" / "payload.json").read_text())
    predictions = json.loads(predict["stdout"])["predictions"]
    assert len(predictions) == len(payload["instances"])
    assert set(predictions) <= {"setosa", "versicolor", "virginica"}


def test_destroy_deletes_the_endpoint_and_what_was_uploaded(journey):
    destroy = journey["results"]["destroy"]
    assert destroy["code"] == 0, destroy["stderr"][-3000:]
    state = json.loads((journey["folder"] / "sagemaker-state.json").read_text())
    assert state["resources"] == []
    assert journey["running"] == []  # the endpoint's container stopped
    (endpoint,) = calls(journey, "create_endpoint")
    assert calls(journey, "delete_endpoint") == [{"EndpointName": endpoint["EndpointName"]}]
    assert calls(journey, "delete_endpoint_config") == [{"EndpointConfigName": endpoint["EndpointConfigName"]}]
    assert len(calls(journey, "delete_model")) == 1
    data = journey["store"].glob("*/data/**/*")
    assert [p for p in data if p.is_file()] == []  # the channels' files uploaded by train


def test_three_hosts_train_the_example_across_them_into_the_model_one_host_trains(three_hosts, journey):
    import joblib
    import numpy as np

    train = three_hosts["results"]["train"]
    assert train["code"] == 0, train["stderr"][-3000:]
    (job,) = calls(three_hosts, "create_training_job")
    assert job["ResourceConfig"]["InstanceCount"] == 3
    assert len(three_hosts["ran"]) == 3  # one container per host
    log = train["stderr"]
    # Local mode names its hosts algo-1-xxxxx: the leader is the first of them sorted, whatever its name.
    assert "Dask cluster formed in" in log
    per_host = re.search(r"Dask tasks run per host: (.*) \(computing", log).group(1).split(", ")
    counts = {host: int(n) for host, n in (pair.rsplit(" ", 1) for pair in per_host)}
    assert len(counts) == 3 and all(re.fullmatch(r"algo-\d-\w{5}", host) for host in counts), counts
    assert all(n > 0 for n in counts.values()), counts  # trees were fitted on every host
    assert "training failed" not in log
    model = train["stdout"].strip()
    assert model.startswith("file://") and model.endswith("/model.tar.gz")

    def forest(url: str, into: Path) -> tuple[list[str], object]:
        with tarfile.open(url.removeprefix("file://")) as archive:
            archive.extractall(into, filter="data")
            return sorted(archive.getnames()), joblib.load(into / "model.joblib")

    files, spread = forest(model, three_hosts["folder"].parent / "three-hosts-model")
    # Written by the leader 3 s after its Dask block: the worker hosts did not end the job before it (WRITES_LAST).
    assert files == ["metadata.json", "model.joblib", "written-last.txt"]
    _, alone = forest(journey["results"]["train"]["stdout"].strip(), journey["folder"].parent / "one-host-model")
    rows = np.random.default_rng(0).uniform(0, 8, size=(200, 4))
    # The same seeds draw the same trees wherever they are fitted: the model serves as one host's does.
    assert np.array_equal(spread.predict_proba(rows), alone.predict_proba(rows))


def test_a_failed_training_says_why_in_the_image_s_own_words(built, journey):
    """The image writes its reason to /opt/ml/output/failure; SageMaker makes it the job's FailureReason (bridged in
    the driver: local mode has no Failed state); train prints it and exits 1. After the journey: it uses its files."""
    config = built["folder"] / "opt" / "ml" / "input" / "config" / "hyperparameters.json"
    saved = config.read_text()
    config.write_text(json.dumps({**json.loads(saved), "n_estimatros": "50"}))  # a typo: the algorithm refuses it
    try:
        failed = drive(built, "failed", [["train", "--image", built["image"]]])
    finally:
        config.write_text(saved)
    train = failed["results"]["train"]
    (job,) = calls(failed, "create_training_job")
    assert job["HyperParameters"]["n_estimatros"] == "50"
    assert train["code"] == 1 and train["stdout"] == "", train["stderr"][-3000:]
    last = train["stderr"].strip().splitlines()[-1]
    assert last.startswith(
        f"error: training job {job['TrainingJobName']} is Failed: ConfigError: unknown hyperparameter "
    ), last
    assert "'n_estimatros'" in last and "n_estimators" in last  # the image's words: what it takes instead
