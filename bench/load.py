"""Load: wrk saturates POST /invocations while this process, a second client, times GET /ping.

Every loop here is bounded in count and in time.
"""

import json
import os
import resource
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from stacks import HOST, cpus, ping

LUA = Path(__file__).resolve().parent / "wrk" / "post.lua"
# Seconds between the probe's /ping requests: far more often than SageMaker's health checks, ~200 samples in a 5 s
# run. Each one over a fresh connection costs ~0.6 ms of this client's CPU and ~1-1.3 ms of the server's (measured on
# the floor): every 10 ms, that took ~9% of 2 cores from every stack, which the limit column counted as serving's
# loss; every 50 ms left ~100 samples a run, too few for a p99 that one stalled /ping does not decide.
PING_EVERY = 0.025
SAGEMAKER_PING_LIMIT = 2.0  # seconds; a slower /ping fails SageMaker's health check
WRK_THREADS = 1  # the load generator shares the 2 cores: one thread drives ~10k requests/s, more takes CPU


@dataclass
class Payload:
    name: str  # the table's label
    file: Path
    content_type: str
    accept: str
    records: int
    connections: int  # wrk's concurrency for this payload
    duration: int  # wrk's seconds for this payload (wrk takes whole seconds)


@dataclass
class Result:
    requests_per_s: float
    records_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float  # CPU time the stack's processes spent per answered request (user + system)
    tools_share: float  # of the machine's CPUs, what wrk and this process (the /ping probe) used meanwhile
    pings: list[float]  # seconds of each /ping while wrk ran (SageMaker's limit, plus one, for a failed one)

    @property
    def ping_p50_ms(self) -> float:
        return percentile(self.pings, 50) * 1000

    @property
    def ping_p99_ms(self) -> float:
        return percentile(self.pings, 99) * 1000

    @property
    def ping_max_ms(self) -> float:
        return max(self.pings, default=float("nan")) * 1000

    @property
    def ping_missed(self) -> int:
        """/ping answers slower than SageMaker's 2 s, or failed."""
        return sum(1 for p in self.pings if p > SAGEMAKER_PING_LIMIT)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def run_wrk(
    port: int, payload: Payload, threads: int, duration: int | None = None, path: str = "/invocations"
) -> subprocess.Popen:
    duration = duration or payload.duration
    args = [
        "wrk",
        f"-t{threads}",
        f"-c{payload.connections}",
        f"-d{duration}s",
        "--timeout",
        "60s",
        "-s",
        str(LUA),
        f"http://{HOST}:{port}{path}",
        "--",
        str(payload.file),
        payload.content_type,
        payload.accept,
    ]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wrk_result(process: subprocess.Popen, limit: float) -> dict:
    try:
        out, err = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError(f"wrk did not finish within {limit:.0f} s") from None
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({process.returncode}): {err.strip() or out.strip()}")
    return json.loads(lines[-1])


def probe_ping(port: int, seconds: float) -> list[float]:
    """GET /ping every PING_EVERY s for `seconds`, each over a fresh connection as a health checker makes them;
    returns latencies in seconds (a failed /ping counts as SageMaker's 2 s limit, plus one)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    for _ in range(int(seconds / PING_EVERY) + 1):  # bounded in count as well as in time
        start = time.perf_counter()
        if start >= deadline:
            break
        try:
            ok = ping(port, timeout=SAGEMAKER_PING_LIMIT + 1) == 200
        except OSError:
            ok = False
        elapsed = time.perf_counter() - start
        latencies.append(elapsed if ok else SAGEMAKER_PING_LIMIT + 1)
        time.sleep(max(0.0, PING_EVERY - elapsed))
    return latencies


def process_cpu(groups: list[int]) -> dict[int, float]:
    """User + system CPU seconds so far of each process in these process groups, by pid."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()  # after "pid (command)", which may hold spaces
        except OSError:  # gone meanwhile
            continue
        if int(fields[2]) in groups:  # pgrp; utime and stime follow at 11 and 12, in clock ticks
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def cpu_seconds(groups: list[int]) -> float:
    """CPU time so far of every process in these process groups (a stack: gunicorn's master and workers, nginx's).
    Unlike requests/s, CPU per request hardly moves when other programs share the machine."""
    return sum(process_cpu(groups).values())


QUIET_SHARE = 0.05  # of one core: a stack this busy or less is done with the work of the cell before
QUIET_WAIT_S = 20.0


def settle(groups: list[int]) -> float:
    """Waits until the stacks of these process groups are idle; returns the seconds it took.

    wrk stops sending when its run ends, not the servers working: a sync worker that has 5 MB requests queued in its
    socket goes on predicting them for a second or two, on the cores the next cell (or limit) is about to time."""
    started = time.perf_counter()
    before, interval = cpu_seconds(groups), 0.25
    while time.perf_counter() - started < QUIET_WAIT_S:
        time.sleep(interval)
        now = cpu_seconds(groups)
        if now - before <= QUIET_SHARE * interval:
            break
        before = now
    return time.perf_counter() - started


def measure(port: int, payload: Payload, threads: int, groups: list[int], path: str = "/invocations") -> Result:
    """One wrk run on /invocations (or `path`), with /ping timed from here while it runs (leaving out its first and last
    half-second, when wrk is connecting or draining)."""
    cpu_before, tools_before, started = cpu_seconds(groups), _tools_cpu(), time.perf_counter()
    wrk = run_wrk(port, payload, threads, path=path)
    try:
        time.sleep(0.5)
        pings = probe_ping(port, payload.duration - 1.0)
        stats = _wrk_result(wrk, payload.duration + 90)
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.communicate()
    tools = (_tools_cpu() - tools_before) / (time.perf_counter() - started) / cpus()
    cpu = cpu_seconds(groups) - cpu_before
    seconds = stats["duration_us"] / 1e6
    errors = sum(stats[key] for key in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    ok = max(0, stats["requests"] - stats["status_errors"])
    return Result(
        requests_per_s=ok / seconds,
        records_per_s=ok * payload.records / seconds,
        p50_ms=stats["p50_us"] / 1000,
        p99_ms=stats["p99_us"] / 1000,
        errors=errors,
        cpu_ms=cpu * 1000 / ok if ok else float("nan"),
        tools_share=tools,
        pings=pings,
    )


def _tools_cpu() -> float:
    """CPU seconds so far of this process (the /ping probe) and of its children that have ended (wrk, once reaped;
    nothing else ends while a cell runs)."""
    own, ended = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + ended.ru_utime + ended.ru_stime


def warm_up(port: int, payload: Payload, threads: int, seconds: int = 1, path: str = "/invocations") -> None:
    """Unrecorded load, so that lazy loading and first-request costs stay out of the measured runs."""
    _wrk_result(run_wrk(port, payload, threads, duration=seconds, path=path), seconds + 90)


def median_result(results: list[Result]) -> Result:
    """Each number is the median of that number over the runs; the /ping times of every run are pooled, so that a
    percentile has as many samples as the runs together (a p99 of one run's ~100 is its slowest)."""
    numbers = [name for name in Result.__dataclass_fields__ if name != "pings"]
    pooled = [ping for r in results for ping in r.pings]
    return Result(**{name: statistics.median(getattr(r, name) for r in results) for name in numbers}, pings=pooled)
