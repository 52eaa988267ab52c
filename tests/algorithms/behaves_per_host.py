"""Trains alone on each host of a multi-host job (no Dask): lists the channel share it got, writes a model file, and,
as its hyperparameters say, fails on one host or sleeps until it is stopped."""

import json
import time
from dataclasses import dataclass

EVERY_HOST_WRITES = True  # each host writes its own model file (the clash test names them alike)


@dataclass
class Hyperparameters:
    fail_on: str = ""  # this host raises at once
    sleep: float = 0  # the other hosts train this long (SIGTERM stops them sooner)
    model_file: str = ""  # every host's model file name; default: one per host


def train(job):
    host = job.current_host
    if host == job.hyperparameters.fail_on:
        raise ValueError(f"{host} cannot train")
    folder = job.channels.get("training")
    share = {}
    if folder is not None:
        share = {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}
    (job.output_data_dir / f"{host}.json").write_text(json.dumps({"host": host, "share": share}))
    (job.model_dir / (job.hyperparameters.model_file or f"{host}.txt")).write_text(host)
    deadline = time.monotonic() + job.hyperparameters.sleep
    while time.monotonic() < deadline:
        time.sleep(0.1)
