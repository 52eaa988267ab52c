"""`bin/predict.sh`'s arguments and output, against the endpoint: [--model NAME] [PAYLOAD_FILE [ACCEPT]].

The Content-Type follows the file's extension (develop/local/content-types.txt), else application/json. An asynchronous
endpoint gets the payload through S3: uploaded, invoked, its answer (or failure) polled for and printed.
"""

import sys
import uuid
from pathlib import Path

from botocore.exceptions import ClientError

from . import s3sync, waiting
from .aws import error_code, not_found
from .config import Config, ConfigError, common_content_type
from .state import State

ASYNC_TIMEOUT = 3600 + 300  # InvocationTimeoutSeconds' largest, and the queue before it


def predict(
    aws,
    state: State,
    config: Config,
    payload: Path | None = None,
    accept: str = "application/json",
    *,
    model: str | None = None,
    custom_attributes: str | None = None,
    timeout: float = ASYNC_TIMEOUT,
) -> bytes:
    """The endpoint's answer to the payload (default: opt/ml/input/payload.json)."""
    payload = Path(payload or config.project / "opt" / "ml" / "input" / "payload.json")
    if not payload.is_file():
        raise ConfigError(f"payload file {payload} not found")
    endpoint = config.endpoint_name
    arguments = {
        "EndpointName": endpoint,
        "ContentType": common_content_type(config.project, [payload]) or "application/json",
        "Accept": accept,
    }
    if custom_attributes:
        arguments["CustomAttributes"] = custom_attributes
    if is_async(aws, endpoint):
        if model:
            raise ConfigError("--model is for multi-model endpoints; an asynchronous endpoint serves one model")
        return predict_async(aws, state, config, payload, arguments, timeout)
    if model:
        arguments["TargetModel"] = model
    try:
        answer = aws.runtime.invoke_endpoint(Body=payload.read_bytes(), **arguments)
    except ClientError as exc:
        if error_code(exc) == "ModelError":
            status = exc.response.get("OriginalStatusCode", "an HTTP error")
            message = exc.response.get("OriginalMessage") or exc.response["Error"].get("Message", "")
            raise waiting.WaitFailed(f"the model answered {status}: {message}") from None
        raise
    return answer["Body"].read()


def is_async(aws, endpoint: str) -> bool:
    try:
        config_name = aws.sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    except ClientError as exc:
        if not_found(exc):
            raise ConfigError(f"no endpoint {endpoint}: run bin/sagemaker.sh deploy (or give --endpoint)") from None
        raise
    return "AsyncInferenceConfig" in aws.sagemaker.describe_endpoint_config(EndpointConfigName=config_name)


def predict_async(aws, state: State, config: Config, payload: Path, arguments: dict, timeout: float) -> bytes:
    config.require_bucket()
    location = config.s3_uri("async", "input", uuid.uuid4().hex, payload.name)
    s3sync.upload_file(aws, state, payload, location, kms_key=config.production.kms_key)
    answer = aws.runtime.invoke_endpoint_async(InputLocation=location, **arguments)
    output, failure = answer["OutputLocation"], answer.get("FailureLocation")
    print(f"queued as {answer.get('InferenceId', '')}: waiting for {output}", file=sys.stderr, flush=True)

    def describe() -> dict:
        if s3sync.exists(aws, output):
            return {"Status": "Answered"}
        if failure and s3sync.exists(aws, failure):
            return {"Status": "Failed", "FailureReason": s3sync.read(aws, failure).decode(errors="replace").strip()}
        return {"Status": "Queued"}

    waiting.wait(
        describe,
        what=f"the asynchronous inference of {payload.name}",
        status_key="Status",
        done={"Answered"},
        failed={"Failed"},
        timeout=timeout,
    )
    return s3sync.read(aws, output)
