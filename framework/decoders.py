"""Request bodies into the dict predict takes, one decoder per media type.

JSON is the contract: predict gets the parsed object (a JSON array arrives as {"instances": array}). Batch transform
sends CSV and JSON Lines; each becomes {"instances": records}. A CSV of numbers only, the usual case, arrives as a 2-D
float NumPy array, one row per line: what a model takes, without building a Python float per field (on a 5 MB body
that round trip cost more than the prediction). Any other CSV arrives as a list of rows, each the list of its fields
(numbers as floats, the rest as text).
"""

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from framework.content_types import CSV, JSON, JSONLINES_ALIASES
from framework.errors import InputError

# Above this size a CSV body is parsed by pandas (5 times NumPy's speed on megabytes, and it lets go of the GIL while
# it tokenizes); below it, pandas' fixed cost per call is more than NumPy's whole parse.
_LARGE_CSV = 64 * 1024
# pandas reads some texts differently from NumPy ("True" as 1.0, blank-looking lines skipped): it gets only bodies of
# digits, signs, points, exponents, commas and line ends (\n or \r\n); anything else is parsed as before.
_PLAIN_NUMBER_BYTES = b"0123456789.,+-eE\n"


def decode_json(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"body is not valid JSON: {exc}") from None
    if isinstance(data, list):
        return {"instances": data}
    if not isinstance(data, dict):
        raise InputError(f"body must be a JSON object or array, not {type(data).__name__}")
    return data


def decode_jsonlines(body: bytes) -> dict:
    instances = []
    for number, line in enumerate(_text(body).splitlines(), start=1):
        if line.strip():
            try:
                instances.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"line {number} is not valid JSON: {exc}") from None
    return {"instances": instances}


def decode_csv(body: bytes) -> dict:
    text = _text(body)
    table = _numeric_table(text, body)
    if table is not None:
        return {"instances": table}
    try:
        rows = [[_number_or_text(cell) for cell in row] for row in csv.reader(io.StringIO(text)) if row]
    except csv.Error as exc:
        raise InputError(f"body is not valid CSV: {exc}") from None
    return {"instances": rows}


DECODERS: dict[str, Callable[[bytes], dict]] = {JSON: decode_json, CSV: decode_csv}
DECODERS.update({alias: decode_jsonlines for alias in JSONLINES_ALIASES})


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"body is not UTF-8 text: {exc}") from None


def _numeric_table(text: str, body: bytes) -> np.ndarray | None:
    """An all-numeric CSV as a 2-D float array; None when a field is not a number or the rows differ in length."""
    if len(body) > _LARGE_CSV and _plain_numbers(body):
        import pandas as pd  # here, not on top: a server that never sees a large CSV body does not pay its import

        try:
            table = pd.read_csv(io.BytesIO(body), header=None, dtype=float, na_filter=False).to_numpy()
            # pandas pads short rows with NaN: any NaN (or a "nan" field) goes to NumPy, which decides as before.
            if table.ndim == 2 and not np.isnan(table).any():
                return table
        except ValueError:  # a field that is not a number, ragged rows, no data: NumPy and csv decide, as before
            pass
    try:
        # NumPy's C parser: the common all-numeric case costs a fraction of csv or pandas.
        return np.loadtxt(io.StringIO(text), delimiter=",", dtype=float, ndmin=2)
    except ValueError:
        return None


def _plain_numbers(body: bytes) -> bool:
    # bytes.translate and count run at memory speed, where a regular expression takes 20 times as long.
    rest = body.translate(None, _PLAIN_NUMBER_BYTES)
    return not rest or (not rest.strip(b"\r") and len(rest) == body.count(b"\r\n"))


def _number_or_text(cell: str) -> Any:
    try:
        return float(cell)
    except ValueError:
        return cell
