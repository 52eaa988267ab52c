"""SHARED_MODEL is not True or False."""

SHARED_MODEL = "no"


def initialize(model_dir):
    return None


def predict(model, data):
    return {"predictions": []}
