"""Takes any body as raw bytes (application/octet-stream) and answers its size and the worker's peak memory."""

import resource


def initialize(model_dir):
    return None


DECODERS = {"application/octet-stream": lambda body: body}


def predict(model, body: bytes) -> dict:
    # ru_maxrss: the process's peak resident set since it started, in kB on Linux.
    return {"bytes": len(body), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
