"""feature_matrix, in-process: every built-in request shape becomes the same 2-D float array, or an InputError."""

import io

import numpy as np
import pytest

from framework import InputError, feature_matrix
from framework.serving.decoders import decode_csv, decode_json, decode_jsonlines, decode_npy

NAMES = ["a", "b", "c"]
EXPECTED = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]]


def npy_body(array) -> bytes:
    out = io.BytesIO()
    np.save(out, np.asarray(array))
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        decode_json(b'{"instances": [[1, 2, 3], [4, 5, 6.5]]}'),
        decode_json(b"[[1, 2, 3], [4, 5, 6.5]]"),
        decode_json(b'[{"a": 1, "b": 2, "c": 3, "extra": "x"}, {"c": 6.5, "b": 5, "a": 4}]'),
        decode_csv(b"1,2,3\n4,5,6.5\n"),
        decode_csv(b"1,2,3\n4,5,6.5e0\n"),
        decode_jsonlines(b"[1, 2, 3]\n[4, 5, 6.5]\n"),
        decode_jsonlines(b'{"a": 1, "b": 2, "c": 3}\n{"a": 4, "b": 5, "c": 6.5}\n'),
        decode_npy(npy_body(EXPECTED)),
        decode_npy(npy_body(np.array(EXPECTED, dtype=np.float32))),
    ],
)
def test_every_built_in_shape_becomes_the_same_matrix(data):
    rows = feature_matrix(data, NAMES)
    assert rows.dtype == float and rows.tolist() == EXPECTED
    if not isinstance(data["instances"][0], dict):
        assert feature_matrix(data, 3).tolist() == EXPECTED


@pytest.mark.parametrize(
    "data, features, message",
    [
        ({"rows": [[1, 2, 3]]}, 3, r'expected \{"instances": \[...\]\} with at least one record'),
        ({"instances": []}, 3, "with at least one record"),
        ([[1, 2, 3]], 3, "with at least one record"),
        ({"instances": "1,2,3"}, 3, "with at least one record"),
        ({"instances": np.float64(1.0)}, 3, "with at least one record"),
        ({"instances": np.array(1.0)}, 3, "with at least one record"),
        ({"instances": np.ones((1, 3), complex)}, 3, "records must be real numbers, not complex ones"),
        ({"instances": [[1, 2]]}, NAMES, r"each record must have 3 features \['a', 'b', 'c'\], got shape \[1, 2\]"),
        ({"instances": [1, 2, 3]}, 3, r"each record must have 3 features, got shape \[3\]"),
        ({"instances": [[1, 2, 3], [1, 2]]}, 3, "records must be lists of 3 numbers"),
        ({"instances": [["x", 2, 3]]}, 3, "records must be lists of 3 numbers"),
        ({"instances": [[1, 2, 10**400]]}, 3, "records must be lists of 3 numbers"),
        ({"instances": [[1, 2, 3], [1, 2, float("inf")]]}, 3, "record 1, feature 2: inf is not a finite number"),
        ({"instances": [[1, float("nan"), 3]]}, 3, "record 0, feature 1: nan is not a finite number"),
        ({"instances": [{"a": 1, "b": 2}]}, NAMES, r"record 0 lacks feature\(s\) \['c'\]"),
        ({"instances": [{"a": 1, "b": 2, "c": 3}, [1, 2, 3]]}, NAMES, "record 1 is a list; mix no lists with objects"),
        ({"instances": [{"a": 1}]}, 3, "objects need the model's feature names"),
        ({"instances": [{"a": 1, "b": 2, "c": None}]}, NAMES, "record 0, feature 'c': null is not a finite number"),
        ({"instances": [[1, 2, 3], {"a": 1}]}, NAMES, "records must be lists of 3 numbers"),
    ],
)
def test_what_cannot_be_a_matrix_is_an_input_error_saying_why(data, features, message):
    with pytest.raises(InputError, match=message):
        feature_matrix(data, features)
