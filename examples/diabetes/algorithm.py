"""The algorithm: the one file an algorithm author edits (helpers go in lib/). The framework calls three hooks.

    train(job)                          `docker run IMAGE train`: fit on job.channels, save into job.model_dir
    initialize(model_dir) -> model      `docker run IMAGE serve`: once, before any request; every worker shares it
    predict(model, data) -> dict        each POST /invocations

Every hook and declaration is in docs/reference/algorithm-hooks.md: hyperparameters declared once as a dataclass,
channels in job.channels, METRICS reported with job.report_metric, InputError for bad input.

The example: scikit-learn's HistGradientBoostingRegressor on its bundled diabetes data (442 patients, 10 numbers each,
and `target`, a measure of the disease a year later), written as CSV files with a header row under
opt/ml/input/data. It answers numbers, and its tuning job minimises the validation RMSE.
"""

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import root_mean_squared_error

from framework import Range, TrainingJob, feature_matrix

log = logging.getLogger("algorithm")

REQUIRED_CHANNELS = ["training"]
OPTIONAL_CHANNELS = ["validation"]  # scored and reported when present
TRAINING_CONTENT_TYPES = ["text/csv"]  # what train reads from its channels
INSTANCE_TYPES = ["ml.m5.large", "ml.m5.xlarge"]  # where it may train and serve (the algorithm spec)
# Each record's answer depends on that record alone: waiting requests may share one predict call.
ADAPTIVE_BATCHING = True

# An error is better small: a tuning job minimises the first.
METRICS = {"validation:rmse": "minimize", "train:rmse": "minimize"}


@dataclass
class Hyperparameters:
    target: str = "target"  # the column to predict; every other column is a feature
    learning_rate: Annotated[float, Range(0.01, 0.5, scale="log")] = 0.05  # how much each tree corrects the last
    max_iter: Annotated[int, Range(20, 400, scale="log")] = 100  # boosting rounds: trees in the model
    max_leaf_nodes: Annotated[int, Range(4, 63)] = 15  # most leaves a tree may have
    random_state: int = 0  # seed of the model's randomness


@dataclass
class Model:
    estimator: HistGradientBoostingRegressor
    features: list[str]


def train(job: TrainingJob) -> None:
    # On several hosts each fits the same model on its copy of the data (FullyReplicated); the leader's is written.
    params: Hyperparameters = job.hyperparameters
    features, target = _read_channel(job.channels["training"], params.target)
    log.info("training on %d records, %d features: %s", len(features), features.shape[1], list(features.columns))
    estimator = HistGradientBoostingRegressor(
        learning_rate=params.learning_rate,
        max_iter=params.max_iter,
        max_leaf_nodes=params.max_leaf_nodes,
        early_stopping=False,  # the validation channel is scored, not used to stop: every run fits max_iter trees
        random_state=params.random_state,
    )
    estimator.fit(features.to_numpy(dtype=float), target)
    job.report_metric("train:rmse", _rmse(estimator, features, target))

    if "validation" in job.channels:
        valid_features, valid_target = _read_channel(job.channels["validation"], params.target)
        log.info("scoring on %d validation records", len(valid_features))
        job.report_metric("validation:rmse", _rmse(estimator, valid_features[list(features.columns)], valid_target))

    joblib.dump(estimator, job.model_dir / "model.joblib")
    (job.model_dir / "metadata.json").write_text(json.dumps({"features": list(features.columns)}, indent=2) + "\n")
    log.info("model saved to %s", job.model_dir)


def initialize(model_dir: Path) -> Model:
    features = json.loads((model_dir / "metadata.json").read_text())["features"]
    return Model(estimator=joblib.load(model_dir / "model.joblib"), features=features)


def predict(model: Model, data: dict) -> dict:
    """{"instances": [[59, 2, 32.1, ...], ...]} or [{"age": 59, ...}] -> {"predictions": [151.2, ...]}."""
    rows = feature_matrix(data, model.features)
    # Two decimals: the target is a whole number, and more digits would only say the model is precise.
    return {"predictions": np.round(model.estimator.predict(rows), 2).tolist()}


def _rmse(estimator: HistGradientBoostingRegressor, features: pd.DataFrame, target: pd.Series) -> float:
    return float(root_mean_squared_error(target, estimator.predict(features.to_numpy(dtype=float))))


def _read_channel(folder: Path, target: str) -> tuple[pd.DataFrame, pd.Series]:
    # SageMaker may deliver a channel as many files (sharded input): read them all.
    files = sorted(p for p in folder.rglob("*.csv") if p.is_file())
    if not files:
        raise ValueError(f"no .csv files in {folder}")
    frame = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    if target not in frame.columns:
        raise ValueError(f"target column {target!r} is not in {folder.name}'s columns: {list(frame.columns)}")
    return frame.drop(columns=[target]), frame[target]
