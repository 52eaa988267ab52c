"""Answers whether gevent had patched ssl and socket in the worker that runs predict."""

from gevent import monkey


def initialize(model_dir):
    return None


def predict(model, data):
    return {"ssl_patched": monkey.is_module_patched("ssl"), "socket_patched": monkey.is_module_patched("socket")}
