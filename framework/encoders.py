"""predict's dict into the answer's bytes, one encoder per media type.

JSON answers are the dict itself. For CSV and JSON Lines answers, predict returns {"predictions": [record, ...]}
and each record becomes one line.
"""

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from framework.content_types import CSV, JSON, JSONLINES


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


ENCODERS: dict[str, Callable[[dict], bytes]] = {JSON: encode_json, JSONLINES: encode_jsonlines, CSV: encode_csv}


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
