"""predict hands work to thread pools, as scikit-learn does with n_jobs (joblib's threads) and as code does with
concurrent.futures: under gevent's patched threading they run as greenlets of the predictor thread, and must finish.
Left unpatched, threading's pools and gevent's patched time and sockets meet in a native thread: joblib's pool then
never answers (gevent's LoopExit), which is why main.py patches threading too."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.ensemble import RandomForestClassifier


def initialize(model_dir):
    features = np.arange(40, dtype=float).reshape(20, 2)
    forest = RandomForestClassifier(n_estimators=8, random_state=0).fit(features, features[:, 0] >= 20)
    return forest.set_params(n_jobs=2)  # after fit: a shared model may not leave threads behind


def predict(model, data):
    rows = np.asarray(data["instances"], dtype=float)
    with ThreadPoolExecutor(2) as pool:
        doubled = list(pool.map(lambda row: [2 * x for x in row], data["instances"]))
    return {"predictions": model.predict(rows).tolist(), "doubled": doubled}
