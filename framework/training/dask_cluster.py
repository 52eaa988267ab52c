"""A Dask cluster across a training job's hosts, formed by one call: `with job.dask() as client:`.

The leader (the first of the sorted hosts) runs the scheduler and a worker; every other host runs a worker. Only the
leader's code gets past `job.dask()`, with a Client; the other hosts serve as workers inside that call until the
leader's job is over, then leave the job:
- the leader's train() returns (its model written): the leader tells every worker host so, they exit 0 (LeaderDone);
- the leader's train() raises: the leader tells the worker hosts its reason and fails with its exception; they fail
  with "the leader failed: <reason>", never exit 0 (a public SageMaker Dask example ends in `sys.exit(0)` whatever
  happened, which reports every failure as success);
- the leader vanishes (its host died, the job was stopped): the worker hosts fail, saying they lost it;
- a worker host leaves before the leader is done: the leader fails, naming it.
The cluster outlives the `with` block on the leader, until job.run ends it (LeaderCluster.end): a worker host that
left as soon as the block ended would end the job too early where the first container to exit ends it (the SDK's
local mode: docker compose --abort-on-container-exit), stopping the leader before it wrote its model.
Everything listens on the address of the job's network interface (resourceconfig.json's network_interface_name),
never on every interface. The scheduler's port is 8786, Dask's own, unless CLUSTER_SCHEDULER_PORT says otherwise.
The leader logs how many tasks each host ran.
"""

import asyncio
import enum
import logging
import os
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import NoReturn

from distributed import Client, Scheduler, Worker
from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin

from framework.cpus import cpus
from framework.errors import ConfigError
from framework.training.cluster import Cluster, ClusterError, LeaderDone, Outcome, Succeeded, start_timeout

log = logging.getLogger("train")

PORT_VARIABLE = "CLUSTER_SCHEDULER_PORT"
DEFAULT_PORT = 8786
CLOSE_TIMEOUT = 30  # seconds for the worker hosts to receive the outcome and leave, and for Dask to close


def scheduler_port() -> int:
    text = os.environ.get(PORT_VARIABLE, str(DEFAULT_PORT))
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"{PORT_VARIABLE}={text!r} must be a port number from 1 to 65535")
    return int(text)


def _settings(cluster: Cluster) -> tuple[float, int, dict[str, str]]:
    """The start timeout, the scheduler's port and every host's address (resolved, with retries)."""
    # Dask's own INFO lines (banners, every connection) would drown the algorithm's; its warnings and errors stay.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    timeout, port = start_timeout(), scheduler_port()
    return timeout, port, cluster.addresses(timeout)


class Phase(enum.Enum):
    """Where the leader's cluster is in its life; a worker host that leaves fails the job only while it is FORMED."""

    FORMING = "forming"  # waiting for every host's worker to join
    FORMED = "formed"  # every host joined; the leader's code runs
    ENDING = "ending"  # the worker hosts were told the outcome and leave
    ENDED = "ended"  # closed


class LeaderCluster:
    """On the leader: the scheduler, the leader's own worker and a Client, from the first job.dask() until the job
    ends (end()). Forming it waits until every host's worker has joined."""

    def __init__(self, cluster: Cluster, nthreads: int | None = None):
        timeout, port, _ = _settings(cluster)
        self.cluster, self.phase = cluster, Phase.FORMING
        self.census = _Census(departure_fails=lambda: self.phase is Phase.FORMED)
        self.loop = _LoopThread()
        self.scheduler = self.worker = self.client = None
        try:
            self._form(port, nthreads, timeout)
        except BaseException:
            self._close()
            raise

    def _form(self, port: int, nthreads: int | None, timeout: float) -> None:
        cluster, census = self.cluster, self.census
        self.scheduler = self.loop.run(
            _made_in_loop(
                lambda: Scheduler(interface=cluster.network_interface, port=port, dashboard=False, plugins=[census])
            )
        )
        address = self.scheduler.address
        self.worker = self.loop.run(_made_in_loop(lambda: _worker(cluster, address, nthreads, timeout)))
        log.info(
            "Dask scheduler at %s on %s (%s); waiting for the workers of %d hosts",
            address,
            cluster.current_host,
            cluster.network_interface,
            len(cluster.hosts),
        )
        self.client = Client(address, timeout=timeout)
        started = time.monotonic()
        try:
            self.client.wait_for_workers(len(cluster.hosts), timeout=timeout)
        except TimeoutError:
            missing = sorted(set(cluster.hosts) - set(census.names.values()))
            raise ClusterError(
                f"the Dask workers of {', '.join(missing)} did not join the scheduler at {address} on the "
                f"leader {cluster.leader} within {timeout:g} s"
            ) from None
        self.phase = Phase.FORMED
        log.info(
            "Dask cluster formed in %.1f s: %s",
            time.monotonic() - started,
            ", ".join(f"{name} {address}" for address, name in sorted(census.names.items(), key=lambda n: n[1])),
        )

    def end(self, outcome: Outcome) -> None:
        """Tell every worker host how the leader's job ended, wait (bounded) for them to leave, and close. Once only.
        Raises ClusterError when the job succeeded on the leader but a worker host had left before."""
        if self.phase in (Phase.ENDING, Phase.ENDED):
            return
        try:
            self._announce(outcome)
        finally:
            self._close()
        if isinstance(outcome, Succeeded) and self.census.left:
            raise ClusterError(
                f"worker host {', '.join(sorted(self.census.left))} left the Dask cluster before the leader "
                "was done (its host failed or was stopped)"
            )

    def _announce(self, outcome: Outcome) -> None:
        census, cluster = self.census, self.cluster
        log.info(
            "Dask tasks run per host: %s (computing for %s s)",
            ", ".join(f"{h} {census.tasks[h]}" for h in cluster.hosts),
            ", ".join(f"{census.compute[h]:.1f}" for h in cluster.hosts),
        )
        others = [address for address, name in census.names.items() if name != cluster.leader]
        self.phase = Phase.ENDING
        if not others:
            return
        try:
            self.client.run(_tell_outcome, outcome, workers=others)
        except Exception as exc:  # a worker host already gone: it fails the job by itself; the leader's outcome stands
            log.warning("could not tell every worker host that the leader %s: %s", outcome, exc)
            return
        deadline = time.monotonic() + CLOSE_TIMEOUT
        while time.monotonic() < deadline and any(a in census.names for a in others):
            time.sleep(0.05)

    def _close(self) -> None:
        self.phase = Phase.ENDED
        if self.client is not None:
            self.client.close(timeout=CLOSE_TIMEOUT)
        for server in (self.worker, self.scheduler):
            if server is not None:
                self.loop.run(server.close(), timeout=CLOSE_TIMEOUT)
        self.loop.stop()


def serve(cluster: Cluster, nthreads: int | None = None) -> NoReturn:
    """On a worker host: a Dask worker of the leader's scheduler until the leader's job ends; then raises LeaderDone
    (the leader succeeded) or ClusterError (it failed, or was lost)."""
    timeout, port, addresses = _settings(cluster)
    scheduler = f"tcp://{addresses[cluster.leader]}:{port}"
    log.info("serving as a Dask worker of the scheduler %s on the leader %s", scheduler, cluster.leader)
    told = _ToldOutcome()
    loop = _LoopThread()
    try:
        try:
            worker = loop.run(_made_in_loop(lambda: _worker(cluster, scheduler, nthreads, timeout, told)))
        except Exception as exc:
            raise ClusterError(
                f"could not join the Dask scheduler {scheduler} on the leader {cluster.leader} within {timeout:g} s: "
                f"{exc}"
            ) from None
        closed = loop.submit(worker.finished())
        try:
            # Short waits, so that SIGTERM's JobStopped reaches this (the main) thread promptly.
            while not wait((told.outcome, closed), timeout=0.2, return_when=FIRST_COMPLETED).done:
                pass
        finally:
            loop.run(worker.close(), timeout=CLOSE_TIMEOUT)
    finally:
        loop.stop()
    outcome = told.outcome.result() if told.outcome.done() else None
    if isinstance(outcome, Succeeded):
        raise LeaderDone(f"the leader {cluster.leader} is done; worker host {cluster.current_host} leaves the job")
    if outcome is not None:
        raise ClusterError(f"the leader {cluster.leader} {outcome}")
    raise ClusterError(
        f"lost the Dask scheduler on the leader {cluster.leader} before it was done (its host failed or was stopped)"
    )


def _worker(
    cluster: Cluster, scheduler: str, nthreads: int | None, timeout: float, told: "_ToldOutcome | None" = None
) -> Worker:
    # No nanny: one process per host, so that the host's exit code is the job's. One thread per CPU the container may
    # use, its quota included (`docker run --cpus`): Dask's own count misses a cgroup v1 quota, and two threads on
    # half a CPU only slow each other.
    nthreads = nthreads or cpus()
    return Worker(
        scheduler,
        name=cluster.current_host,
        interface=cluster.network_interface,
        nthreads=nthreads,
        death_timeout=timeout,
        dashboard=False,
        plugins=(told,) if told is not None else (),
    )


async def _made_in_loop(make):
    # Made and started in the loop's thread: a Dask server binds itself to the event loop that creates it.
    server = make()
    await server
    return server


class _ToldOutcome(WorkerPlugin):
    """On a worker host's worker: the leader's outcome, once the leader tells it (_tell_outcome)."""

    name = "sagemaker-template-outcome"

    def __init__(self):
        self.outcome: Future = Future()


def _tell_outcome(outcome: Outcome, dask_worker: Worker) -> str:
    # Run on each worker host by the leader's client.run (Dask passes the worker as dask_worker); the function and the
    # outcome's class are importable there: the same image.
    dask_worker.plugins[_ToldOutcome.name].outcome.set_result(outcome)
    return str(outcome)


class _Census(SchedulerPlugin):
    """On the leader's scheduler: which host each worker is, the tasks each host ran, and the hosts that left while
    `departure_fails()`."""

    name = "sagemaker-template-census"

    def __init__(self, departure_fails):
        self.names: dict[str, str] = {}  # worker address -> host name
        self.tasks: Counter[str] = Counter()
        self.compute: Counter[str] = Counter()  # seconds spent computing tasks, per host
        self.left: set[str] = set()
        self.departure_fails = departure_fails

    def add_worker(self, scheduler, worker):
        self.names[worker] = scheduler.workers[worker].name

    def remove_worker(self, scheduler, worker, **kwargs):
        name = self.names.pop(worker, worker)
        if self.departure_fails():
            self.left.add(name)
            log.error("worker host %s (%s) left the Dask cluster before the leader was done", name, worker)

    def transition(self, key, start, finish, *args, **kwargs):
        if start == "processing" and finish == "memory" and kwargs.get("worker") in self.names:
            host = self.names[kwargs["worker"]]
            self.tasks[host] += 1
            for span in kwargs.get("startstops") or ():
                if span.get("action") == "compute":
                    self.compute[host] += span["stop"] - span["start"]


class _LoopThread:
    """An asyncio loop in a thread, where the scheduler and this host's worker live, so that the main thread runs the
    algorithm (and gets SIGTERM's JobStopped, which Python delivers to the main thread only)."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="dask-cluster", daemon=True)
        self.thread.start()

    def submit(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def run(self, coroutine, timeout: float | None = None):
        return self.submit(coroutine).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(CLOSE_TIMEOUT)
