"""A test algorithm for batch transform: answers each record with itself (a CSV row as its fields, a JSON Lines value
as it is), so that what the runner sent and assembled can be compared with its input.

ECHO_MODE in the server's environment changes the answer: "timing" answers {"pid", "start", "end"} for each record
after sleeping ECHO_SLEEP seconds per request (do requests reach both workers at once?), "env" answers the
SAGEMAKER_* variables the server was started with. A record that is the text "boom" makes predict raise (500),
"bad" raises InputError (400), "short" makes the answer one record short.
"""

import os
import time

from framework import InputError


def initialize(model_dir):
    return None


def predict(model, data: dict) -> dict:
    started = time.time()
    instances = data.get("instances")
    if instances is None:  # an application/json document
        return {"predictions": [data]}
    records = instances.tolist() if hasattr(instances, "tolist") else list(instances)
    flat = [x for r in records for x in (r if isinstance(r, list) else [r])]
    if "boom" in flat:
        raise ValueError("the echo algorithm was told to fail")
    if "bad" in flat:
        raise InputError("the echo algorithm refuses the record 'bad'")
    mode = os.environ.get("ECHO_MODE")
    if mode == "timing":
        time.sleep(float(os.environ.get("ECHO_SLEEP", "0.3")))
        records = [{"pid": os.getpid(), "start": started, "end": time.time()} for _ in records]
    elif mode == "env":
        records = [{k: v for k, v in os.environ.items() if k.startswith("SAGEMAKER_")} for _ in records]
    if "short" in flat:
        records = records[:-1]
    return {"predictions": records}
