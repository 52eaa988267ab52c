"""An OpenMP estimator: scikit-learn's HistGradientBoostingRegressor, whose fit and predict run on OpenMP threads.
predict also answers with the thread pools' sizes that threadpoolctl sees in the worker, and with OMP_NUM_THREADS."""

import os
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_info


@dataclass
class Hyperparameters:
    pass


def train(job):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(500, 4))
    model = HistGradientBoostingRegressor(max_iter=20).fit(features, features @ [1.0, 2.0, 0.0, -1.0])
    joblib.dump(model, job.model_dir / "model.joblib")


def initialize(model_dir: Path):
    return joblib.load(model_dir / "model.joblib")


def predict(model, data):
    return {
        "predictions": model.predict(np.asarray(data["instances"], dtype=float)).tolist(),
        "threads": {pool["user_api"]: pool["num_threads"] for pool in threadpool_info()},
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }
