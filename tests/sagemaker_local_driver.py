"""Runs bin/sagemaker.sh's commands (develop/sagemaker) in-process against the SageMaker Python SDK's local mode, AWS's
own model of the platform: its LocalSagemakerClient and LocalSagemakerRuntimeClient implement CreateTrainingJob,
CreateModel, CreateEndpointConfig, CreateEndpoint, InvokeEndpoint and the deletes by running the image with
`docker compose` (or docker-compose). Run by tests/test_sagemaker_local.py with the SDK's venv (.ci/sdk-up.sh).

    python sagemaker_local_driver.py PROJECT RECORD PORT CONTAINER_ROOT [COMMAND-LINE ...]   each: a JSON list

Prints one JSON line per command, {"argv", "code", "stdout", "stderr"}, among the SDK's own lines; RECORD receives
every SageMaker call as a JSON line {"operation", "params"}. The locations are file:// folders (S3_BUCKET=file:///...):
no S3, no AWS.

Where the SDK's model and SageMaker differ, the difference is bridged here, each in one place and said why:
- CreateModel: SageMaker's PrimaryContainer.Environment is optional; the SDK's local endpoint reads it unconditionally
  (its own Model always sends one): an absent one is passed on as {}.
- DeleteEndpoint: SageMaker forgets a deleted endpoint (DescribeEndpoint: "Could not find endpoint"); the SDK stops the
  containers but keeps answering InService: the endpoint is forgotten after the SDK's delete.
- CloudWatch Logs: none in local mode; the SDK streams the containers' output itself, sent here to stderr where the
  commands print the job's CloudWatch lines. A log group that does not exist yet is what LogTail sees.
- The endpoint's port: the SDK publishes it on every interface; here on 127.0.0.1 only.
- A failed training job: the SDK has no Failed state; CreateTrainingJob raises when a container exits non-zero, after
  it has put the job's output.tar.gz where SageMaker would. The job is then Failed, with SageMaker's FailureReason:
  the first 1,024 characters of the /opt/ml/output/failure in that archive.
The SDK pulls an image only when its name is an ECR URI missing locally: the image here is a local :dev-base, so
nothing is pulled (and nothing can be: AWS_ENDPOINT_URL points at a closed port, so any AWS call would fail).
"""

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import urlparse

from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from captured_command import captured  # noqa: E402

from develop.sagemaker import cli, waiting  # noqa: E402
from develop.sagemaker.aws import Aws  # noqa: E402

REGION = "eu-west-1"
# Any AWS call would go here and fail at once (port 9, discard, closed): the test proves none is made.
os.environ.update(
    AWS_ENDPOINT_URL="http://127.0.0.1:9",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_REGION=REGION,
    AWS_DEFAULT_REGION=REGION,
    AWS_EC2_METADATA_DISABLED="true",
    SAGEMAKER_SUPPRESS_V2_WARNING="1",  # v2's deprecation notice, printed on stdout
)

import boto3  # noqa: E402
from sagemaker.local import LocalSession, image  # noqa: E402
from sagemaker.local.local_session import LocalSagemakerClient  # noqa: E402


def stream_to_stderr(process: subprocess.Popen) -> int:
    """The SDK's _stream_output, onto stderr: the containers' log is progress, as the commands print CloudWatch's."""
    exit_code = None
    while exit_code is None:
        sys.stderr.write(process.stdout.readline().decode("utf-8", errors="replace"))
        exit_code = process.poll()
    sys.stderr.write(process.stdout.read().decode("utf-8", errors="replace"))
    if exit_code not in (0, 130):
        raise RuntimeError(f"Failed to run: {process.args}. Process exited with code: {exit_code}")
    return exit_code


def on_loopback(create_docker_host):
    def create(self, *args, **kwargs):
        host = create_docker_host(self, *args, **kwargs)
        if "ports" in host:
            host["ports"] = [f"127.0.0.1:{mapping}" for mapping in host["ports"]]
        return host

    return create


image._stream_output = stream_to_stderr
image._SageMakerContainer._create_docker_host = on_loopback(image._SageMakerContainer._create_docker_host)


class LocalClient(LocalSagemakerClient):
    """The SDK's client, every call recorded, with the two differences from SageMaker bridged (see above)."""

    def __init__(self, session, record: Path):
        super().__init__(session)
        self.record = record

    def __getattribute__(self, name):
        found = super().__getattribute__(name)
        if not name.startswith("_") and callable(found):  # an API call
            record = super().__getattribute__("record")

            def recorded(**params):
                with open(record, "a") as out:
                    out.write(json.dumps({"operation": name, "params": params}, default=repr) + "\n")
                return found(**params)

            return recorded
        return found

    def create_training_job(self, TrainingJobName, AlgorithmSpecification, OutputDataConfig, *args, **kwargs):
        try:
            return super().create_training_job(
                TrainingJobName, AlgorithmSpecification, OutputDataConfig, *args, **kwargs
            )
        except RuntimeError as exc:  # stream_to_stderr's: a container exited non-zero
            reason = failure_reason(OutputDataConfig["S3OutputPath"]) or str(exc)
            LocalSagemakerClient._training_jobs[TrainingJobName] = FailedJob(TrainingJobName, reason)
            return {"TrainingJobArn": f"arn:aws:sagemaker:{REGION}:000000000000:training-job/{TrainingJobName}"}

    def create_model(self, ModelName, PrimaryContainer, *args, **kwargs):
        return super().create_model(ModelName, {"Environment": {}, **PrimaryContainer}, *args, **kwargs)

    def delete_endpoint(self, EndpointName):
        super().delete_endpoint(EndpointName)
        LocalSagemakerClient._endpoints.pop(EndpointName, None)


def failure_reason(output_path: str) -> str | None:
    """SageMaker's FailureReason: the start of the failure file in the job's output.tar.gz, if the job wrote one."""
    archive = Path(urlparse(output_path).path) / "output.tar.gz"
    if not archive.exists():
        return None
    with tarfile.open(archive) as tar:
        member = next((m for m in tar.getmembers() if Path(m.name).name == "failure"), None)
        if member is None:
            return None
        return tar.extractfile(member).read().decode(errors="replace")[:1024]


class FailedJob:
    """What DescribeTrainingJob answers for a job whose container failed."""

    def __init__(self, name: str, reason: str):
        self.name, self.reason = name, reason

    def describe(self) -> dict:
        return {"TrainingJobName": self.name, "TrainingJobStatus": "Failed", "FailureReason": self.reason}


class NoLogGroup:
    """CloudWatch Logs as a job that has written nothing yet finds it (local mode has none)."""

    def get_paginator(self, operation: str):
        return self

    def paginate(self, **_):
        raise ClientError(
            {"Error": {"Code": "ResourceNotFoundException", "Message": "local mode"}}, "DescribeLogStreams"
        )


def local_aws(record: Path, port: int, container_root: Path) -> Aws:
    config = {"local": {"serving_port": port, "container_root": str(container_root), "local_code": True}}
    no_telemetry = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
    session = LocalSession(boto3.Session(region_name=REGION), sagemaker_config=no_telemetry)
    session.config = config  # the serving port and where the SDK keeps the containers' folders
    aws = Aws(session.boto_session)
    aws._clients.update(
        {"sagemaker": LocalClient(session, record), "sagemaker-runtime": session.sagemaker_runtime_client}
    )
    aws._clients["logs"] = NoLogGroup()
    return aws


def run(argv: list[str], project: Path, aws: Aws) -> dict:
    """One command as bin/sagemaker.sh runs it, its output captured."""
    return captured(cli.main, argv, project, aws)


def main(args: list[str]) -> None:
    project, record, port, container_root = Path(args[0]), Path(args[1]), int(args[2]), Path(args[3])
    waiting.DELAY = 0.5
    container_root.mkdir(parents=True, exist_ok=True)
    aws = local_aws(record, port, container_root)
    for line in args[4:]:
        print(json.dumps(run(json.loads(line), project, aws)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
