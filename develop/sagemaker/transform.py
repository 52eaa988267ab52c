"""`bin/sagemaker.sh transform`: a SageMaker batch transform job with exactly bin/transform.sh's options and folders.

The input folder's files go to S3 (only what changed), the job runs the model this project deployed last (or one made
from its last training), and every <file>.out is downloaded into the output folder, as bin/transform.sh writes them.
"""

import argparse
import sys
import time
from pathlib import Path

# what root writes in the container stays the user's
from develop.local.entrypoint import first_missing, give_back_to_owner
from develop.local.transform import runner  # bin/transform.sh's runner: the same checks of the same options

from . import production, s3sync, waiting
from .config import Config, ConfigError, common_content_type
from .deploy import create_model
from .names import tags, unique_name
from .state import State
from .train import Interrupted

TRANSFORM_TIMEOUT = 3600  # botocore's transform_job_completed_or_stopped waiter: 60 s x 60
# The options of bin/transform.sh (develop/local/transform/runner.py), under create-transform-job's names;
# None: not sent.
OPTIONS = (
    "ContentType",
    "Accept",
    "SplitType",
    "BatchStrategy",
    "MaxPayloadInMB",
    "MaxConcurrentTransforms",
    "AssembleWith",
    "InputFilter",
    "JoinSource",
    "OutputFilter",
    "InvocationsTimeoutInSeconds",
)


def transform_request(
    config: Config, name: str, model: str, options: dict, *, instance_type: str, instance_count: int
) -> dict:
    """CreateTransformJob's request: input under transform/input/, answers under transform/<job>/."""
    request: dict = {
        "TransformJobName": name,
        "ModelName": model,
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": config.s3_uri("transform", "input") + "/"}
            },
            "ContentType": options["ContentType"],
            "CompressionType": "None",
            "SplitType": options.get("SplitType") or "None",
        },
        "TransformOutput": {
            "S3OutputPath": config.s3_uri("transform", name) + "/",
            "AssembleWith": options.get("AssembleWith") or "None",
        },
        "TransformResources": {"InstanceType": instance_type, "InstanceCount": instance_count},
        "Tags": tags(config),
    }
    production.transform(request, config.production)
    if options.get("Accept"):
        request["TransformOutput"]["Accept"] = options["Accept"]
    for field in ("BatchStrategy", "MaxPayloadInMB", "MaxConcurrentTransforms"):
        if options.get(field) is not None:
            request[field] = options[field]
    processing = {k: options[k] for k in ("InputFilter", "OutputFilter", "JoinSource") if options.get(k) is not None}
    if processing:
        request["DataProcessing"] = processing
    if options.get("InvocationsTimeoutInSeconds") is not None:
        request["ModelClientConfig"] = {"InvocationsTimeoutInSeconds": options["InvocationsTimeoutInSeconds"]}
    return request


def check(options: dict) -> None:
    """What bin/transform.sh refuses, refused here before anything is uploaded, with the same one line."""
    given = {"SplitType": "None", "AssembleWith": "None", "InputFilter": "$", "JoinSource": "None", "OutputFilter": "$"}
    given.update(options)
    settings = argparse.Namespace(**{name: given.get(name) for name in OPTIONS})
    try:
        runner.check_settings(settings, options["ContentType"])
    except runner.JobError as exc:
        raise ConfigError(str(exc)) from None


def transform(
    aws,
    state: State,
    config: Config,
    input_dir: Path | None = None,
    output_dir: Path | None = None,
    *,
    options: dict | None = None,
    model: str | None = None,
    instance_type: str | None = None,
    instance_count: int = 1,
    wait_timeout: float = TRANSFORM_TIMEOUT,
) -> list[Path]:
    """Runs the job on the input folder's files; returns the .out files written into the output folder."""
    options = {k: v for k, v in (options or {}).items() if v is not None}
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"unknown transform option {unknown[0]}: the options are bin/transform.sh's")
    config.require_bucket()
    config.production.check_region(aws.region)
    source = Path(input_dir or config.project / "transform" / "input").resolve()
    target = Path(output_dir or config.project / "transform" / "output").resolve()
    if not source.is_dir():
        raise ConfigError(f"input folder {source} does not exist: put the files to transform in it")
    if target == source or source in target.parents:
        raise ConfigError(f"the output folder {target} is inside the input folder: choose another")
    files = s3sync.files_under(source)
    if not files:
        raise ConfigError(f"input folder {source} has no files: put the files to transform in it")
    if "ContentType" not in options:
        options["ContentType"] = common_content_type(config.project, [path for path, _ in files])
        if options["ContentType"] is None:
            raise ConfigError(
                "cannot tell one content type from the files' extensions: pass --ContentType, e.g. text/csv"
            )
    check(options)

    if model is None:
        latest = state.latest("model")
        model = latest["name"] if latest else create_model(aws, state, config, model_data=None, image=None)
    name = unique_name(config, "transform")
    request = transform_request(
        config,
        name,
        model,
        options,
        instance_type=instance_type or config.transform_instance_type,
        instance_count=instance_count,
    )
    s3sync.upload_folder(aws, state, source, config.s3_uri("transform", "input"), kms_key=config.production.kms_key)
    aws.sagemaker.create_transform_job(**request)
    state.add(
        "transform-job",
        name,
        aws.region,
        model=model,
        instance_type=request["TransformResources"]["InstanceType"],
        instance_count=instance_count,
    )
    output = request["TransformOutput"]["S3OutputPath"].rstrip("/")
    state.add("s3-prefix", output, aws.region)
    print(f"started transform job {name} (model {model})", file=sys.stderr, flush=True)
    try:
        waiting.wait(
            lambda: aws.sagemaker.describe_transform_job(TransformJobName=name),
            what=f"transform job {name}",
            status_key="TransformJobStatus",
            done={"Completed"},
            failed={"Failed", "Stopped"},
            timeout=wait_timeout,
        )
    except KeyboardInterrupt:
        aws.sagemaker.stop_transform_job(TransformJobName=name)
        raise Interrupted(f"transform job {name} was stopped on SageMaker (Ctrl-C)") from None
    since, made = time.time() - 1, first_missing(target)  # file times may be coarser than the clock
    target.mkdir(parents=True, exist_ok=True)
    try:
        return s3sync.download_prefix(aws, output, target)
    finally:
        give_back_to_owner(since, made, owner_of=config.project)
