"""bin/docker-push.bat, the Windows twin of bin/docker-push.sh, against the bash script under a real cmd (wine), with
the harness of tests/test_windows.py: both scripts meet the same stand-ins for docker and aws, and their exit codes,
stdout, stderr and calls must be equal. What the calls do for real is tests/test_push.py's.
"""

import pytest

windows = pytest.importorskip("test_windows", reason="tests/test_windows.py (the twins' harness) is not there")
from test_windows import assert_error, assert_same, stand_ins, twins, wine  # noqa: E402,F401,F811 (fixtures)

ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
DIGESTS = "other.example.com/x@sha256:" + "b" * 64 + "\n127.0.0.1:5000/team/algo@sha256:" + "a" * 64 + "\n"


def same_but_pipe_order(sh, bat):
    """Equal, except that the two sides of a pipe (aws | docker login) may start in either order."""
    assert (bat.rc, bat.stdout, bat.stderr, sorted(bat.calls)) == (sh.rc, sh.stdout, sh.stderr, sorted(sh.calls)), (
        sh,
        bat,
    )


@pytest.mark.parametrize(
    "args, settings, message",
    [
        ((), {}, "no version to push: give one (bin/docker-push.sh 1.2.0) or set VERSION in <ROOT>/.env"),
        (
            ("Latest",),
            {},
            "refusing to push 'latest': give the algorithm's version (e.g. 1.2.0), so that every job and "
            "model names the image it runs",
        ),
        (("--fast",), {}, "unknown option --fast: usage: bin/docker-push.sh [--force] [VERSION]"),
        (("1.0.0", "2.0.0"), {}, "more than one version given: usage: bin/docker-push.sh [--force] [VERSION]"),
        (
            ("1.0.0",),
            {"REGISTRY": ECR},
            "the AWS CLI is not installed, and pushing to ECR needs it: install it "
            "(https://aws.amazon.com/cli/) and configure credentials",
        ),
    ],
)
def test_push_errors(twins, args, settings, message):
    twins.env_file(None, **{"REGISTRY": "r.example.com", **settings})
    sh, bat = twins.both("docker-push", *args)
    assert_error(sh, bat, message)
    assert sh.calls == []


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_push_help_alike(twins, flag):
    sh, bat = twins.both("docker-push", "--force", flag, "1.0.0")
    assert_same(sh, bat)
    assert (sh.rc, sh.stdout, sh.stderr, sh.calls) == (0, "", "usage: bin/docker-push.sh [--force] [VERSION]\n", [])


@pytest.mark.parametrize(
    "args, settings, image",
    [
        ((), {"VERSION": "1.0/x"}, "r.example.com/sagemaker-algorithm:1.0/x"),
        ((".5",), {}, "r.example.com/sagemaker-algorithm:.5"),
        (("v" * 129,), {}, f"r.example.com/sagemaker-algorithm:{'v' * 129}"),
        (("1.0.0",), {"REGISTRY": "https://r.example.com"}, "https://r.example.com/sagemaker-algorithm:1.0.0"),
        (("1.0.0",), {"REGISTRY": "r.example.com:50a"}, "r.example.com:50a/sagemaker-algorithm:1.0.0"),
        (("1.0.0",), {"REPOSITORY": "Team/algo"}, "r.example.com/Team/algo:1.0.0"),
    ],
)
def test_what_docker_refuses_stops_alike_with_its_reason(twins, args, settings, image):
    """Docker checks the tag, the registry and the repository when it first reads the image name: its reason is the
    error, on one line (tests/test_push.py shows the real docker's)."""
    settings = {"REGISTRY": "r.example.com", **settings}
    twins.env_file(None, **settings)
    twins.answers["docker-manifest.rc"] = "1"
    twins.answers["docker-manifest.err"] = "invalid reference format\n"
    sh, bat = twins.both("docker-push", *args)
    assert_error(
        sh,
        bat,
        f"could not look for {image} in the registry (invalid reference format): check REGISTRY, and run docker "
        f"login {settings['REGISTRY']}",
    )
    assert [c[1:3] for c in sh.calls] == [["docker", "info"], ["docker", "image"], ["docker", "manifest"]]


@pytest.mark.parametrize(
    "registry, ecr",
    [
        (ECR, True),
        ("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", True),
        ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", True),
        # The account and the region are the AWS CLI's to check: it says what is wrong with them.
        ("12345678901.dkr.ecr.eu-west-1.amazonaws.com", True),
        ("123456789012.dkr.ecr.EU.amazonaws.com", True),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example", False),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com:443", False),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.cn", False),
        ("123456789012.dkr.ecs.eu-west-1.amazonaws.com", False),
        ("dkr.ecr.eu-west-1.amazonaws.com", False),
        (".123456789012.dkr.ecr.eu-west-1.amazonaws.com", False),
        ("123456789012.dkr.ecr..amazonaws.com", False),
        ("123456789012..dkr.ecr.eu-west-1.amazonaws.com", False),
    ],
)
def test_ecr_is_recognised_alike(twins, registry, ecr):
    twins.env_file(None, REGISTRY=registry)  # no aws: an ECR registry stops there, any other goes on to docker
    sh, bat = twins.both("docker-push", "1.0.0")
    assert_same(sh, bat)
    assert ("the AWS CLI is not installed" in sh.stderr) == ecr, sh


def test_ecr_version_that_exists_is_refused(twins):
    twins.programs.add("aws")
    twins.env_file(None, REGISTRY=ECR, REPOSITORY="team/algo")
    sh, bat = twins.both("docker-push", "1.0.0")  # every aws call succeeds: the repository and the version exist
    assert_error(
        sh,
        bat,
        f"{ECR}/team/algo:1.0.0 already exists: give a new version, or --force to replace it "
        "(jobs and models that name it would get the new image)",
    )
    ecr_args = ["--repository-name", "team/algo", "--registry-id", "123456789012", "--region", "eu-west-1"]
    assert [c[1:] for c in sh.calls[2:]] == [
        ["aws", "ecr", "describe-repositories", *ecr_args],
        ["aws", "ecr", "describe-images", *ecr_args, "--image-ids", "imageTag=1.0.0"],
    ]


def test_ecr_forced_push_logs_in_through_a_pipe_and_prints_the_uri(twins):
    twins.programs.add("aws")
    twins.env_file(None, REGISTRY=ECR, REPOSITORY="team/algo", VERSION="2.0.0")
    sh, bat = twins.both("docker-push", "--force")
    same_but_pipe_order(sh, bat)
    assert sh.rc == 0 and sh.stdout == f"{ECR}/team/algo:2.0.0\n", sh
    calls = [c[1:] for c in sh.calls]
    assert ["aws", "ecr", "get-login-password", "--region", "eu-west-1"] in calls
    assert ["docker", "login", "--username", "AWS", "--password-stdin", ECR] in calls
    assert calls[-3:-1] == [
        ["docker", "tag", "sagemaker-algorithm:dev-base", f"{ECR}/team/algo:2.0.0"],
        ["docker", "push", f"{ECR}/team/algo:2.0.0"],
    ]


def test_ecr_failure_of_the_aws_cli_stops_alike_with_its_reason(twins):
    twins.programs.add("aws")
    twins.answers["aws-ecr.rc"] = "255"
    twins.answers["aws-ecr.err"] = (
        "\nAn error occurred (InvalidParameterException) when calling the\nDescribeRepositories operation\n"
    )
    twins.env_file(None, REGISTRY=ECR, REPOSITORY="Team/algo")
    assert_error(
        *twins.both("docker-push", "1.0.0"),
        "aws ecr describe-repositories failed: An error occurred (InvalidParameterException) when calling the "
        "DescribeRepositories operation",
    )


def test_registry_forced_push_of_an_existing_version(twins):
    twins.env_file(None, REGISTRY="127.0.0.1:5000/", REPOSITORY="team/algo")
    twins.answers["docker-image-inspect.out"] = DIGESTS
    twins.answers["docker-push.out"] = "1.0.0: digest: sha256:" + "a" * 64 + " size: 528\n"
    sh, bat = twins.both("docker-push", "1.0.0", "-f")
    assert_same(sh, bat)
    assert sh.rc == 0 and sh.stdout == "127.0.0.1:5000/team/algo:1.0.0\n", sh
    assert "replacing 127.0.0.1:5000/team/algo:1.0.0 (--force)" in sh.stderr
    assert f"pinned: 127.0.0.1:5000/team/algo@sha256:{'a' * 64}\n" in sh.stderr
    assert [c[1:] for c in sh.calls[2:]] == [
        ["docker", "manifest", "inspect", "--insecure", "127.0.0.1:5000/team/algo:1.0.0"],
        ["docker", "tag", "sagemaker-algorithm:dev-base", "127.0.0.1:5000/team/algo:1.0.0"],
        ["docker", "push", "127.0.0.1:5000/team/algo:1.0.0"],
        [
            "docker",
            "image",
            "inspect",
            "--format",
            "{{range .RepoDigests}}{{println .}}{{end}}",
            "127.0.0.1:5000/team/algo:1.0.0",
        ],
    ]


def test_registry_that_cannot_be_asked_stops_alike(twins):
    twins.env_file(None, REGISTRY="registry.example.com:5000")
    twins.answers["docker-manifest.rc"] = "1"
    assert_error(
        *twins.both("docker-push", "1.0.0"),
        "could not look for registry.example.com:5000/sagemaker-algorithm:1.0.0 in the registry (): check "
        "REGISTRY, and run docker login registry.example.com:5000",
    )


def test_push_failure_stops_alike(twins):
    twins.env_file(None, REGISTRY="registry.example.com")
    twins.answers["docker-manifest.rc"] = "0"
    twins.answers["docker-push.rc"] = "1"
    sh, bat = twins.both("docker-push", "--force", "1.0.0")
    assert_same(sh, bat)
    assert sh.rc == 1 and sh.stderr.endswith(
        "error: docker push registry.example.com/sagemaker-algorithm:1.0.0 failed (see above); for a registry other "
        "than ECR, run docker login registry.example.com\n"
    ), sh
