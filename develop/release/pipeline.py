"""`bin/release.sh VERSION`: the stages of a release after the two that need the user's machine (stages.py runs
test and build there, then this, in the :dev image with the engine's socket).

    python -P -m develop.release VERSION [--from STAGE] [--to STAGE] [--only STAGE] [--approved]
                                                [--model-data s3://.../model.tar.gz]

push (push.py: :dev-base to REGISTRY, its URI in image-uri.txt) -> train (or the model data given) -> evaluate it
(evaluate.py: `process evaluate` as a processing job, its figures against RELEASE_THRESHOLDS) -> register the
version in the Model Package Group (PendingManualApproval) -> deploy the staging endpoint -> smoke test it
(opt/ml/input/smoke-tests.json) -> approval (the package Approved in SageMaker, polled; or --approved, the build
server's own approval step, recorded on the package) -> update production
(blue/green, canary, rolled back by the alarms of RELEASE_ALARMS) -> a short report on stdout. Each stage prints its
start and end on stderr. A failing stage stops the release with exit code 1 (2: a setting or an argument), and
production is only touched by its own stage, which runs only for an approved package.

Every stage finds what it needs in SageMaker (the package of VERSION) or in release-state.json (what the releases
made, as sagemaker-state.json is for bin/sagemaker.sh, and apart from it: its destroy never deletes an endpoint a
release made), so a build server may run each stage as a step of its own (--only).
"""

import dataclasses
import os
import signal
import sys
import time
from pathlib import Path

import botocore.exceptions
from botocore.exceptions import ClientError

from develop.sagemaker import scaling, waiting
from develop.sagemaker.aws import Aws
from develop.sagemaker.config import Config, ConfigError
from develop.sagemaker.deploy import MAX_ALARMS, VARIANT, deploy, describe_endpoint
from develop.sagemaker.names import TAG_KEY
from develop.sagemaker.predict import predict
from develop.sagemaker.state import State
from develop.sagemaker.train import Interrupted, train

from . import evaluate, push, registry, smoke
from .stages import HOST, INTERRUPTED, arguments, say

STATE_FILE = "release-state.json"
IMAGE_FILE = push.IMAGE_FILE  # what the push stage writes, for the stages after it


class StageFailed(Exception):
    """A stage did not do its job; the message says why and what was left as it was."""


@dataclasses.dataclass(frozen=True)
class Failure:
    """What stopped a release: the stage, why, and whether it was Ctrl-C (or docker stop) rather than a failure."""

    stage: str
    reason: str
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        return INTERRUPTED if self.interrupted else 1

    def __str__(self) -> str:
        return f"{self.stage}: {self.reason}"


def number(environ: dict, name: str, default: int, low: int, high: int) -> int:
    text = environ.get(name) or str(default)
    if not text.isdigit() or not low <= int(text) <= high:
        raise ConfigError(f"{name}={text!r}: give a whole number from {low} to {high}")
    return int(text)


@dataclasses.dataclass(frozen=True)
class Settings:
    """The release's own settings, read and checked before any call."""

    alarms: tuple[str, ...]
    canary_percent: int
    bake_seconds: int
    approval_timeout: int
    thresholds: tuple[evaluate.Threshold, ...] = ()

    @classmethod
    def read(cls, environ: dict) -> "Settings":
        alarms = tuple(a.strip() for a in environ.get("RELEASE_ALARMS", "").split(",") if a.strip())
        if len(alarms) > MAX_ALARMS:
            raise ConfigError(f"RELEASE_ALARMS names more than {MAX_ALARMS} alarms (AutoRollbackConfiguration's limit)")
        return cls(
            alarms=alarms,
            canary_percent=number(environ, "RELEASE_CANARY_PERCENT", 10, 1, 99),
            bake_seconds=number(environ, "RELEASE_BAKE_SECONDS", 600, 0, 3600),
            approval_timeout=number(environ, "APPROVAL_TIMEOUT", 3600, 1, 30 * 86400),
            thresholds=evaluate.thresholds(environ),
        )


@dataclasses.dataclass(kw_only=True)
class Run:
    """What every stage has: the version, the project, the settings' environment, and what this run did."""

    version: str
    project: Path
    environ: dict
    done: list = dataclasses.field(default_factory=list)  # (stage, seconds, outcome)


@dataclasses.dataclass(kw_only=True)
class Release(Run):
    """A run with SageMaker's stages in it: AWS connected, the settings checked."""

    aws: Aws
    state: State
    config: Config  # production's: its endpoint is ENDPOINT_NAME (default: the image's name)
    settings: Settings
    approved: bool = False
    model_data: str | None = None

    @property
    def group(self) -> str:
        return registry.group_name(self.config, self.environ)

    @property
    def staging(self) -> Config:
        name = self.environ.get("STAGING_ENDPOINT_NAME") or f"{self.config.endpoint_name}-staging"
        return dataclasses.replace(self.config, endpoint=name)

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


def stage_push(run: Run) -> str:
    image = push.push(run.version, run.environ)
    push.write_image_file(run.project, image)
    return f"pushed {image} ({IMAGE_FILE})"


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


def stage_evaluate(release: Release) -> str:
    limits = release.settings.thresholds
    if not evaluate.has_process(release.project):
        if limits:
            raise ConfigError(
                f"{evaluate.VARIABLE} is set and algorithm.py has no process(job) to evaluate the model with: "
                "write its `process evaluate` (docs/how-to/processing.md), or unset the thresholds"
            )
        return "skipped: algorithm.py has no process(job) (docs/how-to/processing.md)"
    image = release.image()
    model = trained_model(release, image)
    try:
        name, uri, found = evaluate.evaluate(release.aws, release.state, release.config, image, model)
        figures = evaluate.check(found, limits)
    except evaluate.EvaluationFailed as exc:
        raise StageFailed(f"{exc} (model {model}): nothing is registered") from None
    evaluate.passed(release.state, name, model, uri)
    met = f"; {len(limits)} threshold(s) met" if limits else "; no threshold set"
    return f"{figures}{met} ({uri})"


def stage_register(release: Release) -> str:
    image = release.image()
    model = trained_model(release, image)
    metrics = evaluate.model_metrics(release.state, model)
    if metrics is None and release.settings.thresholds:
        raise ConfigError(
            f"{evaluate.VARIABLE} is set and model {model} has no evaluation that met them: run the evaluate stage "
            f"(bin/release.sh --from evaluate {release.version})"
        )
    arn = registry.register(
        release.aws,
        release.config,
        release.group,
        release.version,
        image,
        model,
        release.config.endpoint_instance_type,
        metrics,
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
    timeout = release.settings.approval_timeout
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
    settings = release.settings
    capacity = kept_scaling(release, release.config)
    try:
        endpoint = deploy_package(
            release,
            release.config,
            package,
            **capacity,
            strategy="canary",
            canary_percent=settings.canary_percent,
            bake_seconds=settings.bake_seconds,
            alarms=settings.alarms,
            wait_timeout=3600 + 2 * settings.bake_seconds,
        )
    except waiting.WaitFailed as exc:
        raise StageFailed(f"production: {exc}") from None
    alarms = settings.alarms
    rollback = f"rollback on {', '.join(alarms)}" if alarms else "no alarm: no automatic rollback"
    return f"production endpoint {endpoint} serves version {release.version} ({rollback})"


def kept_scaling(release: Release, config: Config) -> dict:
    """The production endpoint's autoscaling, whoever registered it (a release, the console): recorded, so that deploy
    keeps it across the blue/green update, and the new fleet starts with as many instances as the old one serves with
    (not one, which the scaling would only grow back from under load). {} when it is not scaled."""
    adopt(release, config)
    found = describe_endpoint(release.aws, config.endpoint_name)
    if found is None or not release.state.find("endpoint", name=config.endpoint_name):
        return {}
    kept = scaling.registered(release.aws, config.endpoint_name, VARIANT)
    if kept is None:
        return {}
    release.state.update("endpoint", config.endpoint_name, scaling=True)
    serving = max((v.get("CurrentInstanceCount", 1) for v in found.get("ProductionVariants", [])), default=1)
    print(
        f"production endpoint {config.endpoint_name}: its {scaling.summary(kept)} is kept across the update, which "
        f"starts with {serving} instance(s)",
        file=sys.stderr,
        flush=True,
    )
    return {"instance_count": min(max(serving, kept.minimum), kept.maximum)}


def stage_report(release: Release) -> str:
    print(report(release, None), flush=True)
    return "printed"


RUN = {
    "push": stage_push,
    "train": stage_train,
    "evaluate": stage_evaluate,
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


def report(release: Release, failure: Failure | None) -> str:
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
        statistics = package.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics")
        lines.append(f"  evaluation {statistics['S3Uri'] if statistics else 'none attached'}")
    lines.append(f"  staging    {endpoint_line(release, release.staging.endpoint_name)}")
    lines.append(f"  production {endpoint_line(release, release.config.endpoint_name)}")
    return "\n".join(lines)


# --- the command line -----------------------------------------------------------------------------------------------


def run(release: Run, stages: list[str]) -> Failure | None:
    """Runs the stages in order; returns None, or the failure that stopped them."""
    for stage in stages:
        say(release.version, f"stage {stage} started")
        started = time.monotonic()
        try:
            outcome = RUN[stage](release)
        except (KeyboardInterrupt, Interrupted) as exc:  # Interrupted: a job stopped on SageMaker after Ctrl-C
            reason = str(exc) if isinstance(exc, Interrupted) else "stopped (Ctrl-C)"
            release.done.append((stage, time.monotonic() - started, "STOPPED"))
            say(release.version, f"stage {stage} STOPPED: {reason}")
            return Failure(stage, reason, interrupted=True)
        except (StageFailed, registry.Rejected, waiting.WaitFailed, ConfigError, push.PushFailed) as exc:
            release.done.append((stage, time.monotonic() - started, "FAILED"))
            say(release.version, f"stage {stage} FAILED: {exc}")
            return Failure(stage, str(exc))
        except (ClientError, botocore.exceptions.BotoCoreError) as exc:  # AWS refused, or could not be reached
            reason = str(exc)
            if isinstance(exc, ClientError):
                error = exc.response.get("Error", {})
                reason = f"{exc.operation_name} failed: {error.get('Code', '')}: {error.get('Message', '')}"
            release.done.append((stage, time.monotonic() - started, "FAILED"))
            say(release.version, f"stage {stage} FAILED: {reason}")
            return Failure(stage, reason)
        seconds = time.monotonic() - started
        release.done.append((stage, seconds, outcome))
        say(release.version, f"stage {stage} done in {seconds:.1f} s: {outcome}")
    return None


def main(argv: list[str], project: Path | None = None, aws: Aws | None = None, environ: dict | None = None) -> int:
    args = arguments(argv)
    stages = [stage for stage in args.stages if stage not in HOST]  # stages.py ran those, on the user's machine
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # docker stop: as Ctrl-C (a training job is stopped)
    environ = dict(os.environ if environ is None else environ)
    project = Path(project or environ.get("PROJECT_DIR") or Path.cwd()).resolve()
    release = Run(version=args.version, project=project, environ=environ)
    try:
        if set(stages) - {"push"}:  # SageMaker's stages: AWS and their settings, checked before any stage
            config = Config.load(project, environ)
            config.require_role()
            settings = Settings.read(environ)
            release = Release(
                version=args.version,
                project=project,
                environ=environ,
                aws=aws or Aws.connect(config),
                state=State(project / STATE_FILE),
                config=config,
                settings=settings,
                approved=args.approved,
                model_data=args.model_data,
            )
    except ConfigError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    failure = run(release, stages)
    if failure:
        if isinstance(release, Release):
            print(report(release, failure), flush=True)
        print(f"error: {' '.join(str(failure).split())}", file=sys.stderr)
        return failure.exit_code
    return 0
