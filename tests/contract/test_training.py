"""Training, as SageMaker runs it: the hyperparameters convert, the job writes a model, every metric is reported."""

from .subject import fail
from framework.training import metrics

HYPERPARAMETERS = "opt/ml/input/config/hyperparameters.json"


def test_hyperparameters_convert_to_their_declared_types(subject):
    found = subject.declarations
    if "hyperparameters_error" in found:
        fail(HYPERPARAMETERS, found["hyperparameters_error"])
    assert found["hyperparameters"], f"{HYPERPARAMETERS}: algorithm.Hyperparameters declares no field"


def test_training_on_opt_ml_writes_a_model(trained, subject):
    written = sorted(p.name for p in (subject.ml / "model").iterdir())
    assert written, "algorithm.py: the model folder is empty after training"


def test_training_reports_every_declared_metric_in_the_line_its_metric_definition_reads(subject, trained):
    found = subject.declarations
    if "metrics_error" in found:
        fail("algorithm.py", found["metrics_error"])
    log = trained.stdout + trained.stderr
    for name in found["metrics"]:
        if metrics.last_value(name, log) is None:
            fail(
                "algorithm.py",
                f"metric {name!r} is declared in METRICS but never reported: no line matches its MetricDefinition "
                f"{metrics.regex(name)!r} (call job.report_metric({name!r}, value) with a finite value)",
            )
