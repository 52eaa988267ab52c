"""`bin/sagemaker.sh process [ARGS]`: algorithm.py's process(job) as a SageMaker processing job, as bin/process.sh
runs it on this machine: the folders of opt/ml/processing/input to S3 (only what changed, as train uploads channels),
a job with the pushed image and ContainerArguments ["process", ARGS...], its logs while it runs, and each output
downloaded into opt/ml/processing/output/<name> when it completes (their paths on stdout). Ctrl-C stops the job.

Inputs and outputs are named by their folders: every input folder holding files, every output folder, unless
--input NAME=SOURCE (a folder, a file, or s3://...) and --output NAME name them, which then replace the defaults.
"""

import re
import sys
from pathlib import Path

from . import production, s3sync, waiting
from .algorithm import Algorithm
from .cloudwatch import PROCESSING_GROUP, LogTail
from .config import Config, ConfigError
from .names import tags, unique_name
from .state import State
from .train import PROVISIONING, STOP_TIMEOUT, Interrupted

CONTAINER_ROOT = "/opt/ml/processing"  # SageMaker refuses a LocalPath elsewhere
NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9])*"  # an InputName, OutputName (botocore's pattern is looser: this is a folder too)


def local_folders(project: Path, kind: str) -> Path:
    return project / "opt" / "ml" / "processing" / kind


def parse_inputs(project: Path, given: list[str]) -> dict[str, str | Path]:
    """name -> s3://... or a local path: --input NAME=SOURCE each, else every input folder holding files."""
    if not given:
        folder = local_folders(project, "input")
        found = sorted(p for p in folder.iterdir() if p.is_dir() and s3sync.files_under(p)) if folder.is_dir() else []
        return {p.name: p for p in found}
    inputs: dict[str, str | Path] = {}
    for text in given:
        name, equals, source = text.partition("=")
        if not equals or not re.fullmatch(NAME, name) or not source:
            raise ConfigError(f"--input {text!r}: give NAME=FOLDER, NAME=FILE or NAME=s3://BUCKET/PREFIX")
        if name in inputs:
            raise ConfigError(f"--input {name} is given twice")
        if source.startswith("s3://"):
            inputs[name] = source
            continue
        path = Path(source).resolve()
        if not (path.is_file() or (path.is_dir() and s3sync.files_under(path))):
            raise ConfigError(f"--input {name}={source}: {path} is neither a file nor a folder holding files")
        inputs[name] = path
    return inputs


def parse_outputs(project: Path, given: list[str]) -> list[str]:
    """The outputs' names: --output NAME each, else every folder of opt/ml/processing/output."""
    if not given:
        folder = local_folders(project, "output")
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    for name in given:
        if not re.fullmatch(NAME, name):
            raise ConfigError(f"--output {name!r}: an output's name is letters, digits and hyphens")
    if len(set(given)) < len(given):
        raise ConfigError("an --output is given twice")
    return list(given)


def processing_request(
    config: Config,
    name: str,
    image: str,
    arguments: list[str],
    inputs: dict[str, str],
    outputs: dict[str, str],
    *,
    instance_type: str,
    instance_count: int,
    volume_gb: int,
    max_runtime: int,
) -> dict:
    """CreateProcessingJob's request. `inputs`, `outputs`: name -> S3 URI (a prefix, or one object for an input)."""
    request = {
        "ProcessingJobName": name,
        "AppSpecification": {"ImageUri": image, "ContainerArguments": ["process", *arguments]},
        "ProcessingInputs": [
            {
                "InputName": input_name,
                "S3Input": {
                    "S3Uri": uri,
                    "LocalPath": f"{CONTAINER_ROOT}/input/{input_name}",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                },
            }
            for input_name, uri in inputs.items()
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": output_name,
                    "S3Output": {
                        "S3Uri": uri,
                        "LocalPath": f"{CONTAINER_ROOT}/output/{output_name}",
                        "S3UploadMode": "EndOfJob",
                    },
                }
                for output_name, uri in outputs.items()
            ]
        },
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceType": instance_type,
                "InstanceCount": instance_count,
                "VolumeSizeInGB": volume_gb,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
        "RoleArn": config.require_role(),
        "Tags": tags(config),
    }
    return production.processing(request, config.production)


def run_job(aws, state: State, config: Config, request: dict, wait_timeout: float | None = None) -> dict:
    """Creates the job, records it (and its outputs' prefix), follows it to its end; its last description."""
    name = request["ProcessingJobName"]
    aws.sagemaker.create_processing_job(**request)
    cluster = request["ProcessingResources"]["ClusterConfig"]
    state.add(
        "processing-job",
        name,
        aws.region,
        image=request["AppSpecification"]["ImageUri"],
        instance_type=cluster["InstanceType"],
        instance_count=cluster["InstanceCount"],
    )
    state.add("s3-prefix", config.s3_uri("processing", name), aws.region)
    arguments = " ".join(request["AppSpecification"]["ContainerArguments"])
    print(f"started processing job {name} ({arguments})", file=sys.stderr, flush=True)
    return follow(aws, name, wait_timeout or request["StoppingCondition"]["MaxRuntimeInSeconds"] + PROVISIONING)


def process(
    aws,
    state: State,
    config: Config,
    arguments: list[str],
    *,
    inputs: list[str] = (),
    outputs: list[str] = (),
    image: str | None = None,
    instance_type: str | None = None,
    instance_count: int = 1,
    volume_gb: int = 30,
    max_runtime: int = 86400,
    wait_timeout: float | None = None,
) -> list[Path]:
    """Runs process(job) on SageMaker; returns the files downloaded into opt/ml/processing/output."""
    config.require_role()
    config.require_bucket()
    config.production.check_region(aws.region)
    sources = parse_inputs(config.project, list(inputs))
    names = parse_outputs(config.project, list(outputs))
    image = Algorithm.of(config.project, image).image
    name = unique_name(config, "process")
    uris = {}
    for input_name, source in sources.items():
        if isinstance(source, str):
            uris[input_name] = source
            continue
        uri = config.s3_uri("processing", "input", input_name)
        if source.is_file():  # one object: the job downloads it into the input's folder
            uri = f"{uri}/{source.name}"
            s3sync.upload_file(aws, state, source, uri, kms_key=config.production.kms_key)
        else:
            s3sync.upload_folder(aws, state, source, uri, kms_key=config.production.kms_key)
        uris[input_name] = uri
    destinations = {output_name: config.s3_uri("processing", name, output_name) for output_name in names}
    request = processing_request(
        config,
        name,
        image,
        arguments,
        uris,
        destinations,
        instance_type=instance_type or config.training_instance_type,
        instance_count=instance_count,
        volume_gb=volume_gb,
        max_runtime=max_runtime,
    )
    run_job(aws, state, config, request, wait_timeout)
    written = []
    for output_name, uri in destinations.items():
        written += s3sync.download_prefix(aws, uri, local_folders(config.project, "output") / output_name)
    return written


def follow(aws, name: str, timeout: float) -> dict:
    """Waits for the job with its logs; Ctrl-C stops it on SageMaker and says so. A failed job's reason is its
    FailureReason with its ExitMessage (what process(job) raised)."""
    tail = LogTail(aws.logs, name, group=PROCESSING_GROUP)

    def describe() -> dict:
        found = aws.sagemaker.describe_processing_job(ProcessingJobName=name)
        tail.poll()
        if found.get("ExitMessage") and found["ExitMessage"] not in found.get("FailureReason", ""):
            found["FailureReason"] = f"{found.get('FailureReason', 'failed')}: {found['ExitMessage']}"
        return found

    what = f"processing job {name}"
    try:
        return waiting.wait(
            describe,
            what=what,
            status_key="ProcessingJobStatus",
            done={"Completed"},
            failed={"Failed", "Stopped"},
            timeout=timeout,
        )
    except KeyboardInterrupt:
        pass
    print(f"Ctrl-C: stopping processing job {name} on SageMaker", file=sys.stderr, flush=True)
    aws.sagemaker.stop_processing_job(ProcessingJobName=name)
    try:
        found = waiting.wait(
            describe,
            what=what,
            status_key="ProcessingJobStatus",
            done={"Stopped", "Completed", "Failed"},
            failed=set(),
            timeout=STOP_TIMEOUT,
        )
    except KeyboardInterrupt:
        raise Interrupted(f"{what} is stopping on SageMaker (bin/sagemaker.sh status shows it)") from None
    raise Interrupted(f"{what} was stopped on SageMaker (Ctrl-C); it ended {found['ProcessingJobStatus']}")
