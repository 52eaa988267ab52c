"""The stages of a release and its command line, written once: read by bin/release.sh on this machine, and by
pipeline.py in the :dev image.

    python develop/release/stages.py DOCKER-RUN-OF-THE-DEV-IMAGE... -- RELEASE-ARGUMENTS...

bin/release.sh and bin\\release.bat run it with this machine's Python, and only its standard library (any Python 3.8
or newer: the :dev image may not exist yet). It checks the arguments (one line and exit code 2 when one is wrong),
runs the stages that need this machine, test (bin/test.sh: the suite in .venv, with this machine's Docker) and build
(bin/docker-build.sh: makes the :dev image), then, when the stages asked for go further, the `docker run` the script
built, with the same arguments: pipeline.py runs the rest there, and its exit code is the release's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

PROG = "bin/release.sh"
# Every stage of a release, in order.
STAGES = (
    "test",
    "build",
    "push",
    "train",
    "evaluate",
    "register",
    "staging",
    "smoke",
    "approval",
    "production",
    "report",
)
# The stages this machine runs, before the :dev image exists (build makes it), and their bin/ command.
HOST = {"test": "test", "build": "docker-build"}
INTERRUPTED = 130  # the exit code of a release stopped by Ctrl-C, as a shell gives


class Parser(argparse.ArgumentParser):
    """argparse, whose refusal is one line, `error: WHAT: USAGE`, and exit code 2, as bin/'s scripts refuse."""

    def error(self, message: str):
        print(f"error: {message}: {' '.join(self.format_usage().split())}", file=sys.stderr)
        sys.exit(2)


def parser() -> Parser:
    top = Parser(prog=PROG, description="A version, from tests to production (docs/how-to/release.md).")
    top.add_argument("version", metavar="VERSION", help="the version to release (the image's tag), e.g. 1.2.0")
    top.add_argument("--from", dest="first", metavar="STAGE", choices=STAGES, default=STAGES[0], help="first stage")
    top.add_argument("--to", dest="last", metavar="STAGE", choices=STAGES, default=STAGES[-1], help="last stage")
    top.add_argument("--only", metavar="STAGE", choices=STAGES, help="this stage alone")
    top.add_argument("--approved", action="store_true", help="the build server approved this version")
    top.add_argument("--model-data", metavar="s3://...", help="model.tar.gz: release this model, not one trained")
    return top


def arguments(argv: list[str]) -> argparse.Namespace:
    """The release's arguments, checked; `stages` is the list of stages they ask for, in order."""
    top = parser()
    args = top.parse_args(argv)
    if args.version.lower() == "latest" or not args.version.strip():
        top.error("give the version released (e.g. 1.2.0), not 'latest'")
    if args.model_data is not None and not (args.model_data.startswith("s3://") and len(args.model_data) > 5):
        top.error(f"--model-data {args.model_data!r} is not an S3 URI (s3://BUCKET/KEY)")
    first, last = (args.only, args.only) if args.only else (args.first, args.last)
    if STAGES.index(first) > STAGES.index(last):
        top.error(f"--from {first} comes after --to {last}")
    args.stages = list(STAGES[STAGES.index(first) : STAGES.index(last) + 1])
    return args


def say(version: str, text: str) -> None:
    print(f"== release {version}: {text}", file=sys.stderr, flush=True)


def run_host_stage(version: str, stage: str) -> int:
    """bin/'s command of the stage (its output on stderr: stdout is the release's report); 0 when it succeeded."""
    command = Path(__file__).resolve().parents[2] / "bin" / (HOST[stage] + (".bat" if os.name == "nt" else ".sh"))
    say(version, f"stage {stage} started")
    try:
        code = subprocess.call([str(command)], stdout=sys.stderr)
    except KeyboardInterrupt:
        say(version, f"stage {stage} stopped (Ctrl-C)")
        return INTERRUPTED
    if code != 0:
        say(version, f"stage {stage} FAILED")
        return 1
    say(version, f"stage {stage} done")
    return 0


def run_in_dev_image(docker_run: list[str], argv: list[str]) -> int:
    """The stages after build: `docker run ... :dev` with the release's arguments (pipeline.py there)."""
    image = os.environ.get("DEV_IMAGE", "")
    found = subprocess.run(["docker", "image", "inspect", image], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if found.returncode != 0:
        print(f"error: image {image} does not exist: run bin/docker-build.sh (the build stage)", file=sys.stderr)
        return 1
    if os.name != "nt":
        os.execvp(docker_run[0], [*docker_run, *argv])  # as the script's exec: Ctrl-C reaches docker alone
    try:
        return subprocess.call([*docker_run, *argv])
    except KeyboardInterrupt:  # docker passed it on to the container, whose exit code is the release's
        return INTERRUPTED


def main(argv: list[str]) -> int:
    split = argv.index("--")
    docker_run, release = argv[:split], argv[split + 1 :]
    args = arguments(release)
    for stage in args.stages:
        if stage in HOST:
            code = run_host_stage(args.version, stage)
            if code:
                return code
    if any(stage not in HOST for stage in args.stages):
        return run_in_dev_image(docker_run, release)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
