"""predict refuses every input as bad, the way an algorithm tells the caller their request is wrong."""

from framework import InputError


def initialize(model_dir):
    return None


def predict(model, data):
    raise InputError("this algorithm rejects every input")
