"""`main.py train`: reads SageMaker's input config, calls algorithm.train, and reports the outcome as SageMaker expects.

Outcome (framework/jobs.py, shared with processing jobs): exit 0 and no output/failure on success; on failure the
reason in output/failure (SageMaker shows its first 1024 characters as the job's FailureReason), the traceback in the
log and a non-zero exit: 2 for a wrong configuration (hyperparameters, channels), 1 for an error raised by the
algorithm. SIGTERM (how SageMaker stops a job; SIGKILL follows 120 s later) raises JobStopped in the algorithm so its
`finally` blocks run; exit 128+signal.
With several hosts (docs/how-to/train-on-several-hosts.md) every host runs this; only the leader reports metrics and
writes the model, unless algorithm.py sets EVERY_HOST_WRITES = True. A worker host of `job.dask()` exits 0 once the
leader's train() has returned. An algorithm that never looks at its hosts (host_aware.py) is trained by the leader
alone; the other hosts wait for it in its Dask cluster, then exit 0.
"""

import logging
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from framework import jobs
from framework.errors import ConfigError
from framework.jobs import HostsJob
from framework.paths import MLPaths
from framework.training import host_aware, hyperparameters, metrics

# Files that only keep an empty folder in git; not a model (as develop/local/entrypoint.py, which packs it, says).
PLACEHOLDERS = {".gitkeep", ".gitignore", ".keep"}

log = logging.getLogger("train")


@dataclass
class TrainingJob(HostsJob):
    """Everything algorithm.train gets. Paths are absolute; folders to write into exist. Its hosts (cluster, leader,
    is_leader, network_interface, dask()) are framework/jobs.py's, shared with processing jobs."""

    hyperparameters: Any  # an instance of algorithm.Hyperparameters
    channels: dict[str, Path]  # channel name -> its folder, for every channel with data
    model_dir: Path  # write the model here; SageMaker packs it into model.tar.gz
    output_data_dir: Path  # other outputs (plots, reports); SageMaker uploads them as output.tar.gz
    checkpoint_dir: Path  # synced with S3 when the job configures checkpointing
    input_data_config: dict[str, dict] = field(default_factory=dict)  # channel -> ContentType, TrainingInputMode, ...
    resource_config: dict[str, Any] = field(default_factory=dict)
    platform_hyperparameters: dict[str, Any] = field(default_factory=dict)  # sagemaker_*, _tuning_objective_metric, ...
    metrics: dict[str, str] = field(default_factory=dict)  # algorithm.METRICS: name -> "maximize" | "minimize"
    every_host_writes: bool = False  # algorithm.EVERY_HOST_WRITES: metrics and model files from every host

    def report_metric(self, name: str, value: float, epoch: int | None = None) -> None:
        """Log one value of a declared metric, in the line SageMaker's MetricDefinitions read (metrics.py).
        With several hosts, only the leader's values are logged (unless EVERY_HOST_WRITES): one value per step."""
        if self.is_leader or self.every_host_writes:
            metrics.report(self.metrics, name, value, epoch)


def run(algorithm_loader) -> int:
    """Run one training job; `algorithm_loader` imports algorithm.py, so that its errors are reported like the rest."""
    paths = MLPaths.from_env()

    def start():
        algorithm = algorithm_loader()
        job = _prepare(algorithm, paths)
        log.info(
            "training starts: ML root %s, channels %s, hyperparameters %s",
            paths.root,
            sorted(job.channels),
            job.hyperparameters,
        )

        def hook():
            _train(algorithm, job)
            _check_model_writer(job)

        return job, hook

    return jobs.run("training", paths.failure, start, log, succeeded=f"; model in {paths.model}")


def _train(algorithm: ModuleType, job: TrainingJob) -> None:
    if not job.cluster.distributed or host_aware.uses_the_hosts(algorithm):
        algorithm.train(job)
        return
    # Written for one host: every host would compute the same model. The leader trains; the others wait in its Dask
    # cluster until it is done, since where the first host to exit ends the job (the SDK's local mode), leaving at
    # once would stop the leader.
    sharded = sorted(c for c, config in job.input_data_config.items() if _sharded(config))
    if sharded:
        raise ConfigError(
            f"channel {', '.join(sharded)} is ShardedByS3Key (each host gets part of its files), but algorithm.py "
            "never uses the job's hosts, so only the leader would train, on its part: make the channel "
            "FullyReplicated, or train across the hosts (docs/how-to/train-on-several-hosts.md)"
        )
    why = "algorithm.py never uses the job's hosts (job.dask(), job.cluster, job.is_leader, ...)"
    if job.is_leader:
        log.info("%s: the leader %s trains alone; the other hosts wait for it", why, job.leader)
    else:
        log.info(
            "host %s has nothing to do: %s, so the leader %s trains alone; this host waits for it, then exits 0",
            job.current_host,
            why,
            job.leader,
        )
    with job.dask(nthreads=1):  # the other hosts never get past this
        algorithm.train(job)


def _sharded(config: Any) -> bool:
    return isinstance(config, dict) and config.get("S3DistributionType") == "ShardedByS3Key"


def _check_model_writer(job: TrainingJob) -> None:
    if job.is_leader or job.every_host_writes:
        return
    written = sorted(p.name for p in job.model_dir.iterdir() if p.name not in PLACEHOLDERS)
    if written:
        raise RuntimeError(
            f"host {job.cluster.current_host} wrote {', '.join(written)} into the model folder, but only the leader "
            f"({job.leader}) writes the model: write it when job.is_leader, or set EVERY_HOST_WRITES = True in "
            "algorithm.py (each host's file names must then differ)"
        )


def _prepare(algorithm: ModuleType, paths: MLPaths) -> TrainingJob:
    raw = jobs.read_json(paths.config / "hyperparameters.json", default={})
    if not isinstance(raw, dict):
        raise ConfigError(f"{paths.config / 'hyperparameters.json'} must hold a JSON object, not {type(raw).__name__}")
    declared, platform = hyperparameters.parse(algorithm.Hyperparameters, raw)
    try:
        declared_metrics = metrics.declared(algorithm)
    except ValueError as exc:
        raise ConfigError(f"algorithm.py: {exc}") from None

    data_config = jobs.read_json(paths.config / "inputdataconfig.json", default=None)
    names = sorted(data_config) if data_config is not None else _folders(paths.data)
    channels = {name: paths.data / name for name in names if _has_files(paths.data / name)}
    for required in getattr(algorithm, "REQUIRED_CHANNELS", ()):
        if required not in channels:
            present = ", ".join(sorted(channels)) or "none"
            raise ConfigError(
                f"required channel {required!r} is missing or empty in {paths.data}; channels with data: {present}"
            )

    resources, cluster = jobs.read_resources(paths.config / "resourceconfig.json")
    for folder in (paths.model, paths.output_data, paths.checkpoints):
        folder.mkdir(parents=True, exist_ok=True)
    return TrainingJob(
        hyperparameters=declared,
        channels=channels,
        model_dir=paths.model,
        output_data_dir=paths.output_data,
        checkpoint_dir=paths.checkpoints,
        input_data_config=data_config or {name: {} for name in channels},
        resource_config=resources,
        platform_hyperparameters=platform,
        metrics=declared_metrics,
        cluster=cluster,
        every_host_writes=bool(getattr(algorithm, "EVERY_HOST_WRITES", False)),
    )


def _folders(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.is_dir()) if parent.is_dir() else []


def _has_files(folder: Path) -> bool:
    # A channel folder kept in git by its .gitkeep alone is empty: an emptied channel must not become an empty dataset.
    return folder.is_dir() and any(p.is_file() and p.name not in PLACEHOLDERS for p in folder.rglob("*"))
