"""The container's own log: LOG_FORMAT=json, SAGEMAKER_CONTAINER_LOG_LEVEL, no line per /ping, request ids, on a real
gunicorn and a real training run."""

import json
import logging
import math
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from test_metrics import reported_by, sagemaker_reads

from framework import logs
from framework.errors import ConfigError
from framework.serving.invocation import INFERENCE_ID
from framework.training import metrics


def json_lines(log: str) -> list[dict]:
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]  # any other line fails here
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys(), entry
    return entries


def post(server, session: requests.Session, body: dict, request_id: str | None = None) -> requests.Response:
    headers = {"Content-Type": "application/json", **({INFERENCE_ID: request_id} if request_id else {})}
    return session.post(server.url + "/invocations", data=json.dumps(body), headers=headers, timeout=30)


@pytest.mark.parametrize("batched", [False, True])
def test_json_lines_carry_each_requests_own_id(make_project, start_server, batched):
    project = make_project("logs_in_predict")
    if batched:  # each request runs alone here ({"n": ...} cannot be merged), on the batcher's path
        algorithm = project.folder / "algorithm.py"
        algorithm.write_text(algorithm.read_text() + "\nADAPTIVE_BATCHING = True\n")
    server = start_server(project, LOG_FORMAT="json", SAGEMAKER_MODEL_SERVER_WORKERS="1")

    def call(n: int) -> int:
        with requests.Session() as session:
            return post(server, session, {"n": n}, f"req-{n}").status_code

    # Concurrent requests in one gevent worker: an id shared between greenlets would land on another's line.
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(call, range(40))) == [200] * 40
    with requests.Session() as session:  # one keep-alive connection: the id of one request must not stay for the next
        assert post(server, session, {"n": 100, "fail": True}, "req-fail").status_code == 500
        assert post(server, session, {"n": 101}).status_code == 200
    entries = json_lines(server.stop())

    predicted = {e["message"]: e.get("request_id") for e in entries if e["message"].startswith("predicting")}
    assert {f"predicting n={n}": f"req-{n}" for n in range(40)}.items() <= predicted.items()
    assert predicted["predicting n=100"] == "req-fail" and predicted["predicting n=101"] is None
    [failed] = [e for e in entries if e["level"] == "ERROR"]
    assert failed["logger"] == "serve" and failed["message"].startswith("invocation failed [error id ")
    assert failed["request_id"] == "req-fail"
    assert "RuntimeError: predict failed on purpose" in failed["exception"]
    assert any(e["logger"] == "gunicorn.error" and "Booting worker" in e["message"] for e in entries)
    assert any(e["logger"] == "serve" and e["message"].startswith("serving on") for e in entries)


def test_a_burst_of_pings_adds_no_line_even_at_debug(make_project, start_server):
    server = start_server(make_project("logs_in_predict"), SAGEMAKER_CONTAINER_LOG_LEVEL="DEBUG")
    with requests.Session() as session:
        assert post(server, session, {"n": 1}, "req-1").status_code == 200
        time.sleep(0.5)  # every worker's start lines written
        before = server.log.splitlines()
        for _ in range(300):
            assert session.get(server.url + "/ping", timeout=5).status_code == 200
        time.sleep(0.5)
        assert server.log.splitlines() == before
        assert post(server, session, {"n": 2}, "req-2").status_code == 200
    added = server.stop().splitlines()[len(before) :]
    # At DEBUG, one line per request but /ping, with its id.
    assert any("DEBUG" in line and "POST /invocations 200 in " in line and "[request req-2]" in line for line in added)
    assert not any("/ping" in line for line in added)


@pytest.mark.parametrize("level", ["WARNING", "30", "warning"])
def test_the_level_filters_every_logger(make_project, start_server, level):
    server = start_server(make_project("logs_in_predict"), SAGEMAKER_CONTAINER_LOG_LEVEL=level)
    with requests.Session() as session:
        assert post(server, session, {"n": 1}).status_code == 200
        assert post(server, session, {"n": 2, "fail": True}, "req-2").status_code == 500
    log = server.stop()
    for info in ("serving on", "Booting worker", "predicting n=1"):  # the framework's, gunicorn's, the algorithm's
        assert info not in log
    assert "ERROR" in log and "invocation failed [error id " in log and "[request req-2]" in log


def test_a_training_log_in_json_is_one_object_per_line_and_metrics_still_read(make_project):
    done = make_project("reports_metrics").train(LOG_FORMAT="json")
    assert done.returncode == 0, done.stderr
    printed = "metric pretrain:error-rate=9.0 (another metric whose name ends like ours)"  # print(), not logging
    entries = json_lines(done.stderr.replace(printed + "\n", ""))
    assert any(e["logger"] == "train" and e["message"].startswith("training succeeded") for e in entries)
    algorithm = reported_by("reports_metrics")
    expected = {name: [] for name in algorithm.METRICS}
    for name, value in algorithm.REPORTED:
        if math.isfinite(value):
            expected[name].append(float(value))
    assert sagemaker_reads(metrics.definitions(metrics.declared(algorithm)), done.stdout, done.stderr) == expected


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("LOG_FORMAT", "xml", "LOG_FORMAT='xml' is not json or text"),
        ("SAGEMAKER_CONTAINER_LOG_LEVEL", "loud", "SAGEMAKER_CONTAINER_LOG_LEVEL='LOUD' is not one of DEBUG, INFO"),
        ("SAGEMAKER_CONTAINER_LOG_LEVEL", "25", "SAGEMAKER_CONTAINER_LOG_LEVEL='25' is not one of"),
    ],
)
def test_a_bad_setting_stops_serve_and_train_with_one_line(make_project, variable, value, message):
    project = make_project("logs_in_predict")
    served = subprocess.run(
        project.command("serve"), env=project.env(**{variable: value}), capture_output=True, text=True, timeout=60
    )
    assert served.returncode == 2
    assert served.stderr.strip().splitlines()[-1].startswith(f"serve: {message}"), served.stderr
    assert "Traceback" not in served.stderr
    trained = project.train(**{variable: value})
    assert trained.returncode == 2 and project.failure.read_text().startswith(f"ConfigError: {message}")


def test_the_level_takes_names_and_sagemakers_numbers(monkeypatch):
    for text, level in [("", logging.INFO), ("20", logging.INFO), ("debug", logging.DEBUG), (" ERROR ", 40)]:
        monkeypatch.setenv(logs.LEVEL_SETTING, text)
        assert logs.level() == level
    monkeypatch.setenv(logs.LEVEL_SETTING, "-10")
    with pytest.raises(ConfigError, match="SAGEMAKER_CONTAINER_LOG_LEVEL='-10'"):
        logs.level()


def test_a_stream_that_fails_after_it_started_logs_the_requests_id(make_project, start_server):
    """The stream is made after the view has returned: its failure is logged with the request's id all the same."""
    server = start_server(make_project("streams_tokens"), LOG_FORMAT="json")
    body = json.dumps({"tokens": ["a", "b", "c"], "fail_after": 2})
    headers = {"Content-Type": "application/json", "Accept": "application/jsonlines", INFERENCE_ID: "req-stream"}
    with requests.post(server.url + "/invocations", data=body, headers=headers, stream=True, timeout=30) as answer:
        assert answer.status_code == 200
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            b"".join(answer.iter_content(chunk_size=None))
    errors = [e for e in json_lines(server.stop()) if e["level"] == "ERROR"]
    # The framework's line, then gunicorn's as it cuts the connection: both the request's.
    assert [(e["logger"], e["message"].split(" [")[0], e["request_id"]) for e in errors] == [
        ("serve", "streamed answer failed after it started", "req-stream"),
        ("gunicorn.error", "Error handling request", "req-stream"),
    ]
