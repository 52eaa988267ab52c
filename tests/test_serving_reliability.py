"""What a careless or hostile client gets from `main.py serve`: every limit for every framing, no 500 for bad input.

Real HTTP against a real gunicorn. Raw sockets and http.client where the framing matters: a chunked body over the
limit, a body shorter than its Content-Length, broken chunked framing, a client that sends its whole body before it
reads the answer, a body that arrives too slowly.
"""

import http.client
import json
import socket
import time

import pytest
import requests

LIMIT_MB = 1
LIMIT = LIMIT_MB * 1024 * 1024
ROW = b"5.1,3.5,1.4,0.2\n"  # 16 bytes: LIMIT is a whole number of rows
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """describes_its_input (answers with the row count, first and last record it got), with a 1 MB limit."""
    from conftest import ALGORITHMS, Project, Server

    project = Project(tmp_path_factory.mktemp("limited"), ALGORITHMS / "describes_its_input.py")
    server = Server(project, SAGEMAKER_MAX_PAYLOAD_IN_MB=str(LIMIT_MB), SAGEMAKER_MODEL_SERVER_WORKERS="1")
    server.wait_ready()
    yield server
    assert "Traceback" not in server.stop()


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example algorithm, trained, with the default 6 MB limit."""
    from conftest import EXAMPLE, Project, Server

    project = Project(tmp_path_factory.mktemp("example"), EXAMPLE)
    assert project.train().returncode == 0
    server = Server(project, SAGEMAKER_MODEL_SERVER_WORKERS="2")
    server.wait_ready()
    yield server
    assert "Traceback" not in server.stop()


def send_raw(port: int, request: bytes, pause_after: float = 0.0, half_close: bool = False) -> tuple[int, dict]:
    """Send bytes as they are, optionally stop sending (the client hung up); return the answer's status and JSON."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        time.sleep(pause_after)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        return answer.status, json.loads(answer.read())


def head(content_type: str = "text/csv", **headers: str) -> bytes:
    lines = ["POST /invocations HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(body: bytes, size: int = 64 * 1024) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def assert_413_names_the_limit(status: int, answer: dict, mb: int = LIMIT_MB) -> None:
    assert status == 413, answer
    assert f"{mb} MB" in answer["error"] and "SAGEMAKER_MAX_PAYLOAD_IN_MB" in answer["error"]


def test_chunked_body_over_the_limit_is_413_never_a_prediction_on_its_first_megabyte(limited):
    status, answer = send_raw(limited.port, head(Transfer_Encoding="chunked") + chunked(ROW * (LIMIT // 16 + 1)))
    assert_413_names_the_limit(status, answer)


def test_chunked_body_at_the_limit_is_predicted_whole(limited):
    status, answer = send_raw(limited.port, head(Transfer_Encoding="chunked") + chunked(ROW * (LIMIT // 16)))
    assert status == 200 and answer["rows"] == LIMIT // 16


def test_body_with_content_length_over_the_limit_is_413_and_at_the_limit_is_whole(limited):
    over = limited.post(ROW * (LIMIT // 16 + 1), "text/csv")
    assert_413_names_the_limit(over.status_code, over.json())
    assert limited.post(ROW * (LIMIT // 16), "text/csv").json()["rows"] == LIMIT // 16


def test_client_that_sends_its_whole_body_before_reading_gets_the_413(limited):
    """http.client, requests, most Java clients and SageMaker's batch agent send everything first. The upload takes
    longer than gunicorn's own 2 s drain: the server must read it, or the client gets "connection reset"."""
    body = ROW * (3 * LIMIT // 16)

    def slowly():
        for start in range(0, len(body), 256 * 1024):
            time.sleep(0.25)
            yield body[start : start + 256 * 1024]

    for framing in ({"Content-Length": str(len(body))}, {"Transfer-Encoding": "chunked"}):
        connection = http.client.HTTPConnection("127.0.0.1", limited.port, timeout=30)
        try:
            headers = {"Content-Type": "text/csv", **framing}
            connection.request("POST", "/invocations", slowly(), headers, encode_chunked="Transfer-Encoding" in framing)
            answer = connection.getresponse()
            assert_413_names_the_limit(answer.status, json.loads(answer.read()))
        finally:
            connection.close()


def test_body_shorter_than_its_content_length_is_400_never_a_prediction_on_part_of_it(limited):
    status, answer = send_raw(limited.port, head(Content_Length="1000") + ROW, half_close=True)
    assert status == 400 and "ended after 16 of the 1000 bytes" in answer["error"]


def test_chunked_body_cut_off_before_its_last_chunk_is_400(limited):
    status, answer = send_raw(limited.port, head(Transfer_Encoding="chunked") + b"100\r\n" + ROW, half_close=True)
    assert status == 400 and "nothing was predicted" in answer["error"]


@pytest.mark.parametrize(
    "framing",
    [b"zz\r\n" + ROW + b"\r\n0\r\n\r\n", b"10\r\n" + ROW + b"XX0\r\n\r\n", b"10;a=\x01\r\n" + ROW + b"\r\n0\r\n\r\n"],
    ids=["invalid chunk size", "missing chunk terminator", "invalid chunk extension"],
)
def test_broken_chunked_framing_is_400_with_a_reason(limited, framing):
    status, answer = send_raw(limited.port, head(Transfer_Encoding="chunked") + framing)
    assert status == 400 and "chunked framing is invalid" in answer["error"]


def test_announced_body_far_over_the_limit_is_413_at_once(limited):
    started = time.monotonic()
    status, answer = send_raw(limited.port, head(Content_Length=str(10 * 1024**3)) + ROW)
    assert_413_names_the_limit(status, answer)
    assert time.monotonic() - started < 20  # not held for the body's time limit (60 s) waiting for 10 GB


def test_slow_body_is_408_after_the_server_timeout(make_project, start_server):
    server = start_server(
        make_project("describes_its_input"), SAGEMAKER_MODEL_SERVER_TIMEOUT="3", SAGEMAKER_MODEL_SERVER_WORKERS="1"
    )
    started = time.monotonic()
    status, answer = send_raw(server.port, head(Content_Length="100") + ROW)  # ...and the other 84 bytes never come
    assert status == 408 and "within 3 s (SAGEMAKER_MODEL_SERVER_TIMEOUT)" in answer["error"]
    assert 2.5 < time.monotonic() - started < 20
    assert requests.get(server.url + "/ping", timeout=5).status_code == 200


def test_after_each_failure_the_same_server_still_predicts(limited):
    assert limited.post(ROW * 3, "text/csv").json() == {
        "type": "ndarray",
        "rows": 3,
        "first": [5.1, 3.5, 1.4, 0.2],
        "last": [5.1, 3.5, 1.4, 0.2],
    }


def test_json_lines_split_at_line_feeds_only(limited):
    body = '{"text": "a\u2028b\u2029c\u0085d"}\r\n\n["e\\nf"]\n'.encode()
    answer = limited.post(body, "application/jsonlines").json()
    assert answer == {"type": "list", "rows": 2, "first": {"text": "a\u2028b\u2029c\u0085d"}, "last": ["e\nf"]}


def test_a_csv_line_starting_with_a_hash_is_a_record_not_a_comment(limited):
    answer = limited.post("1,2\n#3,4\n5,6 # not a comment either\n", "text/csv").json()
    assert answer == {"type": "list", "rows": 3, "first": [1.0, 2.0], "last": [5.0, "6 # not a comment either"]}


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        ("[[1e999, 3.5, 1.4, 0.2]]", "application/json", "number 1e999 is not a finite number"),
        ("[[NaN, 3.5, 1.4, 0.2]]", "application/json", "NaN is not a JSON number"),
        ("[[-Infinity, 3.5, 1.4, 0.2]]", "application/json", "-Infinity is not a JSON number"),
        ("inf,3.5,1.4,0.2\n", "text/csv", "row 1, field 1: not a finite number"),
        ("5.1,3.5,1.4,0.2\n5.1,nan,1.4,0.2\n", "text/csv", "row 2, field 2: not a finite number"),
        ("1e999,3.5,1.4,0.2\n", "text/csv", "row 1, field 1: not a finite number"),
        ("1e39,3.5,1.4,0.2\n", "text/csv", "within float32's range"),
        ("[[1e39, 3.5, 1.4, 0.2]]", "application/json", "within float32's range"),
        ("[1e39, 3.5, 1.4, 0.2]\n", "application/jsonlines", "within float32's range"),
        (f"[{json.dumps(dict.fromkeys(FEATURES, 1))}, [1, 2, 3, 4]]", "application/json", "record 1 is a list"),
        ('[[1, 2, 3, 4], {"sepal_length": 1}]', "application/json", "records must be lists of 4 numbers"),
        ("[" * 100_000 + "]" * 100_000, "application/json", "nested too deeply"),
        ("[[" + "9" * 5000 + ", 1, 2, 3]]", "application/json", "too large for a 64-bit float"),
        ("[[" + "9" * 400 + ", 1, 2, 3]]", "application/json", "too large for a 64-bit float"),
        ("[" + "9" * 5000 + ", 1, 2, 3]\n", "application/jsonlines", "line 1: integer"),
        ("[[null, 3.5, 1.4, 0.2]]", "application/json", "feature 'sepal_length': null is not a finite number"),
    ],
)
def test_bad_numbers_and_shapes_are_400_never_500(example, body, content_type, message):
    answer = example.post(body, content_type)
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["error"]


@pytest.mark.parametrize("field", ["1", "a"])
def test_one_csv_line_of_three_million_fields_is_decoded_in_proportion_to_its_size(example, field):
    """It took 83 s and 4.8 GB in pandas; NumPy and csv take a second. The timeout is a guard against a hang, not a
    speed target (the benchmark shows speed)."""
    body = ",".join([field] * 3_000_000)
    answer = requests.post(example.url + "/invocations", data=body, headers={"Content-Type": "text/csv"}, timeout=60)
    assert answer.status_code == 400 and "error" in answer.json()


def test_413_on_the_default_limit_names_six_megabytes(example):
    answer = example.post(b"1" * (6 * 1024 * 1024 + 1), "text/csv")
    assert_413_names_the_limit(answer.status_code, answer.json(), mb=6)
