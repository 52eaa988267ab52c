"""Forms the job's Dask cluster and spreads small tasks over it; the hyperparameters make a host misbehave."""

import os
import time
from dataclasses import dataclass

METRICS = {"train:accuracy": "maximize"}


@dataclass
class Hyperparameters:
    tasks: int = 30
    leader_raises: bool = False  # the leader's block raises after the tasks
    kill_host: str = ""  # this worker host's process dies in the middle of the job
    without_dask: bool = False  # every host trains alone (as with another engine) and writes the model
    write_after_s: float = 0.0  # the leader writes its model this long after the block (a big model being saved)


def _work(number):
    time.sleep(0.05)  # long enough that every host's worker gets some
    return number


def train(job):
    params = job.hyperparameters
    if params.without_dask:
        (job.model_dir / "model.txt").write_text(job.current_host)
        job.report_metric("train:accuracy", 0.5)
        return
    with job.dask() as client:
        assert job.is_leader, "only the leader runs the block"
        assert sum(client.gather(client.map(_work, range(params.tasks)))) == sum(range(params.tasks))
        if params.kill_host:
            victim = next(a for a, w in client.scheduler_info()["workers"].items() if w["name"] == params.kill_host)
            client.submit(os._exit, 3, workers=[victim], pure=False)
            time.sleep(2)  # the scheduler notices the host's departure
        if params.leader_raises:
            raise ValueError("the leader broke after its tasks")
    job.report_metric("train:accuracy", 1.0)
    time.sleep(params.write_after_s)
    (job.model_dir / "model.txt").write_text("fitted on every host")
