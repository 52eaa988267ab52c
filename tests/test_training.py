"""`main.py train` end to end, in a temporary copy of opt/ml, as SageMaker runs a training job."""

import json
import re
import shutil
import signal
import subprocess
import sys
import time

from conftest import ROOT

DATA = ROOT / "tests" / "data"


def report(project) -> dict:
    return json.loads((project.ml / "output" / "data" / "report.json").read_text())


def test_missing_or_unknown_command_prints_usage_and_exits_2():
    for args in ([], ["fit"], ["train", "extra"]):
        done = subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True)
        assert done.returncode == 2
        assert "usage: python main.py {train|serve|process [ARGS]}" in done.stderr


def test_example_trains_reports_validation_and_writes_the_model(make_project):
    project = make_project("example")
    (project.ml / "output").mkdir()
    project.failure.write_text("stale reason from an earlier run")
    done = project.train()
    assert done.returncode == 0, done.stderr
    assert (project.ml / "model" / "model.joblib").stat().st_size > 0
    assert json.loads((project.ml / "model" / "metadata.json").read_text())["features"] == [
        "sepal_length",
        "sepal_width",
        "petal_length",
        "petal_width",
    ]
    assert not project.failure.exists()
    assert "metric validation:accuracy=0.9" in done.stderr
    assert "training succeeded" in done.stderr
    # Every log line carries its time: CloudWatch shows when the job got where.
    assert re.search(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO \[\d+\] algorithm: training on 120 records", done.stderr, re.M
    )


def test_example_reads_every_file_of_a_sharded_channel(make_project):
    project = make_project("example")
    training = project.ml / "input" / "data" / "training"
    lines = (training / "iris.csv").read_text().splitlines()
    (training / "iris.csv").unlink()
    for shard in range(3):
        (training / f"part-{shard}.csv").write_text("\n".join([lines[0], *lines[1 + shard * 40 : 41 + shard * 40]]))
    done = project.train()
    assert done.returncode == 0, done.stderr
    assert "training on 120 records" in done.stderr


def test_strings_become_declared_types_and_platform_names_are_set_aside(make_project):
    project = make_project()
    project.write_hyperparameters(
        json.dumps(
            {
                "epochs": "3",
                "rate": "0.5",
                "verbose": "True",
                "layers": "[1, 2]",
                "depth": '"4"',
                "sagemaker_program": '"train.py"',
                "sagemaker_submit_directory": '"s3://bucket/src"',
            }
        )
    )
    done = project.train()
    assert done.returncode == 0, done.stderr
    got = report(project)
    assert got["hyperparameters"] == {
        "kind": "tree",
        "epochs": 3,
        "rate": 0.5,
        "verbose": True,
        "layers": [1, 2],
        "depth": 4,
    }
    assert got["platform"] == {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": '"s3://bucket/src"'}


def test_a_tuning_jobs_hyperparameters_json_trains(make_project):
    # The file exactly as automatic model tuning writes it: every value a string, the tuned ones next to the static
    # ones, and _tuning_objective_metric, which the platform adds and the algorithm never declares.
    project = make_project("example")
    project.write_hyperparameters((DATA / "tuning-job-hyperparameters.json").read_text())
    done = project.train()
    assert done.returncode == 0, done.stderr
    assert (
        "n_estimators=57, max_depth=7, min_samples_leaf=3, max_features=0.734658125729139" in done.stderr
        and "criterion='entropy'" in done.stderr
    )
    assert "training succeeded" in done.stderr


def test_a_value_outside_its_range_fails_the_job_naming_it(make_project):
    project = make_project("example")
    project.write_hyperparameters(json.dumps({"n_estimators": "5000"}))
    done = project.train()
    assert done.returncode == 2
    assert project.failure.read_text() == (
        "ConfigError: hyperparameter 'n_estimators': value '5000' is outside its range [10, 500]\n"
    )


def test_the_platforms_names_reach_the_algorithm_as_platform_hyperparameters(make_project):
    project = make_project()
    project.write_hyperparameters(json.dumps({"epochs": "2", "_tuning_objective_metric": "validation:accuracy"}))
    done = project.train()
    assert done.returncode == 0, done.stderr
    got = report(project)
    assert got["hyperparameters"]["epochs"] == 2
    assert got["platform"] == {"_tuning_objective_metric": "validation:accuracy"}


def test_configs_absent_assume_one_host_and_the_folders_present(make_project):
    project = make_project()
    done = project.train()
    assert done.returncode == 0, done.stderr
    got = report(project)
    assert got["current_host"] == "algo-1" and got["hosts"] == ["algo-1"]
    assert sorted(got["channels"]) == ["training", "validation"]
    assert all(path.startswith(str(project.ml)) for path in got["dirs"])


def test_configs_present_are_read(make_project):
    project = make_project()
    config = project.ml / "input" / "config"
    (config / "resourceconfig.json").write_text(
        json.dumps({"current_host": "algo-2", "hosts": ["algo-1", "algo-2"], "network_interface_name": "eth0"})
    )
    (config / "inputdataconfig.json").write_text(
        json.dumps({"training": {"ContentType": "text/csv", "TrainingInputMode": "File"}})
    )
    done = project.train()
    assert done.returncode == 0, done.stderr
    got = report(project)
    assert got["current_host"] == "algo-2" and got["hosts"] == ["algo-1", "algo-2"]
    assert list(got["channels"]) == ["training"]  # validation's folder exists but is not a channel of this job
    assert got["input_data_config"]["training"]["ContentType"] == "text/csv"


def assert_failed(project, done, code: int, reason: str) -> None:
    assert done.returncode == code, done.stderr
    assert project.failure.read_text().startswith(reason), project.failure.read_text()
    assert "Traceback" in done.stderr


def test_unknown_hyperparameter_fails_the_job(make_project):
    project = make_project()
    project.write_hyperparameters('{"epoch": "3"}')
    assert_failed(project, project.train(), 2, "ConfigError: unknown hyperparameter 'epoch' (value '3')")


def test_a_long_unknown_hyperparameter_leaves_the_accepted_names_within_sagemakers_1024_characters(make_project):
    project = make_project()
    project.write_hyperparameters(json.dumps({"epoch": "3" * 5000}))
    assert project.train().returncode == 2
    reason = project.failure.read_text().rstrip("\n")
    assert len(reason) <= 1024, len(reason)
    accepted = reason.rpartition("; this algorithm takes: ")[2].split(", ")
    assert "epochs" in accepted and "rate" in accepted, reason


def test_bad_hyperparameter_value_fails_the_job(make_project):
    project = make_project()
    project.write_hyperparameters('{"epochs": "many"}')
    assert_failed(project, project.train(), 2, "ConfigError: hyperparameter 'epochs': value 'many' is not a valid int")


def test_malformed_hyperparameters_file_fails_the_job(make_project):
    project = make_project()
    project.write_hyperparameters('{"epochs": ')
    assert_failed(project, project.train(), 2, "ConfigError: ")
    assert "hyperparameters.json is not valid JSON" in project.failure.read_text()


def test_missing_required_channel_lists_the_channels_present(make_project):
    project = make_project()
    shutil.rmtree(project.ml / "input" / "data" / "training")
    assert_failed(project, project.train(), 2, "ConfigError: required channel 'training' is missing or empty")
    assert project.failure.read_text().rstrip().endswith("channels with data: validation")


def test_empty_required_channel_fails_the_job(make_project):
    """Emptied as a user empties it: its data deleted, the .gitkeep that keeps the folder in git left."""
    project = make_project()
    channel = project.ml / "input" / "data" / "training"
    for file in channel.iterdir():
        if file.name != ".gitkeep":
            file.unlink()
    assert [p.name for p in channel.iterdir()] == [".gitkeep"]
    assert_failed(project, project.train(), 2, "ConfigError: required channel 'training' is missing or empty")


def test_algorithm_error_fails_the_job_with_its_reason(make_project):
    project = make_project("fails_in_train")
    assert_failed(project, project.train(), 1, "ValueError: training failed on purpose")


def test_example_names_a_wrong_target_column(make_project):
    project = make_project("example")
    project.write_hyperparameters('{"target": "colour"}')
    assert_failed(project, project.train(), 1, "ValueError: target column 'colour' is not in training's columns")


def test_broken_algorithm_file_fails_the_job(make_project):
    project = make_project()
    (project.folder / "algorithm.py").write_text("def train(job):\n    return (\n")
    assert_failed(project, project.train(), 1, "SyntaxError: ")


def test_algorithm_without_hooks_fails_the_job(make_project):
    project = make_project()
    (project.folder / "algorithm.py").write_text("x = 1\n")
    assert_failed(project, project.train(), 2, "ConfigError: algorithm.py defines no Hyperparameters, train")


def test_sigterm_runs_finally_and_ends_promptly(make_project):
    project = make_project("sleeps_in_train")
    log_file = project.folder / "train.log"
    process = project.popen("train", log_file)
    started = project.ml / "checkpoints" / "started"
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert started.exists(), log_file.read_text()
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=10)
    assert time.monotonic() - sent < 5
    assert code == 128 + signal.SIGTERM
    assert (project.ml / "checkpoints" / "cleanup").read_text() == "ran"
    log = log_file.read_text()
    assert "received SIGTERM: stopping training" in log
    assert "training stopped by SIGTERM; exiting with 143" in log
    assert not project.failure.exists()
