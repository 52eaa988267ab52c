"""`bin/sagemaker.sh train`: the channels of opt/ml/input/data to S3, a training job with the pushed image, its logs and
status changes while it runs, and the model's S3 URI (stdout) when it completes. Ctrl-C stops the job on SageMaker."""

import json
import sys
from pathlib import Path

from . import production, s3sync, waiting
from .algorithm import Algorithm
from .cloudwatch import LogTail
from .config import Config, ConfigError, common_content_type
from .names import tags, unique_name
from .state import State

CHECKPOINTS = "/opt/ml/checkpoints"  # the container's folder SageMaker syncs with the checkpoint location
STOP_TIMEOUT = 600  # a stopped job gets SIGTERM, then SIGKILL 120 s later, then uploads: enough to see it Stopped
KEEP_ALIVE_MAX = 3600  # ResourceConfig.KeepAlivePeriodInSeconds' limit
PROVISIONING = 3600  # what a wait allows beyond the job's own limits: instances, image pull, data download, upload


class Interrupted(Exception):
    """Ctrl-C: what was done about it is the message."""


def hyperparameters(project: Path) -> dict[str, str]:
    """opt/ml/input/config/hyperparameters.json, its values as the strings SageMaker passes."""
    path = project / "opt" / "ml" / "input" / "config" / "hyperparameters.json"
    if not path.exists():
        return {}
    try:
        found = json.loads(path.read_text())
    except ValueError as exc:
        raise ConfigError(f"{path} is not JSON: {exc}") from None
    if not isinstance(found, dict):
        raise ConfigError(f"{path} must hold one JSON object of name: value")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in found.items()}


def training_request(
    config: Config,
    algorithm: Algorithm,
    name: str,
    image: str,
    channels: dict[str, str],
    hyperparameters: dict[str, str],
    *,
    instance_type: str,
    instance_count: int,
    input_mode: str,
    volume_gb: int,
    max_runtime: int,
    spot: bool,
    max_wait: int | None,
    uncompressed: bool = False,
    keep_alive: int | None = None,
) -> dict:
    """CreateTrainingJob's request. `channels`: channel -> ContentType; the data is under S3 prefix data/<channel>/."""
    request = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {
            "TrainingImage": image,
            "TrainingInputMode": input_mode,
            "MetricDefinitions": algorithm.metric_definitions,
        },
        "RoleArn": config.require_role(),
        "InputDataConfig": [
            {
                "ChannelName": channel,
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": config.s3_uri("data", channel) + "/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "ContentType": content_type,
                "CompressionType": "None",
                "InputMode": input_mode,
            }
            for channel, content_type in channels.items()
        ],
        "OutputDataConfig": {"S3OutputPath": config.s3_uri("output") + "/"},
        "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": instance_count, "VolumeSizeInGB": volume_gb},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
        "HyperParameters": hyperparameters,
        "Tags": tags(config),
    }
    production.training(request, config.production)
    if keep_alive:
        if not 0 < keep_alive <= KEEP_ALIVE_MAX:
            raise ConfigError(f"--keep-alive {keep_alive}: a warm pool is kept 1 to {KEEP_ALIVE_MAX} seconds")
        if spot:
            raise ConfigError("--keep-alive: SageMaker keeps no warm pool for managed spot training: drop --spot")
        request["ResourceConfig"]["KeepAlivePeriodInSeconds"] = keep_alive
    if uncompressed:  # the model's files as they are, under a prefix: no packing, no unpacking at the endpoint
        request["OutputDataConfig"]["CompressionType"] = "NONE"
    if spot:
        wait_limit = max_wait or 2 * max_runtime
        if wait_limit < max_runtime:
            raise ConfigError(f"--max-wait {wait_limit} is shorter than --max-runtime {max_runtime}: spot needs more")
        request["EnableManagedSpotTraining"] = True
        request["StoppingCondition"]["MaxWaitTimeInSeconds"] = wait_limit
        request["CheckpointConfig"] = {"S3Uri": config.s3_uri("checkpoints", name) + "/", "LocalPath": CHECKPOINTS}
    return request


def train(
    aws,
    state: State,
    config: Config,
    *,
    image: str | None = None,
    instance_type: str | None = None,
    instance_count: int = 1,
    input_mode: str = "File",
    volume_gb: int = 30,
    max_runtime: int = 86400,
    spot: bool = False,
    max_wait: int | None = None,
    wait_timeout: float | None = None,
    uncompressed: bool = False,
    keep_alive: int | None = None,
) -> str:
    """Runs a training job on this project's data and algorithm; returns the model's S3 URI."""
    config.require_role()
    config.require_bucket()
    config.production.check_region(aws.region)
    data = config.project / "opt" / "ml" / "input" / "data"
    spec = Algorithm.of(config.project, image)
    image = spec.image
    present = sorted(p.name for p in data.iterdir() if p.is_dir() and s3sync.files_under(p)) if data.is_dir() else []
    missing = [c for c, required in spec.channels.items() if required and c not in present]
    if missing:
        raise ConfigError(f"channel {missing[0]} is required by algorithm.py and {data / missing[0]} has no files")
    # A channel's ContentType: its files' extension's when they agree, else what algorithm.py reads first.
    channels = {
        c: common_content_type(config.project, [p for p, _ in s3sync.files_under(data / c)])
        or spec.training_content_types[0]
        for c in present
    }
    name = unique_name(config)
    request = training_request(
        config,
        spec,
        name,
        image,
        channels,
        hyperparameters(config.project),
        instance_type=instance_type or config.training_instance_type,
        instance_count=instance_count,
        input_mode=input_mode,
        volume_gb=volume_gb,
        max_runtime=max_runtime,
        spot=spot,
        max_wait=max_wait,
        uncompressed=uncompressed,
        keep_alive=keep_alive,
    )
    for channel in channels:
        s3sync.upload_folder(
            aws, state, data / channel, config.s3_uri("data", channel), kms_key=config.production.kms_key
        )

    aws.sagemaker.create_training_job(**request)
    resources = request["ResourceConfig"]
    state.add(
        "training-job",
        name,
        aws.region,
        image=image,
        instance_type=resources["InstanceType"],
        instance_count=instance_count,
        **({"keep_alive": keep_alive} if keep_alive else {}),
    )
    state.add("s3-prefix", config.s3_uri("output", name), aws.region)
    if spot:
        state.add("s3-prefix", request["CheckpointConfig"]["S3Uri"].rstrip("/"), aws.region)
    print(f"started training job {name} ({image})", file=sys.stderr, flush=True)
    limit = request["StoppingCondition"].get("MaxWaitTimeInSeconds", max_runtime)
    found = follow(aws, name, wait_timeout or limit + PROVISIONING)
    model = found["ModelArtifacts"]["S3ModelArtifacts"]
    if uncompressed and not model.endswith("/"):  # a prefix: deploy serves it as uncompressed model data
        model += "/"
    state.update("training-job", name, model_data=model)
    return model


def follow(aws, name: str, timeout: float) -> dict:
    """Waits for the job with its logs and status changes; Ctrl-C stops it on SageMaker and says so."""
    tail = LogTail(aws.logs, name)
    shown = [0]

    def transitions(found: dict) -> None:
        tail.poll()
        for step in found.get("SecondaryStatusTransitions", [])[shown[0] :]:
            print(
                f"training job {name}: {step['Status']}: {step.get('StatusMessage', '')}".rstrip(": "),
                file=sys.stderr,
                flush=True,
            )
        shown[0] = len(found.get("SecondaryStatusTransitions", []))

    def describe() -> dict:
        return aws.sagemaker.describe_training_job(TrainingJobName=name)

    try:
        return waiting.wait(
            describe,
            what=f"training job {name}",
            status_key="TrainingJobStatus",
            done={"Completed"},
            failed={"Failed", "Stopped"},
            timeout=timeout,
            on_poll=transitions,
        )
    except KeyboardInterrupt:
        pass
    print(f"Ctrl-C: stopping training job {name} on SageMaker", file=sys.stderr, flush=True)
    aws.sagemaker.stop_training_job(TrainingJobName=name)
    try:
        found = waiting.wait(
            describe,
            what=f"training job {name}",
            status_key="TrainingJobStatus",
            done={"Stopped", "Completed", "Failed"},
            failed=set(),
            timeout=STOP_TIMEOUT,
            on_poll=transitions,
        )
    except KeyboardInterrupt:
        raise Interrupted(f"training job {name} is stopping on SageMaker (bin/sagemaker.sh status shows it)") from None
    raise Interrupted(f"training job {name} was stopped on SageMaker (Ctrl-C); it ended {found['TrainingJobStatus']}")
