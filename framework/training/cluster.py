"""The hosts of a training job, as SageMaker describes them in resourceconfig.json, and their addresses.

With `InstanceCount` > 1 every host runs the same image with `train`; each reads its own resourceconfig.json:
`current_host`, `hosts` (sorted), `network_interface_name`, and `instance_groups`, whose host lists are not sorted on
SageMaker (so only `hosts` is read here). The leader is the first of the sorted hosts: SageMaker names them `algo-1`
... `algo-N`, its SDK's local mode `algo-1-xxxxx`, so no name is assumed. Host names may not resolve in the first
moments of a job: `addresses` retries until a deadline, then fails naming the host.
"""

import logging
import os
import socket
import time
from dataclasses import dataclass

from framework.errors import ConfigError

log = logging.getLogger("train")

# How long host names may take to resolve, and Dask's workers to join the leader, before the job fails. AWS's training
# toolkit waits up to 15 minutes for names; a job's Environment can shorten or lengthen it.
START_TIMEOUT_VARIABLE = "CLUSTER_START_TIMEOUT"
DEFAULT_START_TIMEOUT = 900.0


@dataclass(frozen=True)
class Cluster:
    hosts: tuple[str, ...]  # sorted, as SageMaker lists them
    current_host: str
    network_interface: str  # e.g. eth0; NCCL_SOCKET_IFNAME / GLOO_SOCKET_IFNAME / Dask's interface take it

    @classmethod
    def from_resource_config(cls, config: dict) -> "Cluster":
        """From resourceconfig.json's content; {} (no file: a local run) is one host, algo-1, on eth0."""
        current = config.get("current_host", "algo-1")
        hosts = config.get("hosts", [current])
        if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) and h for h in hosts):
            raise ConfigError(f"resourceconfig.json: hosts must be a non-empty list of host names, not {hosts!r}")
        if len(set(hosts)) != len(hosts):
            raise ConfigError(f"resourceconfig.json: hosts lists a host twice: {hosts}")
        if current not in hosts:
            raise ConfigError(f"resourceconfig.json: current_host {current!r} is not one of the hosts {hosts}")
        return cls(tuple(sorted(hosts)), current, config.get("network_interface_name", "eth0"))

    @property
    def leader(self) -> str:
        return self.hosts[0]

    @property
    def is_leader(self) -> bool:
        return self.current_host == self.leader

    @property
    def rank(self) -> int:
        """This host's place in the sorted hosts: torch.distributed's node rank, MPI's rank of the host."""
        return self.hosts.index(self.current_host)

    @property
    def distributed(self) -> bool:
        return len(self.hosts) > 1

    def addresses(self, timeout: float | None = None) -> dict[str, str]:
        """Every host's IPv4 address, retrying names that do not resolve yet until `timeout` seconds have passed."""
        timeout = start_timeout() if timeout is None else timeout
        deadline = time.monotonic() + timeout
        found: dict[str, str] = {}
        for host in self.hosts:
            pause = 0.1
            while True:
                try:
                    found[host] = socket.gethostbyname(host)
                    break
                except OSError as exc:
                    if time.monotonic() + pause > deadline:
                        raise ClusterError(
                            f"host {host} did not resolve to an address within {timeout:g} s ({exc}); the job's "
                            f"hosts are {', '.join(self.hosts)}"
                        ) from None
                    log.info("host %s does not resolve yet (%s); retrying", host, exc)
                    time.sleep(pause)
                    pause = min(pause * 2, 5.0)
        return found


@dataclass(frozen=True)
class Succeeded:
    """The leader's train() returned and its model is written."""

    def __str__(self) -> str:
        return "succeeded"


@dataclass(frozen=True)
class Failed:
    """The leader's train() raised."""

    reason: str  # "ValueError: ..."

    def __str__(self) -> str:
        return f"failed: {self.reason}"


@dataclass(frozen=True)
class Stopped:
    """The leader's job was stopped (SIGTERM from SageMaker, or Ctrl-C)."""

    signal: str  # "SIGTERM"

    def __str__(self) -> str:
        return f"was stopped by {self.signal}"


Outcome = Succeeded | Failed | Stopped  # how the leader's job ended, as it tells the worker hosts


class ClusterError(RuntimeError):
    """The hosts could not form or keep their cluster: the job fails with this reason."""


class LeaderDone(BaseException):  # noqa: N818 (not an error: how a worker host leaves a job that succeeded)
    """Raised on a worker host of job.dask() when the leader is done: this host's part succeeded (exit 0).
    A BaseException, so that an algorithm's `except Exception` does not catch it and go on as if it led."""


def start_timeout() -> float:
    text = os.environ.get(START_TIMEOUT_VARIABLE, "")
    if not text:
        return DEFAULT_START_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigError(f"{START_TIMEOUT_VARIABLE}={text!r} must be a number of seconds above 0")
    return value
