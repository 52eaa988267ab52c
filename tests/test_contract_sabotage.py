"""The contract suite (tests/contract/) over a project that is not the template's example: a ridge regressor answering
numbers, written here, passes it; sabotaged copies of it fail it, each with one line naming the file and the reason."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from projects import ROOT

REGRESSOR = '''
"""A ridge regression answering numbers: y from the feature columns of CSV files with a header row."""

import json
from dataclasses import dataclass
from typing import Annotated

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge

from framework import Range, feature_matrix

REQUIRED_CHANNELS = ["training"]
OPTIONAL_CHANNELS = ["validation"]
TRAINING_CONTENT_TYPES = ["text/csv"]
METRICS = {"validation:rmse": "minimize"}


@dataclass
class Hyperparameters:
    alpha: Annotated[float, Range(1e-6, 10.0, scale="log")] = 1e-6  # the L2 penalty
    target: str = "y"  # the column to predict


def train(job):
    params = job.hyperparameters
    frame = pd.read_csv(job.channels["training"] / "numbers.csv")
    features = [c for c in frame.columns if c != params.target]
    model = Ridge(alpha=params.alpha).fit(frame[features].to_numpy(), frame[params.target].to_numpy())
    if "validation" in job.channels:
        valid = pd.read_csv(job.channels["validation"] / "numbers.csv")
        errors = model.predict(valid[features].to_numpy()) - valid[params.target].to_numpy()
        job.report_metric("validation:rmse", float(np.sqrt(np.mean(errors**2))))
    weights = {"features": features, "coef": model.coef_.tolist(), "intercept": float(model.intercept_)}
    (job.model_dir / "weights.json").write_text(json.dumps(weights))


def initialize(model_dir):
    return json.loads((model_dir / "weights.json").read_text())


def predict(model, data):
    rows = feature_matrix(data, model["features"])
    return {"predictions": (rows @ np.asarray(model["coef"]) + model["intercept"]).tolist()}
'''


def write_regressor(folder: Path) -> Path:
    """A project of another shape than the example: its algorithm, data, payloads, smoke tests and transform input."""
    (folder / "opt/ml/input/config").mkdir(parents=True)
    (folder / "algorithm.py").write_text(REGRESSOR)
    rows = [(x1, x2, 2 * x1 - x2 + 0.5) for x1 in range(6) for x2 in range(4)]
    for channel, chosen in (("training", rows[::2]), ("validation", rows[1::2])):
        (folder / "opt/ml/input/data" / channel).mkdir(parents=True)
        lines = ["x1,x2,y", *(f"{a},{b},{y}" for a, b, y in chosen)]
        (folder / "opt/ml/input/data" / channel / "numbers.csv").write_text("\n".join(lines) + "\n")
    ml_input = folder / "opt/ml/input"
    (ml_input / "config/hyperparameters.json").write_text('{"alpha": "1e-6"}')
    (ml_input / "payload.json").write_text('{"instances": [[1, 2], [3, 1]]}')
    (ml_input / "payload.csv").write_text("1,2\n3,1\n")
    # The answers are 0.5 and 5.5 up to the fit's rounding: the tolerance absorbs it.
    smoke = {
        "tolerance": {"absolute": 1e-4, "relative": 1e-6},
        "cases": [
            {"payload": "payload.json", "accept": "application/json", "expect": {"predictions": [0.5, 5.5]}},
            {"payload": "payload.csv", "accept": "text/csv", "expect": "0.5\n5.5\n"},
            {"payload": "payload.csv", "accept": "application/jsonlines", "expect": [0.5, 5.5]},
        ],
    }
    (ml_input / "smoke-tests.json").write_text(json.dumps(smoke, indent=2))
    (folder / "transform/input").mkdir(parents=True)
    (folder / "transform/input/numbers.csv").write_text("1,2\n3,1\n0,0\n5,5\n")
    return folder


def contract(project: Path, *selection: str) -> subprocess.CompletedProcess:
    """The contract suite run as bin/test.sh runs it, over `project`; selection: -k expressions."""
    # Without its Docker checks, which build two images: the suite runs them over the example (and CI over each one).
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/contract"]
    args += ["--ignore", "tests/contract/test_docker.py"]
    if selection:
        args += ["-k", " or ".join(selection)]
    return subprocess.run(
        args,
        cwd=ROOT,
        env={**os.environ, "CONTRACT_PROJECT": str(project)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def failure_lines(done: subprocess.CompletedProcess) -> list[str]:
    """What each failed check said: its FAILURES section's body, which pytest.fail(pytrace=False) keeps to one line."""
    assert done.returncode == 1, done.stdout + done.stderr
    lines, said = done.stdout.splitlines(), []
    for number, line in enumerate(lines):
        if re.fullmatch(r"_+ test_\w+ _+", line):
            said.append(lines[number + 1])
            assert not lines[number + 2].strip() or lines[number + 2].startswith(("____", "====")), done.stdout
    return said


@pytest.fixture(scope="module")
def regressor(tmp_path_factory) -> Path:
    return write_regressor(tmp_path_factory.mktemp("regressor") / "project")


def sabotaged(regressor: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(regressor, tmp_path / "sabotaged"))


def test_a_regressor_answering_numbers_passes_the_whole_suite(regressor):
    done = contract(regressor)
    assert done.returncode == 0, done.stdout[-3000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert "passed" in summary and "failed" not in summary, summary


def test_a_smoke_answer_that_differs_names_the_case_and_how(regressor, tmp_path):
    project = sabotaged(regressor, tmp_path)
    smoke_file = project / "opt/ml/input/smoke-tests.json"
    smoke = json.loads(smoke_file.read_text())
    smoke["cases"][0]["expect"] = {"predictions": [1.5, 5.5]}
    smoke_file.write_text(json.dumps(smoke))
    (line,) = failure_lines(contract(project, "smoke"))
    assert line.startswith("opt/ml/input/smoke-tests.json: payload.json (application/json): answered 0.5"), line
    assert line.endswith(" at .predictions[0], expected 1.5 (tolerance: absolute 0.0001, relative 1e-06)"), line


def test_a_payload_answered_400_names_the_payload_and_the_servers_message(regressor, tmp_path):
    project = sabotaged(regressor, tmp_path)
    (project / "opt/ml/input/payload-three.json").write_text('{"instances": [[1, 2, 3]]}')
    (line,) = failure_lines(contract(project, "every_payload"))
    assert line == (
        "opt/ml/input/payload-three.json: answered 400 to Accept application/json: "
        """{"error": "each record must have 2 features ['x1', 'x2'], got shape [1, 3]"}"""
    )


def test_a_metric_never_reported_is_named(regressor, tmp_path):
    project = sabotaged(regressor, tmp_path)
    algorithm = project / "algorithm.py"
    algorithm.write_text(algorithm.read_text().replace('job.report_metric("validation:rmse", ', "print("))
    (line,) = failure_lines(contract(project, "metric"))
    assert line.startswith("algorithm.py: metric 'validation:rmse' is declared in METRICS but never reported: "), line


def test_a_hyperparameter_that_does_not_convert_is_named(regressor, tmp_path):
    project = sabotaged(regressor, tmp_path)
    (project / "opt/ml/input/config/hyperparameters.json").write_text('{"alpha": "lots"}')
    (line,) = failure_lines(contract(project, "hyperparameters_convert"))
    assert line == "opt/ml/input/config/hyperparameters.json: hyperparameter 'alpha': value 'lots' is not a valid float"
