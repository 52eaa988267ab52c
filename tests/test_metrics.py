"""Metrics: the line train logs, and the MetricDefinitions regexes SageMaker applies to the log, proven on real logs."""

import importlib.util
import math
import re

import pytest

from conftest import ALGORITHMS
from framework.training import metrics
from projects import EXAMPLE


def reported_by(algorithm: str):
    spec = importlib.util.spec_from_file_location(algorithm, ALGORITHMS / f"{algorithm}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sagemaker_reads(definitions: list[dict], *streams: str) -> dict[str, list[float]]:
    """What SageMaker reads from a job's log: each definition's regex searched in every line of stdout and stderr,
    its first capture group parsed as the value."""
    found = {d["Name"]: [] for d in definitions}
    for stream in streams:
        for line in stream.splitlines():
            for definition in definitions:
                match = re.search(definition["Regex"], line)
                if match:
                    found[definition["Name"]].append(float(match.group(1)))
    return found


def test_every_regex_reads_exactly_what_a_real_training_reported(make_project):
    project = make_project("reports_metrics")
    done = project.train()
    assert done.returncode == 0, done.stderr
    algorithm = reported_by("reports_metrics")
    definitions = metrics.definitions(metrics.declared(algorithm))
    assert [d["Name"] for d in definitions] == list(algorithm.METRICS)

    read = sagemaker_reads(definitions, done.stdout, done.stderr)

    # Finite values come back as the same floats, in order; NaN and infinities are deliberately no value at all.
    expected = {name: [] for name in algorithm.METRICS}
    for name, value in algorithm.REPORTED:
        if math.isfinite(value):
            expected[name].append(float(value))
    assert read == expected
    # The tuner ranks by the last value: train:error-rate's last report (inf) does not replace 1e300.
    for name in algorithm.METRICS:
        assert metrics.last_value(name, done.stdout + done.stderr) == expected[name][-1]
    metric_lines = [line for line in done.stderr.splitlines() if " train: metric " in line]
    assert len(metric_lines) == len(algorithm.REPORTED)
    assert not any("\t" in line for line in metric_lines)
    assert "train:error-rate is nan, which SageMaker reads no value from" in done.stderr


def test_the_example_reports_training_and_validation_accuracy(make_project):
    project = make_project("example")
    done = project.train()
    assert done.returncode == 0, done.stderr
    spec = importlib.util.spec_from_file_location("algorithm", EXAMPLE)  # the example whose METRICS it read
    algorithm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(algorithm)
    read = sagemaker_reads(metrics.definitions(metrics.declared(algorithm)), done.stdout, done.stderr)
    assert read["train:accuracy"] == [1.0]
    # The sample's 30 validation records; the value is the exact float the example computed.
    assert len(read["validation:accuracy"]) == 1 and 0.9 <= read["validation:accuracy"][0] <= 1.0
    assert f"metric validation:accuracy={read['validation:accuracy'][0]!r}" in done.stderr


@pytest.mark.parametrize(
    "value, text",
    [(0.5, "0.5"), (-3.25, "-3.25"), (1e-05, "1e-05"), (6.02e23, "6.02e+23"), (3, "3.0"), (math.nan, "nan")],
)
def test_the_line_format(value, text):
    assert metrics.line("validation:loss", value) == f"metric validation:loss={text}"
    assert metrics.line("validation:loss", value, epoch=4) == f"metric validation:loss={text} epoch=4"


def test_regexes_are_plain_and_escape_the_point():
    assert (
        metrics.regex("validation:loss.avg")
        == r"metric validation:loss\.avg=([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
    )


@pytest.mark.parametrize(
    "declared, message",
    [
        ({"validation loss": "minimize"}, "metric name 'validation loss': use 1 to 200 letters"),
        ({"validation\tloss": "minimize"}, "metric name 'validation\\tloss'"),
        ({"loss(avg)": "minimize"}, "metric name 'loss(avg)'"),
        ({"validation:loss": "lower"}, "metric 'validation:loss': 'lower' is not \"maximize\" or \"minimize\""),
        ({f"m{i}": "maximize" for i in range(41)}, "METRICS declares 41 metrics; SageMaker reads at most 40"),
        (["validation:loss"], "METRICS must be a dict"),
    ],
)
def test_bad_declarations_are_refused(declared, message):
    class Algorithm:
        METRICS = declared

    with pytest.raises(ValueError) as error:
        metrics.declared(Algorithm)
    assert message in str(error.value)


def test_an_undeclared_metric_fails_the_job(make_project, tmp_path):
    project = make_project("reports_metrics")
    algorithm = project.folder / "algorithm.py"
    algorithm.write_text(algorithm.read_text().replace('"validation:accuracy": "maximize",', ""))
    done = project.train()
    assert done.returncode == 1
    assert project.failure.read_text().startswith(
        "ValueError: metric 'validation:accuracy' is not declared in METRICS (validation:loss, validation:loss.avg, "
        "train:error-rate)"
    )


def test_a_bad_declaration_is_a_configuration_error(make_project):
    project = make_project("reports_metrics")
    algorithm = project.folder / "algorithm.py"
    algorithm.write_text(algorithm.read_text().replace('"validation:loss": "minimize"', '"validation:loss": "less"'))
    done = project.train()
    assert done.returncode == 2
    assert project.failure.read_text() == (
        "ConfigError: algorithm.py: metric 'validation:loss': 'less' is not \"maximize\" or \"minimize\"\n"
    )
