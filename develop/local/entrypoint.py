"""Stand-in for what SageMaker's platform does around the container; the entry point of the development image.

`python entrypoint.py train|serve|process [ARGS]` runs `python /opt/program/main.py` with the same arguments as a
child and, around it:
- before `train`: writes `resourceconfig.json` and `inputdataconfig.json` when missing, from the channel folders
  present, as the platform provides them;
- before `process`: writes `/opt/ml/config/processingjobconfig.json` and `resourceconfig.json` when missing, the
  inputs being the folders under `/opt/ml/processing/input/` and the outputs those under `/opt/ml/processing/output/`
  (a processing job's LocalPaths), and passes the config's `Environment` to the child, as SageMaker does;
- after a successful `train`: packs `/opt/ml/model` into `/opt/ml/output/model.tar.gz`, as SageMaker does before
  uploading it;
- before `serve`: unpacks that `model.tar.gz` into `/opt/ml/model` when the model folder is empty, as SageMaker
  does when it hosts a model. Never into a folder that holds files: they are the user's.
SIGTERM and SIGINT are passed on to the child (so `docker stop` and Ctrl-C work), and the exit code is the child's.
Files it or the child write under /opt/ml are handed to the owner of the mounted folder, so that a user who is
not root can still edit and delete them on the host.

Standalone on purpose: stdlib only, nothing from the framework. It is not in the production image (:dev-base):
Dockerfile.develop copies this folder, outside /opt/program, where the project's source is mounted.
ML_ROOT and PROGRAM_DIR move /opt/ml and /opt/program (the tests run it on the host that way).
The development tools that bin/ runs in the :dev image (develop/local/training/tune.py,
develop/sagemaker/algorithm_spec.py, develop/local/processing/cluster.py) import give_back_to_owner, first_missing and
shown from here: what they write as root stays the user's, and the paths they print are the project's.
"""

import json
import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ML_ROOT = Path(os.environ.get("ML_ROOT", "/opt/ml"))
PROGRAM = Path(os.environ.get("PROGRAM_DIR", "/opt/program")) / "main.py"
# Files that only keep an empty folder in git; they are not part of a model.
PLACEHOLDERS = {".gitkeep", ".gitignore", ".keep"}
# The one list of file extensions and their content types; bin/predict.sh and predict.bat read it too.
CONTENT_TYPES = dict(line.split() for line in (Path(__file__).parent / "content-types.txt").read_text().splitlines())


def log(message):
    print(f"[sagemaker stand-in] {message}", file=sys.stderr, flush=True)


def model_files(model_dir):
    if not model_dir.is_dir():
        return []
    return sorted(p for p in model_dir.iterdir() if p.name not in PLACEHOLDERS)


def resource_config():
    return {
        "current_host": "algo-1",
        "hosts": ["algo-1"],
        "network_interface_name": "eth0",
        "current_instance_type": "local",
        "current_group_name": "homogeneousCluster",
        "instance_groups": [
            {"instance_group_name": "homogeneousCluster", "instance_type": "local", "hosts": ["algo-1"]}
        ],
    }


def write_missing(config, files):
    for name, content in files:
        path = config / name
        if not path.exists():
            config.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(content, indent=2) + "\n")
            log(f"wrote {path} (missing; SageMaker provides it)")


def write_missing_configs():
    config = ML_ROOT / "input" / "config"
    data = ML_ROOT / "input" / "data"
    channels = sorted(p.name for p in data.iterdir() if p.is_dir()) if data.is_dir() else []
    input_data = {}
    for channel in channels:
        entry = {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}
        # SageMaker sends a ContentType only when the job sets one; guess it when all files agree.
        files = [p for p in (data / channel).rglob("*") if p.is_file() and p.name not in PLACEHOLDERS]
        if not files:
            continue  # a channel folder emptied but for its .gitkeep: a job would not define that channel
        types = {CONTENT_TYPES.get(p.suffix) for p in files}
        if len(types) == 1 and None not in types:
            entry["ContentType"] = types.pop()
        input_data[channel] = entry
    write_missing(config, (("resourceconfig.json", resource_config()), ("inputdataconfig.json", input_data)))


def default_processing_config(processing):
    """A processing job's processingjobconfig.json as SageMaker writes it, its inputs the folders under
    `processing`/input, its outputs those under `processing`/output, each named by its folder."""

    def folders(kind):
        parent = processing / kind
        return sorted(p.name for p in parent.iterdir() if p.is_dir()) if parent.is_dir() else []

    return {
        "ProcessingJobName": "local-processing-job",
        "ProcessingInputs": [
            {
                "InputName": name,
                "AppManaged": False,
                "S3Input": {
                    "LocalPath": f"/opt/ml/processing/input/{name}",
                    "S3Uri": f"file:///opt/ml/processing/input/{name}",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                    "S3CompressionType": "None",
                },
            }
            for name in folders("input")
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": name,
                    "AppManaged": False,
                    "S3Output": {
                        "LocalPath": f"/opt/ml/processing/output/{name}",
                        "S3Uri": f"file:///opt/ml/processing/output/{name}",
                        "S3UploadMode": "EndOfJob",
                    },
                }
                for name in folders("output")
            ]
        },
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "local", "VolumeSizeInGB": 30}},
        "Environment": {},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    }


def processing_environment():
    """Writes a processing job's missing config files; returns the job's Environment, which SageMaker sets."""
    config = ML_ROOT / "config"
    job = default_processing_config(ML_ROOT / "processing")
    write_missing(config, (("processingjobconfig.json", job), ("resourceconfig.json", resource_config())))
    try:
        environment = json.loads((config / "processingjobconfig.json").read_text()).get("Environment") or {}
    except (json.JSONDecodeError, AttributeError):
        return {}  # main.py reads it too, and fails the job saying what is wrong
    return {str(name): str(value) for name, value in environment.items()} if isinstance(environment, dict) else {}


def pack(target, members):
    """Write the tar.gz `target` holding `members`, (path, name in the archive) pairs."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed, so that a reader never sees half an archive.
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    try:
        with tarfile.open(partial, "w:gz") as archive:
            for path, name in members:
                archive.add(path, arcname=name)
        os.chmod(partial, 0o644)
        os.replace(partial, target)
    except BaseException:
        os.unlink(partial)
        raise


def pack_model():
    model_dir = ML_ROOT / "model"
    target = ML_ROOT / "output" / "model.tar.gz"
    pack(target, [(path, path.name) for path in model_files(model_dir)])
    log(f"packed {model_dir} into {target}")


def unpack_model():
    model_dir = ML_ROOT / "model"
    archive_path = ML_ROOT / "output" / "model.tar.gz"
    if model_files(model_dir) or not archive_path.is_file():
        return
    model_dir.mkdir(parents=True, exist_ok=True)
    inside = model_dir.resolve()
    with tarfile.open(archive_path) as archive:
        members = archive.getmembers()
        for member in members:
            # Only plain files and folders, and only inside the model folder (Debian's Python 3.11.2 predates
            # tarfile's extraction filters).
            if not (member.isfile() or member.isdir()) or not (inside / member.name).resolve().is_relative_to(inside):
                raise SystemExit(f"refusing to unpack {member.name!r} from {archive_path}")
        extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(model_dir, members=members, **extra)
    log(f"unpacked {archive_path} into {model_dir} (the model folder was empty)")


def give_back_to_owner(since, top=ML_ROOT, owner_of=None):
    """Hand what root wrote in `top` (itself included) since `since` to the owner of `owner_of` (default: `top`), the
    host user whose folder is mounted, so that they can edit and delete it without sudo."""
    try:
        owner = Path(owner_of or top).stat()
    except OSError:
        return
    if owner.st_uid == 0:
        return

    def give(path):
        try:
            status = os.lstat(path)
            if status.st_uid == 0 and status.st_ctime >= since:
                os.lchown(path, owner.st_uid, owner.st_gid)
        except OSError:
            pass

    give(top)
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            give(os.path.join(folder, name))


def first_missing(folder):
    """The outermost folder that making `folder` creates (`folder` itself when it exists): what to give back."""
    folder = Path(folder).absolute()
    return next((p for p in [*reversed(folder.parents), folder] if not p.exists()), folder)


def shown(path, project):
    """`path` as the user finds it on the host: relative to the project when in it (the container's /opt/program is
    the project; its absolute paths mean nothing on the host)."""
    path = Path(path).absolute()
    return str(path.relative_to(project)) if path.is_relative_to(project) else str(path)


def run_child(command, environment=None):
    children = []

    def forward(signum, _frame):
        for child in children:
            child.send_signal(signum)

    # Before the child starts: a signal in between must not kill the stand-in and orphan the child.
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    env = {**os.environ, **environment} if environment else None
    children.append(subprocess.Popen([sys.executable, str(PROGRAM), *command], env=env))
    code = children[0].wait()
    # A child killed by a signal exits like a shell would report it.
    return 128 - code if code < 0 else code


def main(argv):
    started = time.time() - 1  # file times may be coarser than the clock
    command = argv[1] if len(argv) > 1 else None
    environment = None
    if command == "train":
        write_missing_configs()
    elif command == "serve":
        unpack_model()
    elif command == "process":
        environment = processing_environment()
    code = run_child(argv[1:], environment)
    if command == "train" and code == 0:
        pack_model()
    give_back_to_owner(started)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
