"""An AWS emulator on this machine (moto's server, LocalStack), reached from the :dev container.

bin/sagemaker.sh and bin/release.sh run their commands in the :dev container, where localhost is the container
itself: AWS_ENDPOINT_URL=http://localhost:5000 reaches nothing there, and botocore would retry for half a minute
before "Could not connect". The twins give the container this machine's name, host.docker.internal (Docker Desktop
has it; on Linux, --add-host host.docker.internal:host-gateway, the bridge's gateway). So an endpoint on this
machine's loopback that does not answer inside the container is reached through that name, or, when nothing answers
there either, the command stops at once with one line saying what to do. Where that name means nothing (the tests,
which run the commands in-process), the endpoint is left as it is.
"""

import ipaddress
import os
import socket
from collections.abc import MutableMapping
from urllib.parse import urlsplit

from .config import ConfigError

HOST = "host.docker.internal"
PROBE_TIMEOUT_S = 2.0


def redirect(environ: MutableMapping[str, str] = os.environ, host: str = HOST) -> list[str]:
    """Each endpoint URL (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) on the loopback that does not answer is
    pointed at `host`, this machine as the container sees it, when something answers there. Returns a line for each
    URL changed; raises ConfigError, before any AWS call, when nothing answers at either."""
    if environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() == "true":
        return []  # botocore's own switch: it uses none of them
    notes = []
    for name in sorted(environ):
        url = environ[name].strip()
        if not url or name != "AWS_ENDPOINT_URL" and not name.startswith("AWS_ENDPOINT_URL_"):
            continue
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise ConfigError(f"{name}={url!r} is not a URL (http://HOST:PORT)") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{name}={url!r} is not a URL (http://HOST:PORT)")
        if not _loopback(parts.hostname, port) or _answers(parts.hostname, port) or not _resolves(host, port):
            continue
        there = f"{parts.scheme}://{host}:{port}{parts.path}"
        if parts.scheme == "https":  # its certificate names the loopback host, not this one
            raise ConfigError(
                f"{name}={url} is this machine, which the :dev container reaches as {host}, where a certificate for "
                f"{parts.hostname} does not hold: use http://{host}:{port}"
            )
        if not _answers(host, port):
            raise ConfigError(
                f"{name}={url}: nothing answers at {parts.hostname}:{port} in the :dev container, nor at "
                f"{host}:{port}, this machine as the container sees it: start the emulator listening on every address "
                "(moto_server -H 0.0.0.0; LocalStack's published port does), or give the address it listens on"
            )
        environ[name] = there
        notes.append(f"{name}={url} is this machine: the :dev container reaches it as {there}")
    return notes


def _loopback(hostname: str, port: int) -> bool:
    """The name is this machine's loopback: localhost, 127.x, ::1, or a name that resolves only to them."""
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        pass
    if hostname == "localhost":
        return True
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)}
    except OSError:
        return False
    return all(ipaddress.ip_address(address.split("%")[0]).is_loopback for address in addresses)


def _resolves(hostname: str, port: int) -> bool:
    try:
        return bool(socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM))
    except OSError:
        return False


def _answers(hostname: str, port: int) -> bool:
    try:
        with socket.create_connection((hostname, port), timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False
