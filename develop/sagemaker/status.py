"""`bin/sagemaker.sh status`: what this project has on SageMaker (from sagemaker-state.json), each resource's state as
SageMaker reports it now, what it costs per hour while it exists, and its production settings (VPC, KMS key, network
isolation, encrypted traffic) as SageMaker has them."""

from botocore.exceptions import ClientError

from . import prices, production, scaling
from .aws import not_found
from .state import State

RUNNING = {"InProgress", "Stopping"}
WARM = {"Available", "InUse"}  # a warm pool's states while it keeps instances


def describe(aws, entry: dict) -> tuple[str, str, str]:
    """(state, cost per hour, settings) of one entry; ("gone", "", "") when SageMaker no longer has it."""
    kind, name = entry["kind"], entry["name"]
    sagemaker = aws.in_region(entry["region"]).sagemaker
    try:
        if kind == "training-job":
            found = sagemaker.describe_training_job(TrainingJobName=name)
            status = found["TrainingJobStatus"]
            cost = prices.per_hour(entry["instance_type"], entry["instance_count"]) if status in RUNNING else "-"
            if found.get("WarmPoolStatus", {}).get("Status") in WARM:  # kept instances bill as a running job's
                cost = prices.per_hour(entry["instance_type"], entry["instance_count"]) + " (warm pool)"
            return f"{status} ({found.get('SecondaryStatus', '')})", cost, production.summary(found)
        if kind == "processing-job":
            found = sagemaker.describe_processing_job(ProcessingJobName=name)
            status = found["ProcessingJobStatus"]
            cost = prices.per_hour(entry["instance_type"], entry["instance_count"]) if status in RUNNING else "-"
            return status, cost, production.summary(found)
        if kind == "transform-job":
            found = sagemaker.describe_transform_job(TransformJobName=name)
            status = found["TransformJobStatus"]
            cost = prices.per_hour(entry["instance_type"], entry["instance_count"]) if status in RUNNING else "-"
            return status, cost, production.summary(found)
        if kind == "endpoint":
            found = sagemaker.describe_endpoint(EndpointName=name)
            configuration = sagemaker.describe_endpoint_config(EndpointConfigName=found["EndpointConfigName"])
            variant = configuration["ProductionVariants"][0]
            if "ServerlessConfig" in variant:
                cost = "per inference second (serverless: nothing while idle)"
            else:
                cost = prices.per_hour(variant["InstanceType"], variant["InitialInstanceCount"])
            # the network is the model's, the volume's key the configuration's
            model = sagemaker.describe_model(ModelName=variant["ModelName"])
            settings = production.summary({**model, **configuration})
            if entry.get("scaling"):  # asked only of endpoints deploy scaled: others need no autoscaling permission
                found_scaling = scaling.registered(aws.in_region(entry["region"]), name, variant["VariantName"])
                settings = "; ".join(p for p in (settings, scaling.summary(found_scaling)) if p and p != "-") or "-"
            return f"{found['EndpointStatus']} ({found['EndpointConfigName']})", cost, settings
        if kind == "endpoint-config":
            found = sagemaker.describe_endpoint_config(EndpointConfigName=name)
            return "exists", "-", production.summary(found)
        if kind == "model":
            found = sagemaker.describe_model(ModelName=name)
            return "exists", "-", production.summary(found)
    except ClientError as exc:
        if not_found(exc):
            return "gone", "", ""
        raise
    return "recorded", "S3 storage", f"kms {entry['kms_key']}" if entry.get("kms_key") else "-"


def status(aws, state: State) -> list[tuple[str, str, str, str, str]]:
    """(kind, name, state, cost, settings) of everything this project made, in the order it was made."""
    objects = state.find("s3-object")
    keys = sorted({e["kms_key"] for e in objects if e.get("kms_key")})
    return [(e["kind"], e["name"], *describe(aws, e)) for e in state.entries if e["kind"] != "s3-object"] + (
        [
            (
                "s3-object",
                f"{len(objects)} objects uploaded",
                "recorded",
                "S3 storage",
                f"kms {','.join(keys)}" if keys else "-",
            )
        ]
        if objects
        else []
    )
