"""A test algorithm for multi-model serving: each trained model answers with its own label, and loads as told.

Hyperparameters become the model's files: `label` (what predict answers with), `load_seconds` (initialize holds the
GIL that long), `allocate_mb` (initialize keeps that much memory), `fail_on_load` (initialize raises).
Every initialize appends its process id to initialized.log in the model's folder, so tests count the loads.
"""

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


@dataclass
class Hyperparameters:
    label: str = "a"
    load_seconds: float = 0.0
    allocate_mb: int = 0
    fail_on_load: bool = False


def train(job):
    (job.model_dir / "model.json").write_text(json.dumps(asdict(job.hyperparameters)))


def initialize(model_dir: Path):
    with open(model_dir / "initialized.log", "a") as log:
        log.write(f"{os.getpid()}\n")
    spec = json.loads((model_dir / "model.json").read_text())
    if spec["fail_on_load"]:
        raise ValueError("this model was trained to fail when loaded")
    deadline = time.monotonic() + spec["load_seconds"]
    while time.monotonic() < deadline:  # pure-Python work that holds the GIL, as unpickling a big model does
        sum(range(1000))
    # Written to, so that the pages are really in memory.
    ballast = np.ones(spec["allocate_mb"] * 1024 * 1024 // 8)
    return {"label": spec["label"], "ballast": ballast}


def predict(model, data, custom_attributes=None):
    instances = data.get("instances", [])
    return {
        "predictions": [model["label"]] * len(instances),
        "custom_attributes": custom_attributes,
        "pid": os.getpid(),
    }
