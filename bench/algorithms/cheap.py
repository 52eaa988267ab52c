"""Benchmark algorithm: a depth-3 decision tree on the iris columns.

Predicting with it costs microseconds, so what the benchmark measures is the serving stack's own cost per request
(HTTP, decoding, encoding), not the model's. The classic stack loads the very model.joblib this file writes.
"""

from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

REQUIRED_CHANNELS = ["training"]


@dataclass
class Hyperparameters:
    target: str = "species"
    max_depth: int = 3


def train(job) -> None:
    frame = pd.concat([pd.read_csv(f) for f in sorted(job.channels["training"].glob("*.csv"))], ignore_index=True)
    features = frame.drop(columns=[job.hyperparameters.target]).to_numpy(dtype=float)
    tree = DecisionTreeClassifier(max_depth=job.hyperparameters.max_depth, random_state=0)
    tree.fit(features, frame[job.hyperparameters.target])
    joblib.dump(tree, job.model_dir / "model.joblib")


def initialize(model_dir: Path):
    return joblib.load(model_dir / "model.joblib")


def predict(model, data: dict) -> dict:
    return {"predictions": model.predict(np.asarray(data["instances"], dtype=float)).tolist()}
