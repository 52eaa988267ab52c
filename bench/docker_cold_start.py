"""Cold start as SageMaker sees it: `docker run IMAGE serve` to the first /ping 200, against what is not the
framework's: the container's and Python's own start (`docker run IMAGE` running `python -c pass`, just before) and
the algorithm's import and initialize, as the server logged them in that start. Part of bin/benchmark.sh --memory
(bench/shared_model.py).

The image is built from a copy of the project with the benchmark's algorithm, FROM TEMPLATE_BASE_IMAGE (else
.env.example's BASE_IMAGE), and removed at the end with every container made here.
"""

import shutil
import statistics
import subprocess
import time
import uuid
from pathlib import Path

import stacks
from stacks import HOST, ROOT, Processes, free_port

from docker_helpers import base_image

IMAGE_FILES = ("Dockerfile", ".dockerignore", "requirements.txt", "main.py", "framework", "lib")


def unavailable() -> str | None:
    """Why Docker cannot be measured here, or None."""
    if shutil.which("docker") is None:
        return "no docker command"
    info = subprocess.run(["docker", "info"], capture_output=True, timeout=30)
    return None if info.returncode == 0 else "no Docker engine answers"


def measure(algorithm: Path, model: Path, cases: list[tuple[str, int]], runs: int, procs: Processes, logs: Path, say):
    """{case: [{'first_ping_s', 'floor_s', 'import_s', 'initialize_s'}, ...]} over `runs` rounds; case is (mode,
    workers), mode 'shared' or 'per worker' (SHARED_MODEL = False appended to algorithm.py)."""
    tag = f"sagemaker-bench-cold-start-{uuid.uuid4().hex[:8]}"
    images = {mode: f"{tag}:{mode.replace(' ', '-')}" for mode in {mode for mode, _ in cases}}
    try:
        for mode, image in images.items():
            say(f"building {image} FROM {base_image()}")
            build(image, algorithm, mode == "per worker", logs / "docker-build.log")
        first_ping(images[cases[0][0]], model, 1, procs, logs)  # warm-up, not counted: the image's files, read once
        found = {case: [] for case in cases}
        for _ in range(runs):
            for mode, workers in cases:
                floor_s = floor(images[mode])  # just before the start, under the same load
                started = first_ping(images[mode], model, workers, procs, logs)
                found[(mode, workers)].append({**started, "floor_s": floor_s})
                say(
                    f"docker run {mode:<10} {workers} worker(s): first /ping 200 after {started['first_ping_s']:.2f} s "
                    f"(container and Python {floor_s:.2f} s, algorithm {started['import_s']:.2f} + "
                    f"{started['initialize_s']:.2f} s)"
                )
        return found
    finally:
        subprocess.run(["docker", "rmi", "-f", *images.values()], capture_output=True, timeout=120)


def build(image: str, algorithm: Path, per_worker: bool, log: Path) -> None:
    context = log.parent / f"context-{uuid.uuid4().hex[:8]}"
    try:
        for name in IMAGE_FILES:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, context / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                context.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, context / name)
        text = algorithm.read_text() + ("\nSHARED_MODEL = False  # set by the benchmark\n" if per_worker else "")
        (context / "algorithm.py").write_text(text)
        with open(log, "ab") as out:
            done = subprocess.run(
                ["docker", "build", "-t", image, "--build-arg", f"BASE_IMAGE={base_image()}", str(context)],
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=1800,
            )
        if done.returncode != 0:
            raise RuntimeError(f"docker build failed; its log: {log}")
    finally:
        shutil.rmtree(context, ignore_errors=True)


def floor(image: str) -> float:
    """Seconds of a container of the image that runs `python -c pass`: the container's and the interpreter's start,
    nothing of the framework's."""
    started = time.perf_counter()
    done = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "python", image, "-c", "pass"], capture_output=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"a container of {image} could not run python:\n{done.stderr[-2000:]!r}")
    return time.perf_counter() - started


def first_ping(image: str, model: Path, workers: int, procs: Processes, logs: Path) -> dict:
    """{'first_ping_s', 'import_s', 'initialize_s'}: the seconds to the first /ping 200, and the algorithm's import
    and initialize as that server logged them."""
    port, name = free_port(), f"sagemaker-bench-{uuid.uuid4().hex[:8]}"
    log = logs / f"docker-cold-start-{name}.log"
    args = ["docker", "run", "--rm", "--name", name, "-p", f"{HOST}:{port}:8080", "-v", f"{model}:/opt/ml/model:ro"]
    args += ["-e", f"SAGEMAKER_MODEL_SERVER_WORKERS={workers}", image, "serve"]
    started = time.perf_counter()
    process = procs.start(args, log)
    try:
        stacks.wait_ready(port, [process], log, timeout=180)
        first_ping_s = time.perf_counter() - started
    finally:
        procs.stop(process)
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)
    return {"first_ping_s": first_ping_s, **stacks.algorithm_start(log.read_text(errors="replace"))}


def render(found: dict) -> list[str]:
    every = [r for results in found.values() for r in results]

    def median(key, results=every):
        return statistics.median(r[key] for r in results)

    lines = [
        "",
        "## Cold start in Docker: `docker run IMAGE serve` to the first /ping 200",
        "",
        f"Not the framework's (medians of {len(every)}): the container's and Python's start (`python -c pass` in the "
        f"same image, just before each start) {median('floor_s'):.2f} s; importing algorithm.py "
        f"{median('import_s'):.2f} s and initialize {median('initialize_s'):.2f} s, as each server logged them. The "
        "framework's share is the rest of the first /ping 200.",
        "",
        "| model | workers | first /ping 200 s | framework's share s |",
        "|---|--:|--:|--:|",
    ]
    for (mode, workers), results in found.items():
        shares = [r["first_ping_s"] - r["floor_s"] - r["import_s"] - r["initialize_s"] for r in results]
        lines.append(
            f"| {mode} | {workers} | {median('first_ping_s', results):.2f} | {statistics.median(shares):.2f} |"
        )
    return lines
