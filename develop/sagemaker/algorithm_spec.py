"""`bin/algorithm-spec.sh`: what the AWS CLI takes to register the algorithm and to tune it, derived from algorithm.py.

A development tool, not part of the image SageMaker runs: bin/algorithm-spec.sh runs it in the :dev image, the tests
in .venv, with the project on PYTHONPATH. --out and the paths it prints are relative to the project.

    create-algorithm.json     aws sagemaker create-algorithm --cli-input-json file://create-algorithm.json
    create-tuning-job.json    aws sagemaker create-hyper-parameter-tuning-job --cli-input-json file://create-tuning-job.json

From algorithm.py: Hyperparameters (types, defaults, Range, and each field's trailing comment as its description),
METRICS, REQUIRED_CHANNELS and OPTIONAL_CHANNELS, TRAINING_CONTENT_TYPES, and INSTANCE_TYPES when declared. From the
framework: the metric regexes (metrics.py), the content types serve reads and answers (decoders.py, encoders.py),
and the input modes it trains with (File, FastFile: a channel is a folder of files).
"""

import argparse
import dataclasses
import inspect
import io
import json
import re
import sys
import time
import tokenize
import typing
from pathlib import Path
from typing import Any, Literal

from develop.local.entrypoint import first_missing, give_back_to_owner, shown  # the stand-in's helpers

from framework.errors import ConfigError
from framework.serving import content_types
from framework.training import metrics, ranges

IMAGE_FILE = "image-uri.txt"  # in the project: `bin/docker-push.sh VERSION > image-uri.txt` (and the Jenkinsfile)
INSTANCE_TYPES = ["ml.m5.large", "ml.m5.xlarge", "ml.c5.xlarge"]  # when algorithm.py declares none
PLACEHOLDER_ROLE = "arn:aws:iam::111122223333:role/GIVE-YOUR-SAGEMAKER-ROLE-WITH---role"
PLACEHOLDER_DATA = "s3://GIVE-YOUR-BUCKET-WITH---data/prefix"
TYPES = {int: "Integer", float: "Continuous"}
RANGE_KEYS = {"Integer": "IntegerParameterRange", "Continuous": "ContinuousParameterRange"}


class SpecError(Exception):
    """What algorithm.py or the command line lacks for a specification."""


def hyperparameter_specs(declared: type) -> list[dict]:
    """SupportedHyperParameters: one per field of the Hyperparameters dataclass."""
    hints, declared_ranges = typing.get_type_hints(declared), ranges.declared(declared)
    descriptions = _trailing_comments(declared)
    specs = []
    for field in dataclasses.fields(declared):
        annotation, declared_range = hints[field.name], declared_ranges.get(field.name, (None, None))[1]
        kind = _kind(annotation)
        spec: dict[str, Any] = {"Name": field.name, "Type": kind}
        if field.name in descriptions:
            spec["Description"] = descriptions[field.name][:1024]
        if kind in RANGE_KEYS and declared_range is not None:
            low, high = (_text(kind, bound) for bound in (declared_range.min, declared_range.max))
            spec["Range"] = {f"{RANGE_KEYS[kind]}Specification": {"MinValue": low, "MaxValue": high}}
        elif kind == "Categorical":
            spec["Range"] = {"CategoricalParameterRangeSpecification": {"Values": _choices(annotation)}}
        spec["IsTunable"] = declared_range is not None and declared_range.tunable
        default = _default(field)
        spec["IsRequired"] = default is dataclasses.MISSING
        if default is not dataclasses.MISSING:
            spec["DefaultValue"] = _text(kind, default)
        specs.append(spec)
    return specs


def parameter_ranges(declared: type) -> dict[str, list]:
    """A tuning job's ParameterRanges: every tunable hyperparameter."""
    found: dict[str, list] = {}
    for name, (annotation, declared_range) in ranges.declared(declared).items():
        if not declared_range.tunable:
            continue
        kind = _kind(annotation)
        if kind == "Categorical":
            found.setdefault("CategoricalParameterRanges", []).append({"Name": name, "Values": _choices(annotation)})
        else:
            low, high = (_text(kind, bound) for bound in (declared_range.min, declared_range.max))
            entry = {
                "Name": name,
                "MinValue": low,
                "MaxValue": high,
                "ScalingType": ranges.SCALES[declared_range.scale],
            }
            found.setdefault(f"{RANGE_KEYS[kind]}s", []).append(entry)
    return found


def create_algorithm(algorithm, image: str, name: str) -> dict:
    declared_metrics = metrics.declared(algorithm)
    instance_types = list(getattr(algorithm, "INSTANCE_TYPES", INSTANCE_TYPES))
    training = {
        "TrainingImage": image,
        "SupportedHyperParameters": hyperparameter_specs(algorithm.Hyperparameters),
        "SupportedTrainingInstanceTypes": instance_types,
        "SupportsDistributedTraining": False,
        "MetricDefinitions": metrics.definitions(declared_metrics),
        "TrainingChannels": [
            {
                "Name": channel,
                "IsRequired": required,
                "SupportedContentTypes": _training_content_types(algorithm),
                "SupportedCompressionTypes": ["None"],
                "SupportedInputModes": ["File", "FastFile"],
            }
            for channel, required in _channels(algorithm).items()
        ],
        "SupportedTuningJobObjectiveMetrics": [
            {"Type": metrics.DIRECTIONS[direction], "MetricName": metric}
            for metric, direction in declared_metrics.items()
        ],
    }
    codecs = content_types.codecs(algorithm)  # the built-in media types and algorithm.py's DECODERS and ENCODERS
    inference = {
        "Containers": [{"Image": image}],
        "SupportedTransformInstanceTypes": instance_types,
        "SupportedRealtimeInferenceInstanceTypes": instance_types,
        "SupportedContentTypes": list(codecs.decoders),
        "SupportedResponseMIMETypes": list(codecs.encoders),
    }
    return {
        "AlgorithmName": name,
        "TrainingSpecification": training,
        "InferenceSpecification": inference,
        "CertifyForMarketplace": False,
    }


def create_tuning_job(algorithm, image: str, name: str, objective: str | None, role: str, data: str) -> dict:
    declared_metrics = metrics.declared(algorithm)
    if not declared_metrics:
        raise SpecError("algorithm.py declares no METRICS: a tuning job needs an objective metric")
    objective = objective or next(iter(declared_metrics))
    if objective not in declared_metrics:
        raise SpecError(f"objective {objective!r} is not in METRICS: {', '.join(declared_metrics)}")
    parameter_ranges_ = parameter_ranges(algorithm.Hyperparameters)
    if not parameter_ranges_:
        raise SpecError("no hyperparameter of algorithm.py has a tunable Range: a tuning job needs at least one")
    content_type = _training_content_types(algorithm)[0]
    instance_type = list(getattr(algorithm, "INSTANCE_TYPES", INSTANCE_TYPES))[0]
    data = data.rstrip("/")
    return {
        "HyperParameterTuningJobName": _job_name(name + "-tuning", 32),
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {
                "Type": metrics.DIRECTIONS[declared_metrics[objective]],
                "MetricName": objective,
            },
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": parameter_ranges_,
            "TrainingJobEarlyStoppingType": "Off",
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "TrainingImage": image,
                "TrainingInputMode": "File",
                "MetricDefinitions": metrics.definitions(declared_metrics),
            },
            "RoleArn": role,
            "InputDataConfig": [
                {
                    "ChannelName": channel,
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": f"{data}/{channel}/",
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                    "ContentType": content_type,
                    "CompressionType": "None",
                    "InputMode": "File",
                }
                for channel in _channels(algorithm)
            ],
            "OutputDataConfig": {"S3OutputPath": f"{data}/output/"},
            "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    }


def _kind(annotation: Any) -> str:
    if annotation in TYPES:
        return TYPES[annotation]
    if typing.get_origin(annotation) is Literal or annotation is bool:
        return "Categorical"
    return "FreeText"  # str, lists, dicts, X | None: any text the framework converts


def _choices(annotation: Any) -> list[str]:
    return ["True", "False"] if annotation is bool else [_text("Categorical", v) for v in typing.get_args(annotation)]


def _text(kind: str, value: Any) -> str:
    """A value as SageMaker passes it: a string hyperparameters.json holds and the framework reads back."""
    if kind == "Integer":
        return str(int(value))
    if isinstance(value, (str, int, float, bool)) or value is None:
        return str(value)
    return json.dumps(value)


def _default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def _trailing_comments(declared: type) -> dict[str, str]:
    """Each field's trailing `# comment` in the dataclass's source: the description a reader already sees."""
    try:
        source = inspect.getsource(declared)
    except (OSError, TypeError):
        return {}
    names, found, first = {f.name for f in dataclasses.fields(declared)}, {}, None
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and first is None:
            first = token.string
        elif token.type == tokenize.COMMENT and first in names:
            found[first] = token.string.lstrip("#").strip()
        elif token.type == tokenize.NEWLINE:
            first = None
    return found


def _channels(algorithm) -> dict[str, bool]:
    """Channel name -> required."""
    required = list(getattr(algorithm, "REQUIRED_CHANNELS", []))
    channels = {**{c: True for c in required}, **{c: False for c in getattr(algorithm, "OPTIONAL_CHANNELS", [])}}
    if not channels:
        raise SpecError("algorithm.py declares no REQUIRED_CHANNELS or OPTIONAL_CHANNELS: SageMaker needs at least one")
    return channels


def _training_content_types(algorithm) -> list[str]:
    types = list(getattr(algorithm, "TRAINING_CONTENT_TYPES", []))
    if not types:
        raise SpecError('algorithm.py declares no TRAINING_CONTENT_TYPES (e.g. ["text/csv"]): what train reads')
    return types


def _job_name(text: str, limit: int) -> str:
    """SageMaker's resource names: letters, digits and single hyphens, starting and ending with a letter or digit."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:limit].rstrip("-")
    return name or "algorithm"


def _image(given: str | None, project: Path) -> str:
    saved = project / IMAGE_FILE
    image = given or (_read_text(saved).strip() if saved.is_file() else "")
    if not image:
        raise SpecError(
            "no image: give the URI bin/docker-push.sh printed (bin/algorithm-spec.sh URI), "
            "or save it as image-uri.txt (bin/docker-push.sh VERSION > image-uri.txt)"
        )
    if re.search(r"\s", image) or len(image) > 255:
        raise SpecError(f"{image!r} is not an image URI")
    return image


def _read_text(path: Path) -> str:
    # PowerShell 5's `>` writes UTF-16 with a byte-order mark; cmd's and bash's write plain bytes.
    data = path.read_bytes()
    return data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode("utf-8-sig")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bin/algorithm-spec.sh", description=__doc__.split("\n\n")[0])
    parser.add_argument("image", nargs="?", help="the image URI (default: the one in image-uri.txt)")
    parser.add_argument("--name", help="the algorithm's name (default: from the image's repository and tag)")
    parser.add_argument("--objective", help="the metric the tuning job optimises (default: METRICS' first)")
    parser.add_argument("--role", help="the IAM role ARN the tuning job's trainings run as")
    parser.add_argument("--data", help="s3://bucket/prefix holding a folder per channel (prefix/training/, ...)")
    parser.add_argument(
        "--out", default="spec", help="the folder to write into, relative to the project (default: spec)"
    )
    args = parser.parse_args(argv)
    try:
        import algorithm

        image = _image(args.image, Path(algorithm.__file__).parent)
        # The patterns of botocore's SageMaker model, checked here so that a typo fails now, not at create time.
        if args.role and not re.fullmatch(r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+", args.role):
            raise SpecError(f"--role {args.role!r} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)")
        if args.data and not re.fullmatch(r"s3://[^/]+/?.*", args.data):
            raise SpecError(f"--data {args.data!r} is not an S3 URI (s3://bucket/prefix)")
        name = _job_name(args.name or image.rsplit("/", 1)[-1].split("@")[0], 63)
        documents = {
            "create-algorithm.json": create_algorithm(algorithm, image, name),
            "create-tuning-job.json": create_tuning_job(
                algorithm, image, name, args.objective, args.role or PLACEHOLDER_ROLE, args.data or PLACEHOLDER_DATA
            ),
        }
    except (SpecError, ValueError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    project = Path(algorithm.__file__).resolve().parent
    out = project / args.out
    since, made = time.time() - 1, first_missing(out)  # file times may be coarser than the clock
    try:
        out.mkdir(parents=True, exist_ok=True)
        for file_name, document in documents.items():
            (out / file_name).write_text(json.dumps(document, indent=2) + "\n")
            print(shown(out / file_name, project))
    finally:  # in the container, this runs as root
        give_back_to_owner(since, made, project)
    if not (args.role and args.data):
        print(
            "note: give --role and --data, or edit RoleArn and the S3 URIs in "
            + shown(out / "create-tuning-job.json", project),
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
