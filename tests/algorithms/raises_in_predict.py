"""predict raises on {"fail": true}, as an algorithm's bug would; otherwise it answers its worker's process id."""

import os


def initialize(model_dir):
    return None


def predict(model, data):
    if data.get("fail"):
        raise RuntimeError("predict failed on purpose")
    return {"pid": os.getpid()}
