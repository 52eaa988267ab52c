"""A test algorithm that opts in to adaptive batching but answers one prediction per call, not one per record."""

from pathlib import Path

ADAPTIVE_BATCHING = True


def initialize(model_dir: Path):
    return None


def predict(model, data: dict) -> dict:
    return {"predictions": [len(data["instances"])]}
