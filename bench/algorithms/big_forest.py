"""Benchmark algorithm: a 100-tree random forest grown to full depth on noisy synthetic data, whose pickle is ~90 MB.

The model of bench/memory.py, which measures what each gunicorn worker's copy of it costs. Its size comes from the
node arrays of its trees (NumPy buffers, ~80 bytes a node): `samples` sets it (36,000 gives ~90 MB).
"""

from dataclasses import dataclass
from pathlib import Path

import joblib
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

from framework import feature_matrix

FEATURES = ["a", "b", "c", "d"]


@dataclass
class Hyperparameters:
    samples: int = 36_000


def train(job) -> None:
    features, labels = make_classification(
        n_samples=job.hyperparameters.samples,
        n_features=len(FEATURES),
        n_informative=len(FEATURES),
        n_redundant=0,
        flip_y=0.3,  # noisy labels: fully grown trees get a leaf for nearly every other record
        random_state=0,
    )
    forest = RandomForestClassifier(n_estimators=100, random_state=0).fit(features, labels)
    joblib.dump(forest, job.model_dir / "model.joblib")


def initialize(model_dir: Path):
    return joblib.load(model_dir / "model.joblib")


def predict(model, data: dict) -> dict:
    return {"predictions": model.predict(feature_matrix(data, FEATURES)).tolist()}
