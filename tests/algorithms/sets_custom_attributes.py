"""Sends back the custom attributes the request's JSON asks for, through framework.Prediction."""

from framework import Prediction


def initialize(model_dir):
    return None


def predict(model, data):
    return Prediction({"predictions": [1]}, custom_attributes=data["attributes"])
