"""Multi-model serving's own costs, on 127.0.0.1: what routing through /models/<name>/invoke adds to a request, and how
long a model takes to load on first use. Run: bin/benchmark.sh --multi-model [--runs N] [--duration S] [--workers W]

- Routing: the depth-3 tree of bench/algorithms/cheap.py (predicting costs microseconds, so the serving path is what
  shows), 28 iris records as CSV, wrk saturating POST /invocations of a single-model server and POST
  /models/tree/invoke of a multi-model server with the same model and workers, in alternating runs; medians.
- Loading: POST /models (the load SageMaker waits for) and the first invocation reaching a worker that has no copy
  yet (the other worker is frozen with SIGSTOP, so that this one must answer), for the tree and for the example's
  100-tree forest; medians over --runs fresh loads (each model unloaded in between).
Writes bench/results/multi-model.md. Every server is stopped on exit, errors and Ctrl-C included.
"""

import http.client
import json
import os
import re
import signal
import statistics
import time
from pathlib import Path

import load
import stacks
from load import WRK_THREADS
from payloads import build_payloads
from stacks import BENCH, EXAMPLE, HOST, Processes, Project, free_port, say, timed_train


def main(args) -> int:
    """bench/run.py's arguments: runs, duration and workers apply here."""
    if not 2 <= args.workers <= 16:
        raise SystemExit("--multi-model needs --workers 2..16: a model is loaded by one worker and served by another")
    return stacks.run_section("multi-model", lambda work, logs, procs: run(args, work, logs, procs))


def run(args, work: Path, logs: Path, procs: Processes) -> str:
    payload = build_payloads(work / "payloads", args.duration)["csv"]
    say("training the tree and the forest with main.py train")
    tree, forest = Project(work / "tree", BENCH / "algorithms" / "cheap.py"), Project(work / "forest", EXAMPLE)
    timed_train(tree)
    timed_train(forest)

    single = start(procs, tree, args.workers, logs / "mm-single.log")
    multi = start(procs, tree, args.workers, logs / "mm-multi.log", SAGEMAKER_MULTI_MODEL="true")
    status, body = call(multi.port, "POST", "/models", {"model_name": "tree", "url": str(tree.ml / "model")})
    assert status == 200, body
    cells = [
        ("/invocations, single-model", single, "/invocations"),
        ("/models/tree/invoke", multi, "/models/tree/invoke"),
    ]
    for _, stack, path in cells:
        load.warm_up(stack.port, payload, WRK_THREADS, seconds=2, path=path)  # every worker loads its copy here
    results: dict[str, list[load.Result]] = {label: [] for label, _, _ in cells}
    for number in range(1, args.runs + 1):
        for label, stack, path in cells:
            result = load.measure(stack.port, payload, WRK_THREADS, [p.pid for p in stack.processes], path=path)
            results[label].append(result)
            say(f"run {number}/{args.runs}  {label:<28} {result.requests_per_s:8.1f} req/s  p50 {result.p50_ms:.2f} ms")
    procs.stop_all()

    loads = {}
    for name, project in (("tree", tree), ("forest", forest)):
        server = start(procs, project, 2, logs / f"mm-load-{name}.log", SAGEMAKER_MULTI_MODEL="true")
        loads[name] = [time_load(server, name, project, n) for n in range(args.runs)]
        say(
            f"{name}: POST /models {[f'{a:.0f}' for a, _ in loads[name]]} ms, first invoke elsewhere "
            f"{[f'{b:.0f}' for _, b in loads[name]]} ms"
        )
        procs.stop_all()
    return report(args, payload, results, loads)


def start(procs: Processes, project: Project, workers: int, log: Path, **env: str) -> stacks.Stack:
    port = free_port()
    process = procs.start(project.command("serve"), log, env={**stacks.serve_env(project, port, workers), **env})
    stack = stacks.Stack("framework", "tree", port, [process], log)
    stacks.wait_ready(port, stack.processes, log)
    for _ in range(300):  # ready when one worker answers: wait (at most 30 s) for them all
        if len(workers_of(stack)) >= workers:
            break
        time.sleep(0.1)
    return stack


def workers_of(stack: stacks.Stack) -> list[int]:
    master = stack.processes[0].pid
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def call(port: int, method: str, path: str, body: dict | None = None, csv: bytes | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        if csv is not None:
            connection.request(method, path, csv, {"Content-Type": "text/csv"})
        else:
            connection.request(method, path, json.dumps(body) if body else None, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def time_load(server: stacks.Stack, name: str, project: Project, number: int) -> tuple[float, float]:
    """One fresh load: ms for POST /models, then ms for the first invocation on a worker without a copy."""
    model = f"{name}-{number}"  # a new name each time: nothing of an earlier load is reused
    started = time.perf_counter()
    status, body = call(server.port, "POST", "/models", {"model_name": model, "url": str(project.ml / "model")})
    loaded = (time.perf_counter() - started) * 1000
    assert status == 200, body
    loader = int(re.findall(rf"\[(\d+)\] serve: model '{model}' loaded from", server.log.read_text())[-1])
    workers = workers_of(server)
    os.kill(loader, signal.SIGSTOP)  # the other worker must answer, and load its own copy first
    try:
        started = time.perf_counter()
        status, body = call(server.port, "POST", f"/models/{model}/invoke", csv=b"6.9,3.1,5.4,2.1\n")
        first = (time.perf_counter() - started) * 1000
    finally:
        os.kill(loader, signal.SIGCONT)
    assert status == 200 and len(workers) == 2, (status, body, workers)
    assert call(server.port, "DELETE", f"/models/{model}")[0] == 200
    return loaded, first


def report(args, payload, results: dict[str, list[load.Result]], loads: dict[str, list[tuple[float, float]]]) -> str:
    lines = [
        "# Multi-model serving: routing and loading",
        "",
        f"`bench/multi_model.py`, {time.strftime('%Y-%m-%d')}: {args.workers} gevent workers per server, "
        f"{stacks.cpus()} CPU(s) shared with wrk (1 thread, {payload.connections} connections, {args.duration} s per "
        f"run); medians of {args.runs} runs. Model: the depth-3 tree of bench/algorithms/cheap.py; payload: "
        f"{payload.name}, Accept text/csv.",
        "",
        "| path | requests/s | p50 ms | p99 ms | CPU ms/req | errors |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for label, runs in results.items():
        r = load.median_result(runs)
        lines.append(
            f"| {label} | {r.requests_per_s:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.cpu_ms:.2f} | {r.errors:.0f} |"
        )
    lines += [
        "",
        "| model | POST /models ms | first invocation on a worker without a copy, ms |",
        "|---|--:|--:|",
    ]
    for name, times in loads.items():
        label = "tree (depth 3)" if name == "tree" else "forest (the example's 100 trees)"
        lines.append(
            f"| {label} | {statistics.median(a for a, _ in times):.0f} | {statistics.median(b for _, b in times):.0f} |"
        )
    return "\n".join(lines) + "\n"
