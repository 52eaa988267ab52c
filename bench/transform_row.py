"""The batch transform row of the benchmark: one CSV of at least 50 MB through develop/local/transform/runner.py
(the runner of bin/transform.sh), against the framework's serve and the classic stack already running, with the
tree and the forest.

Every stack gets the same job (SplitType Line, MaxPayloadInMB 6, AssembleWith Line, Accept text/csv) from the same
runner, with as many requests in flight as the stack has workers. The ideal is the framework's rate with one request
in flight times its workers: what perfect sharing of the requests over the workers would give. On a machine that
other programs share, that ideal needs CPU the machine may not give; the busiest worker's share of the workers' CPU
time shows the sharing itself (50% with 2 workers is perfect, 100% is one worker doing everything).
"""

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import load

ROOT = Path(__file__).resolve().parent.parent
TRANSFORM_BYTES = 50 * 1024 * 1024
JOB = ["--SplitType", "Line", "--Accept", "text/csv", "--AssembleWith", "Line"]
WARM_UP_BYTES = 4 * 1024 * 1024  # in 1 MB requests: every worker imports pandas and warms its model before the runs


@dataclass
class Row:
    model: str
    framework: float  # records/s, as many in flight as workers
    single: float  # records/s, one in flight
    classic: float | None
    workers: int
    busiest: float  # the busiest worker's share of the workers' CPU time, as many in flight as workers

    @property
    def ideal(self) -> float:
        return self.single * self.workers


def build_input(folder: Path, rows: list[str], size: int = TRANSFORM_BYTES) -> int:
    """folder/big.csv of at least `size` bytes; returns its record count."""
    folder.mkdir(parents=True)
    block = "\n".join(rows) + "\n"
    copies = size // len(block) + 1
    (folder / "big.csv").write_text(block * copies)
    return len(rows) * copies


def transform(port: int, source: Path, output: Path, in_flight: int, payload_mb: int = 6) -> float:
    """records/s of one job, as the runner measures it (from its first request to its last answer)."""
    shutil.rmtree(output, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, "-P", "-m", "develop.local.transform.runner", "--url", f"http://127.0.0.1:{port}"]
        + [str(source), str(output), *JOB, "--MaxConcurrentTransforms", str(in_flight)]
        + ["--MaxPayloadInMB", str(payload_mb)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    found = re.search(r"done: 1 file\(s\), ([\d,]+) records in ([\d.]+) s", done.stderr)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"the transform against port {port} failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", "")) / float(found.group(2))


def workers_cpu(group: int) -> dict[int, float]:
    """CPU seconds so far of each process of a process group but its leader (gunicorn's master): the workers."""
    return {pid: seconds for pid, seconds in load.process_cpu([group]).items() if pid != group}


def measure(stacks: dict[str, tuple[int, int]], source: Path, work: Path, workers: int, runs: int, say) -> list[Row]:
    """stacks: label -> (port, process group) of the stacks running now."""
    ports = {label: port for label, (port, _) in stacks.items()}
    warm_up = work / "transform-warm-up"
    build_input(warm_up, (source / "big.csv").read_text().splitlines()[:150], WARM_UP_BYTES)
    for label, port in ports.items():
        if label.endswith(("/ tree", "/ forest")):  # the stacks that answer each record (not trivial, not floor)
            transform(port, warm_up, work / "transform-output", workers, payload_mb=1)
    rows = []
    for model in ("tree", "forest"):
        ours, theirs = ports.get(f"framework / {model}"), ports.get(f"classic / {model}")
        if ours is None:
            continue
        rates = {"framework": [], "single": [], "classic": []}
        busiest = []
        for number in range(1, runs + 1):
            for name, port, in_flight in (
                ("framework", ours, workers),
                ("single", ours, 1),
                ("classic", theirs, workers),
            ):
                if port is None:
                    continue
                group = stacks[f"framework / {model}"][1]
                before = workers_cpu(group)
                rate = transform(port, source, work / "transform-output", in_flight)
                rates[name].append(rate)
                if name == "framework":
                    spent = [cpu - before.get(pid, 0.0) for pid, cpu in workers_cpu(group).items()]
                    busiest.append(max(spent) / sum(spent) if sum(spent) else float("nan"))
                label = f"transform {name:<9} / {model:<6} {in_flight} in flight"
                say(f"run {number}/{runs}  {label} {rate:12,.0f} records/s")
        rows.append(
            Row(
                model,
                median(rates["framework"]),
                median(rates["single"]),
                median(rates["classic"]) if rates["classic"] else None,
                workers,
                median(busiest),
            )
        )
    return rows


def render(rows: list[Row], megabytes: float, records: int) -> str:
    lines = [
        "",
        f"## Batch transform: {megabytes:.0f} MB of CSV ({records:,} records) through bin/transform.sh's runner",
        "",
        "SplitType Line, MaxPayloadInMB 6, AssembleWith Line, Accept text/csv, as many requests in flight as workers;"
        " ideal = the framework with one request in flight x its workers; busiest worker = its share of the workers'"
        f" CPU time (perfect sharing: {100 / rows[0].workers if rows else 50:.0f}%).",
        "",
        "| model | framework records/s | classic records/s | x classic | one in flight | ideal | % of ideal "
        "| busiest worker |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        classic = f"{row.classic:,.0f}" if row.classic else "-"
        times = f"{row.framework / row.classic:.2f}" if row.classic else "-"
        lines.append(
            f"| {row.model} | {row.framework:,.0f} | {classic} | {times} | {row.single:,.0f} | {row.ideal:,.0f} "
            f"| {100 * row.framework / row.ideal:.0f}% | {100 * row.busiest:.0f}% |"
        )
    return "\n".join(lines) + "\n"
