"""What every run of develop/local/training/tune.py must show, with Docker (tests/test_tools_docker.py) or without
(test_tune.py)."""

import json
from pathlib import Path

from framework.training import metrics

OBJECTIVE = "validation:accuracy"
COLUMNS = ["#", OBJECTIVE, "n_estimators", "min_samples_leaf", "max_features", "criterion", "seconds", "trial"]


def assert_tuning_run(stdout: str, out: Path, trials: int) -> list[tuple[float, str]]:
    """The table's columns, its rows sorted by the objective (the example maximizes it), each objective as SageMaker's
    regex reads it from that trial's own log, and the best trial's hyperparameters in best-hyperparameters.json.
    Returns the (objective, trial folder) rows, best first."""
    header, *table = stdout.splitlines()
    assert header.split() == COLUMNS
    assert len(table) == trials
    ranked = [(float(line.split()[1]), line.split()[-1]) for line in table]
    assert [value for value, _ in ranked] == sorted((value for value, _ in ranked), reverse=True)
    for value, trial in ranked:
        assert metrics.last_value(OBJECTIVE, (out / trial / "train.log").read_text()) == value
        hyperparameters = json.loads((out / trial / "input" / "config" / "hyperparameters.json").read_text())
        assert hyperparameters["_tuning_objective_metric"] == OBJECTIVE
    best = json.loads((out / "best-hyperparameters.json").read_text())
    best_trial = json.loads((out / ranked[0][1] / "input" / "config" / "hyperparameters.json").read_text())
    assert best == {k: v for k, v in best_trial.items() if k != "_tuning_objective_metric"}
    return ranked
