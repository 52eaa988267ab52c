"""`bin/release.sh VERSION`: the SageMaker stages of a release, after bin/release.sh's own test, build and push.

    python -P -m develop.release VERSION [--from STAGE] [--to STAGE] [--only STAGE] [--approved]
                                                [--model-data s3://.../model.tar.gz]

train (or the model data given) -> register the version in the Model Package Group (PendingManualApproval) -> deploy
the staging endpoint -> smoke test it (opt/ml/input/smoke-tests.json) -> approval (the package Approved in SageMaker,
polled; or --approved, the build server's own approval step, recorded on the package) -> update production
(blue/green, canary, rolled back by the alarms of RELEASE_ALARMS) -> a short report on stdout. Each stage prints its
start and end on stderr. A failing stage stops the release with exit code 1 (2: a setting or an argument), and
production is only touched by its own stage, which runs only for an approved package.

Every stage finds what it needs in SageMaker (the package of VERSION) or in release-state.json (what the releases
made, as sagemaker-state.json is for bin/sagemaker.sh, and apart from it: its destroy never deletes an endpoint a
release made), so a build server may run each stage as a step of its own (--only).
"""

import argparse
import dataclasses
import os
import signal
import sys
import time
from pathlib import Path

import botocore.exceptions
from botocore.exceptions import ClientError

from develop.sagemaker import waiting
from develop.sagemaker.aws import Aws
from develop.sagemaker.config import Config, ConfigError
from develop.sagemaker.deploy import deploy, describe_endpoint
from develop.sagemaker.names import TAG_KEY
from develop.sagemaker.predict import predict
from develop.sagemaker.state import State
from develop.sagemaker.train import Interrupted, train

from . import registry, smoke

PROG = "bin/release.sh"
# Every stage of a release, in order; bin/release.sh runs the first three itself (its bin/ commands).
STAGES = ("test", "build", "push", "train", "register", "staging", "smoke", "approval", "production", "report")
LOCAL = STAGES[:3]
STATE_FILE = "release-state.json"
IMAGE_FILE = "image-uri.txt"  # what the push stage writes: bin/docker-push.sh VERSION > image-uri.txt
DEFAULTS = {
    "RELEASE_CANARY_PERCENT": "10",
    "RELEASE_BAKE_SECONDS": "600",
    "APPROVAL_TIMEOUT": "3600",
}


class StageFailed(Exception):
    """A stage did not do its job; the message says why and what was left as it was."""


@dataclasses.dataclass
class Release:
    aws: object
    state: State
    config: Config  # production's: its endpoint is ENDPOINT_NAME (default: the image's name)
    version: str
    approved: bool = False
    model_data: str | None = None
    environ: dict = dataclasses.field(default_factory=lambda: dict(os.environ))
    done: list = dataclasses.field(default_factory=list)  # (stage, seconds, outcome)

    @property
    def group(self) -> str:
        return registry.group_name(self.config, self.environ)

    @property
    def staging(self) -> Config:
        name = self.environ.get("STAGING_ENDPOINT_NAME") or f"{self.config.endpoint_name}-staging"
        return dataclasses.replace(self.config, endpoint=name)

    @property
    def alarms(self) -> tuple[str, ...]:
        return tuple(a.strip() for a in self.environ.get("RELEASE_ALARMS", "").split(",") if a.strip())

    def number(self, name: str, low: int, high: int) -> int:
        text = self.environ.get(name) or DEFAULTS[name]
        if not text.isdigit() or not low <= int(text) <= high:
            raise ConfigError(f"{name}={text!r}: give a whole number from {low} to {high}")
        return int(text)

    def check(self) -> None:
        """The settings, checked before any call."""
        self.config.require_role()
        if len(self.alarms) > 10:
            raise ConfigError("RELEASE_ALARMS names more than 10 alarms (AutoRollbackConfiguration's limit)")
        self.number("RELEASE_CANARY_PERCENT", 1, 99)
        self.number("RELEASE_BAKE_SECONDS", 0, 3600)
        self.number("APPROVAL_TIMEOUT", 1, 30 * 86400)

    def image(self) -> str:
        """image-uri.txt's image, which must be this version's."""
        path = self.config.project / IMAGE_FILE
        image = path.read_text().strip() if path.exists() else ""
        if not image:
            raise ConfigError(f"{IMAGE_FILE} is missing: the push stage writes it (bin/release.sh --only push VERSION)")
        if not image.endswith(f":{self.version}"):
            raise ConfigError(f"{IMAGE_FILE} names {image}, not version {self.version}: push this version first")
        return image

    def package(self) -> dict:
        found = registry.package_of(self.aws, self.group, self.version)
        if found is None:
            raise ConfigError(
                f"version {self.version} is not in model package group {self.group}: run the register stage"
            )
        return found


# --- the stages -------------------------------------------------------------------------------------------------------


def stage_train(release: Release) -> str:
    registry.refuse_registered(release.aws, release.group, release.version)  # before a training job is paid for
    if release.model_data:
        return f"model data given: {release.model_data}"
    model = train(release.aws, release.state, release.config, image=release.image())
    return f"trained {model}"


def trained_model(release: Release, image: str) -> str:
    """The model data of this release: given, or this image's last completed training in release-state.json."""
    if release.model_data:
        return release.model_data
    for job in reversed(release.state.find("training-job", image=image)):
        if job.get("model_data"):
            return job["model_data"]
    raise ConfigError(f"no model trained with {image}: run the train stage, or give --model-data s3://...")


def stage_register(release: Release) -> str:
    image = release.image()
    arn = registry.register(
        release.aws,
        release.config,
        release.group,
        release.version,
        image,
        trained_model(release, image),
        release.config.endpoint_instance_type,
    )
    return f"registered {arn} ({registry.PENDING})"


def adopt(release: Release, config: Config) -> None:
    """An endpoint a release made on another machine (this project's tag on it) is this release's to update; one
    without the tag is someone else's, and deploy refuses to touch it."""
    name = config.endpoint_name
    if release.state.find("endpoint", name=name):
        return
    found = describe_endpoint(release.aws, name)
    if found is None:
        return
    tags = release.aws.sagemaker.list_tags(ResourceArn=found["EndpointArn"]).get("Tags", [])
    if {"Key": TAG_KEY, "Value": config.name} in tags:
        release.state.add("endpoint", name, release.aws.region, adopted=True)


def deploy_package(release: Release, config: Config, package: dict, **guardrails) -> str:
    container = package["InferenceSpecification"]["Containers"][0]
    adopt(release, config)
    return deploy(
        release.aws,
        release.state,
        config,
        model_data=container["ModelDataUrl"],
        image=registry.pinned_image(container),
        **guardrails,
    )


def stage_staging(release: Release) -> str:
    endpoint = deploy_package(release, release.staging, release.package())
    return f"staging endpoint {endpoint} serves version {release.version}"


def smoke_cases(project: Path) -> smoke.Smoke:
    try:
        return smoke.load(project)
    except smoke.SmokeError as exc:
        raise ConfigError(str(exc)) from None


def stage_smoke(release: Release) -> str:
    config = release.staging
    cases = smoke_cases(config.project)

    def post(payload: Path, sent: str, accept: str) -> tuple[int, bytes]:
        # predict() sends the payload with the same Content-Type, from its extension.
        try:
            return 200, predict(release.aws, release.state, config, payload, accept)
        except waiting.WaitFailed as exc:  # the container answered an error
            raise StageFailed(
                f"{payload.name} ({accept}): {exc}; staging endpoint {config.endpoint_name} is left up for inspection"
            ) from None

    for case in cases.cases:
        failed = smoke.check(smoke.Smoke(cases.path, [case], cases.tolerance), post)
        if failed:
            raise StageFailed(
                f"{failed[0]}; staging endpoint {config.endpoint_name} is left up for inspection (bin/sagemaker.sh "
                f"predict --endpoint {config.endpoint_name} ...)"
            )
        accept = case.accept or smoke.content_type(cases.payload(case))
        print(f"smoke: {case.payload} ({accept}): as expected", file=sys.stderr, flush=True)
    return f"{len(cases.cases)} payload(s) answered as expected by {config.endpoint_name}"


def stage_approval(release: Release) -> str:
    package = release.package()
    arn, status = package["ModelPackageArn"], package["ModelApprovalStatus"]
    if status == registry.REJECTED:
        raise registry.Rejected(
            f"model package {arn} is Rejected: {package.get('ApprovalDescription') or 'no reason given'}"
        )
    if status == registry.APPROVED:
        return f"{arn} was approved in SageMaker"
    if release.approved:
        who = release.environ.get("RELEASE_APPROVED_BY") or "the build server's approval step"
        registry.approve(release.aws, package, f"approved by {who} (bin/release.sh --approved)")
        return f"{arn} approved by {who}"
    timeout = release.number("APPROVAL_TIMEOUT", 1, 30 * 86400)
    print(f"waiting up to {timeout} s for the approval of {arn} in SageMaker", file=sys.stderr, flush=True)
    registry.wait_for_approval(release.aws, package, timeout)
    return f"{arn} was approved in SageMaker"


def stage_production(release: Release) -> str:
    package = release.package()
    if package["ModelApprovalStatus"] != registry.APPROVED:
        raise StageFailed(
            f"model package {package['ModelApprovalStatus']}, not Approved: production is left as it is (run the "
            "approval stage)"
        )
    bake = release.number("RELEASE_BAKE_SECONDS", 0, 3600)
    try:
        endpoint = deploy_package(
            release,
            release.config,
            package,
            strategy="canary",
            canary_percent=release.number("RELEASE_CANARY_PERCENT", 1, 99),
            bake_seconds=bake,
            alarms=release.alarms,
            wait_timeout=3600 + 2 * bake,
        )
    except waiting.WaitFailed as exc:
        raise StageFailed(f"production: {exc}") from None
    rollback = f"rollback on {', '.join(release.alarms)}" if release.alarms else "no alarm: no automatic rollback"
    return f"production endpoint {endpoint} serves version {release.version} ({rollback})"


def stage_report(release: Release) -> str:
    print(report(release, None), flush=True)
    return "printed"


RUN = {
    "train": stage_train,
    "register": stage_register,
    "staging": stage_staging,
    "smoke": stage_smoke,
    "approval": stage_approval,
    "production": stage_production,
    "report": stage_report,
}


# --- the report -------------------------------------------------------------------------------------------------------


def endpoint_line(release: Release, name: str) -> str:
    try:
        found = describe_endpoint(release.aws, name)
    except (ClientError, botocore.exceptions.BotoCoreError) as exc:
        return f"{name}: could not be described ({exc})"
    if found is None:
        return f"{name}: none"
    return f"{name}: {found['EndpointStatus']} ({found['EndpointConfigName']})"


def report(release: Release, failure: str | None) -> str:
    """What the release did in this run and where it leaves things, as read from SageMaker now."""
    lines = [f"release {release.version}: " + (f"FAILED at {failure}" if failure else "done")]
    for stage, seconds, outcome in release.done:
        lines.append(f"  {stage:<10} {seconds:6.1f} s  {outcome}")
    try:
        package = registry.package_of(release.aws, release.group, release.version)
    except (ClientError, botocore.exceptions.BotoCoreError) as exc:
        package, lines = None, [*lines, f"  package    could not be read: {exc}"]
    if package:
        container = package["InferenceSpecification"]["Containers"][0]
        lines.append(f"  package    {package['ModelPackageArn']} ({package['ModelApprovalStatus']})")
        lines.append(f"  image      {registry.pinned_image(container)}")
        lines.append(f"  model data {container['ModelDataUrl']}")
    lines.append(f"  staging    {endpoint_line(release, release.staging.endpoint_name)}")
    lines.append(f"  production {endpoint_line(release, release.config.endpoint_name)}")
    return "\n".join(lines)


# --- the command line -----------------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog=PROG, description="A version, from tests to production (docs/how-to/release.md)")
    top.add_argument("version", metavar="VERSION", help="the version to release (the image's tag), e.g. 1.2.0")
    top.add_argument("--from", dest="first", choices=STAGES, default=STAGES[0], help="the first stage to run")
    top.add_argument("--to", dest="last", choices=STAGES, default=STAGES[-1], help="the last stage to run")
    top.add_argument("--only", choices=STAGES, help="this stage alone")
    top.add_argument("--approved", action="store_true", help="the build server approved this version")
    top.add_argument("--model-data", help="s3://.../model.tar.gz: release this model instead of training one")
    return top


def stages_of(args: argparse.Namespace) -> list[str]:
    first, last = (args.only, args.only) if args.only else (args.first, args.last)
    if STAGES.index(first) > STAGES.index(last):
        raise ConfigError(f"--from {first} comes after --to {last}")
    return [s for s in STAGES[STAGES.index(first) : STAGES.index(last) + 1] if s not in LOCAL]


def check_arguments(args: argparse.Namespace) -> None:
    if args.version.lower() == "latest" or not args.version.strip():
        raise ConfigError("give the version released (e.g. 1.2.0), not 'latest'")
    if args.model_data and not (args.model_data.startswith("s3://") and len(args.model_data) > 5):
        raise ConfigError(f"--model-data {args.model_data!r} is not an S3 URI (s3://BUCKET/KEY)")


def run(release: Release, stages: list[str]) -> str | None:
    """Runs the stages in order; returns None, or the failure that stopped them (its stage and reason)."""
    for stage in stages:
        say(release, f"stage {stage} started")
        started = time.monotonic()
        try:
            outcome = RUN[stage](release)
        except KeyboardInterrupt:
            release.done.append((stage, time.monotonic() - started, "STOPPED"))
            say(release, f"stage {stage} stopped (Ctrl-C)")
            return f"{stage}: stopped (Ctrl-C)"
        except (StageFailed, registry.Rejected, waiting.WaitFailed, ConfigError, Interrupted) as exc:
            release.done.append((stage, time.monotonic() - started, "FAILED"))
            say(release, f"stage {stage} FAILED: {exc}")
            return f"{stage}: {exc}"
        except (ClientError, botocore.exceptions.BotoCoreError) as exc:  # AWS refused, or could not be reached
            reason = str(exc)
            if isinstance(exc, ClientError):
                error = exc.response.get("Error", {})
                reason = f"{exc.operation_name} failed: {error.get('Code', '')}: {error.get('Message', '')}"
            release.done.append((stage, time.monotonic() - started, "FAILED"))
            say(release, f"stage {stage} FAILED: {reason}")
            return f"{stage}: {reason}"
        seconds = time.monotonic() - started
        release.done.append((stage, seconds, outcome))
        say(release, f"stage {stage} done in {seconds:.1f} s: {outcome}")
    return None


def say(release: Release, text: str) -> None:
    print(f"== release {release.version}: {text}", file=sys.stderr, flush=True)


def main(argv: list[str], project: Path | None = None, aws: Aws | None = None, environ: dict | None = None) -> int:
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # docker stop: as Ctrl-C (a training job is stopped)
    environ = dict(os.environ if environ is None else environ)
    project = Path(project or environ.get("PROJECT_DIR") or Path.cwd()).resolve()
    try:
        check_arguments(args)
        stages = stages_of(args)
        config = Config.load(project, environ)
        release = Release(
            aws=None,
            state=State(project / STATE_FILE),
            config=config,
            version=args.version,
            approved=args.approved,
            model_data=args.model_data,
            environ=environ,
        )
        release.check()
        release.aws = aws or Aws.connect(config)
    except ConfigError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    if not stages:
        return 0
    failure = run(release, stages)
    if failure:
        print(report(release, failure), flush=True)
        print(f"error: {' '.join(failure.split())}", file=sys.stderr)
        return 130 if failure.endswith("(Ctrl-C)") else 1
    return 0
