"""A test algorithm that reports what the framework gave it and misbehaves on request."""

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from framework import InputError

REQUIRED_CHANNELS = ["training"]


@dataclass
class Hyperparameters:
    mode: Literal["ok", "fail", "slow"] = "ok"
    epochs: int = 1
    rate: float = 0.1
    verbose: bool = False
    layers: list[int] = field(default_factory=lambda: [8])
    depth: int | None = None


def train(job):
    report = {
        "hyperparameters": vars(job.hyperparameters),
        "platform": job.platform_hyperparameters,
        "channels": {name: str(path) for name, path in job.channels.items()},
        "current_host": job.current_host,
        "hosts": job.hosts,
        "input_data_config": job.input_data_config,
        "dirs": [str(job.model_dir), str(job.output_data_dir), str(job.checkpoint_dir)],
    }
    (job.output_data_dir / "report.json").write_text(json.dumps(report))
    mode = job.hyperparameters.mode
    if mode == "fail":
        raise ValueError("the probe was told to fail")
    if mode == "slow":
        try:
            (job.checkpoint_dir / "started").write_text("yes")
            print("probe: training started", flush=True)
            time.sleep(60)
        finally:
            (job.checkpoint_dir / "cleanup").write_text("ran")
    (job.model_dir / "model.txt").write_text("probe")


def initialize(model_dir: Path):
    with open(model_dir / "initialized.log", "a") as log:
        log.write(f"{os.getpid()}\n")
    return {"model": (model_dir / "model.txt").read_text()}


def predict(model, data, custom_attributes=None):
    if data.get("fail"):
        raise RuntimeError("the probe was told to fail")
    if data.get("bad"):
        raise InputError("the probe was told this input is bad")
    if "busy_seconds" in data:
        deadline = time.monotonic() + data["busy_seconds"]
        while time.monotonic() < deadline:  # pure-Python work that holds the GIL
            sum(range(1000))
    if data.get("introspect"):
        from gevent import monkey

        return {
            "ssl_patched": monkey.is_module_patched("ssl"),
            "socket_patched": monkey.is_module_patched("socket"),
            "pid": os.getpid(),
            "modules_before": "ssl" in sys.modules,
        }
    if custom_attributes == "describe":
        instances = data["instances"]
        return {"type": type(instances).__name__, "rows": len(instances), "first": instances[0], "last": instances[-1]}
    if data.get("not_a_dict"):
        return ["a", "list"]
    return {
        "predictions": data.get("instances", []),
        "echo": data,
        "custom_attributes": custom_attributes,
        "model": model["model"],
    }
