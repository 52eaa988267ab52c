"""Each prediction holds the GIL for one second with pure-Python work, as a CPU-bound model does."""

import time


def initialize(model_dir):
    return None


def predict(model, data):
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        sum(range(1000))
    return {"predictions": []}
