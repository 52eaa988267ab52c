"""Serving settings, in-process: the worker count that follows the container's CPU quota."""

import pytest

from framework import cpus, settings


@pytest.mark.parametrize(
    "files, quota",
    [
        ({"cpu.max": "100000 100000\n"}, 1.0),  # cgroup v2, docker run --cpus 1
        ({"cpu.max": "150000 100000\n"}, 1.5),
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 0.5),  # cgroup v1
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({"cpu,cpuacct/cpu.cfs_quota_us": "200000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"}, 2.0),
        ({}, None),  # no cgroup files: not in a container, or not Linux
        ({"cpu.max": "garbage"}, None),
    ],
)
def test_cpu_quota_from_cgroup_v2_and_v1(tmp_path, files, quota):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cpus.cpu_quota(tmp_path) == quota


@pytest.mark.parametrize("quota, expected", [(None, 8), (1.0, 1), (1.5, 1), (0.5, 1), (3.0, 3), (16.0, 8)])
def test_workers_default_to_the_cpus_allowed_and_never_past_the_quota(monkeypatch, quota, expected):
    monkeypatch.setattr(cpus.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setattr(cpus, "cpu_quota", lambda: quota)
    monkeypatch.delenv("SAGEMAKER_MODEL_SERVER_WORKERS", raising=False)
    assert cpus.cpus() == expected
    assert settings.ServingSettings.from_env().workers == expected


def test_async_sizes_are_accepted_and_beyond_them_refused(monkeypatch):
    monkeypatch.setenv("SAGEMAKER_MAX_PAYLOAD_IN_MB", "1024")
    monkeypatch.setenv("SAGEMAKER_MODEL_SERVER_TIMEOUT", "3600")
    chosen = settings.ServingSettings.from_env()
    assert (chosen.max_payload_mb, chosen.timeout) == (1024, 3600)
    monkeypatch.setenv("SAGEMAKER_MAX_PAYLOAD_IN_MB", "1025")
    with pytest.raises(settings.ConfigError, match=r"SAGEMAKER_MAX_PAYLOAD_IN_MB=1025 is outside 1..1024"):
        settings.ServingSettings.from_env()
