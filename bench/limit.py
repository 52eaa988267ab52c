"""The benchmark's limit column: what a model's own work allows on this machine, of which each stack's requests/s
is a share.

The work of one request: the framework's decode, the algorithm's predict and the encode, as a worker runs them
(framework/serving/invocation.py's Invoker), timed in a process of its own, without HTTP, a server or the hand-off
to a predictor thread, in CPU time (the work itself, which other programs on the machine do not stretch as they
stretch wall time). One request at a time on each core: limit = cores / CPU seconds per request. A stack at 100%
would lose nothing to serving; with adaptive batching it can pass 100%, since merged requests share one predict.
The same limit applies to every stack serving that model (classic's pandas does the same work, more slowly).
"""

import json
import subprocess
import sys

from load import Payload
from stacks import Project, cpus

TIMED_SECONDS = 2.0  # per model and payload, after a warm-up; the count of calls is bounded too
SCRIPT = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, ".")
import algorithm
from framework.paths import MLPaths
from framework.serving.invocation import Invoker

invoke = Invoker(algorithm, algorithm.initialize(MLPaths.from_env().model))
body, content_type, accept, seconds = Path(sys.argv[1]).read_bytes(), sys.argv[2], sys.argv[3], float(sys.argv[4])
for _ in range(3):
    answer = invoke(body, content_type, accept)
    if answer.status != 200:
        sys.exit(f"answered {answer.status}: {answer.body[:300]!r}")
times, deadline = [], time.perf_counter() + seconds
while time.perf_counter() < deadline and len(times) < 100_000:
    started = time.process_time()
    invoke(body, content_type, accept)
    times.append(time.process_time() - started)
times.sort()
print(json.dumps({"seconds": times[len(times) // 2], "calls": len(times)}))
"""


def per_request_s(project: Project, payload: Payload) -> float:
    """The median CPU seconds of decode + predict + encode of `payload` with the project's trained model."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(payload.file), payload.content_type, payload.accept, str(TIMED_SECONDS)],
        cwd=project.folder,
        env=project.env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"timing the model's own work in {project.folder} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def limits(projects: dict[str, Project], payloads: list[Payload]) -> dict[tuple[str, str], float]:
    """{(model, payload name): requests/s the model's own work allows with one request in flight per core}."""
    return {
        (model, payload.name): cpus() / per_request_s(project, payload)
        for model, project in projects.items()
        for payload in payloads
    }


def share(stack: str, payload: str, requests_per_s: float, found: dict[tuple[str, str], float]) -> str:
    """A stack's requests/s as a share of its model's limit, for the table ('-' for the floor, which has no model)."""
    limit = found.get((stack.split(" / ")[-1], payload))
    return f"{requests_per_s / limit:.0%}" if limit else "-"
