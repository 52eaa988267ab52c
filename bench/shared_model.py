"""What each worker's model costs: the server's memory and its cold start with 1, 2 and 4 workers, the model loaded
once in the master and shared (the default) against a copy per worker (SHARED_MODEL = False), side by side.
Run: bin/benchmark.sh --memory [--runs N]   (~3 minutes with --runs 1)

- The model: bench/algorithms/big_forest.py, a 100-tree random forest whose pickle is ~90 MB.
- Memory: the total PSS of the master and its workers (/proc/<pid>/smaps_rollup: each page divided among the
  processes that share it, so the sum is what the server really holds), after every worker has answered predictions
  for a while (CPython writes to the objects it touches, so pages shared at the fork can become private later).
- Cold start: `main.py serve` to the first /ping 200 and to every worker holding the model, against the algorithm's
  own import and initialize as that server logged them: the rest is the framework's. In CPU time, against a plain
  Python process that imports algorithm.py and runs initialize.
  bench/docker_cold_start.py measures the same through `docker run IMAGE serve`.
Each case is started --runs times in rounds over every case; medians. Writes bench/results/memory.md.
"""

import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import docker_cold_start
import load
import stacks
from stacks import BENCH, HOST, Processes, Project, free_port, say

WORKERS = (1, 2, 4)
MODES = {"per worker": False, "shared": True}  # SHARED_MODEL in algorithm.py
CLIENTS = 8  # concurrent connections predicting, so that every worker answers some
PREDICT_SECONDS = 3.0
RECORDS = [[0.1 * i, -0.2 * i, 0.3, 1.0 - 0.05 * i] for i in range(28)]


def main(args) -> int:
    """bench/run.py's arguments: --runs applies here."""
    return stacks.run_section("memory", lambda work, logs, procs: run(args.runs, work, logs, procs))


def run(runs: int, work: Path, logs: Path, procs: Processes) -> str:
    say("training the ~90 MB forest with main.py train (bench/algorithms/big_forest.py)")
    shared = Project(work / "shared", BENCH / "algorithms" / "big_forest.py")
    done = shared.train(timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"main.py train failed:\n{done.stdout}{done.stderr}")
    pickle_mb = (shared.ml / "model" / "model.joblib").stat().st_size / 1e6
    per_worker = Project(work / "per-worker", shared.folder / "algorithm.py")
    shutil.copytree(shared.ml / "model", per_worker.ml / "model")
    with open(per_worker.folder / "algorithm.py", "a") as source:
        source.write("\nSHARED_MODEL = False  # set by the benchmark\n")
    projects = {"per worker": per_worker, "shared": shared}

    cases = [(mode, workers) for workers in WORKERS for mode in MODES]
    found: dict[tuple[str, int], list[dict]] = {case: [] for case in cases}
    say("warming up: one start, not counted (the first process to read the libraries' files pays the disk)")
    algorithm_cpu_s(shared)
    measure(procs, shared, 1, logs / "memory-warm-up.log")
    for number in range(1, runs + 1):
        for mode, workers in cases:
            # The algorithm's own CPU just before each start, so that both see the same load on a shared machine.
            own_cpu_s = algorithm_cpu_s(shared)
            log = logs / f"memory-{mode.replace(' ', '-')}-{workers}.log"
            result = measure(procs, projects[mode], workers, log)
            logged = stacks.algorithm_start(log.read_text(errors="replace"))  # this very start's, as it logged them
            result["framework_s"] = result["first_ping_s"] - logged["import_s"] - logged["initialize_s"]
            result["framework_cpu_s"] = result["first_ping_cpu_s"] - own_cpu_s
            found[(mode, workers)].append({**result, **logged})
            say(
                f"run {number}/{runs}  {mode:<10} {workers} worker(s)  PSS {result['pss_mb']:7.1f} MB  first /ping "
                f"{result['first_ping_s']:.2f} s (the algorithm's import and initialize {logged['import_s']:.2f} + "
                f"{logged['initialize_s']:.2f} s)  all workers {result['all_workers_s']:.2f} s"
            )
    text = render(found, pickle_mb, runs)
    missing = docker_cold_start.unavailable()
    if missing:
        say(f"cold start in Docker not measured: {missing}")
        return text + f"\nCold start in Docker: not measured ({missing}).\n"
    say("cold start in Docker: docker run IMAGE serve")
    started = docker_cold_start.measure(
        BENCH / "algorithms" / "big_forest.py",
        shared.ml / "model",
        [(mode, workers) for workers in (1, 4) for mode in MODES],
        runs,
        procs,
        logs,
        say,
    )
    return text + "\n".join(docker_cold_start.render(started)) + "\n"


def algorithm_cpu_s(project: Project) -> float:
    """The algorithm's own start in CPU time, in a plain Python process: importing algorithm.py and initialize (CPU
    time from that process's start: not its exit, whose clean-up a server does not wait for)."""
    script = (
        "import sys, time; sys.path.insert(0, '.'); import algorithm; from pathlib import Path; "
        "algorithm.initialize(Path(sys.argv[1])); print(time.process_time())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(project.ml / "model")],
        cwd=project.folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing and loading the algorithm failed:\n{done.stderr}")
    return float(done.stdout.strip().splitlines()[-1])


def measure(procs: Processes, project: Project, workers: int, log: Path) -> dict:
    port = free_port()
    log.write_text("")
    started = time.perf_counter()
    server = procs.start(project.command("serve"), log, env=stacks.serve_env(project, port, workers))
    try:
        first_ping = stacks.wait_ready(port, [server], log, timeout=120)
        first_ping_cpu = load.cpu_seconds([server.pid])  # the server leads its process group (Processes.start)
        all_workers = wait_all_workers(server, workers, log, started)
        predict_for_a_while(port)
        pids = [server.pid, *children(server.pid)]
        if len(pids) != workers + 1:
            raise RuntimeError(f"expected {workers} workers, found {len(pids) - 1}; log: {log}")
        memory = [smaps(pid) for pid in pids]
        return {
            "first_ping_s": first_ping,
            "first_ping_cpu_s": first_ping_cpu,
            "all_workers_s": all_workers,
            "pss_mb": sum(m["Pss"] for m in memory),
            "master_rss_mb": memory[0]["Rss"],
            "worker_private_mb": statistics.mean(m["Private_Clean"] + m["Private_Dirty"] for m in memory[1:]),
        }
    finally:
        procs.stop(server)


def wait_all_workers(server: subprocess.Popen, workers: int, log: Path, started: float) -> float:
    """Seconds from the start until every worker holds the model: its load logged (a copy each) or its boot (the
    master's copy, which a worker has from its first instant)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        per_worker = "each worker loads its own copy" in text
        ready = text.count("model loaded from") if per_worker else text.count("Booting worker")
        if ready >= workers:
            return time.perf_counter() - started
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}; log: {log}")
        time.sleep(0.01)
    raise RuntimeError(f"not every worker was ready within 120 s; log: {log}")


def predict_for_a_while(port: int) -> None:
    """CLIENTS connections sending predictions for PREDICT_SECONDS, so that every worker predicts."""
    body = json.dumps({"instances": RECORDS})
    errors: list[str] = []
    stop = time.monotonic() + PREDICT_SECONDS

    def client():
        import http.client

        while time.monotonic() < stop and not errors:
            connection = http.client.HTTPConnection(HOST, port, timeout=60)
            try:
                connection.request("POST", "/invocations", body, {"Content-Type": "application/json"})
                answer = connection.getresponse()
                if answer.status != 200:
                    errors.append(f"{answer.status} {answer.read()[:200]!r}")
                answer.read()
            finally:
                connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=PREDICT_SECONDS + 120)
    if errors:
        raise RuntimeError(f"a prediction failed: {errors[0]}")


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def smaps(pid: int) -> dict[str, float]:
    """The process's memory in MB, from the kernel: Rss, Pss, Private_Clean, Private_Dirty, ..."""
    lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    return {name: int(value.split()[0]) / 1024 for name, value in (line.split(":") for line in lines)}


def render(found: dict, pickle_mb: float, runs: int) -> str:
    def median(case, key):
        return statistics.median(r[key] for r in found[case])

    one = {mode: median((mode, 1), "pss_mb") for mode in MODES}
    lines = [
        f"# Memory and cold start: one model for every worker ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"bench/algorithms/big_forest.py, a 100-tree forest whose pickle is {pickle_mb:.0f} MB; {stacks.cpus()} "
        f"CPU(s); medians of {runs} run(s). PSS: the master and its workers together, after {PREDICT_SECONDS:g} s "
        f"of predictions over {CLIENTS} connections; x 1: over the same mode's PSS with 1 worker; private: what one "
        "worker owns. Cold start, `main.py serve` without Docker: to the first /ping 200, and to every worker "
        "holding the model; the framework's share is the first /ping minus the algorithm's own import and "
        "initialize, as the server logged them in that start (`algorithm.py imported in`, `model loaded from ... "
        "in`); in CPU time, the server's processes' CPU time to the first /ping 200 minus that of a plain Python "
        "process that imports algorithm.py and runs initialize, just before each start (CPU time moves far less "
        "than wall time when other programs share the machine).",
        "",
        "| workers | model | PSS MB | x 1 | worker private MB | first /ping s | all workers s | framework's share s | "
        "framework's share, CPU s |",
        "|--:|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for workers in WORKERS:
        for mode in MODES:
            case = (mode, workers)
            lines.append(
                f"| {workers} | {mode} | {median(case, 'pss_mb'):.0f} | {median(case, 'pss_mb') / one[mode]:.2f} | "
                f"{median(case, 'worker_private_mb'):.1f} | {median(case, 'first_ping_s'):.2f} | "
                f"{median(case, 'all_workers_s'):.2f} | {median(case, 'framework_s'):.2f} | "
                f"{median(case, 'framework_cpu_s'):.2f} |"
            )
    every = [r for results in found.values() for r in results]
    import_s = statistics.median(r["import_s"] for r in every)
    initialize_s = statistics.median(r["initialize_s"] for r in every)
    four = median(("shared", 4), "pss_mb") / one["shared"]
    share = max(median(("shared", workers), "framework_s") for workers in WORKERS)
    share_cpu = max(median(("shared", workers), "framework_cpu_s") for workers in WORKERS)
    start_1, start_4 = median(("shared", 1), "all_workers_s"), median(("shared", 4), "all_workers_s")
    lines += [
        "",
        f"The algorithm's own start, as the servers logged it (medians of {len(every)}): import {import_s:.2f} s, "
        f"initialize {initialize_s:.2f} s.",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| 4 workers' PSS at most 1.3x one worker's | shared {four:.2f}x; per worker "
        f"{median(('per worker', 4), 'pss_mb') / one['per worker']:.2f}x | {'met' if four <= 1.3 else 'missed'} |",
        f"| the framework's share of the cold start at most 0.5 s (no Docker; shared model, worst of 1, 2, 4 "
        f"workers) | {share:.2f} s; in CPU time {share_cpu:.2f} s | {'met' if share <= 0.5 else 'missed'} |",
        f"| shared model: 4 workers start no slower than 1 (every worker holding the model) | 1: {start_1:.2f} s, "
        f"4: {start_4:.2f} s | {'met' if start_4 <= 1.1 * start_1 else 'missed'} (within 10%) |",
        "",
    ]
    return "\n".join(lines)
