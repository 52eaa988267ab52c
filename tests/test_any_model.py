"""Any model behind /invocations, over real HTTP against a real gunicorn: the algorithm's own content types, .npy,
streamed answers, custom attributes sent back, and bodies of asynchronous-inference size."""

import io
import json
import pickle
import re
import socket
import struct
import threading
import time
import zlib

import numpy as np
import pytest
import requests

ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"


def png(pixels: np.ndarray) -> bytes:
    """An 8-bit RGB PNG; rows filtered None, Sub and Up in turn, as encoders mix them."""
    height, width, _ = pixels.shape
    rows = pixels.reshape(height, width * 3).astype(np.int16)
    raw = b""
    for y, row in enumerate(rows):
        kind = y % 3
        if kind == 1:
            row = row - np.concatenate([[0, 0, 0], row[:-3]])
        elif kind == 2:
            row = row - rows[y - 1]
        raw += bytes([kind]) + (row % 256).astype(np.uint8).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def npy(array, allow_pickle=False) -> bytes:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=allow_pickle)
    return out.getvalue()


@pytest.fixture(scope="module")
def image_server(tmp_path_factory):
    from conftest import ALGORITHMS, Project, Server

    server = Server(Project(tmp_path_factory.mktemp("png"), ALGORITHMS / "labels_png_images.py"))
    server.wait_ready()
    yield server
    server.stop()


def test_png_in_label_out(image_server):
    rng = np.random.default_rng(0)
    bright = rng.integers(150, 256, (5, 7, 3), dtype=np.uint8)
    answer = image_server.post(png(bright), "image/png", Accept="text/plain")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain")
    assert answer.text == "bright"
    dark = image_server.post(png(bright // 4), "image/png")
    assert dark.json() == {"label": "dark", "size": [7, 5]}


def test_the_algorithm_s_decoder_refuses_bad_images_with_400(image_server):
    answer = image_server.post(b"GIF89a....", "image/png")
    assert answer.status_code == 400 and answer.json() == {"error": "body is not a PNG image"}


def test_415_and_406_list_the_algorithm_s_types_with_the_built_in_ones(image_server):
    refused = image_server.post(b"RIFF", "audio/wav").json()["error"]
    assert "image/png" in refused and "application/json" in refused and "application/x-npy" in refused
    not_acceptable = image_server.post(png(np.zeros((1, 1, 3), np.uint8)), "image/png", Accept="image/webp")
    assert not_acceptable.status_code == 406 and "text/plain" in not_acceptable.json()["error"]


def test_an_algorithm_answer_type_can_be_the_default_accept(make_project, start_server):
    server = start_server(make_project("labels_png_images"), SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT="text/plain")
    assert server.post(png(np.full((2, 2, 3), 255, np.uint8)), "image/png").text == "bright"


def test_npy_round_trip(make_project, start_server):
    server = start_server(make_project("echoes"))
    sent = np.arange(12, dtype=np.float32).reshape(4, 3)
    answer = server.post(npy(sent), "application/x-npy", Accept="application/x-npy")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/x-npy"
    received = np.load(io.BytesIO(answer.content), allow_pickle=False)
    assert received.dtype == np.float32 and np.array_equal(received, sent)
    as_json = server.post(npy(sent), "application/x-npy").json()
    assert as_json["predictions"] == sent.tolist()


class _Exploit:
    def __reduce__(self):
        return (print, ("PWNED by a pickle",))


@pytest.mark.parametrize(
    "body", [npy(np.array([_Exploit()], dtype=object), allow_pickle=True), pickle.dumps(_Exploit())]
)
def test_a_pickle_is_refused_with_400_and_never_run(make_project, start_server, body):
    server = start_server(make_project("echoes"))
    answer = server.post(body, "application/x-npy")
    assert answer.status_code == 400 and "pickles, are refused" in answer.json()["error"]
    assert "PWNED" not in server.stop()


def test_custom_attributes_from_predict_reach_the_caller(make_project, start_server):
    server = start_server(make_project("sets_custom_attributes"))
    answer = server.post(json.dumps({"attributes": "model=v2,trace=abc"}))
    assert answer.status_code == 200 and answer.headers[ATTRIBUTES] == "model=v2,trace=abc"
    too_long = server.post(json.dumps({"attributes": "x" * 1025}))
    assert too_long.status_code == 500 and ATTRIBUTES not in too_long.headers
    control = server.post(json.dumps({"attributes": "a\r\nSet-Cookie: x=1"}))
    assert control.status_code == 500 and "Set-Cookie" not in control.headers
    log = server.stop()
    for answer in (too_long, control):
        line = f"invocation failed [error id {answer.json()['id']}]"
        assert line in log
    assert "custom_attributes must be at most 1,024 printable ASCII characters" in log


@pytest.fixture(scope="module")
def stream_server(tmp_path_factory):
    from conftest import ALGORITHMS, Project, Server

    project = Project(tmp_path_factory.mktemp("stream"), ALGORITHMS / "streams_tokens.py")
    server = Server(project, SAGEMAKER_MODEL_SERVER_WORKERS="1")
    server.wait_ready()
    yield server
    server.stop()


def test_a_stream_s_first_chunk_arrives_before_its_last_is_made_and_ping_answers_meanwhile(stream_server, tmp_path):
    said = tmp_path / "got-the-first-token"
    body = json.dumps({"tokens": ["Hello", " world", "!"], "wait_for": str(said)})
    with requests.post(
        stream_server.url + "/invocations",
        data=body,
        headers={"Content-Type": "application/json", "Accept": "text/event-stream"},
        stream=True,
        timeout=30,
    ) as answer:
        assert answer.status_code == 200 and answer.headers["Transfer-Encoding"] == "chunked"
        assert answer.headers["Content-Type"].startswith("text/event-stream")
        chunks = answer.iter_content(chunk_size=None)
        received = next(chunks)
        while received.count(b"\n\n") < 2:  # the first two tokens; the last one waits for the file below
            received += next(chunks)
        assert received == b"data: Hello\n\ndata:  world\n\n"
        # The last token is not made yet (predict waits for `said`): /ping must still answer within SageMaker's 2 s.
        assert requests.get(stream_server.url + "/ping", timeout=2).status_code == 200
        said.touch()
        assert b"".join(chunks) == b"data: !\n\n"


def test_a_stream_of_json_lines(stream_server):
    answer = stream_server.post(json.dumps({"tokens": ["a", "b"]}), Accept="application/jsonlines")
    assert answer.status_code == 200 and answer.text == '"a"\n"b"\n'


def test_bad_input_before_the_first_token_is_still_a_400(stream_server):
    answer = stream_server.post(json.dumps({"reject": True}), Accept="text/event-stream")
    assert answer.status_code == 400 and answer.json() == {"error": "no tokens to stream"}


def test_a_failure_mid_stream_is_logged_with_an_id_and_ends_the_stream_visibly(stream_server):
    body = json.dumps({"tokens": ["a", "b", "c"], "fail_after": 2})
    received = b""
    with requests.post(
        stream_server.url + "/invocations",
        data=body,
        headers={"Content-Type": "application/json", "Accept": "text/event-stream"},
        stream=True,
        timeout=30,
    ) as answer:
        assert answer.status_code == 200
        with pytest.raises(requests.exceptions.ChunkedEncodingError):  # no final chunk: the caller sees the cut
            for chunk in answer.iter_content(chunk_size=None):
                received += chunk
    events = received.split(b"\n\n")
    assert events[:2] == [b"data: a", b"data: b"]
    assert events[2].startswith(b"event: error\ndata: ")
    error = json.loads(events[2].split(b"data: ", 1)[1])
    assert error["error"] == "the model failed while streaming"
    assert requests.get(stream_server.url + "/ping", timeout=2).status_code == 200  # the worker keeps serving
    log = stream_server.log
    assert re.search(
        rf"streamed answer failed after it started \[error id {error['id']}\].*RuntimeError: the model failed after 2",
        log,
        re.S,
    ), log


def test_a_caller_hanging_up_mid_stream_closes_predict_s_generator_on_its_thread(stream_server, tmp_path):
    closed = tmp_path / "closed"
    body = json.dumps({"tokens": ["t"] * 100, "delay": 0.05, "closed": str(closed)}).encode()
    request = (
        b"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Accept: text/event-stream\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    with socket.create_connection(("127.0.0.1", stream_server.port), timeout=30) as caller:
        caller.sendall(request)
        received = b""
        while b"data: t" not in received:
            received += caller.recv(4096)
    # The caller hung up, as one who cancels a generation does, after the first token.
    deadline = time.monotonic() + 10
    while not closed.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    thread, made = closed.read_text().split()
    assert thread != "MainThread" and int(made) < 100  # closed at once on the predictor thread, not left to the GC
    assert requests.get(stream_server.url + "/ping", timeout=2).status_code == 200


def test_streams_in_parallel_each_get_their_own_tokens(stream_server):
    answers = {}

    def ask(name):
        answers[name] = stream_server.post(json.dumps({"tokens": [name] * 5}), Accept="application/jsonlines").text

    threads = [threading.Thread(target=ask, args=(name,)) for name in ("x", "y", "z")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == {name: f'"{name}"\n' * 5 for name in ("x", "y", "z")}


def test_a_200_mb_body_with_the_limit_raised_is_held_once(make_project, start_server):
    """Asynchronous inference sends bodies up to 1 GB: the limit goes that high, and the worker holds a body once."""
    server = start_server(
        make_project("reports_peak_memory"), SAGEMAKER_MAX_PAYLOAD_IN_MB="1024", SAGEMAKER_MODEL_SERVER_WORKERS="1"
    )
    before = server.post(b"x", "application/octet-stream").json()["peak_rss_mb"]
    size = 200 * 1024 * 1024
    answer = requests.post(
        server.url + "/invocations",
        data=b"\x00" * size,
        headers={"Content-Type": "application/octet-stream"},
        timeout=120,
    )
    assert answer.status_code == 200 and answer.json()["bytes"] == size
    grown = answer.json()["peak_rss_mb"] - before
    print(f"worker peak RSS {before:.0f} MB before, +{grown:.0f} MB for a 200 MB body")
    assert grown < 1.5 * 200, grown
    parameters = requests.get(server.url + "/execution-parameters", timeout=5).json()
    assert parameters["MaxPayloadInMB"] == 100  # a transform job takes no more, whatever the endpoint's limit
