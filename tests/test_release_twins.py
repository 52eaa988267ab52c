"""bin/release.sh and bin\\release.bat alike, with the harness of tests/test_windows.py (stand-ins for docker and
python, a real cmd under wine): the stages they run themselves (test, build, push: bin/'s own commands, in that
order), the push's refusal of a version already pushed (nothing after it runs, image-uri.txt kept), the SageMaker
stages handed to develop/release/pipeline.py in the :dev image with settings passed by name, and their arguments
checked before any stage. What the SageMaker stages do is tests/test_release.py's.
"""

import json

import pytest

windows = pytest.importorskip("test_windows", reason="tests/test_windows.py (the twins' harness) is not there")
assert_error, assert_same, dev_run = windows.assert_error, windows.assert_same, windows.dev_run
twins, wine, stand_ins = windows.twins, windows.wine, windows.stand_ins  # the harness's fixtures

REGISTRY = "127.0.0.1:5000"
IMAGE = f"{REGISTRY}/sagemaker-algorithm:1.2.0"
USAGE = "usage: bin/release.sh [--from STAGE] [--to STAGE] [--only STAGE] [--approved] [--model-data s3://...] VERSION"


def release_run(*args: str, names: str = "") -> list[str]:
    """The docker run of the SageMaker stages, after dev_run()'s options."""
    return [
        *windows.AWS_RUN,
        *names.split(),
        "-i",
        "-e",
        "DOCKER_NAME",
        "-e",
        "PROJECT_DIR=/opt/program",
        "-e",
        "PYTHONPATH=/opt/program",
        "-w",
        "/opt/program",
        "--entrypoint",
        "/opt/aws/bin/python",
        "sagemaker-algorithm:dev",
        "-P",
        "-m",
        "develop.release",
        *args,
    ]


def stage_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("== release ")]


def a_new_version(twins) -> None:
    """A registry (not ECR: no aws stand-in needed) that has no 1.2.0 yet, as docker manifest inspect says it."""
    twins.env_file(None, REGISTRY=REGISTRY)
    twins.answers["docker-manifest.rc"] = "1"
    twins.answers["docker-manifest.err"] = f"no such manifest: {IMAGE}\n"


def test_the_stages_run_in_order_and_the_sagemaker_ones_in_the_dev_image(twins):
    a_new_version(twins)
    sh, bat = twins.both("release", "1.2.0", "--approved")
    assert_same(sh, bat)
    assert sh.rc == 0, sh
    assert stage_lines(sh.stderr) == [
        f"== release 1.2.0: stage {stage} {event}"
        for stage in ("test", "build", "push")
        for event in ("started", "done")
    ]
    programs = [" ".join(call[1:4]) for call in sh.calls]
    tested, built, pushed, handed = (
        programs.index("<venv python> -m pytest"),
        programs.index("docker build --build-arg"),
        programs.index(f"docker push {IMAGE}"),
        programs.index("docker run --rm"),
    )
    assert tested < built < pushed < handed == len(programs) - 1
    assert sh.calls[-1] == ["<CWD>", "docker", "run", *dev_run(), *release_run("1.2.0", "--approved")]
    for root in twins.roots.values():  # what the push printed, for the SageMaker stages
        assert (root / "image-uri.txt").read_text().strip() == IMAGE
        assert not (root / "image-uri.txt.partial").exists()


def test_a_version_already_pushed_is_refused_and_nothing_after_the_push_runs(twins):
    twins.env_file(None, REGISTRY=REGISTRY)  # docker manifest inspect succeeds: the version is in the registry
    for root in twins.roots.values():
        (root / "image-uri.txt").write_text("an earlier push's URI\n")
    sh, bat = twins.both("release", "1.2.0")
    assert_same(sh, bat)
    assert sh.rc == 1
    assert sh.stderr.endswith(
        f"error: {IMAGE} already exists: give a new version, or --force to replace it (jobs and models that name it "
        "would get the new image)\n== release 1.2.0: stage push FAILED\n"
    ), sh.stderr
    assert stage_lines(sh.stderr)[-2:] == [
        "== release 1.2.0: stage push started",
        "== release 1.2.0: stage push FAILED",
    ]
    assert not [c for c in sh.calls if c[1:3] in (["docker", "push"], ["docker", "tag"], ["docker", "run"])]
    for root in twins.roots.values():
        assert (root / "image-uri.txt").read_text() == "an earlier push's URI\n"
        assert not (root / "image-uri.txt.partial").exists()


def test_a_failing_test_stage_stops_the_release(twins):
    a_new_version(twins)
    twins.answers["python--m-pytest.rc"] = "1"
    sh, bat = twins.both("release", "1.2.0")
    assert_same(sh, bat)
    assert sh.rc == 1 and stage_lines(sh.stderr) == [
        "== release 1.2.0: stage test started",
        "== release 1.2.0: stage test FAILED",
    ]
    assert not [c for c in sh.calls if c[1] == "docker"]


def test_the_sagemaker_stages_alone_get_the_settings_by_name_only(twins):
    twins.env_file(None, EXECUTION_ROLE="arn:aws:iam::123456789012:role/R", RELEASE_ALARMS="algo-5xx")
    twins.env = {"AWS_REGION": "eu-west-1", "AWS_SESSION_TOKEN": "fake-secret-value"}
    twins.answers["docker-run.rc"] = "1"  # a failed release: its exit code is the script's
    sh, bat = twins.both("release", "--from", "train", "--to", "smoke", "1.2.0")
    assert_same(sh, bat)
    assert sh.rc == 1 and stage_lines(sh.stderr) == []  # release.py prints its own stages
    assert [c[1:3] for c in sh.calls] == [["docker", "info"], ["docker", "image"], ["docker", "run"]]
    names = "-e AWS_REGION -e AWS_SESSION_TOKEN -e EXECUTION_ROLE -e RELEASE_ALARMS"
    assert sh.calls[-1][3:] == [*dev_run(), *release_run("--from", "train", "--to", "smoke", "1.2.0", names=names)]
    assert not any(value in json.dumps(sh.calls) for value in ("fake-secret-value", "eu-west-1", "algo-5xx"))


def test_the_sagemaker_stages_need_the_dev_image_the_build_stage_makes(twins):
    twins.answers["docker-image-inspect.rc"] = "1"
    sh, bat = twins.both("release", "--from", "train", "1.2.0")
    assert_error(sh, bat, "image sagemaker-algorithm:dev does not exist: run bin/docker-build.sh")
    assert [c[1:4] for c in sh.calls] == [["docker", "info"], ["docker", "image", "inspect"]]


def test_the_local_stages_alone_never_start_the_dev_image(twins):
    a_new_version(twins)
    sh, bat = twins.both("release", "--from", "build", "--to", "push", "1.2.0")
    assert_same(sh, bat)
    assert sh.rc == 0 and [line.split(": ")[1] for line in stage_lines(sh.stderr)] == [
        "stage build started",
        "stage build done",
        "stage push started",
        "stage push done",
    ]
    assert not [c for c in sh.calls if c[1:3] == ["docker", "run"] or c[1] == "<venv python>"]


@pytest.mark.parametrize(
    "args, message",
    [
        ((), f"no VERSION given: {USAGE}"),
        (("1.2.0", "1.3.0"), f"unknown argument '1.3.0': {USAGE}"),
        (("--fast", "1.2.0"), f"unknown argument '--fast': {USAGE}"),
        (("latest",), f"give the version released (e.g. 1.2.0), not 'latest': {USAGE}"),
        (
            ("--only", "deploy", "1.2.0"),
            "unknown stage 'deploy' (one of: test build push train register staging smoke approval production "
            f"report): {USAGE}",
        ),
        (("--from", "smoke", "--to", "push", "1.2.0"), f"--from smoke comes after --to push: {USAGE}"),
        (("1.2.0", "--to"), f"--to needs a value: {USAGE}"),
        (
            ("--model-data", "model.tar.gz", "1.2.0"),
            f"--model-data 'model.tar.gz' is not an S3 URI (s3://BUCKET/KEY): {USAGE}",
        ),
    ],
)
def test_bad_arguments_are_refused_before_any_stage(twins, args, message):
    sh, bat = twins.both("release", *args)
    assert_error(sh, bat, message)
    assert sh.rc == 2 and sh.calls == []


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_is_the_usage_line_alike(twins, flag):
    sh, bat = twins.both("release", "--approved", flag, "1.2.0")
    assert_same(sh, bat)
    assert (sh.rc, sh.stdout, sh.stderr, sh.calls) == (0, "", USAGE + "\n", [])
