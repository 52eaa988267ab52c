"""Written for one host, as most algorithms are: never looks at the job's hosts, writes its model and a note that it
trained, reports a metric."""

from dataclasses import dataclass

METRICS = {"train:accuracy": "maximize"}


@dataclass
class Hyperparameters:
    fail: bool = False  # train raises


def train(job):
    (job.output_data_dir / "trained.txt").write_text("trained\n")
    if job.hyperparameters.fail:
        raise ValueError("this model cannot be trained")
    (job.model_dir / "model.txt").write_text("trained once")
    job.report_metric("train:accuracy", 0.75)
