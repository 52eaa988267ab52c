"""Property-based fuzzing (Hypothesis) of the decoders, in-process, and of /invocations over real HTTP.

Bodies are generated per content type, from well-formed records to hostile ones: NaN and infinities, numbers beyond
a float64 or a float32, integers past Python's digit limit, deep nesting, records mixing objects and lists, wide
lines, U+2028 inside JSON strings, random bytes. Whatever the body: no 5xx, no traceback in any answer, a JSON error
with a reason on every 4xx, and the server healthy afterwards. The examples are random on every run (a failure
prints the body that caused it, shrunk); the counts keep the module to about a minute on 2 shared cores.
"""

import io
import json
import math

import numpy as np
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from framework.errors import InputError
from framework.serving import decoders

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
IN_PROCESS = settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
OVER_HTTP = settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))

# --- bodies ----------------------------------------------------------------------------------------------------------

number_text = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["1e999", "-1e999", "1e39", "-3.5e38", "1e308", "2e308", "0.0", "-0", "5.1", "1E5", "4.9e-324"]),
    st.integers(300, 6000).map(lambda digits: "9" * digits),  # past float64 from 309 digits, past int() at 4,301
    # Around the decoders' shortcut (numbers under 200 digits and exponents under 100 are parsed without checks):
    st.tuples(st.integers(1, 330), st.integers(-400, 400)).map(lambda pair: f"{'9' * pair[0]}e{pair[1]}"),
)
json_scalar = st.one_of(
    number_text,
    st.sampled_from(["NaN", "Infinity", "-Infinity", "null", "true", "false", '"5.1"', '"nan"', '"inf"', '""']),
    st.text(max_size=20).map(json.dumps),
    st.just('"a\u2028b\u2029c\u0085d"'),
)


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate makes invalid UTF-8: a body to reject, too


def _array(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _object(pairs: dict[str, str]) -> str:
    return "{" + ", ".join(f"{json.dumps(key)}: {value}" for key, value in pairs.items()) + "}"


json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5).map(_array),
        st.dictionaries(st.sampled_from([*FEATURES, "instances", "x"]), inner, max_size=5).map(_object),
    ),
    max_leaves=30,
)
record = st.one_of(
    st.lists(number_text, min_size=4, max_size=4).map(_array),
    st.lists(json_scalar, min_size=0, max_size=6).map(_array),
    st.fixed_dictionaries({feature: json_scalar for feature in FEATURES}).map(_object),
    st.dictionaries(st.sampled_from(FEATURES), number_text, max_size=4).map(_object),
    json_value,
)
records = st.lists(record, min_size=0, max_size=8)
deeply_nested = st.integers(500, 50_000).map(lambda depth: "[" * depth + "]" * depth)

json_body = st.one_of(
    records.map(lambda rs: '{"instances": ' + _array(rs) + "}"),
    records.map(_array),
    json_value,
    deeply_nested,
).map(_bytes)
jsonlines_body = st.one_of(
    st.tuples(
        st.lists(st.one_of(record, st.just(""), st.just("  "), deeply_nested), max_size=8),
        st.sampled_from(["\n", "\r\n"]),
    ).map(lambda parts: _bytes(parts[1].join(parts[0]))),
)
csv_field = st.one_of(
    number_text,
    st.sampled_from(
        ["", "nan", "NaN", "inf", "-Infinity", "True", "1_000", " 5.1 ", "0x10", '"5.1"', '"a,b"', '"a\nb"']
    ),
    st.text(alphabet=st.characters(blacklist_characters=',"\r\n'), max_size=10),
)
csv_body = st.one_of(
    st.tuples(
        st.lists(st.lists(csv_field, min_size=1, max_size=6).map(",".join), max_size=8),
        st.sampled_from(["\n", "\r\n"]),
    ).map(lambda parts: _bytes(parts[1].join(parts[0]) + parts[1])),
    st.integers(1, 100_000).map(lambda width: ",".join(["1.5"] * width).encode()),  # one wide line
)


def with_noise(body: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """The structured bodies, cut short at a random point, and plain random bytes."""
    cut = st.tuples(body, st.floats(0, 1)).map(lambda pair: pair[0][: int(len(pair[0]) * pair[1])])
    return st.one_of(body, body, cut, st.binary(max_size=300))


def npy_bytes(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


# .npy arrays of every numeric kind and byte order, NaN and infinities included, up to 3 dimensions.
npy_body = hnp.arrays(
    st.one_of(hnp.floating_dtypes(), hnp.integer_dtypes(), hnp.boolean_dtypes(), hnp.complex_number_dtypes()),
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
).map(npy_bytes)

BODIES = {
    "application/json": with_noise(json_body),
    "application/jsonlines": with_noise(jsonlines_body),
    "text/csv": with_noise(csv_body),
    "application/x-npy": with_noise(npy_body),
}

# --- the decoders, in-process ---------------------------------------------------------------------------------------


def numbers_in(value) -> list[float]:
    """Every number in a decoded body, however deep (iterative: a body may nest to the decoder's limit)."""
    numbers, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, np.ndarray):
            numbers += item.ravel().tolist() if item.dtype.kind == "f" else []
        elif isinstance(item, dict):
            stack += item.values()
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            numbers.append(item)
    return numbers


@pytest.mark.parametrize("content_type", list(BODIES))
def test_a_decoder_returns_finite_numbers_or_raises_input_error_whatever_the_body(content_type):
    decode = decoders.DECODERS[content_type]

    @IN_PROCESS
    @given(BODIES[content_type])
    def check(body: bytes):
        try:
            data = decode(body)
        except InputError as exc:
            assert str(exc)
            return
        assert isinstance(data, dict)
        for number in numbers_in(data):
            assert math.isfinite(number) and abs(number) <= np.finfo(np.float64).max, number

    check()


# --- /invocations over real HTTP, the example algorithm ------------------------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    from conftest import EXAMPLE, Project, Server

    project = Project(tmp_path_factory.mktemp("fuzzed"), EXAMPLE)
    assert project.train().returncode == 0
    server = Server(project, SAGEMAKER_MODEL_SERVER_WORKERS="2")
    server.wait_ready()
    yield server
    log = server.stop()
    assert "Traceback" not in log and "error id" not in log, log[-3000:]


@pytest.mark.parametrize("content_type", list(BODIES))
def test_no_body_gets_a_5xx_a_traceback_or_a_4xx_without_a_reason(example, content_type):
    session = requests.Session()

    @OVER_HTTP
    @given(BODIES[content_type], st.sampled_from(["application/json", "text/csv", "application/jsonlines"]))
    def check(body: bytes, accept: str):
        answer = session.post(
            example.url + "/invocations",
            data=body,
            headers={"Content-Type": content_type, "Accept": accept},
            timeout=60,
        )
        assert answer.status_code < 500, answer.text
        assert "Traceback" not in answer.text
        if answer.status_code >= 400:
            reason = answer.json()["error"]
            assert isinstance(reason, str) and reason, answer.text
        else:
            assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(accept)

    try:
        check()
    finally:
        session.close()
    assert requests.get(example.url + "/ping", timeout=5).status_code == 200
