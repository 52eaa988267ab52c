"""A test algorithm that opts in to adaptive batching and answers more than "predictions": the record count of its
call, which only a call on one request's records gets right."""

from pathlib import Path

ADAPTIVE_BATCHING = True


def initialize(model_dir: Path):
    return None


def predict(model, data: dict) -> dict:
    return {"predictions": data["instances"], "records": len(data["instances"])}
