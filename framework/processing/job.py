"""`main.py process [ARGS]`: reads a processing job's config, calls algorithm.process, and reports as SageMaker expects.

SageMaker runs a processing job as the image's ENTRYPOINT (or the job's ContainerEntrypoint) with the job's
ContainerArguments: `ContainerArguments: ["process", ...]` reaches this. Each ProcessingInput is downloaded to its
LocalPath and each ProcessingOutput's LocalPath uploaded at the end, all under /opt/ml/processing/;
/opt/ml/config/processingjobconfig.json holds the request, /opt/ml/config/resourceconfig.json the hosts. Without
processingjobconfig.json (a local run, bin/local.sh process) the inputs are the folders under processing/input/ and
the outputs those under processing/output/, each named by its folder.
Outcome (framework/jobs.py, shared with training): exit 0 on success; on failure the reason in output/message
(SageMaker shows its first 1 KB as the job's ExitMessage), the traceback in the log, exit 2 for a wrong configuration,
1 for an error raised by the algorithm; SIGTERM (StopProcessingJob) and SIGINT raise JobStopped; exit 128+signal.
"""

import atexit
import logging
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framework import jobs
from framework.errors import ConfigError
from framework.jobs import HostsJob
from framework.paths import MLPaths
from framework.training.job import PLACEHOLDERS

log = logging.getLogger("process")

# SageMaker refuses a LocalPath elsewhere.
PROCESSING_ROOT = "/opt/ml/processing/"
# SageMaker shows this much of output/message as the ExitMessage.
MESSAGE_LIMIT = 1024


class Folders(dict[str, Path]):
    """Name -> folder. A name the job does not have fails the job, saying which names it has."""

    def __init__(self, kind: str, folders: dict[str, Path]):
        super().__init__(folders)
        self.kind = kind

    def __missing__(self, name: str) -> Path:
        have = ", ".join(sorted(self)) or "none"
        raise ConfigError(
            f"the job has no {self.kind} named {name!r}; its {self.kind}s: {have} (processingjobconfig.json's "
            f"{'ProcessingInputs' if self.kind == 'input' else 'ProcessingOutputConfig'})"
        )


@dataclass
class ProcessingJob(HostsJob):
    """Everything algorithm.process gets. Paths are absolute; the output folders exist. Its hosts (cluster, leader,
    is_leader, network_interface, dask()) are framework/jobs.py's, shared with training jobs."""

    arguments: list[str]  # what followed `process` (ContainerArguments after it)
    inputs: Folders  # InputName -> its LocalPath, where SageMaker put the input's data
    outputs: Folders  # OutputName -> its LocalPath, uploaded when the job ends
    message_file: Path  # output/message: the job's ExitMessage (write_exit_message)
    environment: dict[str, str] = field(default_factory=dict)  # the job's Environment (also in os.environ)
    job_name: str = ""
    input_config: dict[str, dict] = field(default_factory=dict)  # InputName -> its ProcessingInputs entry
    config: dict[str, Any] = field(default_factory=dict)  # processingjobconfig.json as it is
    resource_config: dict[str, Any] = field(default_factory=dict)

    def write_exit_message(self, text: str) -> None:
        """Say how the job went: SageMaker shows the first 1 KB as its ExitMessage (a failure's reason replaces it)."""
        if len(text.encode()) > MESSAGE_LIMIT:
            log.warning("exit message of %d bytes: SageMaker shows the first %d", len(text.encode()), MESSAGE_LIMIT)
        jobs.write_reason(self.message_file, text, log)

    def model_dir(self, input_name: str = "model") -> Path:
        """The model an input holds, as initialize(model_dir) takes it: the input's model.tar.gz (what a training job
        writes) unpacked into a temporary folder, or the input's folder itself when it holds the model's files."""
        folder = self.inputs[input_name]
        archives = sorted(folder.glob("*.tar.gz"))
        if len(archives) > 1:
            raise ConfigError(f"input {input_name!r} holds {len(archives)} .tar.gz files; one model.tar.gz expected")
        if not archives:
            if not folder.is_dir() or not [p for p in folder.iterdir() if p.name not in PLACEHOLDERS]:
                raise ConfigError(f"input {input_name!r} ({folder}) holds no model: a model.tar.gz or its files")
            return folder
        target = Path(tempfile.mkdtemp(prefix=f"{input_name}-"))
        atexit.register(shutil.rmtree, target, ignore_errors=True)
        _unpack(archives[0], target)
        log.info("unpacked %s into %s", archives[0], target)
        return target


def run(algorithm_loader, arguments: list[str]) -> int:
    """Run one processing job; `algorithm_loader` imports algorithm.py, so that its errors are reported like the
    rest."""
    paths = MLPaths.from_env()

    def start():
        algorithm = algorithm_loader()
        job = _prepare(paths, arguments)
        log.info(
            "processing starts: ML root %s, inputs %s, outputs %s, arguments %s",
            paths.root,
            sorted(job.inputs),
            sorted(job.outputs),
            job.arguments,
        )
        return job, lambda: algorithm.process(job)

    return jobs.run("processing", paths.message, start, log)


def _prepare(paths: MLPaths, arguments: list[str]) -> ProcessingJob:
    config_file = paths.processing_config / "processingjobconfig.json"
    config = jobs.read_json(config_file, default=None)
    if config is None:
        inputs = _folders_under(paths.processing / "input")
        outputs = _folders_under(paths.processing / "output")
        input_config: dict[str, dict] = {name: {} for name in inputs}
        config = {}
    else:
        if not isinstance(config, dict):
            raise ConfigError(f"{config_file} must hold a JSON object, not {type(config).__name__}")
        input_config = _entries(config.get("ProcessingInputs") or [], "InputName", config_file)
        outputs_config = (config.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        inputs = _local_paths(input_config, paths, config_file)
        outputs = _local_paths(_entries(outputs_config, "OutputName", config_file), paths, config_file)
    for folder in outputs.values():
        folder.mkdir(parents=True, exist_ok=True)
    environment = config.get("Environment") or {}
    if not isinstance(environment, dict):
        raise ConfigError(f"{config_file}: Environment must be an object of names and values")
    resources, cluster = jobs.read_resources(paths.processing_config / "resourceconfig.json")
    return ProcessingJob(
        arguments=list(arguments),
        inputs=Folders("input", inputs),
        outputs=Folders("output", outputs),
        message_file=paths.message,
        environment={**environment},
        job_name=config.get("ProcessingJobName") or "",
        input_config=input_config,
        config=config,
        resource_config=resources,
        cluster=cluster,
    )


def _entries(entries: Any, name_key: str, config_file: Path) -> dict[str, dict]:
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get(name_key), str) for e in entries
    ):
        raise ConfigError(f"{config_file}: every entry of the inputs and outputs must be an object with its {name_key}")
    named: dict[str, dict] = {}
    for entry in entries:
        if entry[name_key] in named:
            raise ConfigError(f"{config_file}: two entries are named {entry[name_key]!r}")
        named[entry[name_key]] = entry
    return named


def _local_paths(entries: dict[str, dict], paths: MLPaths, config_file: Path) -> dict[str, Path]:
    """Each entry's LocalPath (S3Input, S3Output or DatasetDefinition hold it); an entry without one (a Feature Store
    output, an app-managed input) has no folder."""
    found = {}
    for name, entry in entries.items():
        parts = [part for part in entry.values() if isinstance(part, dict) and "LocalPath" in part]
        local = parts[0]["LocalPath"] if parts else None
        if local is None:
            continue
        if not isinstance(local, str) or not local.startswith(PROCESSING_ROOT) or ".." in local.split("/"):
            raise ConfigError(f"{config_file}: {name}'s LocalPath {local!r} is not under {PROCESSING_ROOT}")
        found[name] = paths.local(local)
    return found


def _unpack(archive_path: Path, target: Path) -> None:
    inside = target.resolve()
    with tarfile.open(archive_path) as archive:
        members = archive.getmembers()
        for member in members:
            # Only plain files and folders, inside the target (Debian's Python 3.11.2 predates extraction filters).
            if not (member.isfile() or member.isdir()) or not (inside / member.name).resolve().is_relative_to(inside):
                raise ConfigError(f"refusing to unpack {member.name!r} from {archive_path}")
        extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(target, members=members, **extra)


def _folders_under(parent: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(parent.iterdir()) if p.is_dir()} if parent.is_dir() else {}
