"""What a training job and a processing job share: their hosts, how they stop, and how they end.

Both run once per host, from start to an exit code, and SageMaker reads them the same way: exit 0 succeeds; a
non-zero exit fails the job with the reason the job wrote (training: output/failure, its FailureReason; processing:
output/message, its ExitMessage), the traceback in the log; 2 for a wrong configuration, 1 for an error raised by
the algorithm. SIGTERM (how SageMaker stops a job; SIGKILL follows 120 s later) and SIGINT raise JobStopped wherever
the algorithm is, so that its `finally` blocks run; exit 128+signal. On several hosts `job.dask()` forms a Dask
cluster (framework/training/dask_cluster.py): only the leader runs the block; a worker host exits 0 once the
leader's hook has returned.
"""

import json
import logging
import signal
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framework.errors import ConfigError, JobStopped
from framework.training.cluster import Cluster, Failed, LeaderDone, Outcome, Stopped, Succeeded

if TYPE_CHECKING:
    from distributed import Client


@dataclass(kw_only=True)
class HostsJob:
    """The hosts of a job, as resourceconfig.json describes them, and job.dask() across them."""

    cluster: Cluster = field(default_factory=lambda: Cluster(("algo-1",), "algo-1", "eth0"))
    _dask: Any = field(default=None, init=False, repr=False)  # the leader's Dask cluster, from job.dask() to the end

    @property
    def current_host(self) -> str:
        """This host's name, as resourceconfig.json says (algo-1 on a local run)."""
        return self.cluster.current_host

    @property
    def hosts(self) -> list[str]:
        """Every host of the job, sorted (a new list each time: the job's hosts do not change)."""
        return list(self.cluster.hosts)

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

    def _end(self, outcome: Outcome) -> None:
        # The worker hosts of job.dask() leave with the leader's outcome only now, its results written.
        if self._dask is not None:
            self._dask.end(outcome)


def run(
    kind: str,
    reason_file: Path,
    start: Callable[[], tuple[HostsJob, Callable[[], None]]],
    log: logging.Logger,
    succeeded: str = "",
) -> int:
    """Run one job (`kind`: training, processing) to its exit code. `start` reads the configuration and returns the
    job and the call of the algorithm's hook; `reason_file` gets the reason of a failure; `succeeded` ends the line
    that says the job succeeded."""
    reason_file.unlink(missing_ok=True)  # a stale reason from an earlier local run would lie about this one
    stop_on(kind, log, signal.SIGTERM, signal.SIGINT)
    job = None
    try:
        job, hook = start()
        hook()
        job._end(Succeeded())  # raises when a worker host left early
    except LeaderDone as done:
        log.info("%s succeeded: %s", kind, done)
        return 0
    except JobStopped as stop:
        _end_quietly(job, Stopped(signal.Signals(stop.signum).name), log)
        log.warning("%s %s; exiting with %d", kind, stop, 128 + stop.signum)
        return 128 + stop.signum
    except Exception as exc:
        _end_quietly(job, Failed(f"{type(exc).__name__}: {exc}"), log)
        report_failure(kind, reason_file, exc, log)
        return 2 if isinstance(exc, ConfigError) else 1
    log.info("%s succeeded%s", kind, succeeded)
    return 0


def _end_quietly(job: HostsJob | None, outcome: Outcome, log) -> None:
    # The job has failed already: the reason to report is its own, not a second one from closing the cluster.
    try:
        if job is not None:
            job._end(outcome)
    except Exception as exc:
        log.warning("closing the Dask cluster: %s: %s", type(exc).__name__, exc)


def stop_on(kind: str, log: logging.Logger, *signums: int) -> None:
    # As PID 1 in a container the process has no default signal handling: without this, SIGTERM does nothing until
    # SIGKILL arrives 120 s later and no checkpoint is saved.
    def stop(signum, _frame):
        name = signal.Signals(signum).name
        signal.signal(signum, signal.SIG_DFL)  # a second signal is not caught again
        log.warning("received %s: stopping %s (cleanup runs; SageMaker sends SIGKILL 120 s after SIGTERM)", name, kind)
        raise JobStopped(signum, name)

    for signum in signums:
        signal.signal(signum, stop)


def report_failure(kind: str, reason_file: Path, exc: Exception, log: logging.Logger) -> None:
    reason = f"{type(exc).__name__}: {exc}"
    log.error("%s failed: %s\n%s", kind, reason, "".join(traceback.format_exception(exc)).rstrip())
    write_reason(reason_file, reason, log)


def write_reason(reason_file: Path, reason: str, log: logging.Logger) -> None:
    try:
        reason_file.parent.mkdir(parents=True, exist_ok=True)
        reason_file.write_text(reason + "\n")
    except OSError as write_error:
        log.error("could not write %s: %s", reason_file, write_error)


def read_json(path: Path, default: Any) -> Any:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return default
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None


def read_resources(path: Path) -> tuple[dict, Cluster]:
    """resourceconfig.json's content ({} when missing: a local run on one host) and the hosts it describes."""
    resources = read_json(path, default={})
    if not isinstance(resources, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    return resources, Cluster.from_resource_config(resources)
