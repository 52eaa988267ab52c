"""A test algorithm for batch transform: answers each record with itself (a CSV row as its fields, a JSON Lines value
as it is), so that what the runner sent and assembled can be compared with its input.

Some records ask for something else: {"sleep": s} is answered {"pid", "start", "end"} after sleeping s seconds,
{"busy": s} likewise after s seconds of work that holds the GIL, as a CPU-bound model does (do requests reach both
workers at once?), "env" with the SAGEMAKER_* variables the server was started with, "boom" makes
predict raise (500), "bad" raises InputError (400), "short" makes the answer one record short.
"""

import os
import time

from framework import InputError


def initialize(model_dir):
    return None


def predict(model, data: dict) -> dict:
    instances = data.get("instances")
    if instances is None:  # an application/json document
        return {"predictions": [data]}
    records = instances.tolist() if hasattr(instances, "tolist") else list(instances)
    flat = [x for r in records for x in (r if isinstance(r, list) else [r])]
    if "boom" in flat:
        raise ValueError("the echo algorithm was told to fail")
    if "bad" in flat:
        raise InputError("the echo algorithm refuses the record 'bad'")
    answers = [_answer(record) for record in records]
    return {"predictions": answers[:-1] if "short" in flat else answers}


def _answer(record):
    if isinstance(record, dict) and "sleep" in record:
        started = time.time()
        time.sleep(record["sleep"])
        return {"pid": os.getpid(), "start": started, "end": time.time()}
    if isinstance(record, dict) and "busy" in record:
        started = time.time()
        while time.time() < started + record["busy"]:
            sum(range(1000))  # pure Python: the predictor thread holds the GIL, as a real model's predict does
        return {"pid": os.getpid(), "start": started, "end": time.time()}
    if record == "env":
        return {k: v for k, v in os.environ.items() if k.startswith("SAGEMAKER_")}
    return record
