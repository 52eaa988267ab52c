"""Answers with what it was given: the instances as predictions, the decoded body and the custom attributes."""


def initialize(model_dir):
    return None


def predict(model, data, custom_attributes=None):
    return {"predictions": data.get("instances", []), "echo": data, "custom_attributes": custom_attributes}
