"""The algorithm: the one file an algorithm author edits (helpers go in lib/). The framework calls three hooks.

    train(job)                          `docker run IMAGE train`: fit on job.channels, save into job.model_dir
    initialize(model_dir) -> model      `docker run IMAGE serve`: once, before any request; every worker shares it
    predict(model, data) -> dict        each POST /invocations

Every hook and declaration is in docs/reference/algorithm-hooks.md: hyperparameters declared once as a dataclass,
channels in job.channels, METRICS reported with job.report_metric, InputError for bad input; DECODERS adds content
types (docs/how-to/serve-any-content-type.md).

The example: a text classifier. Short sentences about sport, the weather or cooking (opt/ml/input/data: CSV files with
the columns `text` and `topic`) train a TF-IDF vectoriser and a logistic regression, one scikit-learn pipeline. It
takes strings (JSON, JSON Lines, one-column CSV, or text/plain with one text a line: lib/texts.py) and answers labels.
"""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import joblib
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline, make_pipeline

from framework import Range, TrainingJob
from lib.texts import decode_lines, texts_of

log = logging.getLogger("algorithm")

REQUIRED_CHANNELS = ["training"]
OPTIONAL_CHANNELS = ["validation"]  # scored and reported when present
TRAINING_CONTENT_TYPES = ["text/csv"]  # what train reads from its channels
INSTANCE_TYPES = ["ml.m5.large", "ml.c5.xlarge"]  # where it may train and serve (the algorithm spec)
ADAPTIVE_BATCHING = True  # each text is labelled alone

# One text a line, as people paste them; the built-in JSON, JSON Lines and CSV decoders stay.
DECODERS = {"text/plain": decode_lines}

# The mean of the topics' F1 scores: each topic counts alike, however many texts it has.
METRICS = {"validation:macro_f1": "maximize", "train:macro_f1": "maximize"}


@dataclass
class Hyperparameters:
    text: str = "text"  # the column of the texts
    target: str = "topic"  # the column of their labels
    analyzer: Annotated[Literal["word", "char_wb"], Range()] = "word"  # words, or letter n-grams within words
    ngram_max: Annotated[int, Range(1, 3)] = 1  # the longest n-gram counted (of words or of letters)
    c: Annotated[float, Range(0.01, 100.0, scale="log")] = 10.0  # inverse regularisation: larger fits closer


def train(job: TrainingJob) -> None:
    # On several hosts each fits the same model on its copy of the data (FullyReplicated); the leader's is written.
    params: Hyperparameters = job.hyperparameters
    texts, labels = _read_channel(job.channels["training"], params)
    log.info("training on %d texts, topics %s", len(texts), sorted(labels.unique()))
    low = 3 if params.analyzer == "char_wb" else 1  # letter n-grams start at three letters
    model = make_pipeline(
        TfidfVectorizer(analyzer=params.analyzer, ngram_range=(low, max(low, params.ngram_max)), sublinear_tf=True),
        LogisticRegression(C=params.c, max_iter=1000),
    )
    model.fit(texts, labels)
    job.report_metric("train:macro_f1", f1_score(labels, model.predict(texts), average="macro"))

    if "validation" in job.channels:
        valid_texts, valid_labels = _read_channel(job.channels["validation"], params)
        log.info("scoring on %d validation texts", len(valid_texts))
        job.report_metric("validation:macro_f1", f1_score(valid_labels, model.predict(valid_texts), average="macro"))

    joblib.dump(model, job.model_dir / "model.joblib")
    log.info("model saved to %s", job.model_dir)


def initialize(model_dir: Path) -> Pipeline:
    return joblib.load(model_dir / "model.joblib")


def predict(model: Pipeline, data: dict) -> dict:
    """{"instances": ["Fry the onions", ...]} -> {"predictions": ["cooking", ...]}."""
    return {"predictions": model.predict(texts_of(data)).tolist()}


def _read_channel(folder: Path, params: Hyperparameters) -> tuple[list[str], pd.Series]:
    # SageMaker may deliver a channel as many files (sharded input): read them all.
    files = sorted(p for p in folder.rglob("*.csv") if p.is_file())
    if not files:
        raise ValueError(f"no .csv files in {folder}")
    frame = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)
    missing = [c for c in (params.text, params.target) if c not in frame.columns]
    if missing:
        raise ValueError(f"{folder.name} has no column {missing[0]!r}: its columns are {list(frame.columns)}")
    return frame[params.text].tolist(), frame[params.target]
