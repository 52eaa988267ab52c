"""Training raises, as an algorithm's bug would."""

from dataclasses import dataclass


@dataclass
class Hyperparameters:
    pass


def train(job):
    raise ValueError("training failed on purpose")
