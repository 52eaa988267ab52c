"""A test algorithm whose model cannot be loaded."""

from dataclasses import dataclass


@dataclass
class Hyperparameters:
    pass


def train(job):
    pass


def initialize(model_dir):
    raise FileNotFoundError(f"no model file in {model_dir}")


def predict(model, data):
    return {"predictions": []}
