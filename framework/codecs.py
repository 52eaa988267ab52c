"""Request bodies into the dict predict takes, and predict's dict into the answer's bytes.

JSON is the contract: predict gets the parsed object (a JSON array arrives as {"instances": array}). Batch transform
sends CSV and JSON Lines; each becomes {"instances": [record, ...]}, a CSV record being the list of its fields
(numbers as floats). For CSV and JSON Lines answers, predict returns {"predictions": [record, ...]}.
"""

import csv
import io
import json
from typing import Any, Callable

import numpy as np

from framework.errors import InputError

JSON, JSONLINES, CSV = "application/json", "application/jsonlines", "text/csv"
_JSONLINES_ALIASES = ("application/jsonlines", "application/jsonl", "application/x-jsonlines")


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
    try:
        # NumPy's C parser: the common all-numeric case costs a fraction of csv or pandas.
        return {"instances": np.loadtxt(io.StringIO(text), delimiter=",", dtype=float, ndmin=2).tolist()}
    except ValueError:
        pass
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
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for record in _records(result):
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
