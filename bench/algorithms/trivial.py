"""Benchmark algorithm whose predict does nothing: served by the framework, it measures the framework alone, to be
compared with the floor stack (a Flask app on the same gunicorn settings that reads the body and answers a constant).
"""

from pathlib import Path


def initialize(model_dir: Path):
    return None


def predict(model, data: dict) -> dict:
    return {"predictions": [0]}
