"""`bin/tune.sh`: a small, seeded random search on the local opt/ml, to prove before paying for a tuning job that the
declared ranges train and that the objective metric reaches the log as SageMaker will read it.

Each trial is a real `main.py train` in its own copy of the ML tree (OUT/trial-NN: its input/config, the data
linked, its model, output and train.log), with the hyperparameters drawn from the declared Ranges as strings, plus
`_tuning_objective_metric`, as a tuning job writes them. The objective is read from that trial's log with the same
regex the MetricDefinitions carry (the last value counts). A failed trial is reported with its reason and the others
go on. At the end: a table sorted by the objective, and OUT/best-hyperparameters.json, the sample's hyperparameters
with the best trial's values, a file that input/config/hyperparameters.json can take.

A development tool, not part of the image SageMaker runs: bin/tune.sh runs it in the :dev image, the tests in .venv,
with the project on PYTHONPATH. Paths it prints are relative to the project, and so is --out.
"""

import argparse
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import typing
from pathlib import Path

from develop.local.entrypoint import first_missing, give_back_to_owner, shown  # the stand-in's helpers

from framework.errors import ConfigError
from framework.paths import MLPaths
from framework.training import metrics, ranges


def draw(rng: random.Random, annotation, declared_range: ranges.Range) -> str:
    """One value from a declared range, as the string a tuning job would write."""
    if typing.get_origin(annotation) is typing.Literal:
        return str(rng.choice(typing.get_args(annotation)))
    low, high, scale = declared_range.min, declared_range.max, declared_range.scale
    if scale == "log":
        value = math.exp(rng.uniform(math.log(low), math.log(high)))
    elif scale == "reverse_log":
        value = 1 - math.exp(rng.uniform(math.log(1 - high), math.log(1 - low)))
    else:  # linear, and auto (SageMaker chooses; uniform is the honest local stand-in)
        value = rng.uniform(low, high)
    if annotation is int:
        return str(min(max(round(value), int(low)), int(high)))
    return repr(min(max(value, low), high))


def trial_tree(ml: MLPaths, folder: Path, hyperparameters: dict[str, str]) -> None:
    """An ML tree for one trial: its own config, the data of the real one."""
    config = folder / "input" / "config"
    config.mkdir(parents=True)
    for name in ("inputdataconfig.json", "resourceconfig.json"):
        if (ml.config / name).is_file():
            shutil.copy(ml.config / name, config / name)
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters, indent=2) + "\n")
    if ml.data.is_dir():
        try:  # a relative link: the same folder in the container and on the host
            (folder / "input" / "data").symlink_to(os.path.relpath(ml.data, folder / "input"), target_is_directory=True)
        except OSError:  # Windows without the symlink privilege: a copy
            shutil.copytree(ml.data, folder / "input" / "data")


def run_trial(project: Path, folder: Path, objective: str, timeout: float) -> tuple[float | None, str]:
    """(the objective's last value, "") or (None, why the trial failed)."""
    log_file = folder / "train.log"
    with open(log_file, "w") as log:
        try:
            done = subprocess.run(
                [sys.executable, str(project / "main.py"), "train"],
                env={**os.environ, "ML_ROOT": str(folder), "PYTHONUNBUFFERED": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return None, f"still training after {timeout:g} s (--timeout)"
    if done.returncode != 0:
        failure = folder / "output" / "failure"
        reason = failure.read_text().strip().splitlines()[0] if failure.is_file() else ""
        return None, f"exit {done.returncode}: {reason or 'see ' + shown(log_file, project)}"
    value = metrics.last_value(objective, log_file.read_text(errors="replace"))
    if value is None:
        return None, f"trained, but the log holds no finite value of {objective}"
    return value, ""


def table(rows: list[dict], tuned: list[str], objective: str) -> str:
    """Aligned columns, a trial per row; a failed trial's reason last, where its length bothers no other column."""
    lines = [["#", objective, *tuned, "seconds", "trial", ""]]
    for rank, row in enumerate(rows, 1):
        value = repr(row["value"]) if row["value"] is not None else "failed"
        values = [row["hyperparameters"][name] for name in tuned]
        lines.append([str(rank), value, *values, f"{row['seconds']:.1f}", row["folder"].name, row["reason"]])
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bin/tune.sh", description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=8, help="how many trainings (default 8)")
    parser.add_argument("--seed", type=int, default=0, help="the random search's seed: the same seed, the same trials")
    parser.add_argument("--objective", help="the metric to rank by (default: METRICS' first)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds a trial may take (default 3600)")
    parser.add_argument(
        "--out",
        help="where the trials go, relative to the project; replaced on each run (default: opt/ml/output/tuning)",
    )
    args = parser.parse_args(argv)
    ml = MLPaths.from_env()
    try:
        import algorithm

        declared_metrics = metrics.declared(algorithm)
        tunable = {
            name: declared
            for name, declared in ranges.declared(algorithm.Hyperparameters).items()
            if declared[1].tunable
        }
        objective = args.objective or next(iter(declared_metrics), None)
        if objective not in declared_metrics:
            raise ConfigError(
                f"objective {objective!r} is not in METRICS ({', '.join(declared_metrics) or 'none declared'})"
            )
        if not tunable:
            raise ConfigError("no hyperparameter of algorithm.py has a tunable Range: nothing to tune")
        if args.trials < 1:
            raise ConfigError("--trials must be at least 1")
        project = Path(algorithm.__file__).resolve().parent
        base_file = ml.config / "hyperparameters.json"
        try:
            base = json.loads(base_file.read_text()) if base_file.is_file() else {}
        except ValueError as exc:
            raise ConfigError(f"{shown(base_file, project)} is not valid JSON: {exc}") from None
        if not isinstance(base, dict):
            raise ConfigError(f"{shown(base_file, project)} must hold a JSON object")
    except (ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = project / args.out if args.out else ml.output / "tuning"
    since, made = time.time() - 1, first_missing(out)  # file times may be coarser than the clock
    try:
        return search(args, ml, project, out, base, tunable, objective, declared_metrics[objective] == "maximize")
    finally:  # in the container, this runs as root
        give_back_to_owner(since, made, project)


def search(args, ml: MLPaths, project: Path, out: Path, base: dict, tunable: dict, objective: str, maximize: bool):
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    rng = random.Random(args.seed)
    live = sys.stderr.isatty()
    print(
        f"tuning {', '.join(tunable)} over {args.trials} trial(s), seed {args.seed}, "
        f"{'maximizing' if maximize else 'minimizing'} {objective}; trials in {shown(out, project)}",
        file=sys.stderr,
    )
    rows = []
    for number in range(1, args.trials + 1):
        drawn = {name: draw(rng, annotation, declared) for name, (annotation, declared) in tunable.items()}
        folder = out / f"trial-{number:02d}"
        hyperparameters = {**{k: str(v) for k, v in base.items()}, **drawn, "_tuning_objective_metric": objective}
        trial_tree(ml, folder, hyperparameters)
        values = " ".join(f"{k}={v}" for k, v in drawn.items())
        running = f"[{number}/{args.trials}] training: {values}"
        if live:  # one line, which the result then overwrites
            print(running, end="\r", file=sys.stderr, flush=True)
        start = time.monotonic()
        value, reason = run_trial(project, folder, objective, args.timeout)
        seconds = time.monotonic() - start
        rows.append({"value": value, "reason": reason, "hyperparameters": drawn, "seconds": seconds, "folder": folder})
        result = f"{objective}={value!r}" if value is not None else f"failed ({reason})"
        line = f"[{number}/{args.trials}] {result}  {values}  ({seconds:.1f} s)"
        print(line.ljust(len(running)) if live else line, file=sys.stderr)

    done = sorted((r for r in rows if r["value"] is not None), key=lambda r: r["value"], reverse=maximize)
    failed = [r for r in rows if r["value"] is None]
    print(table(done + failed, list(tunable), objective))
    if not done:
        print(f"error: every trial failed; see {shown(out, project)}/trial-*/train.log", file=sys.stderr)
        return 1
    best = {k: v for k, v in {**base, **done[0]["hyperparameters"]}.items()}
    best_file = out / "best-hyperparameters.json"
    best_file.write_text(json.dumps({k: str(v) for k, v in best.items()}, indent=2) + "\n")
    print(
        f"best: {objective}={done[0]['value']!r} ({done[0]['folder'].name}); {len(failed)} failed; "
        f"its hyperparameters: {shown(best_file, project)} "
        f"(copy it to {shown(ml.config / 'hyperparameters.json', project)} to train with them)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    # In the container this is process 1, which the kernel spares a signal it has no handler for: `docker stop`
    # (SIGTERM) stops it as Ctrl-C does, the running trial killed and the files given back.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\ntune: stopped", file=sys.stderr)
        sys.exit(130)
