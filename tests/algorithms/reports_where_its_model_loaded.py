"""The model is the id of the process that loaded it; predict answers with it and with its own process id."""

import os


def initialize(model_dir):
    return os.getpid()


def predict(model, data):
    return {"loaded_in": model, "pid": os.getpid()}
