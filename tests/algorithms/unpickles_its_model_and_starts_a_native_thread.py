"""initialize unpickles a scikit-learn model (SciPy's OpenBLAS starts its threads) and starts one operating system
thread of its own: the OpenBLAS threads let through must not hide it."""

import pickle
from dataclasses import dataclass
from pathlib import Path

from gevent import monkey

start_new_thread = monkey.get_original("_thread", "start_new_thread")
sleep = monkey.get_original("time", "sleep")


@dataclass
class Hyperparameters:
    pass


def train(job):
    import numpy as np
    from sklearn.linear_model import LinearRegression

    features = np.arange(40.0).reshape(20, 2)
    (job.model_dir / "model.pkl").write_bytes(pickle.dumps(LinearRegression().fit(features, features[:, 0])))


def _spin():
    while True:
        sleep(0.1)


def initialize(model_dir: Path):
    model = pickle.loads((model_dir / "model.pkl").read_bytes())
    start_new_thread(_spin, ())
    return model


def predict(model, data):
    return {"predictions": []}
