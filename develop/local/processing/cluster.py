"""`bin/process.sh --instances N [ARGS]`: a processing job on N hosts, as SageMaker runs one with `InstanceCount` N.

N containers of the :dev image, `algo-1` ... `algo-N`, each running `process ARGS` on a Docker network made for the
job (training's, develop/local/training/cluster.py, whose hosts these are). Each host has its own /opt/ml under
opt/ml/output/processing-hosts/<host>/: config/processingjobconfig.json (the project's opt/ml/config one, written from
the folders when missing, as bin/process.sh writes it) and resourceconfig.json naming the host, and each input at
its LocalPath: FullyReplicated, the project's folder; ShardedByS3Key, a share of its files (whole files, each to
exactly one host, in turn by name: a host may get none). When every host exits 0, each output's files from every host
are copied into the project's folder of that LocalPath, as SageMaker uploads them all to the output's S3 prefix: a
file written by two hosts fails the job, naming both. A failing host fails the job with its reason (its
output/message, copied to opt/ml/output/message), the other hosts stopped; Ctrl-C stops every host.
"""

import argparse
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path, PurePosixPath

from develop.local.entrypoint import default_processing_config, give_back_to_owner, write_missing
from develop.local.training.cluster import (
    ML,
    PROJECT,
    Engine,
    JobFailed,
    check_engine,
    combine,
    files_of,
    job_name_of,
    link_or_copy,
    positive,
    read_json,
    run_hosts,
    shares,
)

HOSTS_DIR = ML / "output" / "processing-hosts"
PROCESSING_ROOT = PurePosixPath("/opt/ml/processing")
USAGE = "usage: bin/process.sh [--instances N] [--cpus CPUS] [ARGS]"


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The leading --instances and --cpus (as bin/process.sh passes them); every argument after them is process's."""
    parser = argparse.ArgumentParser(prog="bin/process.sh", usage=USAGE[len("usage: ") :], description=__doc__)
    parser.add_argument("--instances", type=positive(int), default=1, help="hosts in the job (default 1)")
    parser.add_argument("--cpus", type=positive(float), help="each host's CPU share, as `docker run --cpus`")
    options = 0
    while options < len(argv) and argv[options] in ("--instances", "--cpus"):
        options += 2
    args = parser.parse_args(argv[:options])
    args.arguments = argv[options:]
    return args


def in_project(local_path: str, config_file: Path) -> Path:
    """The project's folder of a LocalPath (/opt/ml/processing/...: ./opt/ml/processing/...)."""
    path = PurePosixPath(local_path)
    if not path.is_relative_to(PROCESSING_ROOT) or ".." in path.parts:
        raise JobFailed(f"{config_file}: LocalPath {local_path!r} is not under {PROCESSING_ROOT}/", 2)
    return ML.joinpath(*path.relative_to("/opt/ml").parts)


def local_paths(entries: list, config_file: Path) -> list[tuple[dict, str]]:
    """(entry, LocalPath) of each input or output that has one (S3Input, S3Output or DatasetDefinition holds it)."""
    found = []
    for entry in entries:
        parts = [part for part in entry.values() if isinstance(part, dict) and "LocalPath" in part]
        if parts:
            found.append((parts[0], parts[0]["LocalPath"]))
    for _, local in found:
        in_project(local, config_file)
    return found


def prepare_hosts(hosts: list[str]) -> tuple[dict[str, dict[Path, str]], list[str]]:
    """Each host's ML tree and its mounts ({host: {folder here: path in the container}}); the outputs' LocalPaths."""
    config_dir = ML / "config"
    write_missing(config_dir, (("processingjobconfig.json", default_processing_config(ML / "processing")),))
    config_file = config_dir / "processingjobconfig.json"
    config = read_json(config_file, {})
    if not isinstance(config, dict):
        raise JobFailed(f"{config_file} must hold a JSON object", 2)
    inputs = local_paths(config.get("ProcessingInputs") or [], config_file)
    outputs = [
        local
        for _, local in local_paths((config.get("ProcessingOutputConfig") or {}).get("Outputs") or [], config_file)
    ]
    shutil.rmtree(HOSTS_DIR, ignore_errors=True)  # the previous job's trees: ours, written by this tool
    mounts = {}
    for host in hosts:
        tree = HOSTS_DIR / host
        (tree / "config").mkdir(parents=True)
        shutil.copy(config_file, tree / "config" / "processingjobconfig.json")
        resource = {"current_host": host, "hosts": hosts, "network_interface_name": "eth0"}
        (tree / "config" / "resourceconfig.json").write_text(json.dumps(resource, indent=2) + "\n")
        mounts[host] = {PROJECT: "/opt/program", tree: "/opt/ml"}
        for source, local in inputs:
            folder, inside = in_project(local, config_file), tree / PurePosixPath(local).relative_to("/opt/ml")
            inside.mkdir(parents=True, exist_ok=True)
            if source.get("S3DataDistributionType") == "ShardedByS3Key":
                share = shares(files_of(folder), hosts)[host]
                for name in share:
                    link_or_copy(folder / name, inside / name)
                print(f"{host}: input {local} (ShardedByS3Key): {len(share)} file(s)", flush=True)
            else:
                mounts[host][folder] = local
        for local in outputs:
            (tree / PurePosixPath(local).relative_to("/opt/ml")).mkdir(parents=True, exist_ok=True)
    return mounts, outputs


def deliver(hosts: list[str], outputs: list[str]) -> None:
    for local in outputs:
        relative = str(PurePosixPath(local).relative_to("/opt/ml"))
        members = combine(hosts, relative, trees=HOSTS_DIR, destination="the output's S3 prefix")
        target = in_project(local, ML / "config" / "processingjobconfig.json")
        for path, name in members:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / name)
        print(f"combined the hosts' {local} ({len(members)} file(s)) into opt/ml/{relative}", flush=True)


def main(argv: list[str]) -> int:
    args = parse_arguments(argv)
    started = time.time() - 1
    # SIGTERM (docker stop of this container) stops the job as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    engine = Engine(os.environ["DEV_IMAGE"], os.environ["DOCKER_NAME"], os.environ["HOST_PROJECT"])
    message = ML / "output" / "message"
    hosts = [f"algo-{n}" for n in range(1, args.instances + 1)]
    job = {
        "kind": "processing",
        "name": job_name_of(engine),
        "command": ["process", *args.arguments],
        "cpus": args.cpus,
        "environment": {},  # each host's stand-in sets the config's Environment, as SageMaker does
        "trees": HOSTS_DIR,
        "reason": "output/message",
    }
    try:
        check_engine()
        message.unlink(missing_ok=True)
        mounts, outputs = prepare_hosts(hosts)
        return run_hosts(engine, job, hosts, mounts, lambda done: deliver(done, outputs))
    except JobFailed as failed:
        print(f"error: processing failed: {failed}", file=sys.stderr, flush=True)
        message.parent.mkdir(parents=True, exist_ok=True)
        message.write_text(f"{failed}\n")
        return failed.code
    finally:
        give_back_to_owner(started, top=ML)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
