"""Reports awkward metric values (scientific notation, negatives, NaN, infinities, NumPy floats) between decoy lines."""

import math
import sys
from dataclasses import dataclass

import numpy as np

METRICS = {
    "validation:loss": "minimize",
    "validation:loss.avg": "minimize",
    "train:error-rate": "minimize",
    "validation:accuracy": "maximize",
}
# (metric, value) in the order train reports them, one epoch each.
REPORTED = [
    ("validation:loss", 0.5),
    ("validation:loss", -3.25),
    ("validation:loss", 1e-05),
    ("validation:loss", 6.02e23),
    ("validation:loss.avg", -1.5e-10),
    ("validation:loss.avg", 0.0),
    ("validation:loss.avg", -0.0),
    ("train:error-rate", 3),
    ("train:error-rate", math.nan),
    ("train:error-rate", 1e300),
    ("train:error-rate", math.inf),
    ("validation:accuracy", np.float32(0.1)),
    ("validation:accuracy", 123456789.123),
    ("validation:accuracy", 5e-324),
    ("validation:accuracy", -math.inf),
]


@dataclass
class Hyperparameters:
    pass


def train(job):
    # Lines that mention the metrics but are not the framework's metric lines: no regex may take a value from them.
    print("metric validation:loss is what early stopping watches", flush=True)
    print("metric validation:loss = 7.0 (spaced, not ours)", flush=True)
    print("metric validation:lossXavg=8.0 (the point in loss.avg is not a wildcard)", flush=True)
    print("metric pretrain:error-rate=9.0 (another metric whose name ends like ours)", file=sys.stderr, flush=True)
    for epoch, (name, value) in enumerate(REPORTED):
        job.report_metric(name, value, epoch=epoch)
