"""Declares one hyperparameter of every kind the algorithm spec maps, with and without ranges and comments, and a
content type of its own each way."""

from dataclasses import dataclass, field
from typing import Annotated, Literal

from framework import Range

REQUIRED_CHANNELS = ["train"]
OPTIONAL_CHANNELS = ["test", "extra"]
TRAINING_CONTENT_TYPES = ["application/x-parquet", "text/csv"]
METRICS = {"test:rmse": "minimize", "train:rmse": "minimize"}
DECODERS = {"image/png": bytes}
ENCODERS = {"text/plain": str.encode}


@dataclass
class Hyperparameters:
    label: str  # required: no default
    rate: Annotated[float, Range(1e-5, 1.0, scale="log")] = 0.01  # the learning rate
    momentum: Annotated[float, Range(0.0, 0.999, scale="reverse_log")] = 0.9
    layers: Annotated[int, Range(1, 8, scale="linear")] = 2
    patience: Annotated[int, Range(1, 100, tunable=False)] = 10  # bounds checked, never tuned
    optimizer: Annotated[Literal["sgd", "adam"], Range()] = "adam"
    loss: Literal["l1", "l2"] = "l2"  # categorical, not tunable
    shuffle: bool = True
    sizes: list[int] = field(default_factory=lambda: [64, 32])
    options: dict = field(default_factory=dict)
    depth: int | None = None
    epochs: int = 5


def train(job):
    pass
