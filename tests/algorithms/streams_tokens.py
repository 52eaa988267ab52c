"""Streams its answer: yields tokens one by one, and makes the last only after the caller has the first.

{"tokens": ["a", "b"]} streams them; {"wait_for": path} waits (10 s at most) for that file before the last token;
{"fail_after": n} raises after n tokens; {"reject": true} raises InputError before the first; {"delay": s} sleeps
before each token; {"closed": path} writes the thread its cleanup ran on and the tokens made, when it ends or is closed.
"""

import threading
import time
from pathlib import Path

from framework import InputError


def initialize(model_dir):
    return None


def predict(model, data):
    if data.get("reject"):
        raise InputError("no tokens to stream")
    made = 0
    try:
        for token in _tokens(data):
            made += 1
            yield token
    finally:
        if "closed" in data:
            Path(data["closed"]).write_text(f"{threading.current_thread().name} {made}")


def _tokens(data):
    tokens = data["tokens"]
    for number, token in enumerate(tokens):
        time.sleep(data.get("delay", 0))
        if number == data.get("fail_after"):
            raise RuntimeError(f"the model failed after {number} tokens")
        if number == len(tokens) - 1 and "wait_for" in data:
            deadline = time.monotonic() + 10
            while not Path(data["wait_for"]).exists():
                if time.monotonic() > deadline:
                    raise TimeoutError("the caller never said it had the first token")
                time.sleep(0.01)
        yield token
