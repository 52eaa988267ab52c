"""Processing jobs with a real engine: `:dev-base` run as SageMaker runs a processing job (its ContainerArguments,
processingjobconfig.json, the inputs and outputs at their LocalPaths, SIGTERM), bin/process.sh in `:dev`, and the
SageMaker SDK's local mode running the image through its `Processor` on one host and two
(tests/sagemaker_processing_driver.py, with the SDK's venv; skipped, saying why, without it).

The images are tests/test_docker.py's (built once per session through bin/docker-build.sh, destroyed at the end).
"""

import json
import os
import shutil
import subprocess
import time

import pytest
from test_docker import needs_docker, project, stop, tail, trained  # noqa: F401 (fixtures)
from test_sagemaker_local import MISSING as SDK_MISSING
from test_sagemaker_local import NETWORK, sdk_python

from docker_helpers import PROJECT_LABEL, ROOT, docker, run
from projects import EXAMPLE_DIR

RAW = EXAMPLE_DIR / "opt" / "ml" / "processing" / "input" / "raw" / "iris.data"
SAMPLE = EXAMPLE_DIR / "opt" / "ml" / "input" / "data"


def job_config(inputs: dict[str, str], outputs: dict[str, str]) -> str:
    """processingjobconfig.json as SageMaker writes it (the fields main.py reads, and a few it does not)."""
    return json.dumps(
        {
            "ProcessingJobArn": "arn:aws:sagemaker:eu-west-1:123456789012:processing-job/prep",
            "ProcessingJobName": "prep",
            "AppSpecification": {"ImageUri": "image", "ContainerArguments": ["process", "preprocess"]},
            "Environment": {},
            "ProcessingInputs": [
                {"InputName": name, "S3Input": {"LocalPath": local, "S3Uri": f"s3://b/{name}", "S3InputMode": "File"}}
                for name, local in inputs.items()
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {"OutputName": name, "S3Output": {"LocalPath": local, "S3Uri": f"s3://b/o/{name}"}}
                    for name, local in outputs.items()
                ]
            },
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large"}},
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        }
    )


def sagemaker_tree(folder, inputs: dict[str, str], outputs: dict[str, str]):
    """An /opt/ml as SageMaker prepares it for a processing job: its config, and nothing of training's."""
    ml = folder / "ml"
    (ml / "config").mkdir(parents=True)
    (ml / "config" / "processingjobconfig.json").write_text(job_config(inputs, outputs))
    resources = {"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"}
    (ml / "config" / "resourceconfig.json").write_text(json.dumps(resources))
    return ml


@needs_docker
def test_dev_base_preprocesses_as_a_processing_job_with_container_arguments(project, tmp_path):  # noqa: F811
    ml = sagemaker_tree(
        tmp_path,
        {"raw": "/opt/ml/processing/raw"},
        {"training": "/opt/ml/processing/train", "validation": "/opt/ml/processing/validation"},
    )
    (ml / "processing" / "raw").mkdir(parents=True)
    shutil.copy(RAW, ml / "processing" / "raw")
    done = docker("run", "--rm", "-v", f"{ml}:/opt/ml", f"{project.name}:dev-base", "process", "preprocess")
    assert done.returncode == 0, tail(done)
    for channel, folder in (("training", "train"), ("validation", "validation")):
        written = ml / "processing" / folder / "iris.csv"
        assert written.read_bytes() == (SAMPLE / channel / "iris.csv").read_bytes()
    assert (ml / "output" / "message").read_text() == "120 training and 30 validation records\n"


@needs_docker
def test_dev_base_without_container_arguments_fails_saying_what_it_takes(project, tmp_path):  # noqa: F811
    ml = sagemaker_tree(tmp_path, {}, {})
    done = docker("run", "--rm", "-v", f"{ml}:/opt/ml", f"{project.name}:dev-base")
    assert done.returncode == 2
    assert "usage: python main.py {train|serve|process [ARGS]}" in done.stderr
    assert 'ContainerArguments ["process", ...]' in (ml / "output" / "message").read_text()


@needs_docker
def test_dev_base_runs_process_through_a_container_entrypoint_too(project, tmp_path):  # noqa: F811
    # AppSpecification.ContainerEntrypoint replaces the image's ENTRYPOINT: the same main.py, named in full.
    ml = sagemaker_tree(tmp_path, {"raw": "/opt/ml/processing/raw"}, {"training": "/opt/ml/processing/t"})
    (ml / "processing" / "raw").mkdir(parents=True)
    shutil.copy(RAW, ml / "processing" / "raw")
    done = docker(
        "run",
        "--rm",
        "-v",
        f"{ml}:/opt/ml",
        "--entrypoint",
        "python3",
        f"{project.name}:dev-base",
        "/opt/program/main.py",
        "process",
        "preprocess",
    )
    # This job has no validation output: the example says so, and the job fails with that reason.
    assert done.returncode == 2, tail(done)
    message = (ml / "output" / "message").read_text()
    assert message.startswith("ConfigError: the job has no output named 'validation'; its outputs: training")


@needs_docker
def test_dev_base_stops_processing_on_sigterm_after_its_cleanup(project, tmp_path):  # noqa: F811
    """StopProcessingJob: SIGTERM to the container's Python, the algorithm's `finally` runs, exit 143."""
    ml = sagemaker_tree(tmp_path, {}, {"report": "/opt/ml/processing/report"})
    sleeps = ROOT / "tests" / "algorithms" / "processes_by_argument.py"  # `sleep`: 60 s, a `finally` writes a file
    container = docker(
        "run",
        "-d",
        "-v",
        f"{ml}:/opt/ml",
        "-v",
        f"{sleeps}:/opt/program/algorithm.py:ro",
        f"{project.name}:dev-base",
        "process",
        "sleep",
    ).stdout.strip()
    assert container
    deadline = time.monotonic() + 120
    while not (ml / "processing" / "report" / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    code, logs = stop(container)
    assert code == 143, logs
    assert (ml / "processing" / "report" / "cleaned-up").exists(), logs
    assert "received SIGTERM: stopping processing" in logs


@needs_docker
def test_process_script_preprocesses_then_evaluates_the_trained_model_on_the_host(project, trained):  # noqa: F811
    processing = project.ml / "processing"
    done = project.script("process.sh", "preprocess")
    assert done.returncode == 0, tail(done)
    assert (processing / "output" / "training" / "iris.csv").read_bytes() == (
        SAMPLE / "training" / "iris.csv"
    ).read_bytes()
    # The stand-in wrote the job's config from the folders, as SageMaker would provide it.
    config = json.loads((project.ml / "config" / "processingjobconfig.json").read_text())
    assert [i["InputName"] for i in config["ProcessingInputs"]] == ["model", "raw", "test"]
    outputs = config["ProcessingOutputConfig"]["Outputs"]
    assert [o["OutputName"] for o in outputs] == ["evaluation", "training", "validation"]

    # What docs/how-to/processing.md says to do: the trained model and held-out data into the evaluation's inputs.
    shutil.copy(project.ml / "output" / "model.tar.gz", processing / "input" / "model")
    shutil.copy(SAMPLE / "validation" / "iris.csv", processing / "input" / "test")
    done = project.script("process.sh", "evaluate")
    assert done.returncode == 0, tail(done)
    report = json.loads((processing / "output" / "evaluation" / "evaluation.json").read_text())
    assert report["multiclass_classification_metrics"]["accuracy"]["value"] >= 0.9
    assert (project.ml / "output" / "message").read_text().startswith("accuracy ")
    owner = project.ml.stat().st_uid
    for path in (processing / "output" / "evaluation" / "evaluation.json", project.ml / "config"):
        assert path.stat().st_uid == owner, path

    done = project.script("process.sh", "no-such-action")
    assert done.returncode == 1
    assert "usage: process [-h] {preprocess,evaluate}" in (project.ml / "output" / "message").read_text()


@needs_docker
def test_process_script_on_two_hosts_shares_a_sharded_input_and_combines_the_outputs(project, tmp_path):  # noqa: F811
    # Another checkout of the same project (same .env, same images), whose job shards its raw input over two hosts.
    copy = tmp_path / "copy"
    shutil.copytree(project.folder, copy, ignore=shutil.ignore_patterns("model.tar.gz", "model.joblib"))
    processing = copy / "opt" / "ml" / "processing"
    shutil.rmtree(processing / "output")
    raw = processing / "input" / "raw"
    lines = (raw / "iris.data").read_text().splitlines(keepends=True)
    (raw / "iris.data").unlink()
    (raw / "part-1.data").write_text("".join(lines[:75]))
    (raw / "part-2.data").write_text("".join(lines[75:]))
    config = json.loads(job_config({"raw": "/opt/ml/processing/input/raw"}, {}))
    config["ProcessingInputs"][0]["S3Input"]["S3DataDistributionType"] = "ShardedByS3Key"
    config["ProcessingOutputConfig"]["Outputs"] = [
        {"OutputName": name, "S3Output": {"LocalPath": f"/opt/ml/processing/output/{name}", "S3Uri": f"s3://b/{name}"}}
        for name in ("training", "validation")
    ]
    (copy / "opt" / "ml" / "config").mkdir(exist_ok=True)
    (copy / "opt" / "ml" / "config" / "processingjobconfig.json").write_text(json.dumps(config))

    done = run([str(copy / "bin" / "process.sh"), "--instances", "2", "preprocess"], timeout=600)
    assert done.returncode == 0, tail(done)
    assert "algo-1: input /opt/ml/processing/input/raw (ShardedByS3Key): 1 file(s)" in done.stdout
    for channel, rows in (("training", 60), ("validation", 15)):
        written = sorted((processing / "output" / channel).iterdir())
        assert [p.name for p in written] == ["iris-algo-1.csv", "iris-algo-2.csv"]
        assert [len(p.read_text().splitlines()) - 1 for p in written] == [rows, rows]
    assert docker("network", "ls", "-q", "--filter", f"label={PROJECT_LABEL}={project.name}").stdout.split() == []

    done = run([str(copy / "bin" / "process.sh"), "--instances", "2", "no-such-action"], timeout=600)
    assert done.returncode == 1
    message = (copy / "opt" / "ml" / "output" / "message").read_text()
    assert message.startswith("algo-") and "usage: process [-h] {preprocess,evaluate}" in message


# --- The SageMaker SDK's local mode: its Processor runs :dev-base as a processing job -------------------------------

SDK_DRIVER = ROOT / "tests" / "sagemaker_processing_driver.py"
needs_sdk = pytest.mark.skipif(SDK_MISSING is not None, reason=SDK_MISSING or "")


@pytest.fixture(scope="module")
def sdk(project):  # noqa: F811
    """Runs one job through the SDK's Processor; at the end, what the SDK's runs left behind is removed."""
    image = f"{project.name}:dev-base"
    network_there = docker("network", "inspect", NETWORK).returncode == 0

    def run_job(folder, **spec) -> dict:
        spec = {"image": image, "container_root": str(folder / "containers"), "environment": {}, **spec}
        (folder / "containers").mkdir(exist_ok=True)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        done = subprocess.run(
            [sdk_python()[0], str(SDK_DRIVER), json.dumps(spec)],
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
            env=environment,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        (line,) = [line for line in done.stdout.splitlines() if line.startswith('{"code"')]
        ran = docker("ps", "-aq", "--filter", f"ancestor={image}").stdout.split()
        if ran:
            docker("rm", "-f", *ran)
        return {**json.loads(line), "log": done.stderr, "containers": len(ran)}

    yield run_job
    made = docker("ps", "-aq", "--filter", f"ancestor={image}").stdout.split()
    if made:
        docker("rm", "-f", *made)
    if not network_there:  # made by this run's compose; refused (and kept) while another run uses it
        docker("network", "rm", NETWORK)


@needs_sdk
def test_sdk_processor_preprocesses_on_one_host_with_container_arguments(sdk, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(RAW, raw)
    result = sdk(
        tmp_path,
        instance_count=1,
        entrypoint=None,
        arguments=["process", "preprocess"],
        inputs={"raw": [str(raw), "/opt/ml/processing/input/raw"]},
        outputs={
            "training": ["/opt/ml/processing/output/training", str(tmp_path / "out" / "training")],
            "validation": ["/opt/ml/processing/output/validation", str(tmp_path / "out" / "validation")],
        },
    )
    assert result["code"] == 0, result["log"][-3000:]
    assert result["request"]["AppSpecification"].get("ContainerArguments") == ["process", "preprocess"]
    assert "ContainerEntrypoint" not in result["request"]["AppSpecification"]
    assert result["containers"] == 1
    for channel in ("training", "validation"):
        written = tmp_path / "out" / channel / "iris.csv"
        assert written.read_bytes() == (SAMPLE / channel / "iris.csv").read_bytes()
    assert "process: processing succeeded" in result["log"]


@needs_sdk
def test_sdk_processor_on_two_hosts_with_a_container_entrypoint_the_leader_alone_writes(sdk, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(RAW, raw)
    result = sdk(
        tmp_path,
        instance_count=2,
        entrypoint=["python3", "/opt/program/main.py", "process"],
        arguments=["preprocess"],
        inputs={"raw": [str(raw), "/opt/ml/processing/raw"]},
        outputs={
            "training": ["/opt/ml/processing/training", str(tmp_path / "out" / "training")],
            "validation": ["/opt/ml/processing/validation", str(tmp_path / "out" / "validation")],
        },
    )
    assert result["code"] == 0, result["log"][-3000:]
    assert result["containers"] == 2
    assert sorted(p.name for p in (tmp_path / "out" / "training").iterdir()) == ["iris.csv"]
    written = tmp_path / "out" / "training" / "iris.csv"
    assert written.read_bytes() == (SAMPLE / "training" / "iris.csv").read_bytes()
    assert "the raw input is FullyReplicated: the leader algo-1-" in result["log"]
    assert result["log"].count("process: processing succeeded") == 2


@needs_sdk
def test_sdk_processor_reports_a_failing_job(sdk, tmp_path):
    result = sdk(
        tmp_path,
        instance_count=1,
        entrypoint=None,
        arguments=["process", "no-such-action"],
        inputs={},
        outputs={},
    )
    assert result["code"] == 1
    assert "usage: process [-h] {preprocess,evaluate}" in result["log"]
