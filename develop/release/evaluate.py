"""The release's evaluate stage: algorithm.py's `process evaluate` as a processing job on the trained model and the
held-out data, its evaluation.json (the Model Registry's model-quality statistics) checked against the thresholds of
RELEASE_THRESHOLDS, then attached to the model package by the register stage (ModelMetrics).

    RELEASE_THRESHOLDS=multiclass_classification_metrics.accuracy>=0.9,regression_metrics.mse<=0.5

Each threshold is a metric's path in evaluation.json (its `value`, when the metric is an object of value and
standard_deviation), `>=` (at least) or `<=` (at most), and a number. The held-out data is
opt/ml/processing/input/test when it holds files, else the validation channel (opt/ml/input/data/validation): data the
model was not fitted on. An algorithm without process(job) is not evaluated, unless thresholds are set: then the release
stops, as a threshold that cannot be checked must not pass.
"""

import ast
import dataclasses
import json
import re
from pathlib import Path

from develop.sagemaker import s3sync
from develop.sagemaker.config import Config, ConfigError
from develop.sagemaker.names import unique_name
from develop.sagemaker.process import processing_request, run_job
from develop.sagemaker.state import State

VARIABLE = "RELEASE_THRESHOLDS"
FILE = "evaluation.json"  # what `process evaluate` writes in its output `evaluation`
ARGUMENTS = ["evaluate"]
NUMBER = r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?"
THRESHOLD = re.compile(rf"\s*(?P<metric>[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)\s*(?P<op>>=|<=)\s*(?P<bound>{NUMBER})\s*")
CONTENT_TYPE = "application/json"


class EvaluationFailed(Exception):
    """A metric is on the wrong side of its threshold, or evaluation.json lacks it: the message is one line."""


@dataclasses.dataclass(frozen=True)
class Threshold:
    metric: str  # its path in evaluation.json
    op: str  # ">=" or "<="
    bound: str  # as written, so that the message shows what the user set

    def holds(self, value: float) -> bool:
        return value >= float(self.bound) if self.op == ">=" else value <= float(self.bound)

    def failure(self, value: float) -> str:
        side = "below" if self.op == ">=" else "above"
        return f"{self.metric.rsplit('.', 1)[-1]} {value:.4g} is {side} the threshold {self.bound}"


def thresholds(environ: dict) -> tuple[Threshold, ...]:
    """RELEASE_THRESHOLDS, parsed strictly: a malformed item is one line naming it."""
    text = environ.get(VARIABLE, "")
    found = []
    for item in (part for part in text.split(",") if part.strip()):
        match = THRESHOLD.fullmatch(item)
        if not match:
            raise ConfigError(
                f"{VARIABLE}: {item.strip()!r} is not METRIC>=NUMBER or METRIC<=NUMBER "
                "(e.g. multiclass_classification_metrics.accuracy>=0.9)"
            )
        found.append(Threshold(match["metric"], match["op"], match["bound"]))
    return tuple(found)


def has_process(project: Path) -> bool:
    """Whether algorithm.py defines or imports `process` at its top level (read, not imported: the runtime's packages
    are not in the Python that runs the release)."""
    path = project / "algorithm.py"
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError) as exc:
        raise ConfigError(f"algorithm.py could not be read: {exc}") from None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "process":
            return True
        if isinstance(node, ast.ImportFrom | ast.Import) and any(
            (alias.asname or alias.name) == "process" for alias in node.names
        ):
            return True
    return False


def held_out(config: Config) -> tuple[Path, str]:
    """The folder of held-out data and the S3 prefix it is uploaded to."""
    test = config.project / "opt" / "ml" / "processing" / "input" / "test"
    if test.is_dir() and s3sync.files_under(test):
        return test, config.s3_uri("processing", "input", "test")
    validation = config.project / "opt" / "ml" / "input" / "data" / "validation"
    if validation.is_dir() and s3sync.files_under(validation):
        return validation, config.s3_uri("data", "validation")
    raise ConfigError(
        f"no held-out data to evaluate the model on: put it in {test} (or keep a validation channel in {validation})"
    )


def evaluate(aws, state: State, config: Config, image: str, model_data: str) -> tuple[str, str, dict]:
    """Runs `process evaluate` on SageMaker; (the job's name, the S3 URI of evaluation.json, its content)."""
    folder, data = held_out(config)
    s3sync.upload_folder(aws, state, folder, data, kms_key=config.production.kms_key)
    name = unique_name(config, "evaluate")
    output = config.s3_uri("processing", name, "evaluation")
    request = processing_request(
        config,
        name,
        image,
        ARGUMENTS,
        {"model": model_data, "test": data},
        {"evaluation": output},
        instance_type=config.training_instance_type,
        instance_count=1,
        volume_gb=30,
        max_runtime=3600,
    )
    run_job(aws, state, config, request)
    uri = f"{output}/{FILE}"
    if not s3sync.exists(aws, uri):
        raise EvaluationFailed(f"the evaluation job wrote no {FILE} in its output evaluation ({output})")
    try:
        found = json.loads(s3sync.read(aws, uri))
    except ValueError as exc:
        raise EvaluationFailed(f"{uri} is not JSON: {exc}") from None
    return name, uri, found


def figures(evaluation: dict) -> dict[str, float]:
    """Every metric of the model-quality statistics: path -> its value."""
    found = {}

    def walk(node, path: str) -> None:
        if isinstance(node, dict) and isinstance(node.get("value"), int | float):
            found[path] = node["value"]
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, int | float) and not isinstance(node, bool):
            found[path] = node

    walk(evaluation, "")
    return found


def check(evaluation: dict, limits: tuple[Threshold, ...]) -> str:
    """Raises EvaluationFailed at the first threshold not met; else the figures, in one line."""
    values = figures(evaluation)
    for limit in limits:
        if limit.metric not in values:
            raise EvaluationFailed(
                f"{FILE} has no metric {limit.metric} ({VARIABLE}); its metrics: {', '.join(values) or 'none'}"
            )
        if not limit.holds(values[limit.metric]):
            raise EvaluationFailed(limit.failure(values[limit.metric]))
    return ", ".join(f"{path.rsplit('.', 1)[-1]} {value:.4g}" for path, value in values.items()) or "no figure"


def passed(state: State, name: str, model_data: str, uri: str) -> None:
    """Records the evaluation that met the thresholds, for the register stage (on this machine or the next step's)."""
    state.update("processing-job", name, model_data=model_data, evaluation=uri)


def model_metrics(state: State, model_data: str) -> dict | None:
    """CreateModelPackage's ModelMetrics: this model's last evaluation that passed, as model-quality statistics."""
    for job in reversed(state.find("processing-job", model_data=model_data)):
        if job.get("evaluation"):
            return {"ModelQuality": {"Statistics": {"ContentType": CONTENT_TYPE, "S3Uri": job["evaluation"]}}}
    return None
