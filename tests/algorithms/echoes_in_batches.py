"""A test algorithm that opts in to adaptive batching: each prediction is its record, echoed.

It writes the record count of every predict call to calls.log in the model folder, so a test can see which calls
were merged. Records are lists of numbers: a negative one is bad input (InputError), a 666 makes predict fail.
The custom attribute "hold" keeps the predictor busy for a second and a half, so that a burst queues behind it.
"""

import time
from pathlib import Path

import numpy as np

from framework import InputError

ADAPTIVE_BATCHING = True


def initialize(model_dir: Path):
    return model_dir / "calls.log"


def predict(calls_log: Path, data: dict, custom_attributes: str | None = None) -> dict:
    if custom_attributes == "hold":
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:  # pure-Python work that holds the GIL, as a model does
            sum(range(1000))
    instances = data["instances"]
    with open(calls_log, "a") as log:
        log.write(f"{len(instances)}\n")
    values = np.asarray(instances, dtype=float)
    if (values < 0).any():
        raise InputError("negative values are not allowed")
    if (values == 666).any():
        raise RuntimeError("666 is not a record")
    return {"predictions": instances}
