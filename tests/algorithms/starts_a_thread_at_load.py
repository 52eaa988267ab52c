"""initialize starts a Python thread that never ends (a cache refresher, say) and does not say so in algorithm.py."""

import threading
import time


def _refresh():
    while True:
        time.sleep(0.1)


def initialize(model_dir):
    # Not a daemon: a process that waits for its threads at exit would wait forever.
    threading.Thread(target=_refresh, name="refresher").start()
    return None


def predict(model, data):
    return {"predictions": []}
