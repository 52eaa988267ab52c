"""`main.py process [ARGS]` end to end, in a temporary copy of the project, as SageMaker runs a processing job."""

import json
import shutil
import signal
import subprocess
import sys
import tarfile
import time

from projects import EXAMPLE_DIR, free_port


def process(project, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(project.folder / "main.py"), "process", *args],
        env=project.env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_config(project, inputs: dict[str, str], outputs: dict[str, str], **extra) -> None:
    """processingjobconfig.json as SageMaker writes it: inputs and outputs with their LocalPath under /opt/ml."""
    config = {
        "ProcessingJobName": "prep-2026-12-08",
        "ProcessingInputs": [
            {
                "InputName": name,
                "AppManaged": False,
                "S3Input": {
                    "LocalPath": local,
                    "S3Uri": f"s3://bucket/{name}",
                    "S3DataDistributionType": "FullyReplicated",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3CompressionType": "None",
                },
            }
            for name, local in inputs.items()
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": name,
                    "AppManaged": False,
                    "S3Output": {"LocalPath": local, "S3Uri": f"s3://bucket/out/{name}", "S3UploadMode": "EndOfJob"},
                }
                for name, local in outputs.items()
            ]
        },
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large"}},
        **extra,
    }
    folder = project.ml / "config"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "processingjobconfig.json").write_text(json.dumps(config))


def report(project, folder="processing/report") -> dict:
    return json.loads((project.ml / folder / "report.json").read_text())


def message(project) -> str:
    return (project.ml / "output" / "message").read_text()


def test_without_an_argument_the_image_says_what_it_takes_and_a_processing_job_says_why_it_failed(make_project):
    project = make_project("processes_by_argument")
    for args in ([], ["prepare"], ["serve", "extra"]):
        done = subprocess.run(
            [sys.executable, str(project.folder / "main.py"), *args], env=project.env(), capture_output=True, text=True
        )
        assert done.returncode == 2
        assert "usage: python main.py {train|serve|process [ARGS]}" in done.stderr
    assert not (project.ml / "output" / "message").exists()  # not a processing job: no message
    write_config(project, {}, {})
    done = subprocess.run([sys.executable, str(project.folder / "main.py")], env=project.env(), capture_output=True)
    assert done.returncode == 2
    assert 'ContainerArguments ["process", ...]' in message(project)


def test_inputs_and_outputs_by_name_arguments_environment_and_hosts_from_the_job_config(make_project):
    project = make_project("processes_by_argument")
    raw = project.ml / "processing" / "input" / "raw"
    raw.mkdir(parents=True)
    (raw / "data.csv").write_text("a,b\n1,2\n")
    write_config(
        project,
        {"raw": "/opt/ml/processing/input/raw"},
        {"copies": "/opt/ml/processing/copies", "report": "/opt/ml/processing/report"},
        Environment={"PROCESS_VARIABLE": "42"},
    )
    resources = {"current_host": "algo-2", "hosts": ["algo-2", "algo-1"], "network_interface_name": "eth0"}
    (project.ml / "config" / "resourceconfig.json").write_text(json.dumps(resources))
    done = process(project, "report", "--fraction", "0.2", PROCESS_VARIABLE="42")
    assert done.returncode == 0, done.stderr
    got = report(project)
    assert got["arguments"] == ["report", "--fraction", "0.2"]
    assert got["inputs"] == {"raw": str(raw)}
    assert got["outputs"] == {
        "copies": str(project.ml / "processing" / "copies"),
        "report": str(project.ml / "processing" / "report"),
    }
    assert got["environment"] == {"PROCESS_VARIABLE": "42"} and got["variable"] == "42"
    assert got["job_name"] == "prep-2026-12-08"
    assert (got["hosts"], got["current_host"], got["is_leader"]) == (["algo-1", "algo-2"], "algo-2", False)
    assert (project.ml / "processing" / "copies" / "raw-data.csv").read_text() == "a,b\n1,2\n"
    assert message(project) == "copied 1 input(s)\n"
    assert "processing succeeded" in done.stderr


def test_without_a_job_config_the_folders_under_processing_are_the_inputs_and_outputs(make_project):
    project = make_project("processes_by_argument")
    for folder in ("input/first", "input/second", "output/copies", "output/report"):
        (project.ml / "processing" / folder).mkdir(parents=True)
    (project.ml / "processing" / "input" / "first" / "a.txt").write_text("A")
    done = process(project)
    assert done.returncode == 0, done.stderr
    got = report(project, "processing/output/report")
    assert sorted(got["inputs"]) == ["first", "second"] and sorted(got["outputs"]) == ["copies", "report"]
    assert got["hosts"] == ["algo-1"] and got["is_leader"]


def test_an_error_fails_the_job_with_its_reason_as_the_exit_message(make_project):
    project = make_project("processes_by_argument")
    (project.ml / "output").mkdir(parents=True)
    (project.ml / "output" / "message").write_text("a stale message from an earlier run")
    write_config(project, {"raw": "/opt/ml/processing/input/raw"}, {})
    done = process(project, "fail")
    assert done.returncode == 1
    assert message(project) == "RuntimeError: the data in ['raw'] is not usable\n"
    assert "Traceback" in done.stderr and "processing failed" in done.stderr


def test_a_missing_input_or_a_wrong_config_fails_with_a_reason_and_exit_code_2(make_project):
    project = make_project("processes_by_argument")
    write_config(project, {"raw": "/opt/ml/processing/input/raw"}, {})
    done = process(project, "needs", "model")
    assert done.returncode == 2
    assert message(project).startswith("ConfigError: the job has no input named 'model'; its inputs: raw")

    write_config(project, {"raw": "/tmp/raw"}, {})
    done = process(project, "needs", "raw")
    assert done.returncode == 2
    assert "raw's LocalPath '/tmp/raw' is not under /opt/ml/processing/" in message(project)

    (project.ml / "config" / "processingjobconfig.json").write_text("{not json")
    assert process(project).returncode == 2 and "processingjobconfig.json is not valid JSON" in message(project)


def test_an_algorithm_without_process_is_refused_saying_so(make_project):
    project = make_project("reports_its_job")
    done = process(project)
    assert done.returncode == 2
    assert "algorithm.py defines no process, which `process` needs" in done.stderr


def test_sigterm_stops_the_job_its_cleanup_runs_and_it_exits_143(make_project):
    project = make_project("processes_by_argument")
    write_config(project, {}, {"report": "/opt/ml/processing/report"})
    running = subprocess.Popen(
        [sys.executable, str(project.folder / "main.py"), "process", "sleep"],
        env=project.env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    started = project.ml / "processing" / "report" / "started"
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline and running.poll() is None:
        time.sleep(0.05)
    assert started.exists(), running.stderr.read() if running.poll() is not None else "not started in 60 s"
    running.send_signal(signal.SIGTERM)
    stderr = running.communicate(timeout=30)[1]
    assert running.returncode == 128 + signal.SIGTERM
    assert (project.ml / "processing" / "report" / "cleaned-up").exists()
    assert "received SIGTERM: stopping processing" in stderr
    assert not (project.ml / "output" / "message").exists()  # stopped, not failed


def example_project(make_project):
    project = make_project("example")
    shutil.copytree(EXAMPLE_DIR / "opt" / "ml" / "processing", project.ml / "processing")
    return project


def test_the_example_preprocesses_the_raw_file_into_the_sample_channels_byte_for_byte(make_project):
    project = example_project(make_project)
    done = process(project, "preprocess")
    assert done.returncode == 0, done.stderr
    for channel in ("training", "validation"):
        written = project.ml / "processing" / "output" / channel / "iris.csv"
        assert written.read_bytes() == (EXAMPLE_DIR / "opt/ml/input/data" / channel / "iris.csv").read_bytes()
    assert message(project) == "120 training and 30 validation records\n"


def test_the_example_evaluates_a_trained_model_in_the_model_registry_format(make_project):
    project = example_project(make_project)
    assert project.train().returncode == 0
    processing = project.ml / "processing"
    with tarfile.open(processing / "input" / "model" / "model.tar.gz", "w:gz") as archive:
        for file in (project.ml / "model").iterdir():
            archive.add(file, arcname=file.name)
    validation = (project.ml / "input" / "data" / "validation" / "iris.csv").read_text()
    (processing / "input" / "test" / "iris.csv").write_text(validation)
    done = process(project, "evaluate")
    assert done.returncode == 0, done.stderr
    report = json.loads((processing / "output" / "evaluation" / "evaluation.json").read_text())
    metrics = report["multiclass_classification_metrics"]
    assert set(metrics) == {
        "confusion_matrix",
        "accuracy",
        "weighted_precision",
        "weighted_recall",
        "weighted_f1",
        "accuracy_best_constant_classifier",
    }
    assert 0.9 <= metrics["accuracy"]["value"] <= 1 and metrics["accuracy"]["standard_deviation"] == "NaN"
    assert 0.2 <= metrics["accuracy_best_constant_classifier"]["value"] < 0.5
    matrix = metrics["confusion_matrix"]
    assert sorted(matrix) == ["setosa", "versicolor", "virginica"]
    assert sum(sum(row.values()) for row in matrix.values()) == 30
    assert sum(matrix[name][name] for name in matrix) == round(metrics["accuracy"]["value"] * 30)
    assert message(project).startswith("accuracy 0.9") and "on 30 held-out records" in message(project)

    # From 200 records on, each value has its standard deviation (Model Monitor's rule: 5 samples of 80%).
    header, *rows = validation.splitlines()
    (processing / "input" / "test" / "iris.csv").write_text("\n".join([header, *rows * 7]) + "\n")
    assert process(project, "evaluate").returncode == 0
    report = json.loads((processing / "output" / "evaluation" / "evaluation.json").read_text())
    deviation = report["multiclass_classification_metrics"]["weighted_f1"]["standard_deviation"]
    assert isinstance(deviation, float) and 0 <= deviation < 0.1


def test_the_example_refuses_unknown_arguments_and_a_missing_model_saying_why(make_project):
    project = example_project(make_project)
    done = process(project, "transmogrify")
    assert done.returncode == 1
    assert "arguments ['transmogrify']: usage: process [-h] {preprocess,evaluate}" in message(project)
    done = process(project, "evaluate")
    assert done.returncode == 2
    assert "input 'model'" in message(project) and "holds no model" in message(project)


def test_two_hosts_form_one_dask_cluster_as_in_training_and_both_exit_0(make_project):
    """job.dask() is training's (framework/jobs.py): two `main.py process` hosts on 127.0.0.x, each with its own
    /opt/ml whose resourceconfig.json names it."""
    project = make_project("processes_by_argument")
    names, port = ["127.0.0.1", "127.0.0.2"], str(free_port())
    running = {}
    for name in names:
        root = project.folder / "hosts" / name
        (root / "config").mkdir(parents=True)
        resources = {"current_host": name, "hosts": names, "network_interface_name": "lo"}
        (root / "config" / "resourceconfig.json").write_text(json.dumps(resources))
        (root / "processing" / "output" / "report").mkdir(parents=True)
        with open(root / "process.log", "w") as log:
            running[name] = subprocess.Popen(
                [sys.executable, str(project.folder / "main.py"), "process", "dask"],
                env=project.env(ML_ROOT=str(root), CLUSTER_SCHEDULER_PORT=port, CLUSTER_START_TIMEOUT="60"),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    try:
        codes = {name: process.wait(timeout=120) for name, process in running.items()}
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
    logs = {name: (project.folder / "hosts" / name / "process.log").read_text() for name in names}
    assert codes == {name: 0 for name in names}, logs
    reports = {name: project.folder / "hosts" / name / "processing" / "output" / "report" for name in names}
    assert json.loads((reports["127.0.0.1"] / "dask.json").read_text()) == {"sum": 2470, "workers": names}
    assert not (reports["127.0.0.2"] / "dask.json").exists()  # the worker host never ran the block
    worker = json.loads((reports["127.0.0.2"] / "host-127.0.0.2.json").read_text())
    assert worker == {"hosts": names, "is_leader": False, "leader": "127.0.0.1"}


def test_a_model_archive_that_writes_outside_its_folder_is_refused(make_project):
    project = example_project(make_project)
    evil = project.folder / "escape.txt"
    evil.write_text("x")
    with tarfile.open(project.ml / "processing" / "input" / "model" / "model.tar.gz", "w:gz") as archive:
        archive.add(evil, arcname="../../escaped.txt")
    done = process(project, "evaluate")
    assert done.returncode == 2
    assert "refusing to unpack '../../escaped.txt'" in message(project)
