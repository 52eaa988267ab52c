"""Runs one processing job with the SageMaker Python SDK's `Processor` in local mode, AWS's own model of the platform:
its LocalSagemakerClient implements CreateProcessingJob by running the image with `docker compose`, the inputs
mounted at their LocalPaths, /opt/ml/config/processingjobconfig.json and resourceconfig.json written per host, the
outputs copied to their file:// destinations. Run by tests/test_processing_sagemaker_local.py with the SDK's venv.

    python sagemaker_processing_driver.py SPEC    SPEC: a JSON object
        image, instance_count, arguments (list), entrypoint (list or null), environment (object),
        inputs {name: [source folder, LocalPath]}, outputs {name: [LocalPath, destination folder]}, container_root

Prints one JSON line, {"code", "request"}: 0 when the job completed, 1 when a container failed; the request is the
CreateProcessingJob call the SDK made.

Where the SDK's model and SageMaker differ, the difference is bridged here, said why:
- file:// locations: the SDK's local mode reads a file:// input and writes a file:// output itself, but its
  `Processor` first uploads every location that is not s3:// to the session's default bucket (an AWS call): such
  locations are left as they are here, so that no AWS call is made.
- ContainerArguments without a ContainerEntrypoint: SageMaker passes them to the image's own ENTRYPOINT; the SDK's
  local mode appends them to an entrypoint it only has when the job names one (KeyError otherwise). The image's
  ENTRYPOINT (docker image inspect) is that entrypoint here.
"""

import json
import os
import subprocess
import sys

REGION = "eu-west-1"
# Any AWS call would go here and fail at once (port 9, discard, closed): the job needs none.
os.environ.update(
    AWS_ENDPOINT_URL="http://127.0.0.1:9",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_REGION=REGION,
    AWS_DEFAULT_REGION=REGION,
    AWS_EC2_METADATA_DISABLED="true",
    SAGEMAKER_SUPPRESS_V2_WARNING="1",
)

import boto3  # noqa: E402
from sagemaker.local import LocalSession, image  # noqa: E402
from sagemaker.local.local_session import LocalSagemakerClient  # noqa: E402
from sagemaker.processing import ProcessingInput, ProcessingOutput, Processor  # noqa: E402

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"


def stream_to_stderr(process: subprocess.Popen) -> int:
    """The SDK's _stream_output, onto stderr (stdout carries the result line)."""
    exit_code = None
    while exit_code is None:
        sys.stderr.write(process.stdout.readline().decode("utf-8", errors="replace"))
        exit_code = process.poll()
    sys.stderr.write(process.stdout.read().decode("utf-8", errors="replace"))
    if exit_code != 0:
        raise RuntimeError(f"Failed to run: {process.args}. Process exited with code: {exit_code}")
    return exit_code


def with_image_entrypoint(create_docker_host):
    def create(self, host, environment, optml_subdirs, command, volumes):
        if command == "process" and not self.container_entrypoint:
            inspected = subprocess.run(
                ["docker", "image", "inspect", "--format", "{{json .Config.Entrypoint}}", self.image],
                capture_output=True,
                text=True,
                check=True,
            )
            self.container_entrypoint = json.loads(inspected.stdout)
        return create_docker_host(self, host, environment, optml_subdirs, command, volumes)

    return create


def keep_file_uris(normalize, uri_of):
    def normalized(self, items=None, *args, **kwargs):
        local = [item for item in items or [] if uri_of(item).startswith("file://")]
        others = [item for item in items or [] if not uri_of(item).startswith("file://")]
        return local + normalize(self, others, *args, **kwargs)

    return normalized


Processor._normalize_inputs = keep_file_uris(Processor._normalize_inputs, lambda item: item.s3_input.s3_uri)
Processor._normalize_outputs = keep_file_uris(Processor._normalize_outputs, lambda item: item.destination)
image._stream_output = stream_to_stderr
image._SageMakerContainer._create_docker_host = with_image_entrypoint(image._SageMakerContainer._create_docker_host)


class RecordingClient(LocalSagemakerClient):
    requests: list[dict] = []

    def create_processing_job(self, **request):
        self.requests.append(request)
        return super().create_processing_job(**request)


def main(spec: dict) -> int:
    no_telemetry = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
    session = LocalSession(boto3.Session(region_name=REGION), sagemaker_config=no_telemetry)
    session.config = {"local": {"local_code": True, "container_root": spec["container_root"]}}
    session.sagemaker_client = RecordingClient(session)
    processor = Processor(
        role=ROLE,
        image_uri=spec["image"],
        instance_count=spec["instance_count"],
        instance_type="local",
        entrypoint=spec.get("entrypoint"),
        env=spec.get("environment") or None,
        sagemaker_session=session,
    )
    inputs = [
        ProcessingInput(source=f"file://{source}", destination=local, input_name=name)
        for name, (source, local) in spec["inputs"].items()
    ]
    outputs = [
        ProcessingOutput(source=local, destination=f"file://{destination}", output_name=name)
        for name, (local, destination) in spec["outputs"].items()
    ]
    code = 0
    # logs=False: local mode has no CloudWatch; the containers' output is streamed while the job runs.
    try:
        processor.run(inputs=inputs, outputs=outputs, arguments=spec["arguments"] or None, wait=True, logs=False)
    except RuntimeError as exc:  # stream_to_stderr's: a container exited non-zero
        print(f"processing job failed: {exc}", file=sys.stderr)
        code = 1
    (request,) = RecordingClient.requests
    # On a line of its own: the SDK's progress dots end without one.
    print("\n" + json.dumps({"code": code, "request": request}, default=repr), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
