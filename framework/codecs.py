"""Request bodies into the dict predict takes, and predict's dict into the answer's bytes.

JSON is the contract: predict gets the parsed object (a JSON array arrives as {"instances": array}). Batch transform
sends CSV and JSON Lines; each becomes {"instances": records}. A CSV of numbers only, the usual case, arrives as a 2-D
float NumPy array, one row per line: what a model takes, without building a Python float per field (on a 5 MB body
that round trip cost more than the prediction). Any other CSV arrives as a list of rows, each the list of its fields
(numbers as floats, the rest as text). For CSV and JSON Lines answers, predict returns {"predictions": [record, ...]}.
"""

import csv
import io
import json
from typing import Any, Callable

import numpy as np

from framework.errors import InputError

JSON, JSONLINES, CSV = "application/json", "application/jsonlines", "text/csv"
_JSONLINES_ALIASES = ("application/jsonlines", "application/jsonl", "application/x-jsonlines")
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


def encode_json(result: dict) -> bytes:
    return json.dumps(result, default=_builtin).encode()


def encode_jsonlines(result: dict) -> bytes:
    return "".join(json.dumps(record, default=_builtin) + "\n" for record in _records(result)).encode()


def encode_csv(result: dict) -> bytes:
    records = _records(result)
    if isinstance(records, np.ndarray) and records.ndim == 1:
        records = records.tolist()
    if type(records) is list and set(map(type, records)) <= {str, int, float}:
        # One value per record, the usual answer (a label or a score): joined in one call, 30 times csv.writer's
        # speed on large answers. Only when no value needs csv's quoting; otherwise csv.writer below.
        text = "\n".join(map(str, records))
        if not ("," in text or '"' in text or "\r" in text or text.count("\n") != len(records) - 1 or "" in records):
            return (text + "\n").encode() if records else b""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for record in records:
        record = _builtin(record) if hasattr(record, "tolist") else record
        if isinstance(record, dict):
            record = list(record.values())
        writer.writerow(record if isinstance(record, (list, tuple)) else [record])
    return out.getvalue().encode()


DECODERS: dict[str, Callable[[bytes], dict]] = {JSON: decode_json, CSV: decode_csv}
DECODERS.update({alias: decode_jsonlines for alias in _JSONLINES_ALIASES})
ENCODERS: dict[str, Callable[[dict], bytes]] = {JSON: encode_json, JSONLINES: encode_jsonlines, CSV: encode_csv}


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


def _records(result: dict) -> list:
    records = result.get("predictions") if isinstance(result, dict) else None
    if records is None or not hasattr(records, "__iter__") or isinstance(records, (str, dict)):
        raise TypeError('to answer CSV or JSON Lines, predict must return {"predictions": [record, ...]}')
    return records


def _builtin(value: Any) -> Any:
    """json's fallback for NumPy and pandas values, which all know how to become plain Python."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"predict returned a {type(value).__name__}, which JSON cannot hold")
