"""The algorithm: the one file an algorithm author edits (helpers go in lib/). The framework calls three hooks.

    train(job)                          `docker run IMAGE train`: fit on job.channels, save into job.model_dir
    initialize(model_dir) -> model      `docker run IMAGE serve`: once, before any request; every worker shares it
    predict(model, data) -> dict        each POST /invocations

The contract, as SageMaker runs the container:
- Hyperparameters: declared once below, as a dataclass with types and defaults. SageMaker sends every value as a
  string; the framework converts each to its declared type (int, float, bool, str, list[...], dict, Literal[...],
  X | None) and fails the job, naming the hyperparameter, when one is unknown, does not convert or is outside its
  Range. Annotated[int, Range(min, max, scale=...)] declares a tunable range (framework/training/ranges.py).
  Names starting with sagemaker_ or _ (a tuning job adds _tuning_objective_metric) are the platform's and arrive in
  job.platform_hyperparameters.
- Channels: job.channels maps each channel with data (input/data/<channel>/) to its folder. REQUIRED_CHANNELS
  are checked before train runs. Also on job: model_dir, output_data_dir, checkpoint_dir, current_host, hosts,
  input_data_config, resource_config.
- Metrics: METRICS declares them; job.report_metric(name, value, epoch=None) logs each value in the line SageMaker's
  MetricDefinitions read (framework/training/metrics.py), so that tuning jobs can rank training jobs by them.
- The algorithm spec (bin/algorithm-spec.sh) is derived from these declarations: the hyperparameters (each field's
  trailing comment is its description), METRICS, REQUIRED_CHANNELS and OPTIONAL_CHANNELS, TRAINING_CONTENT_TYPES,
  INSTANCE_TYPES.
- Failure: raise. The reason goes to /opt/ml/output/failure (SageMaker's FailureReason) and the job exits non-zero.
- Stop: SageMaker stops a job with SIGTERM; the framework raises JobStopped wherever train is, so `finally` runs.
- predict gets the request as a dict: the JSON body itself, or {"instances": records} built from a JSON Lines body
  (a list, one value per line), a CSV body (a 2-D float NumPy array when every field is a number, else a list of
  rows, each the list of its fields) or a NumPy .npy body (the array). Every number in it is finite and fits a 64-bit
  float (the framework answers 400 otherwise); check what only your model knows. feature_matrix(data, features)
  turns any of them into a 2-D float array, raising InputError with the reason.
  It returns a dict; the framework encodes it as JSON, or, when the caller's Accept asks for CSV, JSON Lines or .npy,
  writes each item of its "predictions" list as one line. Raise InputError for bad data (the caller gets 400 with
  its message); any other exception gives 500.
  Add a `custom_attributes` parameter to receive the X-Amzn-SageMaker-Custom-Attributes header; return
  Prediction(result, custom_attributes="...") to send one back. Return an iterator (e.g. `yield` each token) to
  stream the answer as it is made.
- More content types: DECODERS = {"image/png": function(bytes) -> data} and ENCODERS = {"text/plain":
  function(result) -> bytes} in this file add to (or replace) the built-in ones (docs/any-model.md).
- SHARED_MODEL = False: for a model that starts threads or keeps a connection open at load (GPU frameworks, ONNX
  Runtime, clients), each worker loads its own copy instead of sharing the one loaded before the workers start
  (docs/shared-model.md). The server refuses to start, saying so, when a shared model leaves threads or sockets.
- ADAPTIVE_BATCHING = True lets requests that wait behind a busy predictor share one predict call (docs/batching.md):
  only for a predict whose records are independent, returning {"predictions": [...]}, one per record, in order.

- Several hosts (InstanceCount > 1): job.cluster says which (hosts, leader, is_leader, network_interface); only the
  leader reports metrics and writes the model unless EVERY_HOST_WRITES = True. `with job.dask() as client:` forms a
  Dask cluster across the hosts: only the leader runs the block (docs/distributed-training.md).

The example: a random forest on CSV files with a header row (the iris sample under opt/ml/input/data); with several
hosts its trees are fitted on every host's cores through joblib's Dask backend.
"""

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from framework import InputError, Range, TrainingJob, feature_matrix

log = logging.getLogger("algorithm")

REQUIRED_CHANNELS = ["training"]
OPTIONAL_CHANNELS = ["validation"]  # scored and reported when present
TRAINING_CONTENT_TYPES = ["text/csv"]  # what train reads from its channels
INSTANCE_TYPES = ["ml.m5.large", "ml.m5.xlarge", "ml.c5.xlarge"]  # where it may train and serve (the algorithm spec)
# Each record's label depends on that record alone, and one forest call costs about the same for 28 records as for
# 200: merging waiting requests halved the CPU per request in bin/benchmark.sh (docs/performance.md, "Adaptive
# batching, measured").
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
    # serve the leader's tasks, then leave (docs/distributed-training.md).
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
