"""`main.py train`: reads SageMaker's input config, calls algorithm.train, and reports the outcome as SageMaker expects.

Outcome: exit 0 and no output/failure on success; on failure the reason in output/failure (SageMaker shows its first
1024 characters as the job's FailureReason), the traceback in the log and a non-zero exit: 2 for a wrong
configuration (hyperparameters, channels), 1 for an error raised by the algorithm. SIGTERM (how SageMaker stops a
job; SIGKILL follows 120 s later) raises JobStopped in the algorithm so its `finally` blocks run; exit 128+signal.
With several hosts (docs/distributed-training.md) every host runs this; only the leader reports metrics and writes
the model, unless algorithm.py sets EVERY_HOST_WRITES = True. A worker host of `job.dask()` exits 0 once the leader's
train() has returned.
"""

import json
import logging
import signal
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from framework.errors import ConfigError, JobStopped
from framework.paths import MLPaths
from framework.training import hyperparameters, metrics
from framework.training.cluster import Cluster, LeaderDone

if TYPE_CHECKING:
    from distributed import Client

# Files that only keep an empty folder in git; not a model (as develop/local/entrypoint.py, which packs it, says).
PLACEHOLDERS = {".gitkeep", ".gitignore", ".keep"}

log = logging.getLogger("train")


@dataclass
class TrainingJob:
    """Everything algorithm.train gets. Paths are absolute; folders to write into exist."""

    hyperparameters: Any  # an instance of algorithm.Hyperparameters
    channels: dict[str, Path]  # channel name -> its folder, for every channel with data
    model_dir: Path  # write the model here; SageMaker packs it into model.tar.gz
    output_data_dir: Path  # other outputs (plots, reports); SageMaker uploads them as output.tar.gz
    checkpoint_dir: Path  # synced with S3 when the job configures checkpointing
    current_host: str = "algo-1"
    hosts: list[str] = field(default_factory=lambda: ["algo-1"])
    input_data_config: dict[str, dict] = field(default_factory=dict)  # channel -> ContentType, TrainingInputMode, ...
    resource_config: dict[str, Any] = field(default_factory=dict)
    platform_hyperparameters: dict[str, Any] = field(default_factory=dict)  # sagemaker_*, _tuning_objective_metric, ...
    metrics: dict[str, str] = field(default_factory=dict)  # algorithm.METRICS: name -> "maximize" | "minimize"
    cluster: Cluster = field(default_factory=lambda: Cluster(("algo-1",), "algo-1", "eth0"))
    every_host_writes: bool = False  # algorithm.EVERY_HOST_WRITES: metrics and model files from every host
    _dask: Any = field(default=None, init=False, repr=False)  # the leader's Dask cluster, from job.dask() to the end

    @property
    def leader(self) -> str:
        """The first of the sorted hosts (not always called algo-1: SageMaker's local mode says algo-1-xxxxx)."""
        return self.cluster.leader

    @property
    def is_leader(self) -> bool:
        return self.cluster.is_leader

    @property
    def network_interface(self) -> str:
        """The job network's interface (resourceconfig.json's network_interface_name): eth0, ethwe, eth1, ..."""
        return self.cluster.network_interface

    def report_metric(self, name: str, value: float, epoch: int | None = None) -> None:
        """Log one value of a declared metric, in the line SageMaker's MetricDefinitions read (metrics.py).
        With several hosts, only the leader's values are logged (unless EVERY_HOST_WRITES): one value per step."""
        if self.is_leader or self.every_host_writes:
            metrics.report(self.metrics, name, value, epoch)

    @contextmanager
    def dask(self, nthreads: int | None = None) -> Iterator["Client"]:
        """`with job.dask() as client:` a Dask cluster with a worker on every host (`nthreads` threads each: default
        the CPUs the container may use). Only the leader runs the block; every other host serves as a worker until
        the leader's job is over (framework/training/dask_cluster.py). On the leader the cluster stays until the job
        ends: a second `with job.dask()` gets the same one."""
        from framework.training import dask_cluster  # Dask's import costs a second: only when used

        if not self.cluster.is_leader:
            dask_cluster.serve(self.cluster, nthreads)  # raises LeaderDone or ClusterError: never enters the block
        if self._dask is None:
            self._dask = dask_cluster.LeaderCluster(self.cluster, nthreads)
        yield self._dask.client

    def _end(self, outcome: str) -> None:
        # The worker hosts of job.dask() leave with the leader's outcome only now, its model written.
        if self._dask is not None:
            self._dask.end(outcome)


def run(algorithm_loader) -> int:
    """Run one training job; `algorithm_loader` imports algorithm.py, so that its errors are reported like the rest."""
    paths = MLPaths.from_env()
    paths.failure.unlink(missing_ok=True)  # a stale reason from an earlier local run would lie about this one
    _stop_on(signal.SIGTERM, signal.SIGINT)
    job = None
    try:
        algorithm = algorithm_loader()
        job = _prepare(algorithm, paths)
        log.info(
            "training starts: ML root %s, channels %s, hyperparameters %s",
            paths.root,
            sorted(job.channels),
            job.hyperparameters,
        )
        algorithm.train(job)
        _check_model_writer(job)
        job._end("succeeded")  # raises when a worker host left early
    except LeaderDone as done:
        log.info("training succeeded: %s", done)
        return 0
    except JobStopped as stop:
        _end_quietly(job, f"was {stop}")
        log.warning("training %s; exiting with %d", stop, 128 + stop.signum)
        return 128 + stop.signum
    except Exception as exc:
        _end_quietly(job, f"failed: {type(exc).__name__}: {exc}")
        code = 2 if isinstance(exc, ConfigError) else 1
        _report_failure(paths, exc)
        return code
    log.info("training succeeded; model in %s", paths.model)
    return 0


def _end_quietly(job: TrainingJob | None, outcome: str) -> None:
    # The job has failed already: the reason to report is its own, not a second one from closing the cluster.
    try:
        if job is not None:
            job._end(outcome)
    except Exception as exc:
        log.warning("closing the Dask cluster: %s: %s", type(exc).__name__, exc)


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


def _stop_on(*signums: int) -> None:
    # As PID 1 in a container the process has no default signal handling: without this, SIGTERM does nothing until
    # SIGKILL arrives 120 s later and no checkpoint is saved.
    def stop(signum, _frame):
        name = signal.Signals(signum).name
        signal.signal(signum, signal.SIG_DFL)  # a second signal is not caught again
        log.warning("received %s: stopping training (cleanup runs; SageMaker sends SIGKILL 120 s after SIGTERM)", name)
        raise JobStopped(signum, name)

    for signum in signums:
        signal.signal(signum, stop)


def _report_failure(paths: MLPaths, exc: Exception) -> None:
    reason = f"{type(exc).__name__}: {exc}"
    log.error("training failed: %s\n%s", reason, "".join(traceback.format_exception(exc)).rstrip())
    try:
        paths.output.mkdir(parents=True, exist_ok=True)
        paths.failure.write_text(reason + "\n")
    except OSError as write_error:
        log.error("could not write %s: %s", paths.failure, write_error)


def _prepare(algorithm: ModuleType, paths: MLPaths) -> TrainingJob:
    raw = _read_json(paths.config / "hyperparameters.json", default={})
    if not isinstance(raw, dict):
        raise ConfigError(f"{paths.config / 'hyperparameters.json'} must hold a JSON object, not {type(raw).__name__}")
    declared, platform = hyperparameters.parse(algorithm.Hyperparameters, raw)
    try:
        declared_metrics = metrics.declared(algorithm)
    except ValueError as exc:
        raise ConfigError(f"algorithm.py: {exc}") from None

    data_config = _read_json(paths.config / "inputdataconfig.json", default=None)
    names = sorted(data_config) if data_config is not None else _folders(paths.data)
    channels = {name: paths.data / name for name in names if _has_files(paths.data / name)}
    for required in getattr(algorithm, "REQUIRED_CHANNELS", ()):
        if required not in channels:
            present = ", ".join(sorted(channels)) or "none"
            raise ConfigError(
                f"required channel {required!r} is missing or empty in {paths.data}; channels with data: {present}"
            )

    resources = _read_json(paths.config / "resourceconfig.json", default={})
    if not isinstance(resources, dict):
        raise ConfigError(f"{paths.config / 'resourceconfig.json'} must hold a JSON object")
    cluster = Cluster.from_resource_config(resources)
    for folder in (paths.model, paths.output_data, paths.checkpoints):
        folder.mkdir(parents=True, exist_ok=True)
    return TrainingJob(
        hyperparameters=declared,
        channels=channels,
        model_dir=paths.model,
        output_data_dir=paths.output_data,
        checkpoint_dir=paths.checkpoints,
        current_host=cluster.current_host,
        hosts=list(cluster.hosts),
        input_data_config=data_config or {name: {} for name in channels},
        resource_config=resources,
        platform_hyperparameters=platform,
        metrics=declared_metrics,
        cluster=cluster,
        every_host_writes=bool(getattr(algorithm, "EVERY_HOST_WRITES", False)),
    )


def _read_json(path: Path, default: Any) -> Any:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return default
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None


def _folders(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.is_dir()) if parent.is_dir() else []


def _has_files(folder: Path) -> bool:
    # A channel folder kept in git by its .gitkeep alone is empty: an emptied channel must not become an empty dataset.
    return folder.is_dir() and any(p.is_file() and p.name not in PLACEHOLDERS for p in folder.rglob("*"))
