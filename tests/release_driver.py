"""Runs bin/release.sh's SageMaker stages (develop/release/pipeline.py) in-process against moto's server; run by
tests/test_release.py with the AWS tools' Python (boto3, moto), as tests/sagemaker_driver.py runs bin/sagemaker.sh's.

    python release_driver.py PROJECT RECORD [COMMAND-LINE ...]

Each COMMAND-LINE is a JSON list of release arguments, or ["@image", VERSION] (the push stage's image-uri.txt), or
["@fresh-clone"] (release-state.json removed, as in a build server's next workspace), or ["@scale", ENDPOINT, MIN,
MAX, TARGET] (someone registers autoscaling on the endpoint, in the console, unrecorded), or ["@scaling", ENDPOINT]
(prints {"scaling": [MIN, MAX, TARGET] or null}, as Application Auto Scaling has it).

Prints one JSON line per release run: {"argv", "code", "stdout", "stderr"}; RECORD receives every request sent.

AWS is moto's server (tests/sagemaker_driver.py's, with UpdateEndpoint done on its backend), plus what the platform and
the people around a release do, on moto's backend and unrecorded:
- IMAGES: the versions bin/docker-push.sh pushed to ECR before the release ran (comma-separated);
- ENDPOINT_RESULTS: what the endpoints answer (moto's queue, in the order of the distinct requests);
- DECISION "Approved@N" or "Rejected@N:why": a person approves or rejects the package in SageMaker, once N
  descriptions of it have shown it pending;
- FOREIGN_ENDPOINT: an endpoint of that name that someone else made (not tagged as this project's);
- ROLLBACK_ENDPOINT "NAME:why": an update of that endpoint is rolled back by its alarm, as SageMaker's auto-rollback
  does (the endpoint keeps its configuration and says why).
"""

import hashlib
import json
import os
import sys
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))
from captured_command import captured  # noqa: E402
from sagemaker_driver import (  # noqa: E402
    ACCOUNT,
    REGION,
    answered,
    fill_in_for_moto,
    prepare_aws,
    sagemaker_backend,
    session,
    start_moto,
)

from develop.release import pipeline as release  # noqa: E402
from develop.sagemaker import scaling, waiting  # noqa: E402
from develop.sagemaker.aws import Aws  # noqa: E402

REPOSITORY = "sagemaker-algorithm"


def image(version: str) -> str:
    return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}:{version}"


def push_images(versions: list[str]) -> dict[str, str]:
    """The images the push stage left in ECR: version -> digest (ECR's, of the manifest)."""
    ecr = boto3.Session(region_name=REGION).client("ecr")
    ecr.create_repository(repositoryName=REPOSITORY)
    digests = {}
    for version in versions:
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": "sha256:" + hashlib.sha256(version.encode()).hexdigest(), "size": 1},
                "layers": [],
            }
        )
        found = ecr.put_image(repositoryName=REPOSITORY, imageManifest=manifest, imageTag=version)
        digests[version] = found["image"]["imageId"]["imageDigest"]
    return digests


def foreign_endpoint(name: str) -> None:
    sagemaker = boto3.Session(region_name=REGION).client("sagemaker")
    sagemaker.create_model(
        ModelName="theirs",
        PrimaryContainer={"Image": image("0.1"), "ModelDataUrl": "s3://theirs/model.tar.gz"},
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/Theirs",
    )
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": "theirs",
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
    }
    sagemaker.create_endpoint_config(EndpointConfigName="theirs", ProductionVariants=[variant])
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName="theirs")


def people_and_platform(made: boto3.Session) -> None:
    """DECISION and ROLLBACK_ENDPOINT (see above), through botocore's events as tests/sagemaker_driver.py does."""
    decision, _, after = os.environ.get("DECISION", "").partition("@")
    polls = []

    def decide(parsed, **_):
        if decision and parsed.get("ModelApprovalStatus") == "PendingManualApproval":
            polls.append(1)
            if len(polls) == int(after.split(":", 1)[0]):
                package = sagemaker_backend().model_packages[parsed["ModelPackageArn"]]
                package.model_approval_status = decision
                package.approval_description = after.partition(":")[2] or None

    def roll_back(params, **_):
        name, _, why = os.environ.get("ROLLBACK_ENDPOINT", "").partition(":")
        request = json.loads(params["body"])
        if request["EndpointName"] != name:
            return None  # tests/sagemaker_driver.py's handler switches the configuration
        endpoint = sagemaker_backend().endpoints[name]
        endpoint.failure_reason = why
        return answered({"EndpointArn": endpoint.arn})

    made.events.register("after-call.sagemaker.DescribeModelPackage", decide)
    made.events.register("before-call.sagemaker.UpdateEndpoint", roll_back)  # before the driver's: it goes first


def run(argv: list[str], project: Path, aws: Aws) -> dict:
    """One release as bin/release.sh runs it, its output captured."""
    return captured(release.main, argv, project, aws)


def main(args: list[str]) -> None:
    project, record = Path(args[0]), Path(args[1])
    start_moto()
    made = session(record)
    prepare_aws()
    digests = push_images([v for v in os.environ.get("IMAGES", "").split(",") if v])
    if os.environ.get("FOREIGN_ENDPOINT"):
        foreign_endpoint(os.environ["FOREIGN_ENDPOINT"])
    people_and_platform(made)
    fill_in_for_moto(made)
    waiting.DELAY = 0.01
    aws = Aws(made)
    print(json.dumps({"digests": digests}), flush=True)
    for line in args[2:]:
        argv = json.loads(line)
        if argv[0] == "@image":
            (project / release.IMAGE_FILE).write_text(image(argv[1]) + "\n")
        elif argv[0] == "@fresh-clone":
            (project / release.STATE_FILE).unlink()
        elif argv[0] == "@scale":
            limits = scaling.Scaling(minimum=int(argv[2]), maximum=int(argv[3]), target=float(argv[4]))
            scaling.register(Aws(boto3.Session(region_name=REGION)), argv[1], "AllTraffic", limits)
        elif argv[0] == "@scaling":
            found = scaling.registered(Aws(boto3.Session(region_name=REGION)), argv[1], "AllTraffic")
            print(json.dumps({"scaling": found and [found.minimum, found.maximum, found.target]}), flush=True)
        else:
            print(json.dumps(run(argv, project, aws)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
