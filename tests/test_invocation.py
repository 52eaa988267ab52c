"""One request through Invoker, in-process: decode, predict, encode, custom attributes, streams and error mapping."""

import json
import logging
import types

import pytest

from framework import InputError, Prediction
from framework.serving.invocation import StreamBroken
from framework.serving.media_types import CSV, EVENT_STREAM, JSON, JSONLINES, NPY


def invoker(predict, **declared):
    from framework.serving.invocation import Invoker

    return Invoker(types.SimpleNamespace(predict=predict, **declared), model="the model")


def echo(model, data):
    return {"predictions": data["instances"], "model": model}


def test_decode_predict_encode():
    answer = invoker(echo)(b"[[1, 2]]", JSON, JSON)
    assert (answer.status, answer.content_type, answer.headers) == (200, JSON, {})
    assert json.loads(answer.body) == {"predictions": [[1, 2]], "model": "the model"}
    assert invoker(echo)(b"1,2\n3,4\n", CSV, CSV).body == b"1.0,2.0\n3.0,4.0\n"


def test_empty_body_and_bad_input_are_400_and_predict_errors_500_with_an_id(caplog):
    def predict(model, data):
        if data.get("bad"):
            raise InputError("bad on purpose")
        raise RuntimeError("broken on purpose")

    invoke = invoker(predict)
    assert json.loads(invoke(b"", JSON, JSON).body) == {"error": "request body is empty"}
    assert json.loads(invoke(b"{oops", JSON, JSON).body)["error"].startswith("body is not valid JSON")
    assert json.loads(invoke(b'{"bad": 1}', JSON, JSON).body) == {"error": "bad on purpose"}
    with caplog.at_level(logging.ERROR, "serve"):
        failed = invoke(b"{}", JSON, JSON)
    body = json.loads(failed.body)
    assert failed.status == 500 and set(body) == {"error", "id"} and "on purpose" not in body["error"]
    assert f"invocation failed [error id {body['id']}]" in caplog.text and "broken on purpose" in caplog.text


def test_request_custom_attributes_reach_a_predict_that_asks_for_them():
    def predict(model, data, custom_attributes=None):
        return {"got": custom_attributes}

    assert json.loads(invoker(predict)(b"{}", JSON, JSON, "trace=1").body) == {"got": "trace=1"}


def test_prediction_sends_custom_attributes_back():
    def predict(model, data):
        return Prediction({"predictions": [1]}, custom_attributes="model=v2, trace=abc")

    answer = invoker(predict)(b"{}", JSON, CSV)
    assert answer.body == b"1\n"
    assert answer.headers == {"X-Amzn-SageMaker-Custom-Attributes": "model=v2, trace=abc"}


@pytest.mark.parametrize(
    "attributes, reason",
    [
        ("x" * 1025, "at most 1,024 printable ASCII characters (SageMaker's limit); got 1,025 characters"),
        ("line\nbreak", "at most 1,024 printable ASCII characters"),
        ("caf\u00e9", "at most 1,024 printable ASCII characters"),
        (42, "custom_attributes must be a str, not int"),
    ],
)
def test_invalid_custom_attributes_are_500_with_a_clear_log_line(attributes, reason, caplog):
    def predict(model, data):
        return Prediction({}, custom_attributes=attributes)

    with caplog.at_level(logging.ERROR, "serve"):
        answer = invoker(predict)(b"{}", JSON, JSON)
    assert answer.status == 500 and answer.headers == {}
    assert reason in caplog.text


def test_attributes_of_exactly_1024_printable_characters_pass():
    value = "".join(chr(32 + i % 95) for i in range(1024))
    answer = invoker(lambda model, data: Prediction({}, value))(b"{}", JSON, JSON)
    assert answer.status == 200 and answer.headers["X-Amzn-SageMaker-Custom-Attributes"] == value


def test_algorithm_codecs_are_used_for_its_media_types():
    def predict(model, data):
        return {"size": data}

    invoke = invoker(predict, DECODERS={"image/png": len}, ENCODERS={"text/plain": lambda r: str(r["size"]).encode()})
    answer = invoke(b"\x89PNG....", "image/png", "text/plain")
    assert (answer.status, answer.body, answer.content_type) == (200, b"8", "text/plain")


def test_an_iterator_is_streamed_item_by_item_as_it_is_made():
    made = []

    def predict(model, data):
        for token in ["Hello", " world"]:
            made.append(token)
            yield token

    answer = invoker(predict)(b"{}", JSON, EVENT_STREAM)
    assert answer.status == 200 and answer.content_type == EVENT_STREAM
    assert made == ["Hello"]  # the first item is made before the status goes out; the rest when asked for
    assert next(answer.body) == b"data: Hello\n\n" and made == ["Hello"]
    assert list(answer.body) == [b"data:  world\n\n"]


@pytest.mark.parametrize(
    "accept, expected", [(JSONLINES, b'{"t": 1}\n{"t": 2}\n'), (JSON, b'{"t": 1}\n{"t": 2}\n'), (CSV, b"1\n2\n")]
)
def test_streams_in_each_built_in_type(accept, expected):
    answer = invoker(lambda model, data: iter([{"t": 1}, {"t": 2}]))(b"{}", JSON, accept)
    assert b"".join(answer.body) == expected


def test_an_empty_stream_is_an_empty_answer():
    assert b"".join(invoker(lambda model, data: iter([]))(b"{}", JSON, JSONLINES).body) == b""


def test_bad_input_found_before_the_first_item_is_still_a_400():
    def predict(model, data):
        raise InputError("no prompt")
        yield  # a generator

    assert invoker(predict)(b"{}", JSON, EVENT_STREAM).status == 400


def test_a_failure_mid_stream_is_logged_with_an_id_and_cuts_the_stream(caplog):
    def predict(model, data):
        yield "one"
        raise RuntimeError("the model fell over")

    answer = invoker(predict)(b"{}", JSON, EVENT_STREAM)
    assert next(answer.body) == b"data: one\n\n"
    with caplog.at_level(logging.ERROR, "serve"):
        error_event = next(answer.body)
        with pytest.raises(StreamBroken) as cut:
            next(answer.body)
    assert error_event.startswith(b"event: error\ndata: ")
    error_id = json.loads(error_event.split(b"data: ")[1])["id"]
    assert f"[error id {error_id}]" in str(cut.value)
    assert f"streamed answer failed after it started [error id {error_id}]" in caplog.text
    assert "the model fell over" in caplog.text


def test_a_failure_mid_stream_of_lines_cuts_it_without_an_error_line():
    def predict(model, data):
        yield {"t": 1}
        raise RuntimeError("the model fell over")

    answer = invoker(predict)(b"{}", JSON, JSONLINES)
    assert next(answer.body) == b'{"t": 1}\n'
    with pytest.raises(StreamBroken):
        next(answer.body)


def test_a_stream_in_a_type_that_cannot_stream_is_500(caplog):
    with caplog.at_level(logging.ERROR, "serve"):
        answer = invoker(lambda model, data: iter([1]))(b"{}", JSON, NPY)
    assert answer.status == 500 and "application/x-npy answers cannot be streamed" in caplog.text
