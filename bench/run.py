"""The benchmark behind bin/benchmark.sh: the framework's `serve` against two reference stacks, in one run, on one
machine, everything on 127.0.0.1.

Stacks (each with the same number of worker processes):
  framework / tree     `main.py serve` with bench/algorithms/cheap.py (a depth-3 decision tree): the framework's cost
  framework / forest   `main.py serve` with the example algorithm.py and its default model (a random forest)
  framework / trivial  `main.py serve` with bench/algorithms/trivial.py (predict returns a constant)
  framework+batching / tree|forest  the same tree and forest with ADAPTIVE_BATCHING = True
                                    (docs/how-to/adaptive-batching.md)
  classic / tree|forest  nginx + gunicorn sync + Flask + pandas per request, serving the same model.joblib
  floor                a Flask app on the framework's gunicorn settings that reads the body and answers a constant
  yours                `main.py serve` with the project root's algorithm.py, trained on its opt/ml/input, loaded
                       with each of its own payloads, opt/ml/input/payload* (bench/yours.py): a section of its own
Payloads: 28 iris records as CSV and as JSON, and ~5 MB of CSV records. wrk saturates /invocations while this
process times /ping; then a batch transform of a 52 MB CSV through develop/local/transform/runner.py
(transform_row.py), cold start (`serve` to the first /ping 200) and training (`main.py train` against the train
hook called directly).
Each number is the median of --runs runs; rounds go over every cell in turn, so a slow minute on a shared machine
hits every stack alike.
"""

import argparse
import datetime
import http.client
import json
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import limit
import load
import report
import stacks
import transform_row
import yours
from load import WRK_THREADS, Payload
from payloads import build_payloads, iris_rows
from stacks import BATCHING, BENCH, EXAMPLE, Processes, Project, cpus, say, timed_train


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 run of shorter cells (~2 min); writes bench/results/quick.md, leaving bench/RESULTS.md alone",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per cell; the table shows medians (default 3)")
    parser.add_argument(
        "--duration",
        type=int,
        default=6,
        help="seconds of load per cell and run (default 6; the ~5 MB payload gets 1.5 times as long)",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes of every stack (default 2)")
    parser.add_argument("--out", type=Path, help="where to write the table (default bench/RESULTS.md)")
    parser.add_argument(
        "--only",
        help="comma-separated stack labels to run, e.g. 'framework / tree,classic / tree'; 'yours' names your "
        "algorithm (bench/yours.py): '--only yours' runs it alone (~1 min) and writes bench/results/yours.md",
    )
    parser.add_argument(
        "--baseline",
        metavar="GIT_REF",
        help="also serve the tree and forest with the framework and algorithm.py of this commit ('baseline / tree', "
        "'baseline / forest'), in the same rounds: before and after a change, side by side on the same load",
    )
    parser.add_argument(
        "--multi-model",
        action="store_true",
        help="instead: what multi-model serving adds to a request and the time to load a model on first use "
        "(bench/multi_model.py, ~2 min, with --runs, --duration, --workers); writes bench/results/multi-model.md",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="instead: the server's memory (PSS) and cold start with 1, 2 and 4 workers, a ~90 MB forest shared by "
        "the workers against a copy each (bench/shared_model.py, ~3 min with --runs 1); writes bench/results/memory.md",
    )
    args = parser.parse_args()
    if args.quick:
        args.runs, args.duration = 1, min(args.duration, 4)
        args.out = args.out or BENCH / "results" / "quick.md"
    args.out = args.out or BENCH / "RESULTS.md"
    if not 1 <= args.runs <= 20 or not 2 <= args.duration <= 60:
        parser.error("--runs must be 1..20 and --duration 2..60")
    if args.memory:
        import shared_model

        return shared_model.main(args)
    if args.multi_model:
        import multi_model

        return multi_model.main(args)
    if args.only and {label.strip() for label in args.only.split(",")} == {"yours"}:
        return only_yours(args)

    # Ctrl-C raises KeyboardInterrupt; make SIGTERM and SIGHUP unwind the same way, so `finally` stops every server.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda num, _frame: sys.exit(128 + num))

    work = Path(tempfile.mkdtemp(prefix="sagemaker-bench-"))
    logs = BENCH / "results" / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    procs = Processes()
    try:
        return run(args, work, logs, procs)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the servers", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"benchmark failed: {exc}\n(server logs in {logs})", file=sys.stderr)
        return 1
    finally:
        procs.stop_all()
        shutil.rmtree(work, ignore_errors=True)


def run(args, work: Path, logs: Path, procs: Processes) -> int:
    started = time.perf_counter()
    say(
        f"benchmark: {args.runs} run(s) of {args.duration:g} s per cell, {args.workers} workers per stack; "
        f"wrk and this client share the machine's {cpus()} CPU(s) with the servers"
    )
    payloads = build_payloads(work / "payloads", args.duration)

    say("training the models with main.py train")
    tree = Project(work / "tree", BENCH / "algorithms" / "cheap.py")
    forest = Project(work / "forest", EXAMPLE)
    trivial = Project(work / "trivial", BENCH / "algorithms" / "trivial.py")
    timed_train(tree)
    timed_train(forest)
    # The tree and the forest twice, with adaptive batching off and on whatever algorithm.py declares, same model.
    batched = {
        name: with_batching(project, work / f"{name}-batching")
        for name, project in (("tree", tree), ("forest", forest))
    }
    for project in (tree, forest):
        set_batching(project, False)
    baselines = []
    if args.baseline:
        say(f"training the baseline's models: the framework and algorithm.py of {args.baseline}")
        source = stacks.checkout(args.baseline, work / "baseline-source")
        baselines = [
            (Project(work / "baseline-tree", BENCH / "algorithms" / "cheap.py", root=source), "tree"),
            (Project(work / "baseline-forest", stacks.example_of(source) / "algorithm.py", root=source), "forest"),
        ]
        for project, _ in baselines:
            timed_train(project)
            set_batching(project, False)

    say("starting the stacks")
    w = args.workers
    all_stacks = [
        stacks.start_framework(procs, tree, "tree", w, logs),
        stacks.start_framework(procs, batched["tree"], "tree", w, logs, name=BATCHING),
        stacks.start_classic(procs, "tree", tree.ml / "model" / "model.joblib", w, work / "classic-tree", logs),
        stacks.start_framework(procs, forest, "forest", w, logs),
        stacks.start_framework(procs, batched["forest"], "forest", w, logs, name=BATCHING),
        stacks.start_classic(procs, "forest", forest.ml / "model" / "model.joblib", w, work / "classic-forest", logs),
        stacks.start_framework(procs, trivial, "trivial", w, logs),
        stacks.start_floor(procs, w, logs),
        *(stacks.start_framework(procs, project, model, w, logs, name="baseline") for project, model in baselines),
    ]
    if args.only:
        wanted = {label.strip() for label in args.only.split(",")} - {"yours"}
        all_stacks = [s for s in all_stacks if s.label in wanted]
        if not all_stacks:
            raise RuntimeError(f"--only {args.only!r} names no stack")
    for stack in all_stacks:
        stacks.wait_ready(stack.port, stack.processes, stack.log)
    check_answers(all_stacks, payloads)

    cells = [(stack, payload) for stack in all_stacks for payload in payloads.values()]
    say(f"warming up {len(cells)} cells")
    for stack, payload in cells:
        load.warm_up(stack.port, payload, WRK_THREADS)
    say("the limit: each model's decode + predict + encode, one process per CPU (bench/limit.py), around each cell")
    projects = {"tree": tree, "forest": forest, "trivial": trivial}
    results, shares, limits = measure_rounds(args.runs, cells, projects, list(payloads.values()))
    say("batch transform: a CSV of at least 50 MB through the runner of bin/transform.sh")
    records = transform_row.build_input(work / "transform-input", iris_rows())
    megabytes = (work / "transform-input" / "big.csv").stat().st_size / 1e6
    running = {s.label: (s.port, s.processes[0].pid) for s in all_stacks}  # each stack leads its process group
    transform_rows = transform_row.measure(running, work / "transform-input", work, args.workers, args.runs, say)
    procs.stop_all()  # idle servers would still cost a little CPU during the cold starts and training below

    say("cold start: main.py serve to the first /ping 200 (example algorithm, then the trivial one)")
    cold = [cold_start(procs, forest, args.workers, logs) for _ in range(args.runs)]
    # The trivial algorithm imports nothing: what is left is the framework's own start (Python, gevent, gunicorn,
    # Flask, the workers' fork); the difference is the example's imports (pandas, scikit-learn) and model.
    cold_trivial = [cold_start(procs, trivial, args.workers, logs) for _ in range(args.runs)]
    say("training: main.py train against calling algorithm.train directly (example algorithm)")
    train = [train_times(forest) for _ in range(args.runs)]
    yours_section = ""
    if not args.only or "yours" in {label.strip() for label in args.only.split(",")}:
        say("your algorithm: the project root's algorithm.py on its own payloads (bench/yours.py)")
        yours_section, _ = yours.measure(args.runs, args.duration, args.workers, work, logs, procs)

    text = report.render(
        stacks=[s.label for s in all_stacks],
        payloads=list(payloads.values()),
        results=results,
        shares=shares,
        limits=limits,
        cold_start_s=cold,
        cold_start_trivial_s=cold_trivial,
        training=train,
        runs=args.runs,
        duration=args.duration,
        workers=args.workers,
        wrk_threads=WRK_THREADS,
        machine=machine(),
        versions=versions(),
        elapsed_s=time.perf_counter() - started,
    )
    text += transform_row.render(transform_rows, megabytes, records)
    if yours_section:
        text += "\n" + yours_section
    print("\n" + text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    say(f"written to {args.out}")
    return 0


def only_yours(args) -> int:
    """`--only yours`: the project root's algorithm on its own payloads, alone (bench/yours.py)."""
    measured = 0

    def section(work: Path, logs: Path, procs: Processes) -> str:
        nonlocal measured
        text, measured = yours.measure(args.runs, args.duration, args.workers, work, logs, procs)
        when = machine()["date"]
        return f"# Benchmark: your algorithm\n\nMeasured {when} by `bin/benchmark.sh --only yours`.\n\n{text}"

    status = stacks.run_section("yours", section)
    return status or (0 if measured else 1)


def measure_rounds(runs: int, cells: list, projects: dict[str, Project], payloads: list[Payload]) -> tuple:
    """Every cell once per round, each between two timings of its model's limit (bench/limit.py).

    Returns {(stack, payload): [Result per run]}, {(stack, payload): [requests/s over that run's limit]} and
    {(model, payload): [every limit timed]}.
    """
    results: dict[tuple[str, str], list[load.Result]] = {(s.label, p.name): [] for s, p in cells}
    shares: dict[tuple[str, str], list[float]] = {(s.label, p.name): [] for s, p in cells if s.model in projects}
    limits: dict[tuple[str, str], list[float]] = {}
    timers: dict[str, limit.Timers] = {}
    try:
        for model, project in projects.items():
            timers[model] = limit.Timers(project, payloads)
        every_group = sorted({process.pid for stack, _ in cells for process in stack.processes})

        def timed_limit(stack: stacks.Stack, payload: Payload) -> float | None:
            settle(every_group)  # the servers idle, the limit's processes alone on the cores
            if stack.model not in timers:
                return None
            found = timers[stack.model].limit(payload.name)
            limits.setdefault((stack.model, payload.name), []).append(found)
            return found

        for number in range(1, runs + 1):
            for stack, payload in cells:
                check_alive(stack)
                before = timed_limit(stack, payload)  # settles first, also for the floor, which has no limit
                result = load.measure(stack.port, payload, WRK_THREADS, [p.pid for p in stack.processes])
                results[(stack.label, payload.name)].append(result)
                share = ""
                if before:
                    # Before and after: the cell against the mean of the machine's speed on both sides of it, on the
                    # CPU that wrk and the /ping probe left to the servers (here, not on a real endpoint's host).
                    limit_now = (before + timed_limit(stack, payload)) / 2 * (1 - result.tools_share)
                    share_now = result.requests_per_s / limit_now
                    shares[(stack.label, payload.name)].append(share_now)
                    share = f" ({share_now:4.0%} of limit)"
                say(
                    f"run {number}/{runs}  {stack.label:<20} {payload.name:<14} {result.requests_per_s:9.1f} req/s"
                    f"{share:<17}  p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms  /ping p99 "
                    f"{result.ping_p99_ms:6.1f} ms  CPU {result.cpu_ms:6.2f} ms/req  load generator "
                    f"{result.tools_share:3.0%} of the CPUs" + (f"  ERRORS {result.errors}" if result.errors else "")
                )
    finally:
        for timer in timers.values():
            timer.close()
    return results, shares, limits


def settle(groups: list[int]) -> None:
    waited = load.settle(groups)
    if waited > 1:
        say(f"waited {waited:.1f} s for the servers to finish the requests wrk left them")


def post(port: int, payload: Payload) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(stacks.HOST, port, timeout=120)
    try:
        connection.request(
            "POST",
            "/invocations",
            body=payload.file.read_bytes(),
            headers={"Content-Type": payload.content_type, "Accept": payload.accept},
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def check_answers(all_stacks: list[stacks.Stack], payloads: dict[str, Payload]) -> None:
    """Every stack answers every payload with 200, and the framework and classic give the same predictions for the
    same model: the comparison is between stacks doing the same work."""
    answers = {}
    for stack in all_stacks:
        for key, payload in payloads.items():
            status, body = post(stack.port, payload)
            if status != 200:
                raise RuntimeError(f"{stack.label} answered {status} to {payload.name}: {body[:300]!r}")
            if stack.model in ("trivial", "-"):
                continue  # a constant answer, whatever the payload
            if key == "json":
                answers[(stack.label, key)] = json.loads(body)["predictions"]
            else:
                answers[(stack.label, key)] = body.decode().split()
    for name in ("framework", BATCHING, "baseline"):
        for model in ("tree", "forest"):
            for key, payload in payloads.items():
                ours, theirs = answers.get((f"{name} / {model}", key)), answers.get((f"classic / {model}", key))
                if ours is not None and theirs is not None and ours != theirs:
                    raise RuntimeError(f"{name} and classic disagree on {payload.name} with the {model}")
                if ours is not None and len(ours) != payload.records:
                    raise RuntimeError(f"{name} / {model} answered {len(ours)} records to {payload.records}")


def check_alive(stack: stacks.Stack) -> None:
    for process in stack.processes:
        if process.poll() is not None:
            raise RuntimeError(
                f"{stack.label} stopped during the benchmark (exit code {process.returncode}): did "
                f"something else on this machine signal it? Its log: {stack.log}"
            )


def cold_start(procs: Processes, project: Project, workers: int, logs: Path) -> float:
    port = stacks.free_port()
    log = logs / "cold-start.log"
    started = time.perf_counter()
    process = procs.start(project.command("serve"), log, env=stacks.serve_env(project, port, workers))
    try:
        stacks.wait_ready(port, [process], log, timeout=60)
        return time.perf_counter() - started
    finally:
        procs.stop(process)


def set_batching(project: Project, on: bool) -> None:
    # Appended: a later assignment wins over what the algorithm declares.
    with open(project.folder / "algorithm.py", "a") as source:
        source.write(f"\nADAPTIVE_BATCHING = {on}  # set by the benchmark\n")


def with_batching(project: Project, folder: Path) -> Project:
    """A copy of a trained project, its model included, with adaptive batching on."""
    copy = Project(folder, project.folder / "algorithm.py")
    shutil.copytree(project.ml / "model", copy.ml / "model")
    set_batching(copy, True)
    return copy


def train_times(project: Project) -> dict:
    framework_s = timed_train(project)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(BENCH / "train_direct.py"), str(project.folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    direct_s = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"train_direct.py failed:\n{done.stdout}{done.stderr}")
    hook_s = json.loads(done.stdout.strip().splitlines()[-1])["hook_s"]
    return {"main_py_s": framework_s, "direct_s": direct_s, "hook_s": hook_s}


def machine() -> dict:
    model = "unknown"
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        model = found.group(1).strip() if found else model
    except OSError:
        pass
    return {
        "cpus": cpus(),
        "cpu": model,
        "os": f"{platform.system()} {platform.release()}",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def versions() -> dict:
    from importlib.metadata import version

    found = {"python": platform.python_version()}
    for name in ("flask", "gunicorn", "gevent", "numpy", "pandas", "scikit-learn"):
        found[name] = version(name)
    for tool, flag in (("nginx", "-v"), ("wrk", "-v")):
        out = subprocess.run([tool, flag], capture_output=True, text=True, timeout=10)
        text = (out.stdout + out.stderr).strip().splitlines()[0]
        found[tool] = re.sub(r"^(nginx version: nginx/|wrk )", "", text).split(" Copyright")[0].split(" [")[0]
    return found


if __name__ == "__main__":
    sys.exit(main())
