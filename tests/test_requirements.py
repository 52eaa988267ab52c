"""The lock files: every package pinned with its hashes, every direct dependency in them, the same versions in both."""

import re

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
    for name in ("requirements.txt", "requirements-dev.txt"):
        pins = locked(name)
        assert pins and all(hashes for _, hashes in pins.values()), {p: v for p, v in pins.items() if not v[1]}


def test_every_direct_dependency_is_locked():
    assert direct("requirements.in") - set(locked("requirements.txt")) == set()
    assert direct("requirements-dev.in") - set(locked("requirements-dev.txt")) == set()


def test_tests_run_on_the_images_versions():
    runtime, dev = locked("requirements.txt"), locked("requirements-dev.txt")
    assert {p: dev.get(p, ("missing", 0))[0] for p in runtime} == {p: v for p, (v, _) in runtime.items()}
