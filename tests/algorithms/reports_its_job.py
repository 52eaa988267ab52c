"""Trains by writing down what the framework gave it: typed hyperparameters, channels, hosts and folders."""

import json
from dataclasses import dataclass, field
from typing import Literal

REQUIRED_CHANNELS = ["training"]


@dataclass
class Hyperparameters:
    kind: Literal["tree", "forest"] = "tree"
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
