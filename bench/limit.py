"""The benchmark's limit column: what a model's own work allows on this machine, of which each stack's requests/s
is a share.

The work of one request: the framework's decode, the algorithm's predict and the encode, as a worker runs them
(framework/serving/invocation.py's Invoker), timed without HTTP, a server or the hand-off to a predictor thread, in
CPU time (the work itself, which other programs on the machine do not stretch as they stretch wall time), the mean over
the calls: a server pays for every call, also the few that run the garbage collector its allocations call for,
which a median call leaves out (the forest's 28 records: mean 3-8% over the median, once 12%). One process
per core, all timing at the same moment, each one request at a time: limit = the sum over the processes of 1 /
their mean CPU seconds per request. All cores at once, as a server under load keeps them: a core runs slower while
its neighbours are busy too (shared caches and memory bandwidth; on a virtual machine, cores that are a physical
core's two hyperthreads), and one process alone on an idle machine would time a speed no server could reach.
A stack at 100% would lose nothing to serving; with adaptive batching it can pass 100%, since merged requests share
one predict. The same limit applies to every stack serving that model (classic's pandas does the same work, more
slowly).

The timing processes live for the whole benchmark, idle (blocked on a read) between timings, so that the limit is
timed in every round, right before and right after each cell it is the limit of: a shared machine's speed drifts by
tens of percent within minutes, and a limit timed once, minutes away from the cell, would compare two different
machines.
"""

import json
import select
import statistics
import subprocess
import sys

from load import Payload
from stacks import Project, cpus, die_with_parent

TIMED_SECONDS = 2.0  # per timing, after the warm-up, and longer until MIN_CALLS calls are timed
MIN_CALLS = 10  # 4 calls of a 5 MB forest (2 s) timed a limit that moved by a third between runs
MAX_SECONDS = 30.0
READY_TIMEOUT_S = 300  # importing the algorithm and loading its model, on a slow machine
SCRIPT = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, ".")
import algorithm
from framework.paths import MLPaths
from framework.serving.invocation import Invoker

invoke = Invoker(algorithm, algorithm.initialize(MLPaths.from_env().model))
seconds, least, longest, payloads = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), json.loads(sys.argv[4])
bodies = [(Path(file).read_bytes(), content_type, accept) for file, content_type, accept in payloads]
for body in bodies:
    for _ in range(3):
        answer = invoke(*body)
        if answer.status != 200:
            sys.exit(f"answered {answer.status}: {answer.body[:300]!r}")
print("ready", flush=True)
for line in sys.stdin:  # one payload's index per line, sent to every core's process at the same moment
    body = bodies[int(line)]
    times, started_at = [], time.perf_counter()
    while len(times) < 100_000:
        took = time.perf_counter() - started_at
        if took > longest or (took > seconds and len(times) >= least):
            break
        started = time.process_time()
        invoke(*body)
        times.append(time.process_time() - started)
    print(json.dumps({"seconds": sum(times) / len(times), "calls": len(times)}), flush=True)
"""


class Timers:
    """One process per core with a model loaded, timing a payload's work whenever asked; close() ends them."""

    def __init__(self, project: Project, payloads: list[Payload]):
        self.project, self.names = project, [payload.name for payload in payloads]
        spec = json.dumps([[str(p.file), p.content_type, p.accept] for p in payloads])
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-c", SCRIPT, str(TIMED_SECONDS), str(MIN_CALLS), str(MAX_SECONDS), spec],
                cwd=project.folder,
                env=project.env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                preexec_fn=die_with_parent,
            )
            for _ in range(cpus())
        ]
        try:
            for process in self.processes:
                self._line(process, READY_TIMEOUT_S, "ready")
        except BaseException:
            self.close()
            raise

    def per_request_s(self, payload: str) -> list[float]:
        """The mean CPU seconds of one request's work on `payload`, in each process, all timing at once."""
        index = self.names.index(payload)
        for process in self.processes:  # within microseconds of one another
            process.stdin.write(f"{index}\n")
            process.stdin.flush()
        return [json.loads(self._line(process, MAX_SECONDS + 60))["seconds"] for process in self.processes]

    def limit(self, payload: str) -> float:
        """Requests/s the model's own work on `payload` allows with one request in flight per core, timed now."""
        return sum(1 / seconds for seconds in self.per_request_s(payload))

    def _line(self, process: subprocess.Popen, timeout: float, expected: str | None = None) -> str:
        # One line per question and nothing else, so nothing waits in the pipe's buffer when select() looks.
        answered, _, _ = select.select([process.stdout], [], [], timeout)
        line = process.stdout.readline().strip() if answered else ""
        if not line or (expected and line != expected):
            process.kill()
            _, err = process.communicate(timeout=60)
            why = err[-2000:] if answered else f"no answer within {timeout:.0f} s"
            raise RuntimeError(f"timing the model's own work in {self.project.folder} failed:\n{why}")
        return line

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.stdin.close()  # the script's loop ends
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def share(shares: list[float]) -> str:
    """The table's "of limit": the median over the runs of requests/s over the limit timed around the cell ('-' for
    the floor, which has no model)."""
    return f"{statistics.median(shares):.0%}" if shares else "-"
