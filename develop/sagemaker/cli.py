"""The command line of bin/sagemaker.sh: flags onto the commands' plain arguments, errors onto one line and an exit
code (2: a setting or an argument, 1: AWS refused or a resource failed, 130: stopped by Ctrl-C)."""

import argparse
import os
import signal
import sys
from pathlib import Path

import botocore.exceptions

from . import scaling
from .aws import Aws
from .config import Config, ConfigError
from .deploy import ENDPOINT_TIMEOUT, MODES, deploy
from .destroy import destroy
from .predict import ASYNC_TIMEOUT, predict
from .process import process
from .s3sync import UploadFailed
from .state import State
from .status import status
from .train import Interrupted, train
from .transform import OPTIONS, TRANSFORM_TIMEOUT, transform
from .waiting import WaitFailed

PROG = "bin/sagemaker.sh"


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("settings (each overrides its .env variable)")
    group.add_argument("--region", help="AWS_REGION")
    group.add_argument("--profile", help="AWS_PROFILE")
    group.add_argument("--role", help="EXECUTION_ROLE: the role SageMaker runs jobs and endpoints as")
    group.add_argument("--bucket", help="S3_BUCKET")
    group.add_argument("--prefix", help="S3_PREFIX (default: the image's name)")
    group.add_argument("--endpoint", help="ENDPOINT_NAME (default: the image's name)")
    group = common.add_argument_group("production settings (docs/how-to/production-settings.md)")
    group.add_argument("--subnets", help="SUBNETS: subnet-..., comma-separated: jobs and endpoints in your VPC")
    group.add_argument("--security-groups", help="SECURITY_GROUPS: sg-..., comma-separated (with --subnets)")
    group.add_argument("--kms-key", help="KMS_KEY_ID: volumes, outputs and uploads encrypted with this key")
    group.add_argument(
        "--network-isolation",
        choices=["true", "false"],
        help="NETWORK_ISOLATION: no network from the containers (S3 still served by SageMaker)",
    )
    group.add_argument(
        "--inter-container-encryption",
        choices=["true", "false"],
        help="INTER_CONTAINER_ENCRYPTION: training on several hosts encrypts their traffic",
    )

    top = argparse.ArgumentParser(
        prog=PROG, description="SageMaker itself, from the project (docs/how-to/sagemaker.md)"
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("train", parents=[common], help="a training job on opt/ml/input/data")
    p.add_argument("--image", help="the image URI (default: image-uri.txt's)")
    p.add_argument("--instance-type", help="TRAINING_INSTANCE_TYPE")
    p.add_argument("--instance-count", type=int, default=1)
    p.add_argument("--input-mode", choices=["File", "FastFile"], default="File")
    p.add_argument("--volume-gb", type=int, default=30)
    p.add_argument("--max-runtime", type=int, default=86400, help="seconds (default: a day)")
    p.add_argument("--spot", action="store_true", help="managed spot training, with a checkpoint location in S3")
    p.add_argument("--max-wait", type=int, help="spot: seconds to wait for capacity and run (default: 2 x max-runtime)")
    p.add_argument("--wait-timeout", type=float, help="seconds to wait (default: the job's limit + an hour)")
    p.add_argument(
        "--keep-alive", type=int, metavar="SECONDS", help="a warm pool: keep the instances for the next job (to 3600)"
    )
    p.add_argument(
        "--uncompressed", action="store_true", help="the model written as files (no model.tar.gz): for large models"
    )

    p = commands.add_parser("deploy", parents=[common], help="create or update the endpoint")
    p.add_argument("--model-data", help="s3://.../model.tar.gz (default: the last training's)")
    p.add_argument("--image", help="the image URI (default: the last training's, else image-uri.txt's)")
    p.add_argument("--mode", choices=MODES, default="realtime")
    p.add_argument("--instance-type", help="ENDPOINT_INSTANCE_TYPE (realtime, async)")
    p.add_argument("--instance-count", type=int, default=1)
    p.add_argument("--memory-mb", type=int, default=2048, help="serverless: 1024 to 6144, by 1024")
    p.add_argument("--max-concurrency", type=int, default=5, help="serverless: 1 to 200")
    p.add_argument(
        "--canary", type=int, metavar="PERCENT", help="update: this share of capacity first (default: all at once)"
    )
    p.add_argument("--bake-seconds", type=int, default=300, help="update: how long alarms are watched")
    p.add_argument("--alarm", action="append", default=[], help="update: a CloudWatch alarm that rolls back (repeat)")
    p.add_argument("--wait-timeout", type=float, default=ENDPOINT_TIMEOUT)
    p.add_argument(
        "--startup-timeout", type=int, help="seconds the container may take to pass /ping (60-3600; default: by size)"
    )
    p.add_argument(
        "--download-timeout", type=int, help="seconds to download the model data (60-3600; default: by its size)"
    )
    p.add_argument(
        "--capture", type=int, metavar="PERCENT", help="record this share of requests and answers to S3 (capture/)"
    )
    p.add_argument("--min-instances", type=int, help="realtime: scale down to this many (default: 1)")
    p.add_argument("--max-instances", type=int, help="realtime: scale up to this many (Application Auto Scaling)")
    p.add_argument(
        "--target-invocations",
        type=float,
        metavar="PER_MINUTE",
        help="invocations per instance per minute to track (default: from bench/RESULTS.md, x 0.5)",
    )

    p = commands.add_parser("predict", parents=[common], help="bin/predict.sh against the endpoint")
    p.add_argument("--model", help="multi-model endpoint: the model (TargetModel)")
    p.add_argument("--custom-attributes", help="X-Amzn-SageMaker-Custom-Attributes")
    p.add_argument("--timeout", type=float, default=ASYNC_TIMEOUT, help="asynchronous: seconds to wait for the answer")
    p.add_argument("payload", nargs="?", type=Path, help="default: opt/ml/input/payload.json")
    p.add_argument("accept", nargs="?", default="application/json")

    p = commands.add_parser("transform", parents=[common], help="a batch transform job, as bin/transform.sh")
    p.add_argument("input", nargs="?", type=Path, help="default: transform/input")
    p.add_argument("output", nargs="?", type=Path, help="default: transform/output")
    p.add_argument("--ContentType")
    p.add_argument("--Accept")
    p.add_argument("--SplitType", choices=["None", "Line"])
    p.add_argument("--BatchStrategy", choices=["MultiRecord", "SingleRecord"])
    p.add_argument("--MaxPayloadInMB", type=int)
    p.add_argument("--MaxConcurrentTransforms", type=int)
    p.add_argument("--AssembleWith", choices=["None", "Line"])
    p.add_argument("--InputFilter")
    p.add_argument("--JoinSource", choices=["None", "Input"])
    p.add_argument("--OutputFilter")
    p.add_argument("--InvocationsTimeoutInSeconds", type=int)
    p.add_argument("--model", help="the SageMaker model (default: the last one deploy made)")
    p.add_argument("--instance-type", help="TRANSFORM_INSTANCE_TYPE")
    p.add_argument("--instance-count", type=int, default=1)
    p.add_argument("--wait-timeout", type=float, default=TRANSFORM_TIMEOUT)

    p = commands.add_parser(
        "process", parents=[common], help="algorithm.py's process(job) as a processing job, as bin/process.sh"
    )
    p.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NAME=SOURCE",
        help="an input: a folder, a file or s3://... (repeat; default: each folder of opt/ml/processing/input)",
    )
    p.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="NAME",
        help="an output, downloaded into opt/ml/processing/output/NAME (repeat; default: each folder there)",
    )
    p.add_argument("--image", help="the image URI (default: image-uri.txt's)")
    p.add_argument("--instance-type", help="TRAINING_INSTANCE_TYPE (processing runs on the same types)")
    p.add_argument("--instance-count", type=int, default=1)
    p.add_argument("--volume-gb", type=int, default=30)
    p.add_argument("--max-runtime", type=int, default=86400, help="seconds (default: a day)")
    p.add_argument("--wait-timeout", type=float, help="seconds to wait (default: the job's limit + an hour)")
    p.add_argument(
        "arguments", nargs=argparse.REMAINDER, metavar="ARGS", help="process(job)'s arguments (after the options)"
    )

    commands.add_parser("status", parents=[common], help="what this project has on SageMaker, and its cost")

    p = commands.add_parser("destroy", parents=[common], help="delete what these commands created")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.add_argument("--keep-s3", action="store_true", help="keep the S3 objects (data, models, outputs)")
    for command in commands.choices.values():
        command.set_defaults(command_parser=command)
    return top


def run(args: argparse.Namespace, project: Path, aws: Aws | None = None) -> None:
    """One command; results on stdout, progress on stderr. `aws`: the tests' clients (default: from the config)."""
    config = Config.load(
        project,
        region=args.region,
        profile=args.profile,
        role=args.role,
        bucket=args.bucket,
        prefix=args.prefix,
        endpoint=args.endpoint,
        subnets=args.subnets,
        security_groups=args.security_groups,
        kms_key=args.kms_key,
        network_isolation=args.network_isolation,
        inter_container_encryption=args.inter_container_encryption,
    )
    state = State.of(project)
    aws = aws or Aws.connect(config)
    if args.command == "train":
        print(
            train(
                aws,
                state,
                config,
                image=args.image,
                instance_type=args.instance_type,
                instance_count=args.instance_count,
                input_mode=args.input_mode,
                volume_gb=args.volume_gb,
                max_runtime=args.max_runtime,
                spot=args.spot,
                max_wait=args.max_wait,
                wait_timeout=args.wait_timeout,
                uncompressed=args.uncompressed,
                keep_alive=args.keep_alive,
            )
        )
    elif args.command == "deploy":
        print(
            deploy(
                aws,
                state,
                config,
                model_data=args.model_data,
                image=args.image,
                mode=args.mode,
                instance_type=args.instance_type,
                instance_count=args.instance_count,
                memory_mb=args.memory_mb,
                max_concurrency=args.max_concurrency,
                strategy="canary" if args.canary else "all-at-once",
                canary_percent=args.canary or 10,
                bake_seconds=args.bake_seconds,
                alarms=tuple(args.alarm),
                wait_timeout=args.wait_timeout,
                scale=scaling.requested(project, args.min_instances, args.max_instances, args.target_invocations),
                startup_timeout=args.startup_timeout,
                download_timeout=args.download_timeout,
                capture_percent=args.capture,
            )
        )
    elif args.command == "predict":
        answer = predict(
            aws,
            state,
            config,
            args.payload,
            args.accept,
            model=args.model,
            custom_attributes=args.custom_attributes,
            timeout=args.timeout,
        )
        sys.stdout.buffer.write(answer + b"\n")
    elif args.command == "transform":
        options = {name: getattr(args, name) for name in OPTIONS}
        for path in transform(
            aws,
            state,
            config,
            args.input,
            args.output,
            options=options,
            model=args.model,
            instance_type=args.instance_type,
            instance_count=args.instance_count,
            wait_timeout=args.wait_timeout,
        ):
            print(path.relative_to(project) if path.is_relative_to(project) else path)
    elif args.command == "process":
        for path in process(
            aws,
            state,
            config,
            args.arguments,
            inputs=args.input,
            outputs=args.output,
            image=args.image,
            instance_type=args.instance_type,
            instance_count=args.instance_count,
            volume_gb=args.volume_gb,
            max_runtime=args.max_runtime,
            wait_timeout=args.wait_timeout,
        ):
            print(path.relative_to(project) if path.is_relative_to(project) else path)
    elif args.command == "status":
        rows = status(aws, state)
        if not rows:
            print(
                "nothing: these commands have created nothing yet (sagemaker-state.json lists nothing)", file=sys.stderr
            )
        for row in rows:
            print("\t".join(row))
    elif args.command == "destroy":
        destroy(aws, state, yes=args.yes, keep_s3=args.keep_s3)


def main(argv: list[str], project: Path | None = None, aws: Aws | None = None) -> int:
    top = parser()
    args, extra = top.parse_known_args(argv)
    if extra:  # refused with the command's usage line, not the top one
        args.command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    # docker stop sends SIGTERM to this process (PID 1 in the container, no default handler): as Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        # bin/sagemaker.sh runs this in the current folder, with the project at PROJECT_DIR.
        run(args, Path(project or os.environ.get("PROJECT_DIR") or Path.cwd()).resolve(), aws)
    except ConfigError as exc:
        return fail(str(exc), 2)
    except (WaitFailed, UploadFailed) as exc:
        return fail(str(exc), 1)
    except Interrupted as exc:
        return fail(str(exc), 130)
    except KeyboardInterrupt:
        return fail(
            "stopped (Ctrl-C); what was started goes on on SageMaker: bin/sagemaker.sh status shows it, "
            "bin/sagemaker.sh destroy removes it",
            130,
        )
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        return fail(f"{exc.operation_name} failed: {error.get('Code', '')}: {error.get('Message', '')}".strip(), 1)
    except botocore.exceptions.BotoCoreError as exc:
        return fail(str(exc), 1)
    return 0


def fail(message: str, code: int) -> int:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    return code
