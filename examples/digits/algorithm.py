"""The algorithm: the one file an algorithm author edits (helpers go in lib/). The framework calls three hooks.

    train(job)                          `docker run IMAGE train`: fit on job.channels, save into job.model_dir
    initialize(model_dir) -> model      `docker run IMAGE serve`: once, before any request; every worker shares it
    predict(model, data) -> dict        each POST /invocations

Every hook and declaration is in docs/reference/algorithm-hooks.md: hyperparameters declared once as a dataclass,
channels in job.channels, METRICS reported with job.report_metric, InputError for bad input; DECODERS and ENCODERS
add content types (docs/how-to/serve-any-content-type.md).

The example: an image model. scikit-learn's bundled handwritten digits (8 x 8 grey images), written as PNG files in a
folder per digit under opt/ml/input/data/<channel>/<digit>/, train a support vector classifier. It takes a PNG image
(image/png, through DECODERS and lib/png.py) or the 64 pixels as numbers (JSON, CSV, JSON Lines, .npy), and answers
the digit: as JSON, or as bare text with Accept: text/plain (ENCODERS).
"""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import joblib
import numpy as np
from sklearn.svm import SVC

from framework import InputError, Range, TrainingJob, feature_matrix
from lib.png import read_png

log = logging.getLogger("algorithm")

REQUIRED_CHANNELS = ["training"]
OPTIONAL_CHANNELS = ["validation"]  # scored and reported when present
TRAINING_CONTENT_TYPES = ["image/png"]  # what train reads from its channels
INSTANCE_TYPES = ["ml.m5.large", "ml.c5.xlarge"]  # where it may train and serve (the algorithm spec)
SIDE = 8  # the images' width and height, in pixels
ADAPTIVE_BATCHING = True  # each image is labelled alone


def decode_png(body: bytes) -> dict:
    """An image/png body: one grey (or colour, averaged) SIDE x SIDE image, as {"instances": [its pixels]}."""
    image = read_png(body)
    if image.shape[:2] != (SIDE, SIDE):
        raise InputError(f"expected a {SIDE} x {SIDE} image, got {image.shape[1]} x {image.shape[0]}")
    grey = image[..., : min(3, image.shape[2])].mean(axis=2)  # an alpha channel is not a colour
    return {"instances": grey.reshape(1, SIDE * SIDE)}


DECODERS = {"image/png": decode_png}
# Accept: text/plain answers the digits alone, one a line, as a person reads them.
ENCODERS = {"text/plain": lambda answer: "".join(f"{d}\n" for d in answer["predictions"]).encode()}

METRICS = {"validation:accuracy": "maximize", "train:accuracy": "maximize"}


@dataclass
class Hyperparameters:
    c: Annotated[float, Range(0.1, 100.0, scale="log")] = 10.0  # inverse regularisation: larger fits closer
    gamma: Annotated[float, Range(0.001, 1.0, scale="log")] = 0.05  # the reach of one image in the RBF kernel


def train(job: TrainingJob) -> None:
    # On several hosts each fits the same model on its copy of the data (FullyReplicated); the leader's is written.
    params: Hyperparameters = job.hyperparameters
    pixels, digits = _read_channel(job.channels["training"])
    log.info("training on %d images of %d x %d pixels", len(pixels), SIDE, SIDE)
    model = SVC(C=params.c, gamma=params.gamma)
    model.fit(_scaled(pixels), digits)
    job.report_metric("train:accuracy", model.score(_scaled(pixels), digits))

    if "validation" in job.channels:
        valid_pixels, valid_digits = _read_channel(job.channels["validation"])
        log.info("scoring on %d validation images", len(valid_pixels))
        job.report_metric("validation:accuracy", model.score(_scaled(valid_pixels), valid_digits))

    joblib.dump(model, job.model_dir / "model.joblib")
    log.info("model saved to %s", job.model_dir)


def initialize(model_dir: Path) -> SVC:
    return joblib.load(model_dir / "model.joblib")


def predict(model: SVC, data: dict) -> dict:
    """A PNG image, or {"instances": [[64 pixels, 0 to 255], ...]} -> {"predictions": [7, ...]}."""
    pixels = feature_matrix(data, SIDE * SIDE)
    if ((pixels < 0) | (pixels > 255)).any():
        raise InputError("pixels are grey levels from 0 to 255")
    return {"predictions": model.predict(_scaled(pixels)).tolist()}


def _scaled(pixels: np.ndarray) -> np.ndarray:
    return pixels / 255.0


def _read_channel(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Every PNG under folder/<digit>/, as (its pixels, one row an image; its digit, the folder's name)."""
    files = sorted(p for p in folder.glob("*/*.png") if p.is_file())
    if not files:
        raise ValueError(f"no PNG images in {folder}/<digit>/")
    images = [decode_png(path.read_bytes())["instances"][0] for path in files]
    return np.array(images), np.array([int(path.parent.name) for path in files])
