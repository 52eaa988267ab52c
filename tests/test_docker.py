"""The Docker loop with a real engine: bin/docker-build.sh, train.sh, serve.sh, predict.sh, shell.sh,
docker-destroy.sh, and the :dev-base image alone as SageMaker runs it.

Where no Docker engine can run, the tests that need one are skipped with the reason (`pytest -rs` shows it).
Where no registry can be reached, set TEMPLATE_BASE_IMAGE to a local base image (.ci/docker-up.sh makes one).
The images are built once per session, under a unique name, and removed at the end through bin/docker-destroy.sh.
"""

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import uuid

import pytest
import requests

from docker_helpers import (
    BUILD_TIMEOUT,
    PROJECT_LABEL,
    ROOT,
    DockerProject,
    copy_project,
    docker,
    docker_unavailable,
    free_port,
    run,
    wait_for_ping,
)
from postman_helpers import MULTI_MODEL_COLLECTION, assert_every_request_passed, newman_missing, run_collection
from projects import EXAMPLE_DIR

UNAVAILABLE = docker_unavailable()
needs_docker = pytest.mark.skipif(UNAVAILABLE is not None, reason=UNAVAILABLE or "")
SCRIPTS = ["docker-build.sh", "train.sh", "serve.sh", "predict.sh", "shell.sh", "docker-destroy.sh"]
# predict.sh works without .env, against bin/local.sh's server on the default port.
NEED_ENV = [script for script in SCRIPTS if script != "predict.sh"]
USER_UID = 12345  # stands for the host user who owns the project's folder, when the tests run as root
STANDIN = ROOT / "develop" / "local" / "entrypoint.py"
PAYLOAD = json.loads((EXAMPLE_DIR / "opt" / "ml" / "input" / "payload.json").read_text())


def tail(done: subprocess.CompletedProcess, lines: int = 40) -> str:
    return "\n".join((done.stdout + done.stderr).splitlines()[-lines:])


@pytest.fixture(scope="session")
def project(tmp_path_factory):
    """A copy of the project with both images built through bin/docker-build.sh; destroyed at the end."""
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)
    built = DockerProject(copy_project(tmp_path_factory.mktemp("docker-project")))
    try:
        done = built.script("docker-build.sh", timeout=BUILD_TIMEOUT)
        assert done.returncode == 0, (
            f"bin/docker-build.sh failed from base image {built.base} (where no registry can be reached, set "
            f"TEMPLATE_BASE_IMAGE to a local image, as .ci/docker-up.sh prints):\n{tail(done)}"
        )
        yield built
    finally:
        built.script("docker-destroy.sh")


@pytest.fixture(scope="session")
def trained(project):
    """bin/train.sh run once on the project's sample data, in an opt/ml that belongs to a user who is not root."""
    if os.geteuid() == 0:
        shutil.chown(project.ml, USER_UID, USER_UID)
    done = project.script("train.sh")
    assert done.returncode == 0, tail(done)
    return done


# --- The scripts' one-line errors (most need no engine) ---------------------------------------------------------


@pytest.fixture
def bare_scripts(tmp_path):
    """Only bin/ (and develop/, for content-types.txt, which predict reads) in a folder: the checks before any Docker
    call."""
    shutil.copytree(ROOT / "bin", tmp_path / "bin")
    shutil.copytree(ROOT / "develop", tmp_path / "develop")
    return tmp_path


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize("script", NEED_ENV)
def test_without_env_file_scripts_say_to_create_it(bare_scripts, script):
    done = run([str(bare_scripts / "bin" / script)], cwd="/")
    assert ".env is missing: copy .env.example to .env" in one_line_error(done)


def test_unset_docker_name_is_refused(bare_scripts):
    (bare_scripts / ".env").write_text("DOCKER_NAME=''\n")
    error = one_line_error(run([str(bare_scripts / "bin" / "train.sh")]))
    assert "DOCKER_NAME is not set" in error


@needs_docker
@pytest.mark.parametrize("name", ["My-Algo", "algo:latest", "-algo", "algo-", "a//b", "algo name"])
def test_invalid_docker_name_is_refused_by_docker_with_its_reason(bare_scripts, name):
    """The scripts leave the name's rules to docker, which reads it first in docker-build.sh."""
    (bare_scripts / ".env").write_text(f"DOCKER_NAME='{name}'\n")
    done = run([str(bare_scripts / "bin" / "docker-build.sh")])
    assert done.returncode != 0 and done.stdout == ""
    assert f'"{name}:dev-base"' in done.stderr and "invalid reference format" in done.stderr, done.stderr


def test_env_file_with_windows_line_endings_is_refused(bare_scripts):
    (bare_scripts / ".env").write_text("DOCKER_NAME=algo\r\n")
    assert "Windows line endings" in one_line_error(run([str(bare_scripts / "bin" / "train.sh")]))


@pytest.mark.parametrize(
    "name", ["algo", "my-algo_2", "team/algo.v2", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/algo"]
)
def test_valid_docker_names_pass_the_check(bare_scripts, name):
    (bare_scripts / ".env").write_text(f"DOCKER_NAME={name}\n")
    fake = bare_scripts / "fake"
    fake.mkdir()
    (fake / "docker").write_text("#!/bin/sh\nexit 1\n")  # an engine that is down: the next check after the name
    (fake / "docker").chmod(0o755)
    done = run([str(bare_scripts / "bin" / "train.sh")], env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"})
    assert "Docker engine is not running" in one_line_error(done)


def test_without_docker_installed_scripts_say_to_install_it(bare_scripts):
    (bare_scripts / ".env").write_text("DOCKER_NAME=algo\n")
    tools = bare_scripts / "tools"  # what the scripts need before Docker, and no docker
    tools.mkdir()
    for tool in ("bash", "dirname"):
        (tools / tool).symlink_to(shutil.which(tool))
    done = run([str(bare_scripts / "bin" / "train.sh")], env={"PATH": str(tools)})
    assert "docker is not installed" in one_line_error(done)


@needs_docker
def test_before_building_scripts_say_to_build(bare_scripts):
    (bare_scripts / ".env").write_text(f"DOCKER_NAME=sagemaker-template-test-never-built-{uuid.uuid4().hex[:8]}\n")
    for script in ("train.sh", "serve.sh", "shell.sh"):
        error = one_line_error(run([str(bare_scripts / "bin" / script)]))
        assert "does not exist: run bin/docker-build.sh" in error


def test_predict_without_server_says_to_start_one(bare_scripts):
    (bare_scripts / ".env").write_text(f"DOCKER_NAME=algo\nHOST_PORT={free_port()}\n")
    payload = bare_scripts / "payload.json"
    payload.write_text(json.dumps(PAYLOAD))
    done = run([str(bare_scripts / "bin" / "predict.sh"), str(payload)])
    assert "start one with bin/serve.sh" in one_line_error(done)


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_scripts_are_shellcheck_clean():
    scripts = [str(p) for p in sorted((ROOT / "bin").glob("*.sh"))] + [str(ROOT / ".ci" / "docker-up.sh")]
    done = run(["shellcheck", "-x", *scripts], cwd="/")
    assert done.returncode == 0, done.stdout


# --- The stand-in for SageMaker's platform (develop/local/entrypoint.py), without Docker ---------------------------


class StandIn:
    """develop/local/entrypoint.py on the host with a fake main.py, ML_ROOT and PROGRAM_DIR in a temporary folder."""

    def __init__(self, folder):
        self.program, self.ml = folder / "program", folder / "ml"
        self.program.mkdir()
        shutil.copytree(EXAMPLE_DIR / "opt" / "ml" / "input", self.ml / "input")
        (self.ml / "model").mkdir()
        (self.ml / "model" / ".gitkeep").touch()
        self.archive = self.ml / "output" / "model.tar.gz"

    def popen(self, command: str, main_py: str, **kwargs) -> subprocess.Popen:
        (self.program / "main.py").write_text(main_py)
        env = {**os.environ, "ML_ROOT": str(self.ml), "PROGRAM_DIR": str(self.program)}
        return subprocess.Popen(
            [sys.executable, str(STANDIN), command],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **kwargs,
        )

    def run(self, command: str, main_py: str) -> subprocess.CompletedProcess:
        process = self.popen(command, main_py)
        out, err = process.communicate(timeout=60)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def make_archive(self, files: dict[str, bytes]) -> None:
        self.archive.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(self.archive, "w:gz") as archive:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))


@pytest.fixture
def standin(tmp_path):
    return StandIn(tmp_path)


WRITE_MODEL = """
import os, sys
model = os.path.join(os.environ["ML_ROOT"], "model")
open(os.path.join(model, "weights.txt"), "w").write("w")
sys.exit(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
"""


def test_standin_packs_the_model_after_a_successful_train(standin):
    (standin.ml / "input" / "config" / "resourceconfig.json").write_text('{"current_host": "mine"}')
    done = standin.run("train", WRITE_MODEL)
    assert done.returncode == 0, done.stderr
    with tarfile.open(standin.archive) as archive:
        assert archive.getnames() == ["weights.txt"]  # the contents of model/, without the .gitkeep
    config = standin.ml / "input" / "config"
    assert json.loads((config / "inputdataconfig.json").read_text())["training"]["ContentType"] == "text/csv"
    assert json.loads((config / "resourceconfig.json").read_text()) == {"current_host": "mine"}  # never overwritten


def test_standin_leaves_a_channel_emptied_but_for_its_gitkeep_out_of_the_job(standin):
    channel = standin.ml / "input" / "data" / "validation"
    for file in channel.iterdir():
        if file.name != ".gitkeep":
            file.unlink()
    assert [p.name for p in channel.iterdir()] == [".gitkeep"]  # the folder stays in git
    done = standin.run("train", WRITE_MODEL)
    assert done.returncode == 0, done.stderr
    assert list(json.loads((standin.ml / "input" / "config" / "inputdataconfig.json").read_text())) == ["training"]


def test_standin_passes_on_a_failed_trains_exit_code_and_packs_nothing(standin):
    done = standin.run("train", "import sys; sys.exit(3)")
    assert done.returncode == 3
    assert not standin.archive.exists()


SERVE_SEES = """
import os, sys
print(sorted(os.listdir(os.path.join(os.environ["ML_ROOT"], "model"))))
"""


def test_standin_unpacks_model_tar_gz_into_an_empty_model_folder_before_serve(standin):
    standin.make_archive({"weights.txt": b"w", "sub/more.txt": b"m"})
    done = standin.run("serve", SERVE_SEES)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['.gitkeep', 'sub', 'weights.txt']"


def test_standin_never_unpacks_over_files_in_the_model_folder(standin):
    standin.make_archive({"weights.txt": b"from the archive"})
    (standin.ml / "model" / "weights.txt").write_text("the user's")
    assert standin.run("serve", SERVE_SEES).returncode == 0
    assert (standin.ml / "model" / "weights.txt").read_text() == "the user's"


def test_standin_refuses_an_archive_that_writes_outside_the_model_folder(standin):
    standin.make_archive({"../escaped.txt": b"x"})
    done = standin.run("serve", SERVE_SEES)
    assert done.returncode != 0 and "refusing" in done.stderr
    assert not (standin.ml / "escaped.txt").exists()


def test_standin_forwards_sigterm_and_exits_with_the_childs_code(standin):
    ready = standin.ml / "ready"
    process = standin.popen(
        "train",
        f"""
import pathlib, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
pathlib.Path({str(ready)!r}).touch()
time.sleep(60)
""",
    )
    deadline = time.monotonic() + 30
    while not ready.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 143
    assert time.monotonic() - started < 10
    assert not standin.archive.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="handing files to another user needs root")
def test_standin_hands_what_root_wrote_to_the_owner_of_the_ml_folder(standin):
    shutil.chown(standin.ml, USER_UID, USER_UID)
    assert standin.run("train", WRITE_MODEL).returncode == 0
    for path in (
        standin.ml / "model" / "weights.txt",
        standin.archive,
        standin.ml / "input" / "config" / "inputdataconfig.json",
    ):
        assert path.stat().st_uid == USER_UID, path


# --- The images ---------------------------------------------------------------------------------------------------


def inspect(image: str) -> dict:
    done = docker("image", "inspect", image)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)[0]


@needs_docker
def test_dev_base_image_is_what_sagemaker_expects(project):
    image = inspect(f"{project.name}:dev-base")
    config = image["Config"]
    assert config["Entrypoint"] == ["/opt/venv/bin/python", "/opt/program/main.py"]  # exec form, no init
    assert not config.get("Cmd")
    assert config.get("User", "") in ("", "root", "0")
    assert "8080/tcp" in config["ExposedPorts"]
    assert config["Labels"]["com.amazonaws.sagemaker.capabilities.accept-bind-to-port"] == "true"
    assert config["Labels"]["com.amazonaws.sagemaker.capabilities.multi-models"] == "true"
    assert "PYTHONUNBUFFERED=1" in config["Env"]
    # Only the runtime: no tests, no opt/ data, no .env, no .git.
    listed = docker("run", "--rm", "--entrypoint", "ls", f"{project.name}:dev-base", "-A", "/opt/program")
    assert sorted(listed.stdout.split()) == ["algorithm.py", "framework", "lib", "main.py"]
    # Built on the base image named in .env, and the :dev image on top of :dev-base.
    base_layers = inspect(project.base)["RootFS"]["Layers"]
    assert image["RootFS"]["Layers"][: len(base_layers)] == base_layers
    dev_layers = inspect(f"{project.name}:dev")["RootFS"]["Layers"]
    assert dev_layers[: len(image["RootFS"]["Layers"])] == image["RootFS"]["Layers"]


@needs_docker
def test_requirements_layer_comes_before_the_code(project):
    """Editing algorithm.py must not reinstall the packages: the build of a changed algorithm reuses that layer."""
    history = docker("image", "history", "--no-trunc", "--format", "{{.CreatedBy}}", f"{project.name}:dev-base")
    steps = history.stdout.splitlines()[::-1]  # oldest first
    install = next(i for i, step in enumerate(steps) if "pip install" in step)
    copy_code = next(i for i, step in enumerate(steps) if "COPY" in step and "/opt/program" in step)
    assert install < copy_code
    # Byte for byte what was tested: pip refuses any file whose hash requirements.txt does not list.
    assert "pip install --require-hashes -r /tmp/requirements.txt" in steps[install]


# --- The development loop through bin/ ------------------------------------------------------------------------


@needs_docker
def test_train_script_writes_the_model_and_model_tar_gz_on_the_host(project, trained):
    model = project.ml / "model"
    assert (model / "model.joblib").stat().st_size > 0
    assert not (project.ml / "output" / "failure").exists()
    with tarfile.open(project.ml / "output" / "model.tar.gz") as archive:
        names = archive.getnames()
    assert "model.joblib" in names and ".gitkeep" not in names
    # What the platform provides was filled in from the channel folders present.
    config = project.ml / "input" / "config"
    assert sorted(json.loads((config / "inputdataconfig.json").read_text())) == ["training", "validation"]
    assert json.loads((config / "resourceconfig.json").read_text())["current_host"] == "algo-1"
    # The container runs as root; what it wrote is handed back to the owner of the mounted folder.
    owner = project.ml.stat().st_uid
    for path in (model / "model.joblib", project.ml / "output" / "model.tar.gz", config / "inputdataconfig.json"):
        assert path.stat().st_uid == owner, path


@needs_docker
def test_source_edits_take_effect_without_a_rebuild(project, trained):
    algorithm = project.folder / "algorithm.py"
    original = algorithm.read_text()
    marker = f"edited-{uuid.uuid4().hex}"
    try:
        algorithm.write_text(original + f"\nprint({marker!r}, flush=True)\n")
        done = project.script("train.sh")
    finally:
        algorithm.write_text(original)
    assert done.returncode == 0, tail(done)
    assert marker in done.stdout


@needs_docker
def test_failed_training_leaves_failure_on_the_host_and_exits_non_zero(project, tmp_path):
    # Another checkout of the same project (same .env, same images) whose configuration is broken.
    broken = tmp_path / "broken"
    shutil.copytree(project.folder, broken, ignore=shutil.ignore_patterns("model.tar.gz", "model.joblib"))
    (broken / "opt" / "ml" / "input" / "config" / "hyperparameters.json").write_text('{"n_estimators": ')
    done = run([str(broken / "bin" / "train.sh")])
    assert done.returncode != 0
    failure = broken / "opt" / "ml" / "output" / "failure"
    assert "hyperparameters.json" in failure.read_text(), tail(done)
    assert not (broken / "opt" / "ml" / "output" / "model.tar.gz").exists()


@needs_docker
def test_serve_script_unpacks_model_tar_gz_and_answers_on_localhost(project, trained):
    model = project.ml / "model"
    for path in model.iterdir():  # a fresh checkout: an empty model folder and a model.tar.gz, as SageMaker hosts
        if path.name != ".gitkeep":
            path.unlink()
    with project.serving() as server:
        assert (model / "model.joblib").is_file()
        assert requests.get(project.url + "/ping", timeout=5).status_code == 200
        answer = requests.post(project.url + "/invocations", json=PAYLOAD, timeout=30)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["predictions"]) == len(PAYLOAD["instances"])
        predicted = project.script("predict.sh")
        assert predicted.returncode == 0, tail(predicted)
        assert json.loads(predicted.stdout) == answer.json()
        # Published on the loopback interface only.
        ports = docker("ps", "--filter", f"label={PROJECT_LABEL}={project.name}", "--format", "{{.Ports}}").stdout
        assert ports.strip() == f"127.0.0.1:{project.port}->8080/tcp"
    assert server.process.returncode is not None and server.stop_seconds < 30, server.log
    assert "unpacked" in server.log
    assert project.containers() == []  # Ctrl-C stopped and removed the container


# --- bin/transform.sh: a local batch transform, the image's serve driven as a transform job drives it -------------


def files_of(folder) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@needs_docker
def test_transform_script_runs_the_shipped_sample_after_train(project, trained):
    sample, output = project.folder / "transform" / "input", project.folder / "transform" / "output"
    before = files_of(sample)
    output.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(output, USER_UID, USER_UID)
    done = project.script("transform.sh", "--SplitType", "Line", "--Accept", "text/csv", "--AssembleWith", "Line")
    assert done.returncode == 0, tail(done)
    labels = (output / "iris.csv.out").read_text().splitlines()
    assert len(labels) == 30 and set(labels) <= {"setosa", "versicolor", "virginica"}
    assert "done: 1 file(s), 30 records" in done.stderr
    assert (output / "iris.csv.out").stat().st_uid == output.stat().st_uid  # handed back to the folder's owner
    # The defaults: each file whole in one request, the container's default answer (JSON).
    done = project.script("transform.sh")
    assert done.returncode == 0, tail(done)
    assert json.loads((output / "iris.csv.out").read_text())["predictions"] == labels
    assert files_of(sample) == before and project.containers() == []


@pytest.fixture(scope="session")
def echo_project(project, tmp_path_factory):
    """Another checkout of the project (same .env name, same images) whose algorithm answers each record with itself."""
    folder = tmp_path_factory.mktemp("echo-project") / "project"
    artifacts = shutil.ignore_patterns("model.tar.gz", "model.joblib")

    def ignored(where: str, names: list[str]) -> set[str]:  # the sample transform/ folder, not develop/local/transform/
        return artifacts(where, names) | ({"transform"} if where == str(project.folder) else set())

    shutil.copytree(project.folder, folder, ignore=ignored)
    shutil.copy(ROOT / "tests" / "algorithms" / "echoes_each_record.py", folder / "algorithm.py")
    return DockerProject(folder, name=project.name, base=project.base)


@needs_docker
def test_transform_script_round_trips_filters_and_failures(echo_project, tmp_path):
    source, output = tmp_path / "data in", tmp_path / "data out"
    rows = [f"{i}.5,{i % 7}.25,é€😀" for i in range(60_000)]  # 1.6 MB: several 1 MB mini-batches
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "a.csv").write_bytes(("\r\n\r\n".join(rows)).encode())  # CRLF, blank lines, no final newline
    before = files_of(source)
    line = ("--SplitType", "Line", "--AssembleWith", "Line", "--Accept", "text/csv")
    done = echo_project.script("transform.sh", str(source), str(output), *line, "--MaxPayloadInMB", "1")
    assert done.returncode == 0, tail(done)
    assert (output / "sub" / "a.csv.out").read_bytes() == ("\n".join(rows) + "\n").encode()
    assert "MaxPayloadInMB 1, MaxConcurrentTransforms 2" in done.stderr  # 2 workers' /execution-parameters
    assert files_of(source) == before
    # AWS's example: an ID column left out of the input, joined back, and kept alone with the answer.
    (tmp_path / "ids").mkdir()
    (tmp_path / "ids" / "b.csv").write_text("id1,1.5,2.5,3.5,4.5\nid2,5.5,6.5,7.5,8.5\n")
    join = ("--InputFilter", "$[1:]", "--JoinSource", "Input", "--OutputFilter", "$[0,5:]")
    done = echo_project.script("transform.sh", str(tmp_path / "ids"), str(output), *line, *join)
    assert done.returncode == 0, tail(done)
    assert (output / "b.csv.out").read_text() == "id1,1.5,2.5,3.5,4.5\nid2,5.5,6.5,7.5,8.5\n"
    # A failing record stops the job with the file, the record range and the container's message.
    (tmp_path / "ids" / "b.csv").write_text("1.5\nboom\n")
    done = echo_project.script(
        "transform.sh", str(tmp_path / "ids"), str(output), *line, "--BatchStrategy", "SingleRecord"
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: b.csv, records 2-2: the container answered 500")


@needs_docker
def test_transform_script_keeps_both_workers_busy(echo_project, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    (source / "d.jsonl").write_text('{"busy": 0.3}\n' * 12)  # CPU-bound, as a model's records are
    args = ("--SplitType", "Line", "--AssembleWith", "Line", "--Accept", "application/jsonlines")
    done = echo_project.script(
        "transform.sh",
        str(source),
        str(tmp_path / "out"),
        *args,
        "--BatchStrategy",
        "SingleRecord",
        env={"SAGEMAKER_MODEL_SERVER_WORKERS": "2"},
    )
    assert done.returncode == 0, tail(done)
    calls = [json.loads(line) for line in (tmp_path / "out" / "d.jsonl.out").read_text().splitlines()]
    assert len({c["pid"] for c in calls}) == 2, calls


@needs_docker
def test_postman_collection_passes_against_bin_serve(project, trained, tmp_path):
    """postman/'s collection, run by newman with the repository's environment, against the :dev container."""
    missing = newman_missing()
    if missing:
        pytest.skip(missing)
    with project.serving():
        # localhost, as the environment has it, while bin/serve.sh publishes on 127.0.0.1 only.
        done, report = run_collection(f"http://localhost:{project.port}", tmp_path)
    assert_every_request_passed(done, report)


@needs_docker
def test_postman_multi_model_collection_passes_against_bin_serve_models(project, trained, tmp_path):
    """The multi-model collection with its default variables: the trained model as FOLDER/example, which bin/serve.sh
    --models FOLDER shows the container as /opt/ml/models/example."""
    missing = newman_missing()
    if missing:
        pytest.skip(missing)
    models = tmp_path / "models"
    shutil.copytree(project.ml / "model", models / "example", ignore=shutil.ignore_patterns(".gitkeep"))
    with project.serving(args=("--models", str(models))):
        done, report = run_collection(f"http://localhost:{project.port}", tmp_path, MULTI_MODEL_COLLECTION)
    assert_every_request_passed(done, report, MULTI_MODEL_COLLECTION)


@needs_docker
def test_shell_script_opens_a_shell_with_the_same_mounts_and_sagemaker_variables(project):
    done = project.script(
        "shell.sh",
        "-c",
        "test -f /opt/program/tests/test_docker.py && ls /opt/ml/input/data && echo $SAGEMAKER_MODEL_SERVER_WORKERS",
        env={"SAGEMAKER_MODEL_SERVER_WORKERS": "3"},
    )
    assert done.returncode == 0, tail(done)
    assert done.stdout.split() == ["training", "validation", "3"]


# --- The :dev-base image alone, as SageMaker runs it --------------------------------------------------------------


@pytest.fixture(scope="session")
def sagemaker_ml(project, tmp_path_factory):
    """An /opt/ml as SageMaker prepares it, trained by `docker run IMAGE train` with no project source mounted."""
    ml = tmp_path_factory.mktemp("sagemaker-ml")
    shutil.copytree(EXAMPLE_DIR / "opt" / "ml" / "input", ml / "input")
    (ml / "input" / "payload.json").unlink()
    done = docker("run", "--rm", "-v", f"{ml}:/opt/ml", f"{project.name}:dev-base", "train")
    assert done.returncode == 0, tail(done)
    return ml


@needs_docker
def test_dev_base_holds_only_what_sagemaker_runs(project):
    """The production image's /opt/program: main.py, algorithm.py, framework/ and lib/; no stand-in, no tests."""
    listed = docker("run", "--rm", "--entrypoint", "find", f"{project.name}:dev-base", "/opt/program", "-type", "f")
    assert listed.returncode == 0, tail(listed)
    shipped = {"main.py", "algorithm.py"} | {
        str(path.relative_to(project.folder))
        for folder in ("framework", "lib")
        for path in (project.folder / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert sorted(path.removeprefix("/opt/program/") for path in listed.stdout.split()) == sorted(shipped)
    assert "entrypoint.py" not in listed.stdout


@needs_docker
def test_dev_base_alone_trains_with_sagemakers_mounts(sagemaker_ml):
    assert (sagemaker_ml / "model" / "model.joblib").stat().st_size > 0
    assert not (sagemaker_ml / "output" / "failure").exists()
    # Packing model.tar.gz is the platform's job, done only by the :dev image's stand-in.
    assert not (sagemaker_ml / "output" / "model.tar.gz").exists()


@needs_docker
def test_dev_base_alone_stops_training_on_sigterm_after_its_cleanup(project, tmp_path):
    """A spot interruption: `docker stop` during training reaches Python as PID 1, cleanup runs, exit 143."""
    ml = tmp_path / "ml"
    shutil.copytree(EXAMPLE_DIR / "opt" / "ml" / "input", ml / "input")
    (ml / "input" / "config" / "hyperparameters.json").write_text("{}")  # the sample's are the example's
    sleeps = ROOT / "tests" / "algorithms" / "sleeps_in_train.py"  # 60 s in train, with a `finally` that writes a file
    container = docker(
        "run",
        "-d",
        "-v",
        f"{ml}:/opt/ml",
        "-v",
        f"{sleeps}:/opt/program/algorithm.py:ro",
        f"{project.name}:dev-base",
        "train",
    ).stdout.strip()
    assert container
    deadline = time.monotonic() + 120
    while not (ml / "checkpoints" / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    started = time.monotonic()
    code, logs = stop(container)
    assert code == 143, logs
    assert time.monotonic() - started < 30, logs
    assert (ml / "checkpoints" / "cleanup").read_text() == "ran"


def start_serving(project, ml, *options, mount: str = "/opt/ml") -> str:
    done = docker("run", "-d", "-v", f"{ml}:{mount}", *options, f"{project.name}:dev-base", "serve")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def stop(container: str, grace: int = 60) -> tuple[int, str]:
    """`docker stop`, as SageMaker stops a container: SIGTERM, SIGKILL after `grace` seconds. Returns the exit code."""
    docker("stop", "-t", str(grace), container, timeout=grace + 30)
    code = int(docker("inspect", "--format", "{{.State.ExitCode}}", container).stdout.strip())
    logs = docker("logs", container)
    docker("rm", "-f", container)
    return code, logs.stdout + logs.stderr


# --- Multi-model endpoints ------------------------------------------------------------------------------------------

# A versicolor and a virginica record.
TWO_RECORDS = "5.9,3.0,4.2,1.5\n6.9,3.1,5.4,2.1\n"


@pytest.fixture(scope="session")
def upper(project, tmp_path_factory):
    """The example trained by `docker run IMAGE train` on the sample data with its labels in capitals: a second model
    that answers in its own words (VERSICOLOR where the first says versicolor)."""
    ml = tmp_path_factory.mktemp("upper-ml")
    shutil.copytree(EXAMPLE_DIR / "opt" / "ml" / "input", ml / "input")
    for data in (ml / "input" / "data").glob("*/*.csv"):
        header, *rows = data.read_text().splitlines()
        data.write_text(
            "\n".join([header, *(row.rsplit(",", 1)[0] + "," + row.rsplit(",", 1)[1].upper() for row in rows)])
        )
    done = docker("run", "--rm", "-v", f"{ml}:/opt/ml", f"{project.name}:dev-base", "train")
    assert done.returncode == 0, tail(done)
    return ml / "model"


@needs_docker
def test_dev_base_alone_serves_a_multi_model_endpoint_as_sagemaker_drives_it(project, sagemaker_ml, upper, tmp_path):
    """SageMaker's layout (/opt/ml/models/<name>/model, unpacked) and its calls, with SAGEMAKER_MULTI_MODEL=true."""
    for name, model in (("forest", sagemaker_ml / "model"), ("upper", upper)):
        shutil.copytree(model, tmp_path / "models" / name / "model")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    container = start_serving(
        project,
        tmp_path / "models",
        "-e",
        "SAGEMAKER_MULTI_MODEL=true",
        "-e",
        "SAGEMAKER_MODEL_SERVER_WORKERS=2",
        "-p",
        f"127.0.0.1:{port}:8080",
        mount="/opt/ml/models",
    )
    try:
        wait_for_ping(url, 120)
        for name in ("forest", "upper"):
            body = {"model_name": name, "url": f"/opt/ml/models/{name}/model"}
            loaded = requests.post(url + "/models", json=body, timeout=60)
            assert loaded.status_code == 200, loaded.text
        assert requests.post(url + "/models", json=body, timeout=60).status_code == 409
        listed = requests.get(url + "/models", timeout=10).json()["models"]
        assert [m["modelName"] for m in listed] == ["forest", "upper"]
        answers = {}
        for name in ("forest", "upper"):
            answer = requests.post(
                f"{url}/models/{name}/invoke",
                data=TWO_RECORDS,
                headers={"Content-Type": "text/csv", "Accept": "text/csv", "X-Amzn-SageMaker-Target-Model": name},
                timeout=60,
            )
            assert answer.status_code == 200, answer.text
            answers[name] = answer.text.split()
        assert answers == {"forest": ["versicolor", "virginica"], "upper": ["VERSICOLOR", "VIRGINICA"]}
        assert requests.delete(url + "/models/forest", timeout=10).status_code == 200
        assert requests.post(url + "/models/forest/invoke", json=PAYLOAD, timeout=10).status_code == 404
        assert requests.post(url + "/models/upper/invoke", json=PAYLOAD, timeout=10).status_code == 200
    finally:
        code, logs = stop(container)
    assert "target model upper" in logs
    assert code != 137, logs


@needs_docker
def test_serve_script_serves_a_folder_of_models_and_predict_asks_one(project, trained, upper, tmp_path):
    """bin/serve.sh --models FOLDER: one sub-folder per model, as train wrote it or as its model.tar.gz."""
    models = tmp_path / "my models"
    shutil.copytree(project.ml / "model", models / "forest", ignore=shutil.ignore_patterns(".gitkeep"))
    (models / "upper").mkdir()
    with tarfile.open(models / "upper" / "model.tar.gz", "w:gz") as archive:
        for path in upper.iterdir():
            archive.add(path, arcname=path.name)
    rows = tmp_path / "rows.csv"
    rows.write_text(TWO_RECORDS)
    with project.serving(args=("--models", str(models))) as server:
        answers = {}
        for name in ("forest", "upper", "forest"):  # the second time, forest is loaded already (409): still fine
            done = project.script("predict.sh", "--model", name, str(rows), "text/csv")
            assert done.returncode == 0, tail(done)
            answers[name] = done.stdout.split()
        assert answers == {"forest": ["versicolor", "virginica"], "upper": ["VERSICOLOR", "VIRGINICA"]}
        missing = project.script("predict.sh", "--model", "nothing", str(rows), "text/csv")
        assert missing.returncode != 0
        assert "error: model nothing could not be loaded:" in missing.stderr and "no such file" in missing.stderr
        assert requests.post(project.url + "/invocations", json=PAYLOAD, timeout=10).status_code == 404
    assert server.process.returncode is not None, server.log
    assert "the models in" in server.log
    assert project.containers() == []


@needs_docker
def test_dev_base_alone_serves_and_stops_on_sigterm(project, sagemaker_ml):
    port = free_port()
    container = start_serving(project, sagemaker_ml, "-p", f"127.0.0.1:{port}:8080")
    try:
        wait_for_ping(f"http://127.0.0.1:{port}", 120)
        answer = requests.post(f"http://127.0.0.1:{port}/invocations", json=PAYLOAD, timeout=30)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["predictions"]) == len(PAYLOAD["instances"])
    finally:
        code, logs = stop(container)
    # SIGTERM reached Python (PID 1, no init): it exited by itself instead of being killed (137) after the grace.
    assert code != 137, logs


@needs_docker
def test_a_cpu_quota_of_one_means_one_worker(project, sagemaker_ml):
    """`docker run --cpus 1` (a CFS quota, not a cpuset: the container still sees every CPU) gives one worker."""
    port = free_port()
    container = start_serving(project, sagemaker_ml, "--cpus", "1", "-p", f"127.0.0.1:{port}:8080")
    try:
        wait_for_ping(f"http://127.0.0.1:{port}", 120)
        seen = docker("exec", container, "python", "-c", "import os; print(len(os.sched_getaffinity(0)))")
    finally:
        _, logs = stop(container)
    assert "with 1 gevent worker(s)" in logs, logs
    assert logs.count("Booting worker with pid") == 1, logs
    assert int(seen.stdout) == os.cpu_count()  # the quota, not the affinity, set the count


@needs_docker
def test_sagemaker_bind_to_port_moves_the_port_inside_the_container(project, sagemaker_ml):
    moved, default = free_port(), free_port()
    container = start_serving(
        project,
        sagemaker_ml,
        "-e",
        "SAGEMAKER_BIND_TO_PORT=9090",
        "-p",
        f"127.0.0.1:{moved}:9090",
        "-p",
        f"127.0.0.1:{default}:8080",
    )
    try:
        wait_for_ping(f"http://127.0.0.1:{moved}", 120)
        with pytest.raises(requests.RequestException):
            requests.get(f"http://127.0.0.1:{default}/ping", timeout=5)
    finally:
        stop(container)


# --- Last: the clean-up ---------------------------------------------------------------------------------------------


@needs_docker
def test_destroy_removes_every_container_and_image_of_the_project_and_nothing_else(project):
    stopped = docker("create", f"{project.name}:dev", "train").stdout.strip()
    running = docker("run", "-d", f"{project.name}:dev-base", "serve").stdout.strip()
    docker("tag", f"{project.name}:dev-base", f"{project.name}-ecr-copy:latest")  # e.g. tagged for a push
    bystander = docker("run", "-d", "--entrypoint", "sleep", project.base, "120").stdout.strip()
    # A training cluster's network, as develop/local/training/cluster.py labels it, left by a run that was killed.
    left = docker("network", "create", "--label", f"{PROJECT_LABEL}={project.name}", f"{project.name}-job")
    other_network = docker("network", "create", f"{project.name}-not-ours").stdout.strip()
    try:
        assert stopped and running and bystander and left.returncode == 0 and other_network
        done = project.script("docker-destroy.sh")
        assert done.returncode == 0, tail(done)
        assert project.containers() == [] and project.images() == []
        assert docker("network", "inspect", f"{project.name}-job").returncode != 0
        assert docker("network", "inspect", other_network).returncode == 0
        for image in (f"{project.name}:dev", f"{project.name}:dev-base", f"{project.name}-ecr-copy:latest"):
            assert docker("image", "inspect", image).returncode != 0
        # Nothing else: the base image and another container are still there.
        assert docker("image", "inspect", project.base).returncode == 0
        assert docker("inspect", bystander).returncode == 0
        assert project.script("docker-destroy.sh").returncode == 0  # and again, with nothing left
    finally:
        docker("rm", "-f", bystander)
        docker("network", "rm", other_network, f"{project.name}-job")  # the latter is gone unless destroy failed
