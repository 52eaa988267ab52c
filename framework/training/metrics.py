"""Metrics: what train reports, in the one line format SageMaker's MetricDefinitions read from the job's log.

algorithm.py declares its metrics and which way each is better:

    METRICS = {"validation:accuracy": "maximize", "train:accuracy": "maximize"}

The first is the objective a tuning job optimises unless told otherwise. train reports a value with
job.report_metric(name, value, epoch=None), which logs one line:

    metric validation:accuracy=0.9666666666666667 epoch=3

SageMaker applies each MetricDefinition's regex to every line of the log (stdout and stderr) and takes its first
capture group; a tuning job ranks a training job by the last value of its objective. The regex derived from a name
(regex(name)) matches exactly that line and captures exactly the value. Values are written as Python's repr of the
float, which reads back to the same float. NaN and infinity are written as `nan`, `inf`, `-inf`, which the regex does
not match: SageMaker cannot rank them, so such a line is no value for it (the last finite value stays the one seen).
"""

import logging
import math
import re

log = logging.getLogger("train")

DIRECTIONS = {"maximize": "Maximize", "minimize": "Minimize"}  # algorithm.py's word -> SageMaker's
MAX_METRICS = 40  # SageMaker reads at most 40 MetricDefinitions per job
# Letters, digits and _ : . / - only: nothing a regex treats specially but the point, and no space or tab (a tab reaches
# parsed logs as #011).
_NAME = re.compile(r"[A-Za-z0-9_:./-]{1,200}")
# Python's repr of a finite float: 3.0, -0.5, 1e-05, 1.5e+20. [0-9] rather than \d: SageMaker's regex engine is not
# Python's, and a character class means the same in every engine.
_NUMBER = r"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"


def declared(algorithm) -> dict[str, str]:
    """algorithm.METRICS checked: name -> "maximize" | "minimize", in declaration order (empty when none)."""
    metrics = getattr(algorithm, "METRICS", {})
    if not isinstance(metrics, dict):
        raise ValueError(f'METRICS must be a dict of name -> "maximize" or "minimize", not {type(metrics).__name__}')
    if len(metrics) > MAX_METRICS:
        raise ValueError(f"METRICS declares {len(metrics)} metrics; SageMaker reads at most {MAX_METRICS}")
    for name, direction in metrics.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"metric name {name!r}: use 1 to 200 letters, digits and _ : . / - (e.g. validation:loss)")
        if direction not in DIRECTIONS:
            raise ValueError(f'metric {name!r}: {direction!r} is not "maximize" or "minimize"')
    return dict(metrics)


def line(name: str, value: float, epoch: int | None = None) -> str:
    """The log line for one value of one metric."""
    text = f"metric {name}={float(value)!r}"
    return text if epoch is None else f"{text} epoch={int(epoch)}"


def report(declared_metrics: dict[str, str], name: str, value: float, epoch: int | None = None) -> None:
    if name not in declared_metrics:
        raise ValueError(f"metric {name!r} is not declared in METRICS ({', '.join(declared_metrics) or 'none'})")
    value = float(value)
    log.info(line(name, value, epoch))
    if not math.isfinite(value):
        log.warning("%s is %r, which SageMaker reads no value from (tuning ranks finite values only)", name, value)


def regex(name: str) -> str:
    """The MetricDefinitions regex for a declared metric: its first group is the value of a line(name, ...)."""
    return "metric " + name.replace(".", r"\.") + "=(" + _NUMBER + ")"


def definitions(declared_metrics: dict[str, str]) -> list[dict[str, str]]:
    """SageMaker's MetricDefinitions."""
    return [{"Name": name, "Regex": regex(name)} for name in declared_metrics]


def last_value(name: str, log_text: str) -> float | None:
    """What SageMaker reads from a log: the regex searched in each line, the first group of the last match."""
    pattern, found = re.compile(regex(name)), None
    for log_line in log_text.splitlines():
        match = pattern.search(log_line)
        if match:
            found = float(match.group(1))
    return found
