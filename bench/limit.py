"""The benchmark's limit column: what a model's own work allows on this machine, of which each stack's requests/s
is a share.

The work of one request: the framework's decode, the algorithm's predict and the encode, as a worker runs them
(framework/serving/invocation.py's Invoker), timed without HTTP, a server or the hand-off to a predictor thread, in
CPU time (the work itself, which other programs on the machine do not stretch as they stretch wall time). One
process per core, all timing at the same moment, each one request at a time: limit = the sum over the processes of
1 / their CPU seconds per request. All cores at once, as a server under load keeps them: a core runs slower while
its neighbours are busy too (shared caches and memory bandwidth; on a virtual machine, cores that are a physical
core's two hyperthreads), and one process alone on an idle machine would time a speed no server could reach.
A stack at 100% would lose nothing to serving; with adaptive batching it can pass 100%, since merged requests share
one predict. The same limit applies to every stack serving that model (classic's pandas does the same work, more
slowly)."""

import json
import subprocess
import sys
import time

from load import Payload
from stacks import Project, cpus

TIMED_SECONDS = 2.0  # per model and payload, after a warm-up; the count of calls is bounded too
START_AFTER_S = 10.0  # time for every process to import the algorithm, load the model and warm up before timing
SCRIPT = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, ".")
import algorithm
from framework.paths import MLPaths
from framework.serving.invocation import Invoker

invoke = Invoker(algorithm, algorithm.initialize(MLPaths.from_env().model))
body, content_type, accept = Path(sys.argv[1]).read_bytes(), sys.argv[2], sys.argv[3]
seconds, start_at = float(sys.argv[4]), float(sys.argv[5])
for _ in range(3):
    answer = invoke(body, content_type, accept)
    if answer.status != 200:
        sys.exit(f"answered {answer.status}: {answer.body[:300]!r}")
time.sleep(max(0.0, start_at - time.time()))  # every core's process times the same seconds
times, deadline = [], time.perf_counter() + seconds
while time.perf_counter() < deadline and len(times) < 100_000:
    started = time.process_time()
    invoke(body, content_type, accept)
    times.append(time.process_time() - started)
times.sort()
print(json.dumps({"seconds": times[len(times) // 2], "calls": len(times)}))
"""


def per_request_s(project: Project, payload: Payload, processes: int) -> list[float]:
    """The median CPU seconds of decode + predict + encode of `payload` with the project's trained model, in each of
    `processes` processes timing at once."""
    start_at = time.time() + START_AFTER_S
    args = [str(payload.file), payload.content_type, payload.accept, str(TIMED_SECONDS), str(start_at)]
    timers = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, *args],
            cwd=project.folder,
            env=project.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    found = []
    for timer in timers:
        out, err = timer.communicate(timeout=300)
        if timer.returncode != 0:
            raise RuntimeError(f"timing the model's own work in {project.folder} failed:\n{err[-2000:]}")
        found.append(json.loads(out.strip().splitlines()[-1])["seconds"])
    return found


def limits(projects: dict[str, Project], payloads: list[Payload]) -> dict[tuple[str, str], float]:
    """{(model, payload name): requests/s the model's own work allows with one request in flight per core}."""
    return {
        (model, payload.name): sum(1 / seconds for seconds in per_request_s(project, payload, cpus()))
        for model, project in projects.items()
        for payload in payloads
    }


def share(stack: str, payload: str, requests_per_s: float, found: dict[tuple[str, str], float]) -> str:
    """A stack's requests/s as a share of its model's limit, for the table ('-' for the floor, which has no model)."""
    limit = found.get((stack.split(" / ")[-1], payload))
    return f"{requests_per_s / limit:.0%}" if limit else "-"
