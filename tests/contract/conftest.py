"""The contract suite's subject, copied once, trained once and served once for all its checks (tests/contract/), and
stopped when they are done, not at the end of the whole test run."""

import subprocess

import pytest

from .subject import Subject, fail, subject_folder
from conftest import Server
from framework.training.job import PLACEHOLDERS


@pytest.fixture(scope="package")
def subject(tmp_path_factory) -> Subject:
    return Subject(tmp_path_factory.mktemp("contract") / "project", subject_folder())


@pytest.fixture(scope="package")
def trained(subject) -> subprocess.CompletedProcess:
    """`main.py train` on the subject's opt/ml, as SageMaker runs a training job: one training for every check."""
    done = subject.train(timeout=900)
    if done.returncode != 0:
        reason = subject.failure.read_text().strip() if subject.failure.is_file() else ""
        last = reason or (done.stderr.strip().splitlines() or ["no output"])[-1]
        fail("algorithm.py", f"training on opt/ml failed (exit {done.returncode}): {last.splitlines()[0]}")
    if not any(p.name not in PLACEHOLDERS for p in (subject.ml / "model").iterdir()):
        fail("algorithm.py", "training succeeded but wrote nothing into the model folder (job.model_dir)")
    return done


@pytest.fixture(scope="package")
def server(subject, trained):
    """`main.py serve` on the trained model: a real gunicorn on 127.0.0.1, one worker."""
    server = Server(subject, SAGEMAKER_MODEL_SERVER_WORKERS="1")
    try:
        server.wait_ready(timeout=120)
    except RuntimeError as exc:
        last = str(exc).strip().splitlines()
        fail("algorithm.py", f"the server did not start: {last[-1] if last else exc}")
    yield server
    server.stop()
