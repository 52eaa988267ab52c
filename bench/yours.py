"""Your algorithm under load: the project root's algorithm.py (with lib/), trained on the root's opt/ml/input in a
temporary copy (the root's own files are only read), served by `main.py serve`, and loaded with each of the root's
own payloads, opt/ml/input/payload*, beside the fixed reference cases of bench/run.py.

Each payload goes with the Content-Type of its extension (develop/local/content-types.txt, as bin/predict.sh sends
it) and `Accept: */*`, so the server answers in its default type. A payload answered with anything but 200 is named,
with the server's reason, and skipped; a failed training is named with the reason it wrote to output/failure.
"""

import ast
import http.client
import json
import shutil
import subprocess
from pathlib import Path

import load
import stacks
from load import WRK_THREADS, Payload, median_result
from stacks import ROOT, Processes, Project, say

CONNECTIONS = 8  # as for the reference cases' small payloads: saturates 2 workers
ACCEPT = "*/*"  # whatever the algorithm answers by default
# Bounds for an algorithm this benchmark knows nothing of: generous, as a real model may take minutes to fit or load.
TRAIN_TIMEOUT_S = 900
START_TIMEOUT_S = 300


def title(root: Path = ROOT) -> str:
    """The first line of algorithm.py's docstring, up to its first full stop: what the section is called."""
    try:
        docstring = ast.get_docstring(ast.parse((root / "algorithm.py").read_text()))
    except (OSError, SyntaxError, ValueError):
        docstring = None
    line = (docstring or "").strip().splitlines()[0] if (docstring or "").strip() else "algorithm.py"
    return line.split(". ")[0].rstrip(",;:")


def content_types(root: Path = ROOT) -> dict[str, str]:
    pairs = (line.split() for line in (root / "develop" / "local" / "content-types.txt").read_text().splitlines())
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}


def payloads(root: Path, duration: int) -> list[Payload]:
    """The root's opt/ml/input/payload* files; an unknown extension goes as JSON, as bin/predict.sh sends it."""
    types = content_types(root)
    found = sorted(path for path in (root / "opt" / "ml" / "input").glob("payload*") if path.is_file())
    return [
        Payload(path.name, path, types.get(path.suffix, "application/json"), ACCEPT, 1, CONNECTIONS, duration)
        for path in found
    ]


def project(root: Path, folder: Path) -> Project:
    """A copy of the root's framework, algorithm.py, lib/ and opt/ml/input (hyperparameters included)."""
    copy = Project(folder, root / "algorithm.py", root=root)
    shutil.rmtree(copy.ml / "input")
    shutil.copytree(root / "opt" / "ml" / "input", copy.ml / "input")
    return copy


def refusal(port: int, payload: Payload) -> str | None:
    """None when the server answers the payload with 200; else the status and the server's reason, in one line."""
    connection = http.client.HTTPConnection(stacks.HOST, port, timeout=120)
    try:
        connection.request(
            "POST",
            "/invocations",
            body=payload.file.read_bytes(),
            headers={"Content-Type": payload.content_type, "Accept": payload.accept},
        )
        response = connection.getresponse()
        status, body = response.status, response.read()
    finally:
        connection.close()
    if status == 200:
        return None
    try:
        reason = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        reason = body[:200].decode(errors="replace").strip() or "(no body)"
    return f"the server answered {status}: {reason}"


def measure(
    runs: int, duration: int, workers: int, work: Path, logs: Path, procs: Processes, root: Path = ROOT
) -> tuple[str, int]:
    """Trains, serves and loads the root's algorithm; returns its section of the report (Markdown) and how many
    payloads it measured."""
    heading = f"## Your algorithm: {title(root)}"
    notes: list[str] = []
    sent = payloads(root, duration)
    if not sent:
        return _section(heading, [f"- nothing measured: {root / 'opt/ml/input'} holds no payload* file to send."]), 0
    say(f"your algorithm: training {root / 'algorithm.py'} on {root / 'opt/ml/input'} in a copy")
    yours = project(root, work / "yours")
    try:
        done = yours.train(timeout=TRAIN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        line = f"training took more than {TRAIN_TIMEOUT_S} s and was stopped"
        say(f"your algorithm: {line}")
        return _section(heading, [f"- nothing measured: {line}"]), 0
    if done.returncode != 0:
        reason = yours.failure.read_text().strip() if yours.failure.exists() else (done.stderr or done.stdout)
        line = f"training failed (exit code {done.returncode}): {reason.strip().splitlines()[0] if reason else '?'}"
        say(f"your algorithm: {line}")
        return _section(heading, [f"- nothing measured: {line}"]), 0
    stack = stacks.start_framework(procs, yours, "yours", workers, logs, name="yours")
    try:
        try:
            stacks.wait_ready(stack.port, stack.processes, stack.log, timeout=START_TIMEOUT_S)
        except RuntimeError as exc:
            line = f"the server did not start: {str(exc).splitlines()[0]} (its log: {stack.log})"
            say(f"your algorithm: {line}")
            return _section(heading, [f"- nothing measured: {line}"]), 0
        measured = []
        for payload in sent:
            why = refusal(stack.port, payload)
            if why:
                line = f"{payload.name} ({payload.content_type}) skipped: {why}"
                say(f"your algorithm: {line}")
                notes.append(f"- {line}")
                continue
            load.warm_up(stack.port, payload, WRK_THREADS)
            measured.append(payload)
        groups = [process.pid for process in stack.processes]
        results: dict[str, list[load.Result]] = {payload.name: [] for payload in measured}
        for number in range(1, runs + 1):
            for payload in measured:
                load.settle(groups)
                result = load.measure(stack.port, payload, WRK_THREADS, groups)
                results[payload.name].append(result)
                say(
                    f"run {number}/{runs}  yours  {payload.name:<20} {result.requests_per_s:9.1f} req/s  p50 "
                    f"{result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms  /ping p99 {result.ping_p99_ms:6.1f} ms"
                    + (f"  ERRORS {result.errors}" if result.errors else "")
                )
    finally:
        procs.stop(stack.processes[0])
    return _section(heading, _table(measured, results, runs, duration, workers) + notes), len(measured)


def _table(measured: list[Payload], results: dict, runs: int, duration: int, workers: int) -> list[str]:
    if not measured:
        return []
    lines = [
        f"`main.py serve` with the project root's algorithm.py, trained on its opt/ml/input; each of its payloads "
        f"posted by wrk ({CONNECTIONS} connections) with the Content-Type of its extension and `Accept: */*` (the "
        f"algorithm's default answer), {workers} workers; medians of {runs} run(s) of {duration:g} s, `/ping` timed "
        "meanwhile by a second client, one request every 25 ms.",
        "",
        "| payload | content type | bytes | requests/s | p50 ms | p99 ms | CPU ms/req | /ping p50 ms | /ping p99 ms "
        "| errors |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for payload in measured:
        r = median_result(results[payload.name])
        bad = sum(x.errors + x.ping_missed for x in results[payload.name])
        lines.append(
            f"| {payload.name} | {payload.content_type} | {payload.file.stat().st_size:,} | {r.requests_per_s:,.1f} "
            f"| {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.cpu_ms:.2f} | {r.ping_p50_ms:.1f} | {r.ping_p99_ms:.1f} | {bad} |"
        )
    return lines


def _section(heading: str, lines: list[str]) -> str:
    return "\n".join([heading, "", *lines, ""]) + "\n"
