"""The lock files: every package pinned with its hashes, every direct dependency in them, the same versions where they
meet; boto3 never in the image SageMaker runs."""

import re

import pytest

from conftest import ROOT


def locked(name: str) -> dict[str, tuple[str, int]]:
    """package -> (version, number of hashes) of a requirements .txt written by `uv pip compile --generate-hashes`."""
    found, current = {}, None
    for line in (ROOT / name).read_text().splitlines():
        if pin := re.match(r"([A-Za-z0-9._-]+)==(\S+)", line):
            current = pin[1].lower()
            found[current] = (pin[2], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            found[current] = (found[current][0], found[current][1] + 1)
        elif line.strip() and not line.lstrip().startswith("#"):
            raise AssertionError(f"{name}: a line that is neither a pin, a hash nor a comment: {line!r}")
    return found


def direct(name: str) -> set[str]:
    lines = (ROOT / name).read_text().splitlines()
    return {line.strip().lower() for line in lines if line.strip() and not line.startswith(("#", "-"))}


def test_every_package_is_pinned_with_hashes():
    for name in ("requirements.txt", "requirements-dev.txt", "requirements-aws.txt"):
        pins = locked(name)
        assert pins and all(hashes for _, hashes in pins.values()), {p: v for p, v in pins.items() if not v[1]}


def test_every_direct_dependency_is_locked():
    assert direct("requirements.in") - set(locked("requirements.txt")) == set()
    assert direct("requirements-dev.in") - set(locked("requirements-dev.txt")) == set()
    assert direct("requirements-aws.in") - set(locked("requirements-aws.txt")) == set()


def test_tests_run_on_the_images_versions():
    runtime, dev = locked("requirements.txt"), locked("requirements-dev.txt")
    assert {p: dev.get(p, ("missing", 0))[0] for p in runtime} == {p: v for p, (v, _) in runtime.items()}


def test_boto3_is_never_in_the_image_sagemaker_runs():
    # The :dev image installs requirements-aws.txt into a venv of its own (Dockerfile.develop); Dockerfile never does.
    assert {"boto3", "botocore", "s3transfer"} & set(locked("requirements.txt")) == set()
    assert "requirements-aws" not in (ROOT / "Dockerfile").read_text()


@pytest.mark.parametrize("tools_file", ["requirements-aws.txt", "requirements-sdk.txt"])
def test_the_sagemaker_commands_are_tested_on_the_dev_images_aws_versions(tools_file):
    """tests/test_sagemaker.py runs them in the AWS tools' venv (.ci/requirements-aws.txt), tests/
    test_sagemaker_local.py in the SageMaker SDK's (.ci/requirements-sdk.txt): each with the same boto3 and the same
    packages under it as the :dev image's requirements-aws.txt."""
    tools = dict(re.findall(r"(?m)^([A-Za-z0-9._-]+)==(\S+)", (ROOT / ".ci" / tools_file).read_text()))
    tools = {name.lower(): version for name, version in tools.items()}
    assert {p: tools.get(p) for p in locked("requirements-aws.txt")} == {
        p: v for p, (v, _) in locked("requirements-aws.txt").items()
    }
