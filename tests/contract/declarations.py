"""What the subject's algorithm.py declares, read through the framework, printed as JSON: run by the contract suite
as `python declarations.py` in a copy of the subject project (its algorithm.py first on sys.path)."""

import json
import sys
from pathlib import Path

import algorithm
from framework.errors import ConfigError
from framework.serving.content_types import codecs
from framework.training import hyperparameters, metrics, ranges


def main() -> None:
    found: dict = {}
    file = Path("opt", "ml", "input", "config", "hyperparameters.json")
    try:
        raw = json.loads(file.read_text()) if file.is_file() else {}
        if not isinstance(raw, dict):
            raise ConfigError(f"must hold a JSON object, not {type(raw).__name__}")
        converted, _ = hyperparameters.parse(algorithm.Hyperparameters, raw)
        found["hyperparameters"] = {name: type(value).__name__ for name, value in vars(converted).items()}
        found["tunable"] = [name for name, (_, r) in ranges.declared(algorithm.Hyperparameters).items() if r.tunable]
    except (ConfigError, ValueError) as exc:
        found["hyperparameters_error"] = str(exc)
    try:
        found["metrics"] = metrics.declared(algorithm)
    except ValueError as exc:
        found["metrics_error"] = str(exc)
    found["encoders"] = list(codecs(algorithm).encoders)
    found["own_encoders"] = list(getattr(algorithm, "ENCODERS", None) or {})
    print(json.dumps(found))


if __name__ == "__main__":
    sys.exit(main())
