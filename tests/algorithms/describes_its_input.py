"""Answers what the decoded instances arrived as: their type, row count, first and last row."""


def initialize(model_dir):
    return None


def predict(model, data):
    instances = data["instances"]
    return {"type": type(instances).__name__, "rows": len(instances), "first": instances[0], "last": instances[-1]}
