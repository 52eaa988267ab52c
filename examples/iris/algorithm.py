"""The algorithm: the one file an algorithm author edits (helpers go in lib/). The framework calls train(job),
initialize(model_dir), predict(model, data) and, in a processing job, process(job), and reads the declarations below;
every hook, `job` field and declaration is in docs/reference/algorithm-hooks.md, so this file can be replaced whole.

The example: a random forest on CSV files with a header row (the iris sample under opt/ml/input/data); with several
hosts its trees are fitted on every host's cores through joblib's Dask backend. Its processing job has two actions:
`process preprocess` turns the raw file (UCI's iris.data: no header, "Iris-setosa" labels) into the training and
validation channels (the sample channels are its output), `process evaluate` scores a model.tar.gz on held-out data
and writes evaluation.json, the model-quality statistics SageMaker's Model Registry shows.
"""

import argparse
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import joblib
import numpy as np
import pandas as pd
from sklearn import metrics
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from framework import InputError, ProcessingJob, Range, TrainingJob, feature_matrix

log = logging.getLogger("algorithm")

REQUIRED_CHANNELS = ["training"]
OPTIONAL_CHANNELS = ["validation"]  # scored and reported when present
TRAINING_CONTENT_TYPES = ["text/csv"]  # what train reads from its channels
INSTANCE_TYPES = ["ml.m5.large", "ml.m5.xlarge", "ml.c5.xlarge"]  # where it may train and serve (the algorithm spec)
# Each record's label depends on that record alone, and one forest call costs about the same for 28 records as for
# 200: merging waiting requests halved the CPU per request in bin/benchmark.sh (bench/RESULTS.md, its
# framework+batching rows).
ADAPTIVE_BATCHING = True

# What train reports with job.report_metric, and which way each is better. SageMaker reads them from the log with the
# regexes bin/algorithm-spec.sh derives from these names; the first is what a tuning job optimises.
METRICS = {"validation:accuracy": "maximize", "train:accuracy": "maximize"}


@dataclass
class Hyperparameters:
    target: str = "species"  # the label column; every other column is a feature
    n_estimators: Annotated[int, Range(10, 500, scale="log")] = 100  # trees in the forest
    max_depth: int | None = None  # the deepest a tree grows; None: until its leaves are pure
    min_samples_leaf: Annotated[int, Range(1, 20)] = 1  # fewest records a leaf may hold
    max_features: Annotated[float, Range(0.1, 1.0)] = 0.5  # fraction of the features each split considers
    criterion: Annotated[Literal["gini", "entropy", "log_loss"], Range()] = "gini"  # how a split is scored
    random_state: int = 0  # seed of the forest's randomness


@dataclass
class Model:
    estimator: RandomForestClassifier
    features: list[str]


def train(job: TrainingJob) -> None:
    if not job.cluster.distributed:
        _fit(job)
        return
    # Several hosts: the trees are fitted across every host's cores. Only the leader gets past job.dask(), with the
    # data of its own channels (FullyReplicated: every host has all of it) and the model to write; the other hosts
    # serve the leader's tasks, then leave (docs/how-to/train-on-several-hosts.md).
    with job.dask(), joblib.parallel_backend("dask"):
        _fit(job)


def _fit(job: TrainingJob) -> None:
    params: Hyperparameters = job.hyperparameters
    features, labels = _read_channel(job.channels["training"], params.target)
    log.info("training on %d records, %d features: %s", len(features), features.shape[1], list(features.columns))
    estimator = RandomForestClassifier(
        n_estimators=params.n_estimators,
        max_depth=params.max_depth,
        min_samples_leaf=params.min_samples_leaf,
        max_features=params.max_features,
        criterion=params.criterion,
        random_state=params.random_state,
    )
    started = time.perf_counter()
    estimator.fit(features.to_numpy(dtype=float), labels)
    log.info("fitted %d trees in %.2f s", params.n_estimators, time.perf_counter() - started)
    job.report_metric("train:accuracy", estimator.score(features.to_numpy(dtype=float), labels))

    if "validation" in job.channels:
        valid_features, valid_labels = _read_channel(job.channels["validation"], params.target)
        log.info("scoring on %d validation records", len(valid_features))
        score = estimator.score(valid_features[list(features.columns)].to_numpy(dtype=float), valid_labels)
        job.report_metric("validation:accuracy", score)

    joblib.dump(estimator, job.model_dir / "model.joblib")
    (job.model_dir / "metadata.json").write_text(json.dumps({"features": list(features.columns)}, indent=2) + "\n")
    log.info("model saved to %s", job.model_dir)


def initialize(model_dir: Path) -> Model:
    features = json.loads((model_dir / "metadata.json").read_text())["features"]
    return Model(estimator=joblib.load(model_dir / "model.joblib"), features=features)


def predict(model: Model, data: dict, custom_attributes: str | None = None) -> dict:
    """{"instances": [[5.1, 3.5, 1.4, 0.2], ...]} or [{"sepal_length": 5.1, ...}] -> {"predictions": [...]}.

    With the custom attribute "probabilities", each prediction also carries the class probabilities.
    """
    rows = feature_matrix(data, model.features)
    # scikit-learn's trees compare float32 values: a number past float32's range (3.4e38) would become infinite there.
    limit = np.finfo(np.float32).max
    beyond = (rows > limit) | (rows < -limit)  # not np.abs(rows): a float copy of a large request's whole matrix
    if beyond.any():
        number, column = np.argwhere(beyond)[0]
        raise InputError(
            f"record {number}, feature {model.features[column]!r}: {rows[number, column]} is not a finite number "
            "within float32's range (3.4e38), which this model takes"
        )
    if "probabilities" in (custom_attributes or ""):
        classes = model.estimator.classes_.tolist()
        return {
            "predictions": [
                {"label": classes[int(np.argmax(p))], **dict(zip(classes, p.round(6).tolist(), strict=True))}
                for p in model.estimator.predict_proba(rows)
            ]
        }
    return {"predictions": model.estimator.predict(rows).tolist()}


def _read_channel(folder: Path, target: str) -> tuple[pd.DataFrame, pd.Series]:
    # SageMaker may deliver a channel as many files (sharded input): read them all.
    files = sorted(p for p in folder.rglob("*.csv") if p.is_file())
    if not files:
        raise ValueError(f"no .csv files in {folder}")
    frame = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    if target not in frame.columns:
        raise ValueError(f"target column {target!r} is not in {folder.name}'s columns: {list(frame.columns)}")
    return frame.drop(columns=[target]), frame[target]


# The raw file's columns, in order: it has no header row.
RAW_COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
# Model Monitor's rule, which the Model Registry's reports follow: a standard deviation from 5 random samples of 80%
# of the records, only from 200 records up ("NaN" below).
DEVIATION_SAMPLES, DEVIATION_FRACTION, DEVIATION_MIN_RECORDS = 5, 0.8, 200


def process(job: ProcessingJob) -> None:
    """`process preprocess [--validation-fraction F] [--seed S]`: input raw -> outputs training, validation.
    `process evaluate [--target COLUMN]`: inputs model (model.tar.gz) and test (CSV) -> output evaluation."""
    parser = argparse.ArgumentParser(prog="process", exit_on_error=False)
    actions = parser.add_subparsers(dest="action", required=True)
    preprocess = actions.add_parser("preprocess")
    preprocess.add_argument("--validation-fraction", type=float, default=0.2)
    preprocess.add_argument("--seed", type=int, default=0)
    evaluate = actions.add_parser("evaluate")
    evaluate.add_argument("--target", default=Hyperparameters.target)
    try:
        args = parser.parse_args(job.arguments)
    except (argparse.ArgumentError, SystemExit):
        raise ValueError(f"arguments {job.arguments}: {parser.format_usage().strip()}") from None
    if args.action == "preprocess":
        _preprocess(job, args.validation_fraction, args.seed)
    else:
        _evaluate(job, args.target)


def _preprocess(job: ProcessingJob, validation_fraction: float, seed: int) -> None:
    # On several hosts, ShardedByS3Key gives each host a share of the raw files: each writes the channels of its
    # share, under its own file names. FullyReplicated gives every host all of them: the leader alone writes.
    raw = job.inputs["raw"]
    sharded = job.input_config["raw"].get("S3Input", {}).get("S3DataDistributionType") == "ShardedByS3Key"
    if job.cluster.distributed and not sharded and not job.is_leader:
        log.info("the raw input is FullyReplicated: the leader %s preprocesses it", job.leader)
        return
    files = sorted(p for p in raw.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files and sharded and job.cluster.distributed:
        log.info("no raw file in this host's share")
        return
    if not files:
        raise ValueError(f"input raw ({raw}) holds no file")
    frame = pd.concat([pd.read_csv(f, header=None, names=RAW_COLUMNS) for f in files], ignore_index=True)
    complete = frame.dropna()
    if len(complete) < len(frame):
        log.warning("dropped %d incomplete records of %d", len(frame) - len(complete), len(frame))
    complete = complete.assign(species=complete["species"].str.removeprefix("Iris-"))
    # Not stratified: the split depends on the number of records alone, so the same raw file always gives the same
    # channels (the sample's are this split of opt/ml/processing/input/raw/iris.data).
    training, validation = train_test_split(complete, test_size=validation_fraction, random_state=seed)
    file_name = f"iris-{job.current_host}.csv" if sharded and job.cluster.distributed else "iris.csv"
    for name, part in (("training", training), ("validation", validation)):
        part.to_csv(job.outputs[name] / file_name, index=False)
    job.write_exit_message(f"{len(training)} training and {len(validation)} validation records")


def _evaluate(job: ProcessingJob, target: str) -> None:
    # The serving hooks themselves: what is evaluated is what serves.
    model = initialize(job.model_dir("model"))
    features, labels = _read_channel(job.inputs["test"], target)
    missing = [name for name in model.features if name not in features.columns]
    if missing:
        raise ValueError(f"the test data lacks the model's features {missing}; its columns: {list(features.columns)}")
    rows = features[model.features].to_numpy(dtype=float)
    predicted = np.array(predict(model, {"instances": rows})["predictions"], dtype=object)
    labels = labels.to_numpy()
    scores = {
        "accuracy": metrics.accuracy_score,
        "weighted_precision": lambda y, p: metrics.precision_score(y, p, average="weighted", zero_division=0),
        "weighted_recall": lambda y, p: metrics.recall_score(y, p, average="weighted", zero_division=0),
        "weighted_f1": lambda y, p: metrics.f1_score(y, p, average="weighted", zero_division=0),
    }
    most_frequent = pd.Series(labels).mode()[0]
    constant = np.full(len(labels), most_frequent, dtype=object)
    report = {"confusion_matrix": _confusion_matrix(labels, predicted)}
    report |= {name: _statistic(score, labels, predicted) for name, score in scores.items()}
    report["accuracy_best_constant_classifier"] = _statistic(metrics.accuracy_score, labels, constant)
    evaluation = {"multiclass_classification_metrics": report}
    (job.outputs["evaluation"] / "evaluation.json").write_text(json.dumps(evaluation, indent=2) + "\n")
    accuracy = report["accuracy"]["value"]
    log.info(
        "accuracy %.4f on %d held-out records (a constant guess: %.4f)",
        accuracy,
        len(labels),
        report["accuracy_best_constant_classifier"]["value"],
    )
    job.write_exit_message(f"accuracy {accuracy:.4f} on {len(labels)} held-out records")


def _statistic(score, labels: np.ndarray, predicted: np.ndarray) -> dict:
    deviation: float | str = "NaN"
    if len(labels) >= DEVIATION_MIN_RECORDS:
        random = np.random.default_rng(0)
        size = int(len(labels) * DEVIATION_FRACTION)
        samples = [random.choice(len(labels), size, replace=False) for _ in range(DEVIATION_SAMPLES)]
        deviation = float(np.std([score(labels[s], predicted[s]) for s in samples]))
    return {"value": float(score(labels, predicted)), "standard_deviation": deviation}


def _confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> dict:
    """{actual: {predicted: count}}, every class both ways, as the Model Registry reads it."""
    classes = sorted(set(labels) | set(predicted))
    counts = metrics.confusion_matrix(labels, predicted, labels=classes)
    return {str(a): {str(p): int(counts[i, j]) for j, p in enumerate(classes)} for i, a in enumerate(classes)}
