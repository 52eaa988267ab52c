"""`bin/sagemaker.sh status`: what this project has on SageMaker (from sagemaker-state.json), each resource's state as
SageMaker reports it now, and what it costs per hour while it exists."""

from botocore.exceptions import ClientError

from . import prices
from .aws import not_found
from .state import State

RUNNING = {"InProgress", "Stopping"}


def describe(aws, entry: dict) -> tuple[str, str]:
    """(state, cost per hour) of one entry; ("gone", "") when SageMaker no longer has it."""
    kind, name = entry["kind"], entry["name"]
    sagemaker = aws.in_region(entry["region"]).sagemaker
    try:
        if kind == "training-job":
            found = sagemaker.describe_training_job(TrainingJobName=name)
            status = found["TrainingJobStatus"]
            cost = prices.per_hour(entry["instance_type"], entry["instance_count"]) if status in RUNNING else "-"
            return f"{status} ({found.get('SecondaryStatus', '')})", cost
        if kind == "transform-job":
            status = sagemaker.describe_transform_job(TransformJobName=name)["TransformJobStatus"]
            cost = prices.per_hour(entry["instance_type"], entry["instance_count"]) if status in RUNNING else "-"
            return status, cost
        if kind == "endpoint":
            found = sagemaker.describe_endpoint(EndpointName=name)
            variant = sagemaker.describe_endpoint_config(EndpointConfigName=found["EndpointConfigName"])[
                "ProductionVariants"
            ][0]
            if "ServerlessConfig" in variant:
                cost = "per inference second (serverless: nothing while idle)"
            else:
                cost = prices.per_hour(variant["InstanceType"], variant["InitialInstanceCount"])
            return f"{found['EndpointStatus']} ({found['EndpointConfigName']})", cost
        if kind == "endpoint-config":
            sagemaker.describe_endpoint_config(EndpointConfigName=name)
            return "exists", "-"
        if kind == "model":
            sagemaker.describe_model(ModelName=name)
            return "exists", "-"
    except ClientError as exc:
        if not_found(exc):
            return "gone", ""
        raise
    return "recorded", "S3 storage"


def status(aws, state: State) -> list[tuple[str, str, str, str]]:
    """(kind, name, state, cost) of everything this project made, in the order it was made."""
    return [(e["kind"], e["name"], *describe(aws, e)) for e in state.entries if e["kind"] != "s3-object"] + (
        [("s3-object", f"{len(state.find('s3-object'))} objects uploaded", "recorded", "S3 storage")]
        if state.find("s3-object")
        else []
    )
