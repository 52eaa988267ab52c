"""A tunable algorithm whose trials succeed, fail, or train without reporting the objective, by the value drawn."""

from dataclasses import dataclass
from typing import Annotated, Literal

from framework import Range

METRICS = {"validation:loss": "minimize"}


@dataclass
class Hyperparameters:
    x: Annotated[int, Range(1, 6)] = 1
    rate: Annotated[float, Range(1e-4, 1.0, scale="log")] = 0.01
    kind: Annotated[Literal["a", "b"], Range()] = "a"


def train(job):
    x = job.hyperparameters.x
    if x == 5:
        raise ValueError("x=5 fails on purpose")
    if x == 6:
        return  # trains, and reports nothing
    job.report_metric("validation:loss", x + job.hyperparameters.rate)
