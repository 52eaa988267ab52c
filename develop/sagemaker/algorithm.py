"""What algorithm.py declares (metric definitions, channels, content types), from bin/algorithm-spec.sh's own code.

algorithm.py imports the runtime's packages (pandas, scikit-learn), which live in the image's venv, not in the AWS venv
that runs these commands: so algorithm_spec runs in the runtime's Python, as bin/algorithm-spec.sh runs it, and its
create-algorithm document is read back. One derivation of MetricDefinitions for the CLI, the tuning job and here.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .config import ConfigError

# The image's runtime Python (Dockerfile); the tests, which run without Docker, point ALGORITHM_PYTHON at theirs.
RUNTIME_PYTHON = "/opt/venv/bin/python"
# Placeholders: only the training specification is read back, which neither of them enters.
ROLE, DATA = "arn:aws:iam::111122223333:role/unused", "s3://unused/unused"


def specification(project: Path, image: str | None) -> dict:
    """create-algorithm's document for this project's algorithm.py and `image` (None: image-uri.txt's)."""
    python = os.environ.get("ALGORITHM_PYTHON") or (RUNTIME_PYTHON if Path(RUNTIME_PYTHON).exists() else sys.executable)
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [
                python,
                "-P",
                "-m",
                "develop.sagemaker.algorithm_spec",
                *([image] if image else []),
                "--role",
                ROLE,
                "--data",
                DATA,
                "--out",
                out,
            ],
            cwd=project,
            env={**os.environ, "PYTHONPATH": str(project)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
            raise ConfigError(f"algorithm.py could not be described: {lines[-1].removeprefix('error: ')}")
        return json.loads((Path(out) / "create-algorithm.json").read_text())


class Algorithm:
    """The parts of the specification the commands use."""

    def __init__(self, document: dict):
        training = document["TrainingSpecification"]
        inference = document["InferenceSpecification"]
        self.image: str = training["TrainingImage"]  # the one given, else image-uri.txt's
        self.metric_definitions: list[dict] = training["MetricDefinitions"]
        self.channels: dict[str, bool] = {c["Name"]: c["IsRequired"] for c in training["TrainingChannels"]}
        self.training_content_types: list[str] = training["TrainingChannels"][0]["SupportedContentTypes"]
        self.content_types: list[str] = inference["SupportedContentTypes"]

    @classmethod
    def of(cls, project: Path, image: str | None) -> "Algorithm":
        return cls(specification(project, image))
