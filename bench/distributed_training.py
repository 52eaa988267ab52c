"""Training on several hosts, measured: the example's forest on 1 host against 3, through `bin/train.sh --instances N
--cpus C`, every host container limited to the same CPU share, so that three hosts really have three times the CPU.

    .venv/bin/python bench/distributed_training.py [--rows 100000] [--trees 48] [--cpus 0.6] [--runs 3]

Needs Docker (it builds the images of a temporary copy of the project, removed at the end). The data: a synthetic
classification set (--rows records, 10 features, 3 classes) as the training channel. Figures, from the hosts' logs,
for each run, 1 host and 3 hosts taking turns so that a busy minute on a shared machine hits both alike:
- fit: the example's "fitted N trees in S s" (the forest's fit alone);
- cluster: on the leader, from "training starts" to "Dask cluster formed" (importing Dask, resolving the hosts,
  starting the scheduler and its worker, and waiting for every host's worker); waiting: the last part alone;
- job: bin/train.sh from start to exit (containers, network, combining the model included);
- per tree: how long a host took to fit one tree (1 host: fit / trees; 3 hosts: the seconds the hosts spent
  computing tasks / trees). Equal on both sides when every host gets its CPU share; longer on 3 hosts when the
  machine has fewer free CPUs than 3 x --cpus, which caps the speed-up whatever the engine does.
It prints every run, then the medians and the ratios 1 host / 3 hosts.
"""

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from docker_helpers import BUILD_TIMEOUT, DockerProject, copy_project  # noqa: E402

STAMP = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def write_data(project: DockerProject, rows: int) -> None:
    from sklearn.datasets import make_classification

    features, labels = make_classification(n_samples=rows, n_features=10, n_informative=6, n_classes=3, random_state=0)
    data = project.ml / "input" / "data"
    shutil.rmtree(data)
    (data / "training").mkdir(parents=True)
    header = ",".join([*(f"f{n}" for n in range(10)), "species"])
    lines = [
        header,
        *(",".join([*(f"{v:.5f}" for v in row), f"class{label}"]) for row, label in zip(features, labels, strict=True)),
    ]
    (data / "training" / "train.csv").write_text("\n".join(lines) + "\n")


def at(log: str, pattern: str) -> datetime:
    found = re.search(STAMP + r" .*" + pattern, log)
    if not found:
        raise SystemExit(f"no line matching {pattern!r} in the job's log:\n{log[-3000:]}")
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f")


def train(project: DockerProject, hosts: int, cpus: float) -> dict[str, float]:
    started = time.monotonic()
    done = project.script("train.sh", "--instances", str(hosts), "--cpus", f"{cpus:g}", timeout=3600)
    job = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"bin/train.sh --instances {hosts} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    leader = "\n".join(
        line.removeprefix("algo-1 | ")
        for line in (done.stdout + done.stderr).splitlines()
        if hosts == 1 or line.startswith("algo-1")
    )
    trees = int(re.search(r"fitted (\d+) trees", leader).group(1))
    figures = {"job": job, "fit": float(re.search(r"fitted \d+ trees in ([\d.]+) s", leader).group(1))}
    figures["per tree"] = figures["fit"] / trees
    if hosts > 1:
        figures["cluster"] = (at(leader, "Dask cluster formed") - at(leader, "training starts")).total_seconds()
        figures["waiting"] = float(re.search(r"Dask cluster formed in ([\d.]+) s", leader).group(1))
        tasks = re.search(r"Dask tasks run per host: (.*) \(computing for (.*) s\)", leader)
        figures["per tree"] = sum(float(s) for s in tasks.group(2).split(", ")) / trees
        figures["tasks"] = tasks.group(0).removeprefix("Dask tasks run per host: ")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--trees", type=int, default=48)
    parser.add_argument("--cpus", type=float, default=0.6, help="each host container's CPU share (docker run --cpus)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as folder:
        project = DockerProject(copy_project(Path(folder)))
        try:
            say(f"building the images of a copy of the project ({project.name})")
            built = project.script("docker-build.sh", timeout=BUILD_TIMEOUT)
            if built.returncode != 0:
                raise SystemExit(f"bin/docker-build.sh failed:\n{(built.stdout + built.stderr)[-3000:]}")
            write_data(project, args.rows)
            hyperparameters = f'{{"n_estimators": "{args.trees}", "target": "species"}}'
            (project.ml / "input" / "config" / "hyperparameters.json").write_text(hyperparameters)
            say(f"{args.rows} records, 10 features, {args.trees} trees; every host --cpus {args.cpus:g}")
            results: dict[int, list[dict]] = {1: [], 3: []}
            for run in range(1, args.runs + 1):
                for hosts in (1, 3):
                    figures = train(project, hosts, args.cpus)
                    results[hosts].append(figures)
                    shown = ", ".join(
                        f"{k} {v:.2f} s" if isinstance(v, float) else f"{k}: {v}" for k, v in figures.items()
                    )
                    say(f"run {run}, {hosts} host(s): {shown}")
        finally:
            project.script("docker-destroy.sh")

    def median(hosts: int, key: str) -> float:
        return statistics.median(r[key] for r in results[hosts])

    print(f"\nmedians of {args.runs} runs, every host --cpus {args.cpus:g}:")
    print("| | 1 host | 3 hosts | 1 host / 3 hosts |")
    print("|---|---|---|---|")
    for key, name in (
        ("fit", "forest fit"),
        ("job", "whole job (bin/train.sh)"),
        ("per tree", "one tree's compute time on a host (a CPU-starved host takes longer)"),
    ):
        one, three = median(1, key), median(3, key)
        print(f"| {name} | {one:.2f} s | {three:.2f} s | {one / three:.2f}x |")
    print(f"| cluster formed (leader: start to every worker joined) | | {median(3, 'cluster'):.2f} s | |")
    print(f"| of which waiting for the workers | | {median(3, 'waiting'):.2f} s | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
