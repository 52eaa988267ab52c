"""Training that takes a minute, with a `finally` that must run when the job is stopped."""

import time
from dataclasses import dataclass


@dataclass
class Hyperparameters:
    pass


def train(job):
    try:
        (job.checkpoint_dir / "started").write_text("yes")
        print("training started", flush=True)
        time.sleep(60)
    finally:
        (job.checkpoint_dir / "cleanup").write_text("ran")
