"""bin/docker-push.sh, bin/release.sh and their batch twins alike, with the harness of tests/test_windows.py (stand-ins
for docker and python, a real cmd under wine). Their logic is Python's, tested once: develop/release/push.py in
tests/test_push.py, develop/release/stages.py and pipeline.py in tests/test_release.py. Here: the command each twin
builds (the `docker run` of the :dev image, with the engine's socket, its host network and the settings by name; for
the release, stages.py with this machine's Python before it), their exit codes, and their one-line errors.
"""

import json

import pytest

windows = pytest.importorskip("test_windows", reason="tests/test_windows.py (the twins' harness) is not there")
assert_error, assert_same, dev_run = windows.assert_error, windows.assert_same, windows.dev_run
twins, wine, stand_ins = windows.twins, windows.wine, windows.stand_ins  # the harness's fixtures

# What bin/_common.sh's push_run_args adds to a development container's options.
PUSH_RUN = [
    "-v",
    "/var/run/docker.sock:/var/run/docker.sock",
    "--network",
    "host",
    "-e",
    "DOCKER_NAME",
    "-e",
    "PROJECT_DIR=/opt/program",
    "-e",
    "PYTHONPATH=/opt/program",
    "-w",
    "/opt/program",
]


def in_dev_image(module: str, *args: str, names: str = "", interactive: bool = False) -> list[str]:
    """The docker run of a develop/release module in the :dev image's AWS venv, after `docker run`."""
    return [
        *dev_run(),
        *PUSH_RUN,
        *windows.AWS_RUN,
        *names.split(),
        *(["-i"] if interactive else []),
        "--entrypoint",
        "/opt/aws/bin/python",
        "sagemaker-algorithm:dev",
        "-P",
        "-m",
        module,
        *args,
    ]


def test_push_runs_push_py_in_the_dev_image_with_the_settings_by_name_only(twins):
    twins.env_file(None, REGISTRY="123456789012.dkr.ecr.eu-west-1.amazonaws.com", REPOSITORY="team/algo")
    twins.env = {"AWS_PROFILE": "dev", "AWS_SECRET_ACCESS_KEY": "fake-secret-value", "REGISTRY_PASSWORD": "pw-value"}
    twins.answers["docker-run.rc"] = "2"  # push.py's exit code is the script's
    twins.answers["docker-run.out"] = "the image URI\n"
    sh, bat = twins.both("docker-push", "--force", "1.0.0")
    assert_same(sh, bat)
    assert (sh.rc, sh.stdout) == (2, "the image URI\n")
    names = "-e AWS_PROFILE -e AWS_SECRET_ACCESS_KEY -e REGISTRY -e REPOSITORY -e REGISTRY_PASSWORD"
    assert sh.calls == [
        ["<CWD>", "docker", "info"],
        ["<CWD>", "docker", "image", "inspect", "sagemaker-algorithm:dev"],
        ["<CWD>", "docker", "run", *in_dev_image("develop.release.push", "--force", "1.0.0", names=names)],
    ]
    assert not any(value in json.dumps(sh.calls) for value in ("fake-secret-value", "pw-value", "team/algo"))


def test_push_passes_its_arguments_as_they_are(twins):
    """push.py checks them (tests/test_push.py): the twins only pass them on, help included."""
    sh, bat = twins.both("docker-push", "-h", "a b", "latest")
    assert_same(sh, bat)
    assert sh.calls[-1][-4:] == ["develop.release.push", "-h", "a b", "latest"]


# the release's settings and the production settings it applies as bin/sagemaker.sh does
RELEASE_NAMES = "-e EXECUTION_ROLE -e RELEASE_ALARMS -e RELEASE_THRESHOLDS -e KMS_KEY_ID"


def release_call(*args: str, names: str = "") -> list[str]:
    """stages.py with this machine's Python: the docker run of the :dev image's stages, then the release's arguments."""
    return [
        "<CWD>",
        "python",
        "<ROOT>/develop/release/stages.py",
        "docker",
        "run",
        *in_dev_image("develop.release", names=names, interactive=True),
        "--",
        *args,
    ]


def test_release_hands_its_arguments_to_stages_py_with_the_dev_image_run(twins):
    twins.env_file(
        None,
        EXECUTION_ROLE="arn:aws:iam::123456789012:role/R",
        RELEASE_ALARMS="algo-5xx",
        RELEASE_THRESHOLDS="multiclass_classification_metrics.accuracy>=0.9",
        KMS_KEY_ID="alias/release",
    )
    twins.env = {"AWS_REGION": "eu-west-1", "AWS_SESSION_TOKEN": "fake-secret-value"}
    twins.answers["python-stages-docker.rc"] = "3"  # the release's exit code is the script's
    args = ("--from", "build", "--to", "smoke", "--model-data", "s3://b/m a.tar.gz", "1.2.0")
    sh, bat = twins.both("release", *args)
    assert_same(sh, bat)
    assert sh.rc == 3
    names = f"-e AWS_REGION -e AWS_SESSION_TOKEN {RELEASE_NAMES}"
    assert sh.calls == [
        ["<CWD>", "python", "-c", ""],
        ["<CWD>", "docker", "info"],
        release_call(*args, names=names),
    ]
    assert not any(value in json.dumps(sh.calls) for value in ("fake-secret-value", "eu-west-1", "algo-5xx"))


def test_release_without_python_says_so(twins):
    twins.programs.discard("python")  # python3 on Linux and macOS, python on Windows (the python.org installer's name)
    sh, bat = windows.python_names(twins.run_sh("release", "1.2.0")), twins.run_bat("release", "1.2.0")
    assert_error(sh, bat, "python did not start: install Python 3.11 or newer (or set PYTHON=...)")
    assert sh.calls == []
