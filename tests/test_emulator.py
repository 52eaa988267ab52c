"""An AWS emulator on this machine's localhost, as the :dev container reaches it (develop/sagemaker/emulator.py).

In-process, with real sockets: the whole of 127.0.0.0/8 is this machine's loopback, so a listener on 127.0.0.2
stands in for this machine as the container sees it (host.docker.internal), while nothing answers on 127.0.0.1 at
the same port, as nothing does on the container's own localhost. The twins' --add-host is tests/test_windows.py's.
"""

import socket
import time

import pytest

from develop.sagemaker import emulator
from develop.sagemaker.config import ConfigError

THIS_MACHINE = "127.0.0.2"


@pytest.fixture
def listener():
    """A port on which THIS_MACHINE answers and 127.0.0.1 does not."""
    with socket.socket() as server:
        server.bind((THIS_MACHINE, 0))
        server.listen()
        yield server.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_emulator_on_localhost_is_reached_through_this_machines_name(listener):
    environ = {
        "AWS_ENDPOINT_URL": f"http://localhost:{listener}",
        "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{listener}/",
        "AWS_REGION": "eu-west-1",
    }
    notes = emulator.redirect(environ, host=THIS_MACHINE)
    assert environ == {
        "AWS_ENDPOINT_URL": f"http://{THIS_MACHINE}:{listener}",
        "AWS_ENDPOINT_URL_S3": f"http://{THIS_MACHINE}:{listener}/",
        "AWS_REGION": "eu-west-1",
    }
    assert notes == [
        f"AWS_ENDPOINT_URL=http://localhost:{listener} is this machine: the :dev container reaches it as "
        f"http://{THIS_MACHINE}:{listener}",
        f"AWS_ENDPOINT_URL_S3=http://127.0.0.1:{listener}/ is this machine: the :dev container reaches it as "
        f"http://{THIS_MACHINE}:{listener}/",
    ]


def test_an_endpoint_that_answers_where_it_is_is_left_alone(listener):
    with socket.socket() as local:  # the emulator in the container's own network (docker run --network host)
        local.bind(("127.0.0.1", 0))
        local.listen()
        environ = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{local.getsockname()[1]}"}
        before = dict(environ)
        assert emulator.redirect(environ, host=THIS_MACHINE) == [] and environ == before
    remote = {"AWS_ENDPOINT_URL": "http://emulator.example:4566"}  # not this machine's loopback: not ours to judge
    assert emulator.redirect(remote, host=THIS_MACHINE) == [] and remote == {
        "AWS_ENDPOINT_URL": "http://emulator.example:4566"
    }


def test_where_this_machine_has_no_name_the_endpoint_is_left_alone():
    """Out of the twins' container (the tests run the commands in-process): botocore reports a closed port itself."""
    environ = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"}
    before = dict(environ)
    assert emulator.redirect(environ, host="host.invalid") == [] and environ == before


def test_nothing_answering_anywhere_is_one_line_at_once():
    port = closed_port()
    environ = {"AWS_ENDPOINT_URL": f"http://localhost:{port}"}
    started = time.monotonic()
    with pytest.raises(ConfigError) as refused:
        emulator.redirect(environ, host=THIS_MACHINE)
    assert time.monotonic() - started < 5  # not botocore's half a minute of retries
    assert str(refused.value) == (
        f"AWS_ENDPOINT_URL=http://localhost:{port}: nothing answers at localhost:{port} in the :dev container, nor at "
        f"{THIS_MACHINE}:{port}, this machine as the container sees it: start the emulator listening on every address "
        "(moto_server -H 0.0.0.0; LocalStack's published port does), or give the address it listens on"
    )
    assert environ == {"AWS_ENDPOINT_URL": f"http://localhost:{port}"}


def test_https_on_localhost_cannot_change_its_name(listener):
    with pytest.raises(ConfigError, match=rf"use http://{THIS_MACHINE}:{listener}$"):
        emulator.redirect({"AWS_ENDPOINT_URL": f"https://localhost:{listener}"}, host=THIS_MACHINE)


@pytest.mark.parametrize("url", ["localhost:4566", "ftp://localhost:21", "http://localhost:port"])
def test_a_malformed_url_is_one_line(url):
    with pytest.raises(ConfigError, match=r"is not a URL \(http://HOST:PORT\)"):
        emulator.redirect({"AWS_ENDPOINT_URL": url}, host=THIS_MACHINE)


def test_botocores_switch_turns_the_urls_off():
    environ = {"AWS_ENDPOINT_URL": f"http://localhost:{closed_port()}", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}
    assert emulator.redirect(environ, host=THIS_MACHINE) == []
