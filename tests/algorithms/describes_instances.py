"""A test algorithm that answers with what the decoders made of the body: how many records, the first and the last."""

from dataclasses import dataclass


@dataclass
class Hyperparameters:
    pass


def train(job):
    (job.model_dir / "model.txt").write_text("describes")


def initialize(model_dir):
    return None


def predict(model, data):
    instances = data.get("instances", [])
    if len(instances) == 0:
        return {"count": 0}
    return {"count": len(instances), "first": instances[0], "last": instances[-1]}
