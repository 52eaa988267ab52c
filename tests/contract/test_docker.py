"""In Docker, as SageMaker runs the images: a job on two hosts succeeds, and `:dev-base`, the image a release pushes,
trains with its own code and serves the smoke tests' answers (bin/smoke.sh). Skipped without a Docker engine, as the
other Docker tests are; the images are built once for the module (Docker's layer cache shares the other builds)."""

import shutil

import pytest

from .subject import fail
from docker_helpers import BUILD_TIMEOUT, PROJECT_LABEL, DockerProject, copy_project, docker, docker_unavailable
from framework.training.job import PLACEHOLDERS

UNAVAILABLE = docker_unavailable()


def last_line(done) -> str:
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[-1] if lines else f"exit {done.returncode}, no output"


@pytest.fixture(scope="module")
def images(subject, tmp_path_factory):
    """The template's files with the subject's algorithm.py, lib/ and inputs, built by bin/docker-build.sh."""
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)
    folder = copy_project(tmp_path_factory.mktemp("contract-docker"))
    for part in ("algorithm.py", "lib", "opt/ml/input", "transform/input"):
        source, target = subject.source / part, folder / part
        if target.is_dir():
            shutil.rmtree(target)
        if source.is_dir():
            shutil.copytree(source, target)
        elif source.is_file():
            shutil.copy(source, target)
    built = DockerProject(folder)
    try:
        done = built.script("docker-build.sh", timeout=BUILD_TIMEOUT)
        if done.returncode != 0:
            fail("algorithm.py", f"bin/docker-build.sh failed: {last_line(done)}")
        yield built
    finally:
        built.script("docker-destroy.sh")


def test_a_job_on_two_instances_succeeds(images):
    done = images.script("train.sh", "--instances", "2", timeout=900)
    if done.returncode != 0:
        fail("algorithm.py", f"bin/train.sh --instances 2 failed: {last_line(done)}")
    if not any(p.name not in PLACEHOLDERS for p in (images.ml / "model").iterdir()):
        fail("algorithm.py", "bin/train.sh --instances 2 succeeded but no host wrote the model")


def test_dev_base_trains_and_serves_the_smoke_tests_answers(images):
    label = f"{PROJECT_LABEL}={images.name}"
    trained = docker(
        "run", "--rm", "--label", label, "-v", f"{images.ml}:/opt/ml", f"{images.name}:dev-base", "train", timeout=900
    )
    if trained.returncode != 0:
        fail("algorithm.py", f"{images.name}:dev-base train failed: {last_line(trained)}")
    done = images.script("smoke.sh", timeout=600)
    if done.returncode != 0:
        said = [line[len("smoke: ") :] for line in done.stderr.splitlines() if line.startswith("smoke: ")]
        fail("opt/ml/input/smoke-tests.json", f"{images.name}:dev-base: {(said or [last_line(done)])[0]}")
