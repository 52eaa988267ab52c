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
