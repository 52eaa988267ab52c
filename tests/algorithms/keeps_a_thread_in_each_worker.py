"""initialize starts a thread, and algorithm.py says so: SHARED_MODEL = False, each worker loads its own model."""

import os
import threading
import time

SHARED_MODEL = False


def _refresh():
    while True:
        time.sleep(0.1)


def initialize(model_dir):
    thread = threading.Thread(target=_refresh, name="refresher", daemon=True)
    thread.start()
    return {"loaded_in": os.getpid(), "thread": thread}


def predict(model, data):
    return {"loaded_in": model["loaded_in"], "pid": os.getpid(), "thread_alive": model["thread"].is_alive()}
