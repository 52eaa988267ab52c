"""`bin/train.sh --instances N`: a training job on N hosts, as SageMaker runs one with `InstanceCount` N.

N containers of the :dev image, `algo-1` ... `algo-N`, on a Docker network made for the job (each reaches the others
by host name) and removed after it. Each host has its own ML tree, under opt/ml/output/hosts/<host>/: its
input/config (resourceconfig.json naming it, the project's inputdataconfig.json and hyperparameters.json), its
channels, its model and output folders. A channel's S3DistributionType (inputdataconfig.json) says what each host
gets: FullyReplicated, the whole channel; ShardedByS3Key, a share of its files (whole files, each to exactly one
host, in turn by name: a host may get none). Each host's log lines are prefixed with its name.
The job succeeds when every host exits 0: the hosts' model folders are combined into opt/ml/model and
opt/ml/output/model.tar.gz, their output/data into opt/ml/output/data and output.tar.gz, as SageMaker combines them;
a file written by two hosts fails the job, naming both. When a host fails, the job fails with that host's reason
(opt/ml/output/failure) and the other hosts are stopped as SageMaker stops them (SIGTERM, SIGKILL 120 s later).
Ctrl-C stops every host and removes the network: nothing is left behind. One host (the default) is bin/train.sh.

Run by bin/train.sh in the :dev image, with the engine's socket mounted and Debian's Docker CLI (Dockerfile.develop):
the hosts are the engine's containers, beside this one, so their mounts name folders of the machine that runs the
engine, HOST_PROJECT (the project's folder there). Not in the image SageMaker runs.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path, PurePosixPath, PureWindowsPath

from develop.local.entrypoint import PLACEHOLDERS, give_back_to_owner, pack, shown

PROJECT = Path(os.environ.get("PROJECT_DIR", "/opt/program"))
ML = PROJECT / "opt" / "ml"
HOSTS_DIR = ML / "output" / "hosts"
PROJECT_LABEL = "sagemaker-template.project"  # as bin/_common.sh labels every container of the project
JOB_LABEL = "sagemaker-template.training-job"
STOP_GRACE = 120  # seconds between SIGTERM and SIGKILL when SageMaker stops a host
USAGE = "usage: bin/train.sh [--instances N] [--cpus CPUS]"


class JobFailed(Exception):
    def __init__(self, reason: str, code: int = 1):
        super().__init__(reason)
        self.code = code


def positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number above 0")
        return value

    return parse


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bin/train.sh", usage=USAGE[len("usage: ") :], description=__doc__)
    parser.add_argument("--instances", type=positive(int), default=1, help="hosts in the job (default 1)")
    parser.add_argument("--cpus", type=positive(float), help="each host's CPU share, as `docker run --cpus`")
    return parser.parse_args(argv)


class Engine:
    """The Docker CLI, with what every container of the job gets."""

    def __init__(self, image: str, project_name: str, host_project: str):
        self.image, self.project_name = image, project_name
        # The project's folder on the engine's machine (a Windows path when bin\train.bat started the job).
        self.host_project = (PureWindowsPath if re.match(r"^[A-Za-z]:|\\\\", host_project) else PurePosixPath)(
            host_project
        )

    def host_path(self, path: Path) -> str:
        return str(self.host_project.joinpath(*path.relative_to(PROJECT).parts))

    def run_command(self, name: str, mounts: dict[Path, str], options: list[str], *command: str) -> list[str]:
        args = ["docker", "run", "--rm", "--name", name, "--label", f"{PROJECT_LABEL}={self.project_name}", *options]
        for source, target in mounts.items():
            args += ["-v", f"{self.host_path(source)}:{target}"]
        # SageMaker passes the job's Environment to every host; here, the caller's SAGEMAKER_* variables.
        args += [arg for var in sorted(os.environ) if var.startswith("SAGEMAKER_") for arg in ("-e", var)]
        return [*args, self.image, *command]


def docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def check_engine() -> None:
    if shutil.which("docker") is None:
        raise JobFailed("the docker command is missing in this image: rebuild it with bin/docker-build.sh")
    if docker("info").returncode != 0:
        raise JobFailed("the Docker engine is not reachable from the :dev container (is its socket mounted?)")


def read_json(path: Path, default):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return default
    except json.JSONDecodeError as exc:
        raise JobFailed(f"{shown(path, PROJECT)} is not valid JSON: {exc}") from None


def files_of(folder: Path) -> list[Path]:
    """The files under `folder`, relative to it, sorted (S3 keys' order), without git's placeholders."""
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and p.name not in PLACEHOLDERS)


def shares(files: list[Path], hosts: list[str]) -> dict[str, list[Path]]:
    """ShardedByS3Key: whole files, each to exactly one host, dealt in turn; with fewer files than hosts, some get
    none (SageMaker's own mapping is undocumented: only these properties are the platform's)."""
    return {host: files[number :: len(hosts)] for number, host in enumerate(hosts)}


def link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)  # the same bytes, no copy
    except OSError:  # a file system without hard links (some Docker Desktop mounts)
        shutil.copy2(source, target)


def prepare_hosts(hosts: list[str]) -> dict[str, dict[Path, str]]:
    """Each host's ML tree, and what to mount into its container: {host: {folder here: path in the container}}."""
    config = ML / "input" / "config"
    data = ML / "input" / "data"
    data_config = read_json(config / "inputdataconfig.json", None)
    channels = sorted(p.name for p in data.iterdir() if p.is_dir()) if data.is_dir() else []
    shutil.rmtree(HOSTS_DIR, ignore_errors=True)  # the previous job's trees: ours, written by this tool
    mounts = {}
    for host in hosts:
        tree = HOSTS_DIR / host
        (tree / "input" / "config").mkdir(parents=True)
        for folder in ("model", "output/data", "checkpoints"):
            (tree / folder).mkdir(parents=True, exist_ok=True)
        resource = {
            "current_host": host,
            "hosts": hosts,
            "network_interface_name": "eth0",
            "current_instance_type": "local",
            "current_group_name": "homogeneousCluster",
            # Not sorted on SageMaker: the order is turned, so that code relying on it fails here too.
            "instance_groups": [
                {"instance_group_name": "homogeneousCluster", "instance_type": "local", "hosts": hosts[1:] + hosts[:1]}
            ],
        }
        (tree / "input" / "config" / "resourceconfig.json").write_text(json.dumps(resource, indent=2) + "\n")
        for name in ("inputdataconfig.json", "hyperparameters.json"):
            if (config / name).is_file():
                shutil.copy(config / name, tree / "input" / "config" / name)
        mounts[host] = {PROJECT: "/opt/program", tree: "/opt/ml"}
        for channel in channels:
            kind = ((data_config or {}).get(channel) or {}).get("S3DistributionType", "FullyReplicated")
            if kind == "ShardedByS3Key":
                share = shares(files_of(data / channel), hosts)[host]
                (tree / "input" / "data" / channel).mkdir(parents=True)
                for name in share:
                    link_or_copy(data / channel / name, tree / "input" / "data" / channel / name)
                print(f"{host}: channel {channel} (ShardedByS3Key): {len(share)} file(s)", flush=True)
            else:
                (tree / "input" / "data" / channel).mkdir(parents=True)
                mounts[host][data / channel] = f"/opt/ml/input/data/{channel}"
    return mounts


class Host:
    """One host's container, its log lines prefixed with its name; `reason_file` is where it writes why it failed."""

    def __init__(self, name: str, command: list[str], width: int, reason_file: Path):
        self.name, self.reason_file = name, reason_file
        self.container = command[command.index("--name") + 1]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, bufsize=0
        )
        prefix = f"{name.ljust(width)} | ".encode()
        self.relay = threading.Thread(target=self._relay, args=(prefix,), daemon=True)
        self.relay.start()

    def _relay(self, prefix: bytes) -> None:
        for line in iter(self.process.stdout.readline, b""):
            sys.stdout.buffer.write(prefix + line if line.endswith(b"\n") else prefix + line + b"\n")
            sys.stdout.buffer.flush()

    def failure(self) -> str:
        code = self.process.returncode
        path = self.reason_file
        reason = path.read_text().strip() if path.is_file() else ""
        return reason or f"the container exited with code {code}"


def stop(hosts: list[Host], grace: int) -> None:
    """What SageMaker does to the hosts still running: SIGTERM, SIGKILL `grace` seconds later, all at once."""
    running = [h.container for h in hosts if h.process.poll() is None]
    if running:
        print(f"stopping {', '.join(running)} (SIGTERM; SIGKILL after {grace} s)", flush=True)
        docker("stop", "-t", str(grace), *running, timeout=grace + 60)
    for host in hosts:
        try:
            host.process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # the CLI still waiting for a container's removal
            docker("rm", "-f", host.container)
            host.process.kill()
            host.process.wait()
        host.relay.join(10)


def combine(
    hosts: list[str], folder: str, trees: Path = HOSTS_DIR, destination: str = "one archive"
) -> list[tuple[Path, str]]:
    """(file, name) of every host's `folder` (model, output/data) in its tree under `trees`, refusing a name written
    by two hosts (SageMaker puts them all in `destination`)."""
    writers: dict[str, str] = {}
    members = []
    for host in hosts:
        for name in files_of(trees / host / folder):
            key = name.as_posix()
            if key in writers:
                raise JobFailed(
                    f"{folder}/{key} was written by {writers[key]} and {host}: SageMaker combines every host's "
                    f"/opt/ml/{folder} into {destination}, so their file names must differ (usually only the leader "
                    "writes)"
                )
            writers[key] = host
            members.append((trees / host / folder / name, key))
    return members


def deliver(hosts: list[str]) -> None:
    for folder, target, archive in (
        ("model", ML / "model", ML / "output" / "model.tar.gz"),
        ("output/data", ML / "output" / "data", ML / "output" / "output.tar.gz"),
    ):
        members = combine(hosts, folder)
        for path, name in members:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / name)
        pack(archive, members)
        print(f"combined the hosts' /opt/ml/{folder} ({len(members)} file(s)) into {shown(archive, PROJECT)}")


def job_name_of(engine: Engine) -> str:
    name = f"{re.sub(r'[^a-zA-Z0-9_.-]', '-', engine.project_name)}-{time.strftime('%Y%m%d-%H%M%S')}-"
    return name + uuid.uuid4().hex[:4]


def run_hosts(engine: Engine, job: dict, hosts: list[str], mounts: dict[str, dict[Path, str]], deliver_outputs) -> int:
    """Runs `job["command"]` (e.g. ["train"]) in a container per host, on a network made for the job, and waits. A host
    that fails fails the job with its reason (read from `job["reason"]` in its tree, `job["trees"]`), the others
    stopped; Ctrl-C stops every host (exit 130). When all succeed, `deliver_outputs(hosts)` combines their outputs.
    The network is removed in every case. `job`: kind ("training"), name, command, cpus, environment (variables)."""
    limits = ["--cpus", f"{job['cpus']:g}"] if job["cpus"] else []
    network = job["name"]
    made = docker("network", "create", "--label", f"{PROJECT_LABEL}={engine.project_name}", network)
    if made.returncode != 0:
        raise JobFailed(f"could not create the job's network {network}: {made.stderr.strip()}")
    print(f"{job['kind']} job {job['name']}: {len(hosts)} hosts on network {network}", flush=True)
    running: list[Host] = []
    try:
        for host in hosts:
            options = [*limits, "--network", network, "--hostname", host, "--network-alias", host]
            options += ["--label", f"{JOB_LABEL}={job['name']}"]
            options += [arg for name, value in job["environment"].items() for arg in ("-e", f"{name}={value}")]
            command = engine.run_command(f"{job['name']}-{host}", mounts[host], options, *job["command"])
            running.append(Host(host, command, max(map(len, hosts)), job["trees"] / host / job["reason"]))
        failed = None
        while failed is None and any(h.process.poll() is None for h in running):
            failed = next((h for h in running if h.process.poll() not in (None, 0)), None)
            time.sleep(0.2)
        failed = failed or next((h for h in running if h.process.returncode != 0), None)
        if failed is not None:
            reason = failed.failure()
            print(f"{failed.name} failed: {reason}", flush=True)
            stop(running, STOP_GRACE)
            raise JobFailed(f"{failed.name}: {reason}", failed.process.returncode)
        for host in running:
            host.relay.join(10)
        deliver_outputs(hosts)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("interrupted: stopping every host", flush=True)
        stop(running, STOP_GRACE)
        return 130
    finally:
        for host in running:
            if host.process.poll() is None:
                stop(running, STOP_GRACE)
                break
        docker("network", "rm", network)
    print(f"{job['kind']} job {job['name']} succeeded on {len(hosts)} hosts", flush=True)
    return 0


def run_job(args: argparse.Namespace, engine: Engine) -> int:
    hosts = [f"algo-{n}" for n in range(1, args.instances + 1)]
    name = job_name_of(engine)
    job = {
        "kind": "training",
        "name": name,
        "command": ["train"],
        "cpus": args.cpus,
        "environment": {"TRAINING_JOB_NAME": name},
        "trees": HOSTS_DIR,
        "reason": "output/failure",
    }
    return run_hosts(engine, job, hosts, prepare_hosts(hosts), deliver)


def run_one(args: argparse.Namespace, engine: Engine) -> int:
    """One host: bin/train.sh's own container (./opt/ml at /opt/ml), with the CPU share asked."""
    options = ["--cpus", f"{args.cpus:g}"] if args.cpus else []
    name = f"{re.sub(r'[^a-zA-Z0-9_.-]', '-', engine.project_name)}-train-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(engine.run_command(name, {PROJECT: "/opt/program", ML: "/opt/ml"}, options, "train"))
    try:
        return process.wait()
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        docker("stop", "-t", str(STOP_GRACE), name, timeout=STOP_GRACE + 60)
        return process.wait()


def main(argv: list[str]) -> int:
    args = parse_arguments(argv)
    started = time.time() - 1
    # SIGTERM (docker stop of this container) stops the job as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    engine = Engine(os.environ["DEV_IMAGE"], os.environ["DOCKER_NAME"], os.environ["HOST_PROJECT"])
    failure = ML / "output" / "failure"
    try:
        check_engine()
        failure.unlink(missing_ok=True)
        return (run_one if args.instances == 1 else run_job)(args, engine)
    except JobFailed as failed:
        print(f"error: training failed: {failed}", file=sys.stderr, flush=True)
        failure.parent.mkdir(parents=True, exist_ok=True)
        failure.write_text(f"{failed}\n")
        return failed.code
    finally:
        give_back_to_owner(started, top=ML)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
