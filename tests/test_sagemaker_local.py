"""bin/sagemaker.sh's commands end to end on AWS's own model of the platform (the 4th proof of docs/sagemaker.md): the
SageMaker Python SDK's local mode runs the calls the commands make (CreateTrainingJob, CreateModel,
CreateEndpointConfig, CreateEndpoint, InvokeEndpoint, the deletes) with the project's real :dev-base image in Docker,
its locations file:// folders. train -> deploy -> predict -> destroy, once, shared by the tests below.

The commands run in tests/sagemaker_local_driver.py with the SDK's venv (.ci/sdk-up.sh: the SDK pins packages of its
own); without an engine, that venv or a compose command the tests are skipped with a line that says which.
"""

import json
import os
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
def journey(tmp_path_factory):
    """A project copy with its images built, then train -> deploy -> predict -> destroy --yes through the SDK."""
    folder = copy_project(tmp_path_factory.mktemp("sdk") / "project")
    project = DockerProject(folder)
    store = folder.parent / "store"  # the file:// "bucket"
    record = folder.parent / "requests.jsonl"
    image = f"{project.name}:dev-base"
    network_there = docker("network", "inspect", NETWORK).returncode == 0
    try:
        built = project.script("docker-build.sh", timeout=BUILD_TIMEOUT)
        assert built.returncode == 0, built.stderr[-3000:]
        commands = [["train", "--image", image], ["deploy"], ["predict"], ["destroy", "--yes"]]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        done = subprocess.run(
            [
                sdk_python()[0],
                str(DRIVER),
                str(folder),
                str(record),
                str(free_port()),
                str(folder.parent / "containers"),
                *(json.dumps(c) for c in commands),
            ],
            env={
                **environment,
                "DOCKER_NAME": project.name,
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
        sent = [json.loads(line) for line in record.read_text().splitlines()]
        yield dict(results=results, sent=sent, image=image, store=store, folder=folder, running=running, ran=ran)
    finally:
        # The SDK's compose leaves its containers (exited) behind: this test's image's only.
        made = docker("ps", "-aq", "--filter", f"ancestor={image}").stdout.split()
        if made:
            docker("rm", "-f", *made)
        docker("image", "rm", "-f", f"{project.name}:dev", image)
        if not network_there:  # made by this run's compose; refused (and kept) while another run uses it
            docker("network", "rm", NETWORK)


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
