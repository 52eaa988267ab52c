"""Request bodies into the dict predict takes, one decoder per media type.

JSON is the contract: predict gets the parsed object (a JSON array arrives as {"instances": array}). Batch transform
sends CSV and JSON Lines; each becomes {"instances": records}. A CSV of numbers only, the usual case, arrives as a 2-D
float NumPy array, one row per line: what a model takes, without building a Python float per field (on a 5 MB body
that round trip cost more than the prediction). Any other CSV arrives as a list of rows, each the list of its fields
(numbers as floats, the rest as text). A NumPy .npy body arrives as {"instances": array}, loaded with pickles refused.

Numbers are checked here, once for every algorithm: each one predict gets is a finite 64-bit float (or an int within
that range). NaN, infinities and numbers that overflow a float64 are a 400 naming where they are, never a 500 in
predict. Decoding takes time and memory in proportion to the body, whatever its shape.
"""

import csv
import io
import json
import math
import re
import sys
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np

from framework.errors import InputError
from framework.serving.media_types import CSV, JSON, JSONLINES_ALIASES, NPY

# Above this size a CSV body is parsed by pandas (5 times NumPy's speed on megabytes, and it lets go of the GIL while
# it tokenizes); below it, pandas' fixed cost per call is more than NumPy's whole parse.
_LARGE_CSV = 64 * 1024
# pandas reads some texts differently from NumPy ("True" as 1.0, blank-looking lines skipped): it gets only bodies of
# digits, signs, points, exponents, commas and line ends (\n or \r\n); anything else is parsed as before.
_PLAIN_NUMBER_BYTES = b"0123456789.,+-eE\n"
# pandas makes one column object per field of the first line: a single line of 3,000,000 fields took minutes and
# gigabytes. From about this width on NumPy is as fast anyway (measured on 5 MB bodies).
_PANDAS_MAX_FIELDS = 1000
_JSON_WHITESPACE = " \t\r"
# The digits of the largest float64, 1.8e308: a longer integer (a sign aside) cannot be one.
_FLOAT64_DIGITS = 309
_LARGE_EXPONENT = re.compile(rb"[eE]\+?0*[1-9][0-9][0-9]")
_DIGIT_RUN = b"0" * 200
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NOT_FINITE = "not a finite number (infinite, NaN, or beyond a 64-bit float's range)"


def decode_json(body: bytes) -> dict:
    data = _json(body, "body", _may_overflow(body))
    if isinstance(data, list):
        return {"instances": data}
    if not isinstance(data, dict):
        raise InputError(f"body must be a JSON object or array, not {type(data).__name__}")
    return data


def decode_jsonlines(body: bytes) -> dict:
    # JSON Lines records end at \n (a \r before it is JSON whitespace). Not str.splitlines(): it also splits at
    # U+2028, U+2029 and U+0085, which are legal inside JSON strings.
    instances, careful = [], _may_overflow(body)
    for number, line in enumerate(_text(body).split("\n"), start=1):
        if line.strip(_JSON_WHITESPACE):
            instances.append(_json(line, f"line {number}", careful))
    return {"instances": instances}


def decode_csv(body: bytes) -> dict:
    # A large all-numeric body goes to pandas as bytes: its text would be one more copy of the body in memory.
    table = _large_numeric_table(body)
    if table is None:
        text = _text(body)
        table = _numeric_table(text, body)
    if table is not None:
        if not np.isfinite(table).all():
            row, column = np.argwhere(~np.isfinite(table))[0]
            raise InputError(f"row {row + 1}, field {column + 1}: {_NOT_FINITE}")
        return {"instances": table}
    try:
        rows = [
            [_number_or_text(cell, number, column) for column, cell in enumerate(row, start=1)]
            for number, row in enumerate(csv.reader(io.StringIO(text)), start=1)
            if row
        ]
    except csv.Error as exc:
        raise InputError(f"body is not valid CSV: {exc}") from None
    return {"instances": rows}


def decode_npy(body: bytes) -> dict:
    try:
        # allow_pickle=False: an object array in .npy is a pickle, and unpickling a request runs the sender's code.
        array = np.load(io.BytesIO(body), allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(
            f"body is not a NumPy .npy array (object arrays, which are pickles, are refused): {exc}"
        ) from None
    if not isinstance(array, np.ndarray):  # np.load also opens .npz archives
        array.close()
        raise InputError("body is a NumPy .npz archive; send one array in .npy format (numpy.save)")
    if array.dtype.kind in "fc":
        finite = np.isfinite(array)
        if not finite.all():
            where = tuple(int(i) for i in np.argwhere(~finite)[0])
            raise InputError(f"array{list(where)}: {array[where]} is {_NOT_FINITE}")
    return {"instances": array}


DECODERS: dict[str, Callable[[bytes], dict]] = {JSON: decode_json, CSV: decode_csv, NPY: decode_npy}
DECODERS.update({alias: decode_jsonlines for alias in JSONLINES_ALIASES})


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"body is not UTF-8 text: {exc}") from None


def _large_numeric_table(body: bytes) -> np.ndarray | None:
    """A large CSV of plain numbers as a 2-D float array, parsed by pandas; None for anything else."""
    if len(body) > _LARGE_CSV and _narrow(body) and _plain_numbers(body):
        import pandas as pd  # here, not on top: a server that never sees a large CSV body does not pay its import

        try:
            table = pd.read_csv(io.BytesIO(body), header=None, dtype=float, na_filter=False).to_numpy()
            # pandas pads short rows with NaN: any NaN (or a "nan" field) goes to NumPy, which decides as before.
            if table.ndim == 2 and not np.isnan(table).any():
                return table
        except ValueError:  # a field that is not a number, ragged rows, no data: NumPy and csv decide, as before
            pass
    return None


def _numeric_table(text: str, body: bytes) -> np.ndarray | None:
    """An all-numeric CSV as a 2-D float array; None when a field is not a number or the rows differ in length."""
    if not body or body.isspace():
        return None  # no data for NumPy (which would warn); csv decides
    try:
        # NumPy's C parser: the common all-numeric case costs a fraction of csv or pandas. comments=None: by default
        # it drops everything after a "#", so a line starting with one would vanish from the records.
        return np.loadtxt(io.StringIO(text), delimiter=",", dtype=float, ndmin=2, comments=None)
    except ValueError:
        return None


def _narrow(body: bytes) -> bool:
    first_line_end = body.find(b"\n")
    return body.count(b",", 0, first_line_end if first_line_end >= 0 else len(body)) < _PANDAS_MAX_FIELDS


def _plain_numbers(body: bytes) -> bool:
    # bytes.translate and count run at memory speed, where a regular expression takes 20 times as long.
    rest = body.translate(None, _PLAIN_NUMBER_BYTES)
    return not rest or (not rest.strip(b"\r") and len(rest) == body.count(b"\r\n"))


def _number_or_text(cell: str, row: int, column: int) -> Any:
    try:
        number = float(cell)
    except ValueError:
        return cell
    if not math.isfinite(number):
        raise InputError(f"row {row}, field {column}: {_NOT_FINITE}")
    return number


def _json(text: str | bytes, where: str, careful: bool) -> Any:
    # NaN and Infinity always go through _no_constant (called for them alone: free). Every other number is checked
    # one by one only in a body where one may overflow: those hooks cost a Python call per number, 3 times the parse.
    try:
        if isinstance(text, bytes):  # what json.loads does with bytes: UTF-8, or UTF-16/32 told by its zero bytes
            text = text.decode(json.detect_encoding(text), "surrogatepass")
        return (_CAREFUL if careful else _FAST).decode(text)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise InputError(f"{where} is not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{where} is nested too deeply (Python's JSON decoder stops near 1,000 levels)") from None


def _may_overflow(body: bytes) -> bool:
    """Whether a number in this JSON body may be beyond a float64: one with a run of 200 digits or an exponent of 100
    or more (below both, a number is under 10**300). Or UTF-16/32 (zero bytes among its first 4), where those
    patterns do not show. Two passes at memory speed; a regular expression for long digit runs costs far more."""
    return (
        _LARGE_EXPONENT.search(body) is not None or _DIGIT_RUN in body.translate(_DIGITS_AS_ZERO) or b"\x00" in body[:4]
    )


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise InputError(f"number {_shortened(text)} is {_NOT_FINITE}")
    return number


def _float_sized_int(text: str) -> int:
    # Python's int() refuses over 4,300 digits (a ValueError), NumPy an int beyond a float64 (an OverflowError):
    # either would become a 500 in predict. Every number predict gets fits a 64-bit float.
    if len(text) < _FLOAT64_DIGITS:
        return int(text)
    if len(text) > _FLOAT64_DIGITS + 1 or abs(int(text)) > sys.float_info.max:
        raise InputError(f"integer {_shortened(text)} ({len(text)} characters) is too large for a 64-bit float")
    return int(text)


def _no_constant(name: str) -> None:
    raise InputError(f"{name} is not a JSON number; numbers must be finite (send null for a missing value)")


def _shortened(text: str, keep: int = 20) -> str:
    return text if len(text) <= 2 * keep else f"{text[:keep]}...{text[-keep:]}"


# Built once: json.loads given any option builds a new decoder on every call.
_FAST = json.JSONDecoder(parse_constant=_no_constant)
_CAREFUL = json.JSONDecoder(parse_float=_finite_float, parse_int=_float_sized_int, parse_constant=_no_constant)
