"""The push (develop/release/push.py, which bin/docker-push.sh runs in the :dev image) against real parts.

- A real registry: Debian's docker-registry, started here on 127.0.0.1 with a temporary config and storage, receives
  the real `docker push` of a :dev-base built through bin/docker-build.sh, by bin/docker-push.sh itself: the Docker
  CLI of the :dev image, through the engine's socket, on the engine's host network, where the version check (`docker
  manifest inspect`) reaches the registry. The image is then removed from the engine, pulled back by digest, trained
  with `docker run IMAGE train` and served with `docker run IMAGE serve`, as SageMaker does. The release's push stage
  (bin/release.sh --only push) writes image-uri.txt, and only when the push succeeded.
- ECR: moto's server stands in for the AWS APIs, reached by push.py's boto3 (the AWS tools' Python) through
  AWS_ENDPOINT_URL, so the ECR branch runs without AWS: the repository is created, a version that exists is refused,
  and the password of GetAuthorizationToken is what `docker login --password-stdin` gets. moto is not a registry, and
  the registry's name must stay ACCOUNT.dkr.ecr.REGION.amazonaws.com, which no test may point at 127.0.0.1 (that would
  mean editing the machine's /etc/hosts). So in this half only, `docker` is a recording stand-in earlier in PATH: it
  proves the password arrived on stdin and never in an argument, and what was tagged and pushed.
- What push.py refuses before Docker is asked anything, in-process. The `docker run` that bin/docker-push.sh and its
  batch twin build: tests/test_release_twins.py.

Where no Docker engine runs, or docker-registry, the AWS CLI or moto are missing, the tests that need them are skipped
with the reason (`pytest -rs`); .ci/registry-up.sh installs the last three.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from develop.release import push as push_module

from docker_helpers import (
    BUILD_TIMEOUT,
    ROOT,
    DockerProject,
    copy_project,
    docker,
    docker_unavailable,
    free_port,
    run,
    wait_for_ping,
)
from projects import EXAMPLE_DIR

UNAVAILABLE = docker_unavailable()
needs_docker = pytest.mark.skipif(UNAVAILABLE is not None, reason=UNAVAILABLE or "")
REGISTRY_BINARY = shutil.which("docker-registry")
needs_registry = pytest.mark.skipif(
    REGISTRY_BINARY is None, reason="registry push tests skipped: docker-registry is not installed (.ci/registry-up.sh)"
)
PAYLOAD = json.loads((EXAMPLE_DIR / "opt" / "ml" / "input" / "payload.json").read_text())
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"  # moto's default account
REGION = "eu-west-1"


def aws_tools() -> tuple[Path | None, str]:
    """The folder with `aws` and `moto_server` (.ci/registry-up.sh's venv, else PATH), or None and why not."""
    candidates = [os.environ.get("TEMPLATE_AWS_TOOLS"), Path.home() / ".cache" / "sagemaker-template" / "aws-tools"]
    folders = [Path(c) / "bin" for c in candidates if c]
    if shutil.which("aws"):
        folders.append(Path(shutil.which("aws")).parent)
    for folder in folders:
        if (folder / "aws").exists() and (folder / "moto_server").exists():
            version = run([str(folder / "aws"), "--version"], timeout=60)
            found = re.search(r"aws-cli/(\d+)\.(\d+)", version.stdout + version.stderr)
            # AWS_ENDPOINT_URL, which sends the CLI to moto, came in 1.29 and 2.13: an older one would call AWS.
            if found and tuple(map(int, found.groups())) >= ((1, 29) if found[1] == "1" else (2, 13)):
                # (the CLI seeds and reads ECR here; push.py's boto3 is this venv's Python's)
                return folder, ""
            return (
                None,
                f"ECR push tests skipped: {folder / 'aws'} is too old for AWS_ENDPOINT_URL (.ci/registry-up.sh)",
            )
    return None, "ECR push tests skipped: the AWS CLI and moto_server are not installed (.ci/registry-up.sh)"


TOOLS, NO_TOOLS = aws_tools()
needs_aws = pytest.mark.skipif(TOOLS is None, reason=NO_TOOLS)


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0, done.stdout + done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


# The script takes these from the environment when .env does not set them: the tests' .env files say it all.
OWN_SETTINGS = ("REGISTRY", "REPOSITORY", "VERSION")


def clean_environ() -> dict:
    return {key: value for key, value in os.environ.items() if key not in OWN_SETTINGS and not key.startswith("AWS_")}


def push(folder: Path, *args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """bin/docker-push.sh from another directory than the project's, with nothing on stdin."""
    return run(
        [str(folder / "bin" / "docker-push.sh"), *args],
        cwd=folder.parent,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**clean_environ(), **(env or {})},
    )


def pushed_uri(done: subprocess.CompletedProcess) -> str:
    """The script's contract: the image URI alone on stdout, the last line."""
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    return lines[-1]


# --- One-line errors, before Docker is asked anything ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args, settings, message",
    [
        ((), {}, "no version to push: give one (bin/docker-push.sh 1.2.0) or set VERSION in .env"),
        (("latest",), {}, "refusing to push 'latest'"),
        (("LATEST",), {}, "refusing to push 'latest'"),
        ((), {"VERSION": "latest"}, "refusing to push 'latest'"),
        (("1.0.0",), {"REGISTRY": ""}, "REGISTRY is not set"),
        (("--fast", "1.0.0"), {}, "unrecognized arguments: --fast: usage: bin/docker-push.sh [-h] [-f] [VERSION]"),
        (("1.0.0", "1.0.1"), {}, "unrecognized arguments: 1.0.1"),
    ],
)
def test_bad_version_or_settings_are_refused(capsys, args, settings, message):
    environ = {"DOCKER_NAME": "algo", "REGISTRY": "registry.example.com", "PATH": "/nowhere", **settings}
    try:
        code = push_module.main(list(args), environ)
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    assert (code, out, err.count("\n")) == (2, "", 1) and err.startswith("error: ") and message in err, err


def stand_in(folder: Path, name: str, script: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(script)
    (folder / name).chmod(0o755)
    return folder


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_provisioning_is_shellcheck_clean():
    # bin/docker-push.sh is checked with the other bin/ scripts in test_docker.py.
    done = run(["shellcheck", "-x", str(ROOT / ".ci" / "registry-up.sh")], cwd="/")
    assert done.returncode == 0, done.stdout


# --- ECR: push.py's boto3 against moto's server; docker is a recording stand-in -------------------------------------


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    """moto's server on 127.0.0.1, for the module; each test resets it."""
    if TOOLS is None:
        pytest.skip(NO_TOOLS)
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(TOOLS / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"moto_server exited with {process.returncode}:\n{log.read_text()}"
            try:
                if requests.post(url + "/moto-api/reset", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, f"moto_server not answering in 60 s:\n{log.read_text()}"
            time.sleep(0.2)
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """Ends a server this module started: SIGTERM, then SIGKILL if it lingers."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


RECORDING_DOCKER = """#!{python}
# A stand-in for docker: records each call's arguments (and, for login, what came on stdin), answers as docker would.
import json, os, sys
args = sys.argv[1:]
stdin = sys.stdin.read() if args[:1] == ["login"] else None
with open(os.environ["DOCKER_RECORD"], "a") as record:
    record.write(json.dumps({{"argv": args, "stdin": stdin}}) + "\\n")
digest = "sha256:" + "a" * 64
if args[:1] == ["login"]:
    print("Login Succeeded")
elif args[:1] == ["push"]:
    print(args[-1].rsplit(":", 1)[1] + ": digest: " + digest + " size: 528")
elif args[:2] == ["image", "inspect"] and "--format" in args:
    print(args[-1].rsplit(":", 1)[0] + "@" + digest)
"""


class Ecr:
    """push.py as the :dev image runs it (the AWS tools' Python), with ECR's settings, the stand-in docker first in
    PATH, and boto3 and the AWS CLI on moto."""

    def __init__(self, folder: Path, moto_url: str):
        self.folder, self.record = folder, folder / "docker-calls.jsonl"
        self.repository = "team/algo"
        fake = stand_in(folder / "fake", "docker", RECORDING_DOCKER.format(python=sys.executable))
        # Only moto: no profile, credentials or config of the user's, no instance metadata.
        self.env = clean_environ()
        self.env.update(
            PATH=f"{fake}:{os.environ['PATH']}",
            PYTHONPATH=str(ROOT),
            DOCKER_NAME="algo",
            REGISTRY=ECR,
            REPOSITORY=self.repository,
            DOCKER_RECORD=str(self.record),
            AWS_ENDPOINT_URL=moto_url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_CONFIG_FILE=str(folder / "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(folder / "no-aws-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            AWS_MAX_ATTEMPTS="2",
        )
        requests.post(moto_url + "/moto-api/reset", timeout=10).raise_for_status()

    def push(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return run(
            [str(TOOLS / "python"), "-P", "-m", "develop.release.push", *args],
            cwd="/",
            stdin=subprocess.DEVNULL,
            env={**self.env, **env},
        )

    def aws(self, *args: str) -> subprocess.CompletedProcess:
        return run([str(TOOLS / "aws"), "ecr", *args, "--region", REGION], env=self.env, stdin=subprocess.DEVNULL)

    def calls(self) -> list[dict]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]

    def commands(self) -> list[str]:
        return [call["argv"][0] for call in self.calls()]


@pytest.fixture
def ecr(tmp_path, moto):
    return Ecr(tmp_path, moto)


@needs_aws
def test_ecr_push_creates_the_repository_and_logs_in_with_the_password_on_stdin(ecr):
    assert ecr.aws("describe-repositories", "--repository-names", ecr.repository).returncode != 0
    done = ecr.push("1.0.0")
    uri = f"{ECR}/{ecr.repository}:1.0.0"
    assert pushed_uri(done) == uri
    assert "created the ECR repository team/algo in eu-west-1" in done.stderr

    created = ecr.aws("describe-repositories", "--repository-names", ecr.repository)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["repositories"][0]["repositoryUri"] == f"{ECR}/{ecr.repository}"

    password = ecr.aws("get-login-password").stdout.strip()
    assert password
    calls = ecr.calls()
    logins = [call for call in calls if call["argv"][0] == "login"]
    assert [login["argv"] for login in logins] == [["login", "--username", "AWS", "--password-stdin", ECR]]
    assert logins[0]["stdin"].strip() == password
    assert not any(password in arg for call in calls for arg in call["argv"])
    assert password not in done.stdout + done.stderr
    # Logged in before pushing; :dev-base tagged with the version and pushed under that name.
    assert [call["argv"] for call in calls if call["argv"][0] in ("login", "tag", "push")] == [
        ["login", "--username", "AWS", "--password-stdin", ECR],
        ["tag", "algo:dev-base", uri],
        ["push", uri],
    ]


MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 2,
            "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        },
        "layers": [],
    }
)


@needs_aws
def test_ecr_refuses_a_version_that_exists_unless_forced(ecr):
    assert ecr.aws("create-repository", "--repository-name", ecr.repository).returncode == 0
    seeded = ecr.aws(
        "put-image", "--repository-name", ecr.repository, "--image-tag", "1.0.0", "--image-manifest", MANIFEST
    )
    assert seeded.returncode == 0, seeded.stderr

    error = one_line_error(ecr.push("1.0.0"))
    assert f"{ECR}/{ecr.repository}:1.0.0 already exists" in error and "--force" in error
    assert ecr.commands() == ["image"]  # checked :dev-base is there; no login, tag or push

    forced = ecr.push("--force", "1.0.0")
    assert pushed_uri(forced) == f"{ECR}/{ecr.repository}:1.0.0"
    assert "replacing" in forced.stderr and "created" not in forced.stderr  # the repository was there already
    assert ["tag", "algo:dev-base", f"{ECR}/{ecr.repository}:1.0.0"] in [call["argv"] for call in ecr.calls()]

    # A new version in the existing repository goes through: VERSION from the settings when none is given.
    assert pushed_uri(ecr.push(VERSION="1.0.1")) == f"{ECR}/{ecr.repository}:1.0.1"


@needs_aws
def test_ecr_failure_of_the_aws_cli_is_one_line(ecr):
    done = ecr.push("1.0.0", AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    error = one_line_error(done)
    assert "ECR's describe_repositories failed" in error and "Could not connect to the endpoint URL" in error
    assert "login" not in ecr.commands() and "push" not in ecr.commands()


def test_another_registry_that_needs_a_login_gets_it_from_the_settings_before_it_is_asked(
    tmp_path, monkeypatch, capsys
):
    """REGISTRY_USERNAME and REGISTRY_PASSWORD: the container's docker logs in (the password on stdin), then the
    version check and the push; the stand-in docker says every version exists, so the push is --force."""
    fake = stand_in(tmp_path / "fake", "docker", RECORDING_DOCKER.format(python=sys.executable))
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    monkeypatch.setenv("DOCKER_RECORD", str(tmp_path / "calls.jsonl"))
    settings = {
        "DOCKER_NAME": "algo",
        "REGISTRY": "r.example.com",
        "REGISTRY_USERNAME": "me",
        "REGISTRY_PASSWORD": "pw",
    }
    assert push_module.main(["--force", "1.0.0"], settings) == 0
    assert capsys.readouterr().out == "r.example.com/algo:1.0.0\n"
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    assert [call["argv"][:2] for call in calls] == [
        ["image", "inspect"],
        ["login", "--username"],
        ["manifest", "inspect"],
        ["tag", "algo:dev-base"],
        ["push", "r.example.com/algo:1.0.0"],
        ["image", "inspect"],
    ]
    assert calls[1] == {"argv": ["login", "--username", "me", "--password-stdin", "r.example.com"], "stdin": "pw"}


# --- A real registry on 127.0.0.1: push, refuse, pull back by digest, train and serve -----------------------------


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """Debian's docker-registry on 127.0.0.1, storage in a temporary folder: host:port."""
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)
    if REGISTRY_BINARY is None:
        pytest.skip("registry push tests skipped: docker-registry is not installed (.ci/registry-up.sh)")
    folder = tmp_path_factory.mktemp("registry")
    port = free_port()
    (folder / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {folder / 'storage'}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n"
    )
    log = folder / "registry.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(folder / "config.yml")],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"docker-registry exited with {process.returncode}:\n{log.read_text()}"
            try:
                if requests.get(f"http://127.0.0.1:{port}/v2/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, f"docker-registry not answering in 30 s:\n{log.read_text()}"
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(scope="module")
def project(registry, tmp_path_factory):
    """A copy of the project, built through bin/docker-build.sh, with .env pointing at the registry; destroyed at
    the end (bin/docker-destroy.sh: every image and container with the project's label, pulled ones included)."""
    built = DockerProject(copy_project(tmp_path_factory.mktemp("push-project")))
    built.repository = f"push-test/{built.name}"
    try:
        done = built.script("docker-build.sh", timeout=BUILD_TIMEOUT)
        assert done.returncode == 0, (
            f"bin/docker-build.sh failed from base image {built.base} (where no registry can be reached, set "
            f"TEMPLATE_BASE_IMAGE to a local image, as .ci/docker-up.sh prints):\n"
            f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
        built.write_env(
            DOCKER_NAME=built.name,
            BASE_IMAGE=built.base,
            HOST_PORT=str(built.port),
            REGISTRY=registry,
            REPOSITORY=built.repository,
        )
        yield built
    finally:
        built.script("docker-destroy.sh")


def registry_tags(registry: str, repository: str) -> list[str]:
    answer = requests.get(f"http://{registry}/v2/{repository}/tags/list", timeout=10)
    return sorted(answer.json().get("tags") or []) if answer.status_code == 200 else []


def registry_digest(registry: str, repository: str, tag: str) -> str:
    answer = requests.head(
        f"http://{registry}/v2/{repository}/manifests/{tag}",
        timeout=10,
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    assert answer.status_code == 200, answer.status_code
    return answer.headers["Docker-Content-Digest"]


@needs_docker
@needs_registry
def test_push_sends_dev_base_to_the_registry_and_prints_the_image_uri(project, registry):
    started = time.monotonic()
    done = push(project.folder, "1.0.0")
    uri = pushed_uri(done)
    assert uri == f"{registry}/{project.repository}:1.0.0"
    assert registry_tags(registry, project.repository) == ["1.0.0"]
    # What the registry holds under 1.0.0 is the local :dev-base: the same digest, the same image.
    digest = registry_digest(registry, project.repository, "1.0.0")
    local = json.loads(docker("image", "inspect", f"{project.name}:dev-base").stdout)[0]
    assert f"{registry}/{project.repository}@{digest}" in local["RepoDigests"]
    assert f"{registry}/{project.repository}@{digest}" in done.stderr  # shown, pinned by digest
    print(f"push of 1.0.0: {time.monotonic() - started:.1f} s")


@needs_docker
@needs_registry
def test_push_refuses_a_version_in_the_registry_unless_forced_and_reads_version_from_env(project, registry):
    if "1.0.0" not in registry_tags(registry, project.repository):
        assert push(project.folder, "1.0.0").returncode == 0
    before = registry_digest(registry, project.repository, "1.0.0")

    error = one_line_error(push(project.folder, "1.0.0"))
    assert f"{registry}/{project.repository}:1.0.0 already exists" in error and "--force" in error

    forced = push(project.folder, "1.0.0", "--force")
    assert pushed_uri(forced) == f"{registry}/{project.repository}:1.0.0"
    assert registry_digest(registry, project.repository, "1.0.0") == before

    with open(project.folder / ".env", "a") as env:
        env.write("VERSION=1.1.0\n")
    try:
        assert pushed_uri(push(project.folder)) == f"{registry}/{project.repository}:1.1.0"
    finally:
        (project.folder / ".env").write_text((project.folder / ".env").read_text().replace("VERSION=1.1.0\n", ""))
    assert registry_tags(registry, project.repository) == ["1.0.0", "1.1.0"]


@needs_docker
@needs_registry
def test_the_release_push_stage_writes_the_image_uri_only_when_it_pushed(project, registry):
    def release(*args: str) -> subprocess.CompletedProcess:
        return run(
            [str(project.folder / "bin" / "release.sh"), *args],
            cwd=project.folder.parent,
            timeout=600,
            stdin=subprocess.DEVNULL,
            env=clean_environ(),
        )

    image_file = project.folder / "image-uri.txt"
    done = release("--only", "push", "2.0.0")
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert image_file.read_text() == f"{registry}/{project.repository}:2.0.0\n"
    stages = [line for line in done.stderr.splitlines() if line.startswith("== release ")]
    assert stages[0] == "== release 2.0.0: stage push started" and len(stages) == 2
    assert stages[1].startswith("== release 2.0.0: stage push done in ")

    image_file.write_text("an earlier push's URI\n")
    again = release("--only", "push", "2.0.0")  # a version is pushed once: nothing after the push would run
    assert again.returncode == 1
    assert again.stderr.splitlines()[-1] == (
        f"error: push: {registry}/{project.repository}:2.0.0 already exists: give a new version, or --force to "
        "replace it (jobs and models that name it would get the new image)"
    )
    assert image_file.read_text() == "an earlier push's URI\n"
    assert not (project.folder / "image-uri.txt.partial").exists()


@needs_docker
@needs_registry
@pytest.mark.parametrize(
    "version, settings",
    [
        ("1.0/beta", {}),
        (".1", {}),
        ("v" * 129, {}),
        ("1.0.0", {"REGISTRY": "https://registry.example.com"}),
        ("1.0.0", {"REPOSITORY": "Team/Algo"}),
    ],
)
def test_docker_refuses_a_bad_version_registry_or_repository_with_its_reason(project, registry, version, settings):
    """The script leaves the rules of tags, registries and repositories to docker, and shows its reason in one line."""
    env_file = project.folder / ".env"
    saved = env_file.read_text()
    env_file.write_text(saved + "".join(f"{key}={value}\n" for key, value in settings.items()))  # the last wins
    try:
        error = one_line_error(push(project.folder, version))
    finally:
        env_file.write_text(saved)
    assert "could not look for" in error and "invalid reference format" in error, error
    assert registry_tags(registry, "Team/Algo") == []


@needs_docker
@needs_registry
def test_image_pulled_back_by_digest_trains_and_serves_as_sagemaker_runs_it(project, registry, tmp_path):
    if "1.0.0" not in registry_tags(registry, project.repository):
        assert push(project.folder, "1.0.0").returncode == 0
    digest = registry_digest(registry, project.repository, "1.0.0")
    image_id = json.loads(docker("image", "inspect", f"{project.name}:dev-base").stdout)[0]["Id"]
    by_digest = f"{registry}/{project.repository}@{digest}"

    # Nothing of the build is left in the engine (the base image aside): what runs next comes from the registry.
    destroyed = project.script("docker-destroy.sh")
    assert destroyed.returncode == 0, destroyed.stderr
    assert docker("image", "inspect", image_id).returncode != 0
    pulled = docker("pull", by_digest, timeout=600)
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(docker("image", "inspect", by_digest).stdout)[0]["Id"] == image_id

    # SageMaker's way: `docker run IMAGE train` with /opt/ml mounted, then `docker run IMAGE serve` on the model.
    ml = tmp_path / "ml"
    shutil.copytree(EXAMPLE_DIR / "opt" / "ml" / "input", ml / "input")
    (ml / "input" / "payload.json").unlink()
    trained = docker("run", "--rm", "-v", f"{ml}:/opt/ml", by_digest, "train", timeout=300)
    assert trained.returncode == 0, trained.stdout + trained.stderr
    assert (ml / "model" / "model.joblib").stat().st_size > 0

    port = free_port()
    name = f"{project.name}-pulled-serve"
    served = docker(
        "run", "-d", "--name", name, "-v", f"{ml}:/opt/ml", "-p", f"127.0.0.1:{port}:8080", by_digest, "serve"
    )
    try:
        assert served.returncode == 0, served.stderr
        wait_for_ping(f"http://127.0.0.1:{port}", 120)
        answer = requests.post(f"http://127.0.0.1:{port}/invocations", json=PAYLOAD, timeout=30)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["predictions"]) == len(PAYLOAD["instances"])
    finally:
        logs = docker("logs", name)
        docker("rm", "-f", name)
        docker("image", "rm", "-f", by_digest)
    assert "Traceback" not in logs.stdout + logs.stderr
