"""`bin/sagemaker.sh destroy`: deletes exactly what sagemaker-state.json records, after asking (unless --yes).

Nothing else is touched: every name comes from the state file, which only the commands write. Each entry leaves the
file as its deletion succeeds, so a destroy that stops half-way is finished by running it again. SageMaker keeps the
records of finished jobs (they cost nothing and cannot be deleted): a running one is stopped.
"""

import sys

from botocore.exceptions import ClientError

from . import s3sync, scaling, waiting
from .aws import not_found
from .config import ConfigError
from .deploy import VARIANT
from .state import KINDS, State

DELETE_TIMEOUT = 1800  # botocore's endpoint_deleted waiter: 30 s x 60
S3_KINDS = {"s3-prefix", "s3-object"}


def plan(state: State, keep_s3: bool = False) -> list[dict]:
    """The entries to delete, in the order they must go (what uses a thing goes before it)."""
    return sorted(
        (e for e in state.entries if not (keep_s3 and e["kind"] in S3_KINDS)), key=lambda e: KINDS.index(e["kind"])
    )


def confirm(entries: list[dict], yes: bool, ask=input) -> bool:
    for entry in entries:
        print(f"  {entry['kind']:16} {entry['name']}", file=sys.stderr)
    if yes:
        return True
    print(f"delete these {len(entries)} resources? [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = ask()
    except EOFError:  # no one to ask (CI, a build server): nothing is deleted without --yes
        print(file=sys.stderr)
        raise ConfigError(f"destroy would delete the {len(entries)} resources above: confirm with --yes") from None
    return answer.strip().lower() in ("y", "yes")


def destroy(aws, state: State, *, yes: bool = False, keep_s3: bool = False, ask=input) -> int:
    """Deletes what the state file lists; returns how many entries were removed (0 when the user said no)."""
    entries = plan(state, keep_s3)
    if not entries:
        print("nothing to destroy: sagemaker-state.json lists nothing", file=sys.stderr)
        return 0
    if not confirm(entries, yes, ask):
        print("nothing deleted", file=sys.stderr)
        return 0
    for entry in entries:
        delete(aws, entry)
        state.remove(entry["kind"], entry["name"])
        print(f"deleted {entry['kind']} {entry['name']}", file=sys.stderr, flush=True)
    return len(entries)


def delete(aws, entry: dict) -> None:
    """Deletes (or stops) one resource; one that is gone already counts as deleted."""
    aws = aws.in_region(entry["region"])  # where it was made, whatever the region now
    kind, name, sagemaker = entry["kind"], entry["name"], aws.sagemaker
    try:
        if kind == "training-job":
            found = sagemaker.describe_training_job(TrainingJobName=name)
            if found["TrainingJobStatus"] == "InProgress":
                sagemaker.stop_training_job(TrainingJobName=name)
            if found.get("WarmPoolStatus", {}).get("Status") == "Available":  # its kept instances bill until released
                sagemaker.update_training_job(TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": 0})
        elif kind == "processing-job":
            if sagemaker.describe_processing_job(ProcessingJobName=name)["ProcessingJobStatus"] == "InProgress":
                sagemaker.stop_processing_job(ProcessingJobName=name)
        elif kind == "transform-job":
            if sagemaker.describe_transform_job(TransformJobName=name)["TransformJobStatus"] == "InProgress":
                sagemaker.stop_transform_job(TransformJobName=name)
        elif kind == "endpoint":
            if entry.get("scaling"):  # its policies and scalable target first: they outlive the endpoint otherwise
                scaling.deregister(aws, name, VARIANT)
            sagemaker.delete_endpoint(EndpointName=name)
            waiting.wait(
                lambda: endpoint_status(aws, name),
                what=f"endpoint {name}",
                status_key="EndpointStatus",
                done={"Deleted"},
                failed={"Failed"},
                timeout=DELETE_TIMEOUT,
            )
        elif kind == "endpoint-config":
            sagemaker.delete_endpoint_config(EndpointConfigName=name)
        elif kind == "model":
            sagemaker.delete_model(ModelName=name)
        elif kind == "s3-prefix":
            s3sync.delete_prefix(aws, name)
        elif kind == "s3-object":
            s3sync.delete_object(aws, name)
    except ClientError as exc:
        if not not_found(exc):
            raise


def endpoint_status(aws, name: str) -> dict:
    try:
        return aws.sagemaker.describe_endpoint(EndpointName=name)
    except ClientError as exc:
        if not_found(exc):
            return {"EndpointStatus": "Deleted"}
        raise
