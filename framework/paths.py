"""Where SageMaker's /opt/ml tree is. ML_ROOT moves it, so the same code runs against the repository's opt/ml."""

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MLPaths:
    root: Path

    @classmethod
    def from_env(cls) -> "MLPaths":
        return cls(Path(os.environ.get("ML_ROOT", "/opt/ml")).resolve())

    @property
    def config(self) -> Path:
        return self.root / "input" / "config"

    @property
    def data(self) -> Path:
        return self.root / "input" / "data"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def failure(self) -> Path:
        return self.output / "failure"

    @property
    def output_data(self) -> Path:
        return self.output / "data"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def processing(self) -> Path:
        """Where a processing job's inputs and outputs are (each ProcessingInput's and ProcessingOutput's LocalPath)."""
        return self.root / "processing"

    @property
    def processing_config(self) -> Path:
        """A processing job's processingjobconfig.json and resourceconfig.json (not training's input/config)."""
        return self.root / "config"

    @property
    def message(self) -> Path:
        """A processing job's ExitMessage."""
        return self.output / "message"

    def local(self, container_path: str) -> Path:
        """A path SageMaker names under /opt/ml (a LocalPath), in this tree: the same path unless ML_ROOT moves it."""
        return self.root / Path(container_path).relative_to("/opt/ml")
