"""develop/local/training/tune.py (bin/tune.sh): a seeded random search of real trainings, each ranked by the
objective read from its own log with the regex SageMaker will use. Run here as the tests' Python without Docker,
the fast loop; tests/test_tools_docker.py runs bin/tune.sh in the :dev image."""

import json
import math
import os
import random
import shutil
import subprocess
import typing
from pathlib import Path
from typing import Literal

import pytest

from develop.local.training import tune

from framework.training.ranges import Range
from projects import develop_path, develop_tool
from tuning_helpers import assert_tuning_run

USER_UID = 12345  # stands for the host user who owns the project, when the tests run as root (as test_docker.py's)


def run_tune(project: Path, ml: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """What bin/tune.sh runs, with `project` on PYTHONPATH (its algorithm.py and main.py are the ones tuned)."""
    return subprocess.run(
        develop_tool("local.training.tune", *args),
        cwd=cwd or project,
        env={**os.environ, "PYTHONPATH": develop_path(project), "ML_ROOT": str(ml)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def trials(out: Path) -> dict[str, dict]:
    return {
        folder.name: json.loads((folder / "input" / "config" / "hyperparameters.json").read_text())
        for folder in sorted(out.glob("trial-*"))
    }


def test_tune_runs_end_to_end_on_the_sample_data(tmp_path, make_project):
    out = tmp_path / "tuning"
    example = make_project("example")
    done = run_tune(example.folder, example.ml, "--trials", "3", "--seed", "5", "--out", str(out))
    assert done.returncode == 0, done.stderr
    ranked = assert_tuning_run(done.stdout, out, trials=3)
    for _, trial in ranked:
        hyperparameters = json.loads((out / trial / "input" / "config" / "hyperparameters.json").read_text())
        assert all(isinstance(v, str) for v in hyperparameters.values())  # as a tuning job writes them
        assert 10 <= int(hyperparameters["n_estimators"]) <= 500
        assert 0.1 <= float(hyperparameters["max_features"]) <= 1.0
    assert done.stderr.count("] validation:accuracy=") == 3
    # The best hyperparameters are a file hyperparameters.json takes: a training with them succeeds.
    best = json.loads((out / "best-hyperparameters.json").read_text())
    project = make_project("example")
    project.write_hyperparameters(json.dumps(best))
    trained = project.train()
    assert trained.returncode == 0, trained.stderr
    assert f"n_estimators={best['n_estimators']}," in trained.stderr


def test_failed_trials_are_reported_with_their_reason_and_the_others_go_on(make_project):
    project = make_project("tunes_with_failures")
    out = project.folder / "tuning"
    done = run_tune(project.folder, project.ml, "--trials", "12", "--seed", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    drawn = {name: int(h["x"]) for name, h in trials(out).items()}
    assert {5, 6} <= set(drawn.values()) and set(drawn.values()) - {5, 6}, drawn  # the seed gives every outcome
    table = done.stdout.splitlines()[1:]
    assert len(table) == 12
    succeeded = [line for line in table if " failed " not in line]
    failed = [line for line in table if " failed " in line]
    values = [float(line.split()[1]) for line in succeeded]
    assert values == sorted(values)  # minimize: the lowest loss first; failures last
    assert table == succeeded + failed
    for line in failed:
        trial = line.split()[6]
        if drawn[trial] == 5:
            assert line.endswith("exit 1: ValueError: x=5 fails on purpose"), line
        else:
            assert line.endswith("trained, but the log holds no finite value of validation:loss"), line
    assert len(failed) == sum(x in (5, 6) for x in drawn.values())
    best = json.loads((out / "best-hyperparameters.json").read_text())
    assert float(best["x"]) + float(best["rate"]) == values[0] and "_tuning_objective_metric" not in best


def test_out_is_in_the_project_and_what_tune_writes_is_its_owners(make_project, tmp_path):
    """In the :dev image tune.py runs as root: what it writes is handed to the owner of the project, as train's is."""
    project = make_project("tunes_with_failures")
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(project.folder, USER_UID, USER_UID)
    done = run_tune(project.folder, project.ml, "--trials", "2", "--out", "tuned/here", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = project.folder / "tuned" / "here"
    assert "; trials in tuned/here\n" in done.stderr and (out / "best-hyperparameters.json").is_file()
    # The data is linked relatively: the same link in the container (/opt/program) and on the host.
    link = out / "trial-01" / "input" / "data"
    assert not os.path.isabs(os.readlink(link)) and link.resolve() == project.ml.resolve() / "input" / "data"
    if as_root:
        made = [project.folder / "tuned", *(project.folder / "tuned").rglob("*")]
        assert len(made) > 10 and [p for p in made if p.lstat().st_uid != USER_UID] == []
        assert (project.folder / "algorithm.py").stat().st_uid == 0  # what it did not write is left alone


def test_the_same_seed_draws_the_same_trials(make_project):
    project = make_project("tunes_with_failures")
    first, again, other = (project.folder / name for name in ("first", "again", "other"))
    for out, seed in ((first, "7"), (again, "7"), (other, "8")):
        assert run_tune(project.folder, project.ml, "--trials", "3", "--seed", seed, "--out", str(out)).returncode == 0
    assert trials(first) == trials(again)
    assert trials(first) != trials(other)


def test_when_every_trial_fails_the_run_fails(make_project):
    project = make_project("tunes_with_failures")
    source = project.folder / "algorithm.py"
    source.write_text(source.read_text().replace("Range(1, 6)] = 1", "Range(5, 5)] = 5"))
    done = run_tune(project.folder, project.ml, "--trials", "2", "--out", str(project.folder / "t"))
    assert done.returncode == 1
    assert done.stderr.endswith("error: every trial failed; see t/trial-*/train.log\n")  # relative to the project


@pytest.mark.parametrize(
    "args, message",
    [
        (["--objective", "loss"], "error: objective 'loss' is not in METRICS (validation:loss)\n"),
        (["--trials", "0"], "error: --trials must be at least 1\n"),
    ],
)
def test_wrong_arguments_stop_with_one_line(make_project, args, message):
    project = make_project("tunes_with_failures")
    done = run_tune(project.folder, project.ml, *args)
    assert done.returncode == 2 and done.stderr == message


def test_a_broken_sample_hyperparameters_json_is_named(make_project):
    project = make_project("tunes_with_failures")
    project.write_hyperparameters("{x: 1}")
    done = run_tune(project.folder, project.ml)
    config = "opt/ml/input/config/hyperparameters.json"  # as the user finds it in the project
    assert done.returncode == 2 and done.stderr.startswith(f"error: {config} is not valid JSON: ")


@pytest.mark.parametrize(
    "annotation, declared",
    [
        (int, Range(1, 6)),
        (int, Range(10, 500, scale="log")),
        (float, Range(1e-4, 1.0, scale="log")),
        (float, Range(0.0, 0.999, scale="reverse_log")),
        (float, Range(-2.5, 2.5, scale="auto")),
    ],
)
def test_draws_stay_in_their_range_and_reach_both_ends(annotation, declared):
    rng = random.Random(0)
    values = [annotation(tune.draw(rng, annotation, declared)) for _ in range(2000)]
    assert all(declared.min <= v <= declared.max for v in values)
    if annotation is int:
        assert {declared.min, declared.max} <= set(values)


def test_a_log_scale_draws_as_often_below_the_geometric_middle_as_above():
    rng = random.Random(0)
    values = [float(tune.draw(rng, float, Range(1e-4, 1.0, scale="log"))) for _ in range(4000)]
    below = sum(v < math.sqrt(1e-4 * 1.0) for v in values) / len(values)
    assert 0.45 < below < 0.55  # linear sampling would put 1% of them there


def test_categorical_draws_are_the_literals_values():
    rng = random.Random(0)
    annotation = typing.Annotated[Literal["gini", "entropy"], Range()].__origin__
    assert {tune.draw(rng, annotation, Range()) for _ in range(100)} == {"gini", "entropy"}
