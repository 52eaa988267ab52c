"""Decoders, encoders, content negotiation and the algorithm's own codecs, in-process: no server."""

import csv
import io
import pickle
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.errors import ConfigError, InputError
from framework.serving import content_types
from framework.serving.decoders import decode_csv, decode_json, decode_jsonlines, decode_npy
from framework.serving.encoders import ENCODERS, ITEM_ENCODERS, encode_csv, encode_event, encode_npy
from framework.serving.invocation import Answer, negotiate
from framework.serving.media_types import CSV, EVENT_STREAM, JSON, JSONLINES, NPY

BUILT_IN = content_types.codecs()


def npy(array) -> bytes:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=True)
    return out.getvalue()


def test_json_object_and_array():
    assert decode_json(b'{"a": 1}') == {"a": 1}
    assert decode_json(b"[[1, 2]]") == {"instances": [[1, 2]]}


def test_csv_of_numbers_is_a_float_array_other_csv_lists():
    numbers = decode_csv(b"1,2.5\n3,4e-1\n")["instances"]
    assert numbers.dtype == float and numbers.tolist() == [[1.0, 2.5], [3.0, 0.4]]
    assert decode_csv(b"1,red\n2,blue\n")["instances"] == [[1.0, "red"], [2.0, "blue"]]


def test_large_csv_bodies_decode_like_small_ones():
    """Bodies over 64 KB take pandas' parser; anything it would read differently falls back to the same result."""
    rows = "".join(f"{i}.5,-{i},1e-3,+{i}\r\n" for i in range(20000)).encode()
    large = decode_csv(rows)["instances"]
    assert isinstance(large, np.ndarray) and large.shape == (20000, 4)
    assert large[0].tolist() == [0.5, -0.0, 0.001, 0.0] and large[-1].tolist() == [19999.5, -19999.0, 0.001, 19999.0]
    echoed = "".join(",".join(str(v) for v in (i + 0.5, -float(i), 0.001, float(i))) + "\n" for i in range(20000))
    assert encode_csv({"predictions": large}).decode() == echoed
    ragged = decode_csv(rows + b"7,8\n")["instances"]
    assert isinstance(ragged, list) and len(ragged) == 20001
    assert ragged[0] == [0.5, -0.0, 0.001, 0.0] and ragged[-1] == [7.0, 8.0]
    assert decode_csv(rows + b"True,1,2,3\n")["instances"][-1] == ["True", 1.0, 2.0, 3.0]


def test_jsonlines_skips_blank_lines():
    assert decode_jsonlines(b'[1, 2]\n\n{"a": 3}\n') == {"instances": [[1, 2], {"a": 3}]}


@pytest.mark.parametrize(
    "decoder, body, message",
    [
        (decode_json, b"{not json", "body is not valid JSON"),
        (decode_json, b"3", "body must be a JSON object or array, not int"),
        (decode_jsonlines, b"[1]\n{oops\n", "line 2 is not valid JSON"),
        (decode_csv, b"\xff1,2", "body is not UTF-8 text"),
        (decode_npy, b"not an array", "body is not a NumPy .npy array"),
    ],
)
def test_bad_bodies_raise_input_error_saying_why(decoder, body, message):
    with pytest.raises(InputError, match=message):
        decoder(body)


def test_npy_round_trip_keeps_dtype_and_shape():
    array = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    decoded = decode_npy(npy(array))["instances"]
    assert decoded.dtype == np.float32 and np.array_equal(decoded, array)
    answer = np.load(io.BytesIO(encode_npy({"predictions": decoded * 2})), allow_pickle=False)
    assert np.array_equal(answer, array * 2)


class _Exploit:
    def __reduce__(self):
        return (print, ("a pickle in a request would run this",))


@pytest.mark.parametrize(
    "body",
    [
        npy(np.array([_Exploit()], dtype=object)),  # an object array: a pickle inside .npy
        pickle.dumps(_Exploit()),  # a bare pickle
    ],
)
def test_pickles_are_refused_never_loaded(body, capsys):
    with pytest.raises(InputError, match="pickles, are refused"):
        decode_npy(body)
    assert "would run this" not in capsys.readouterr().out


def test_npz_archive_is_refused_with_what_to_send():
    out = io.BytesIO()
    np.savez(out, a=np.zeros(2))
    with pytest.raises(InputError, match=r"\.npz archive; send one array in \.npy format"):
        decode_npy(out.getvalue())


def test_npy_answer_never_pickles():
    with pytest.raises(ValueError, match="allow_pickle=False"):
        encode_npy({"predictions": [{"a": 1}, "x"]})


def test_csv_answers_one_line_per_record_quoting_when_needed():
    assert encode_csv({"predictions": ["a", "b"]}) == b"a\nb\n"
    assert encode_csv({"predictions": np.array([1.5, 2.0])}) == b"1.5\n2.0\n"
    assert encode_csv({"predictions": [[1, "x,y"]]}) == b'1,"x,y"\n'
    assert encode_csv({"predictions": []}) == b""


def _csv_writer_answer(records: list) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for record in records:
        writer.writerow([record])
    return out.getvalue().encode()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=st.sampled_from(["a", "b", ",", '"', "\n", "\r", " ", "é"]), max_size=3),
            st.integers(),
            st.floats(allow_nan=False),
        ),
        max_size=6,
    )
)
def test_one_value_records_answer_exactly_as_csv_writer_would(records):
    # The joined fast path must give csv.writer's bytes: quoted values, empty values and line breaks included.
    assert encode_csv({"predictions": records}) == _csv_writer_answer(records)


@pytest.mark.parametrize("media_type", [JSON, JSONLINES, CSV, NPY, EVENT_STREAM])
def test_built_in_encoders_refuse_what_is_not_a_dict(media_type):
    with pytest.raises(TypeError, match="predict must return a dict, not list"):
        ENCODERS[media_type](["a", "list"])


def test_event_stream_items_are_events_and_lines_stay_inside_one_event():
    assert encode_event({"a": 1}) == b'data: {"a": 1}\n\n'
    assert ITEM_ENCODERS[EVENT_STREAM]("two\nlines") == b"data: two\ndata: lines\n\n"
    assert ITEM_ENCODERS[JSONLINES]({"token": "hi"}) == b'{"token": "hi"}\n'
    assert ITEM_ENCODERS[JSON](np.float32(0.5)) == b"0.5\n"
    assert ITEM_ENCODERS[CSV]([1, "a"]) == b"1,a\n"


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, JSON),
        ("*/*", JSON),
        ("text/csv", CSV),
        ("text/html, text/csv;q=0.9", CSV),
        ("application/x-npy", NPY),
        ("text/event-stream", EVENT_STREAM),
    ],
)
def test_accept_picks_the_answer_type(accept, expected):
    assert negotiate(BUILT_IN, CSV, accept, JSON) == expected


def test_an_accept_naming_one_offered_type_gets_it_as_a_parsed_header_would():
    # best_answer_type answers such a header without parsing it; the choice must be the parser's.
    offered = list(BUILT_IN.encoders)
    for media_type in offered:
        assert content_types.best_answer_type(media_type, offered, JSON) == media_type
        assert content_types.best_answer_type(f"{media_type};q=1", offered, JSON) == media_type
    assert content_types.best_answer_type("text/csv", [JSON], JSON) is None


def test_absent_accept_gets_the_endpoint_default():
    assert negotiate(BUILT_IN, JSON, None, CSV) == CSV


def test_unsupported_content_type_is_415_listing_every_decoder():
    answer = negotiate(BUILT_IN, "image/png", None, JSON)
    assert isinstance(answer, Answer) and answer.status == 415
    assert all(media_type in answer.body.decode() for media_type in BUILT_IN.decoders)


def test_unsupported_accept_is_406_listing_every_encoder():
    answer = negotiate(BUILT_IN, JSON, "image/png", JSON)
    assert isinstance(answer, Answer) and answer.status == 406
    assert all(media_type in answer.body.decode() for media_type in BUILT_IN.encoders)


def read_png(body: bytes):
    return {"png": len(body)}


def write_text(result) -> bytes:
    return str(result).encode()


def test_algorithm_codecs_add_to_and_replace_the_built_in_ones():
    algorithm = types.SimpleNamespace(DECODERS={"image/png": read_png}, ENCODERS={"text/plain": write_text, CSV: str})
    codecs = content_types.codecs(algorithm)
    assert codecs.decoders["image/png"] is read_png and codecs.decoders[JSON] is BUILT_IN.decoders[JSON]
    assert codecs.encoders["text/plain"] is write_text and codecs.encoders[CSV] is str
    assert codecs.item_encoders[CSV] is str  # the algorithm's own CSV encoder writes its streamed items too
    assert negotiate(codecs, "image/png", "text/plain", JSON) == "text/plain"
    refused = negotiate(codecs, "audio/wav", None, JSON)
    assert refused.status == 415 and "image/png" in refused.body.decode()
    assert "text/plain" in negotiate(codecs, JSON, "audio/wav", JSON).body.decode()


def test_an_algorithm_without_codecs_gets_the_built_in_ones():
    assert content_types.codecs(types.SimpleNamespace()) == BUILT_IN


@pytest.mark.parametrize(
    "declared, message",
    [
        ({"DECODERS": [read_png]}, "algorithm.DECODERS must be a dict"),
        ({"DECODERS": {"Image/PNG": read_png}}, "'Image/PNG' is not a media type in lower case"),
        ({"ENCODERS": {"text/plain; charset=utf-8": write_text}}, "is not a media type in lower case"),
        ({"ENCODERS": {"text/plain": "write_text"}}, r"algorithm.ENCODERS\['text/plain'\] is a str, not a function"),
    ],
)
def test_malformed_declarations_are_config_errors_naming_them(declared, message):
    with pytest.raises(ConfigError, match=message):
        content_types.codecs(types.SimpleNamespace(**declared))
