"""predict logs through `logging`, as an algorithm does, and raises on {"fail": true}; it answers the n it was sent."""

import logging

log = logging.getLogger("algorithm")


def initialize(model_dir):
    return None


def predict(model, data):
    log.info("predicting n=%s", data.get("n"))
    if data.get("fail"):
        raise RuntimeError("predict failed on purpose")
    return {"n": data.get("n")}
