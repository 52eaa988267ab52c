"""Trains a model file; each load of it appends the loading process's id to a log next to it. Each worker loads its
own copy (SHARED_MODEL = False): the tests count one load per worker, never one per request."""

import os
from dataclasses import dataclass

SHARED_MODEL = False


@dataclass
class Hyperparameters:
    pass


def train(job):
    (job.model_dir / "model.txt").write_text("trained")


def initialize(model_dir):
    with open(model_dir / "initialized.log", "a") as log:
        log.write(f"{os.getpid()}\n")
    return (model_dir / "model.txt").read_text()


def predict(model, data):
    return {"predictions": [model]}
