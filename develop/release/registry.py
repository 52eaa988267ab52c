"""The Model Registry side of a release: one Model Package Group per project, one model package per released version
(what was trained, with the image pinned by its digest), and its approval, which is what lets it reach production.

A package records its version in CustomerMetadataProperties, so that any later stage, on any machine (a build server's
next job, a person's shell), finds the package of a version in SageMaker itself rather than in a local file.
"""

import re
import sys

from botocore.exceptions import ClientError

from develop.sagemaker import waiting
from develop.sagemaker.algorithm import specification
from develop.sagemaker.aws import not_found
from develop.sagemaker.config import Config, ConfigError
from develop.sagemaker.names import tags

PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"
# ECR image URIs: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]/REPOSITORY:TAG, as bin/docker-push.sh reads them.
ECR_IMAGE = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/(?P<repo>[^:@]+):(?P<tag>[\w.-]+)"
)
PAGES = 20  # ListModelPackages pages looked through for a version (100 packages each): a bound, not a limit in use


class Rejected(Exception):
    """The package of the version was rejected: the message says by whom and why, as SageMaker has it."""


def group_name(config: Config, environ: dict) -> str:
    return environ.get("MODEL_PACKAGE_GROUP") or config.name


def image_digest(aws, image: str) -> str:
    """The digest ECR holds for the image's tag: what the package pins, whatever the tag is later pushed over with."""
    found = ECR_IMAGE.fullmatch(image)
    if not found:
        raise ConfigError(
            f"{image} is not an ECR image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:VERSION): "
            "SageMaker trains and serves images from ECR"
        )
    try:
        details = aws.client("ecr").describe_images(
            registryId=found["account"], repositoryName=found["repo"], imageIds=[{"imageTag": found["tag"]}]
        )["imageDetails"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("ImageNotFoundException", "RepositoryNotFoundException"):
            raise ConfigError(
                f"{image} is not in ECR: run the push stage (bin/release.sh --only push VERSION)"
            ) from None
        raise
    return details[0]["imageDigest"]


def ensure_group(aws, config: Config, group: str) -> None:
    try:
        aws.sagemaker.describe_model_package_group(ModelPackageGroupName=group)
    except ClientError as exc:
        if not not_found(exc):
            raise
        aws.sagemaker.create_model_package_group(
            ModelPackageGroupName=group,
            ModelPackageGroupDescription=f"the released versions of {config.name} (bin/release.sh)",
            Tags=tags(config),
        )
        print(f"created model package group {group}", file=sys.stderr, flush=True)


def package_of(aws, group: str, version: str) -> dict | None:
    """The description of the group's package of `version` (the newest, should there be several), or None."""
    try:
        aws.sagemaker.describe_model_package_group(ModelPackageGroupName=group)
    except ClientError as exc:
        if not_found(exc):
            return None
        raise
    request = {"ModelPackageGroupName": group, "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 100}
    for _ in range(PAGES):
        page = aws.sagemaker.list_model_packages(**request)
        for summary in page["ModelPackageSummaryList"]:
            found = aws.sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
            if (found.get("CustomerMetadataProperties") or {}).get("version") == version:
                return found
        if not page.get("NextToken"):
            return None
        request["NextToken"] = page["NextToken"]
    return None


def inference_specification(config: Config, image: str, digest: str, model_data: str, instance_type: str) -> dict:
    """The algorithm spec's InferenceSpecification (content types, instance types) with this release's container."""
    inference = specification(config.project, image)["InferenceSpecification"]
    supported = inference["SupportedRealtimeInferenceInstanceTypes"]
    if instance_type not in supported:
        raise ConfigError(
            f"ENDPOINT_INSTANCE_TYPE {instance_type} is not one of algorithm.py's instance types "
            f"({', '.join(supported)}): set INSTANCE_TYPES there or choose one of them"
        )
    inference["Containers"] = [{"Image": image, "ImageDigest": digest, "ModelDataUrl": model_data}]
    return inference


def refuse_registered(aws, group: str, version: str) -> None:
    existing = package_of(aws, group, version)
    if existing is not None:
        raise ConfigError(
            f"version {version} is registered already ({existing['ModelPackageArn']}, "
            f"{existing['ModelApprovalStatus']}): a version is released once, give a new one"
        )


def register(
    aws,
    config: Config,
    group: str,
    version: str,
    image: str,
    model_data: str,
    instance_type: str,
    model_metrics: dict | None = None,
) -> str:
    """Registers the version as a package PendingManualApproval, with its evaluation (ModelMetrics) when there is one;
    returns its ARN. A version is registered once."""
    refuse_registered(aws, group, version)
    inference = inference_specification(config, image, image_digest(aws, image), model_data, instance_type)
    ensure_group(aws, config, group)
    arn = aws.sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription=f"{config.name} {version}",
        InferenceSpecification=inference,
        ModelApprovalStatus=PENDING,
        CustomerMetadataProperties={"version": version},
        Tags=tags(config),
        **({"ModelMetrics": model_metrics} if model_metrics else {}),
    )["ModelPackageArn"]
    print(f"registered {arn} ({PENDING})", file=sys.stderr, flush=True)
    return arn


def approve(aws, package: dict, description: str) -> None:
    """Records an approval given outside SageMaker (the build server's own step) on the package."""
    aws.sagemaker.update_model_package(
        ModelPackageArn=package["ModelPackageArn"],
        ModelApprovalStatus=APPROVED,
        ApprovalDescription=description,
        # unchanged; said again because an update without them may drop them (moto does), and the version lives there
        CustomerMetadataProperties=package.get("CustomerMetadataProperties") or {},
    )


def wait_for_approval(aws, package: dict, timeout: float) -> dict:
    """Polls the package until it is Approved (returned) or Rejected (Rejected raised), for at most `timeout` s."""
    arn = package["ModelPackageArn"]
    version = (package.get("CustomerMetadataProperties") or {}).get("version", "VERSION")

    def describe() -> dict:
        found = aws.sagemaker.describe_model_package(ModelPackageName=arn)
        return {**found, "FailureReason": found.get("ApprovalDescription") or "no reason given"}

    try:
        return waiting.wait(
            describe,
            what=f"model package {arn}",
            status_key="ModelApprovalStatus",
            done={APPROVED},
            failed={REJECTED},
            timeout=timeout,
        )
    except waiting.WaitFailed as exc:
        if f"is {REJECTED}:" in str(exc):
            raise Rejected(str(exc)) from None
        raise waiting.WaitFailed(
            f"model package {arn} was not approved within {timeout:g} s: approve it in SageMaker (Studio, or aws "
            f"sagemaker update-model-package --model-package-arn {arn} --model-approval-status Approved), then "
            f"run bin/release.sh --from approval {version}"
        ) from None


def pinned_image(container: dict) -> str:
    """The package's image by digest (REPOSITORY@sha256:...): what was approved, whatever its tag names later."""
    return f"{container['Image'].rsplit(':', 1)[0]}@{container['ImageDigest']}"
