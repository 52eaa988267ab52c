"""predict's answer into bytes, one encoder per media type.

Built-in encoders take the dict predict returns. JSON answers are the dict itself. For CSV, JSON Lines and NumPy
answers, predict returns {"predictions": records}: each record becomes one line (a .npy answer is the records as one
array). text/event-stream sends the dict as one server-sent event.

A streamed answer (predict returned an iterator) is sent item by item, each through ITEM_ENCODERS: one event per item
for text/event-stream, one line per item for JSON Lines, JSON and CSV.
"""

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from framework.serving.media_types import CSV, EVENT_STREAM, JSON, JSONLINES, NPY


def encode_json(result: dict) -> bytes:
    return json.dumps(_answer(result), default=_builtin).encode()


def encode_jsonlines(result: dict) -> bytes:
    return "".join(json.dumps(record, default=_builtin) + "\n" for record in _records(result)).encode()


def encode_csv(result: dict) -> bytes:
    records = _records(result)
    if isinstance(records, np.ndarray) and records.ndim == 1:
        records = records.tolist()
    if type(records) is list and (kinds := set(map(type, records))) <= {str, int, float}:
        # One value per record, the usual answer (a label or a score): joined in one call, 30 times csv.writer's
        # speed on large answers. Only when no value needs csv's quoting; otherwise csv.writer below. Labels are
        # joined as they are: str() on each of them took half of the encoding of 327,680 labels.
        text = "\n".join(records if kinds == {str} else map(str, records))
        # With no line break inside a value, an empty value (csv.writer quotes it) is an empty line: found in the
        # text, faster than looking for "" among the records.
        lines_intact = text.count("\n") == len(records) - 1
        empty_value = text == "" or "\n\n" in text or text[:1] == "\n" or text[-1:] == "\n"
        if lines_intact and not (empty_value or "," in text or '"' in text or "\r" in text):
            return (text + "\n").encode()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for record in records:
        record = _builtin(record) if hasattr(record, "tolist") else record
        if isinstance(record, dict):
            record = list(record.values())
        writer.writerow(record if isinstance(record, (list, tuple)) else [record])
    return out.getvalue().encode()


def encode_npy(result: dict) -> bytes:
    out = io.BytesIO()
    np.save(out, np.asarray(_records(result)), allow_pickle=False)  # an object array fails here: never a pickle
    return out.getvalue()


def encode_event(result: dict) -> bytes:
    return event(_answer(result))


ENCODERS: dict[str, Callable[[dict], bytes]] = {
    JSON: encode_json,
    JSONLINES: encode_jsonlines,
    CSV: encode_csv,
    NPY: encode_npy,
    EVENT_STREAM: encode_event,
}


def event(item: Any) -> bytes:
    """One server-sent event: text as it is, anything else as JSON; a line break starts another `data:` line."""
    text = item if isinstance(item, str) else json.dumps(item, default=_builtin)
    return "".join(f"data: {line}\n" for line in text.split("\n")).encode() + b"\n"


def json_line(item: Any) -> bytes:
    return json.dumps(item, default=_builtin).encode() + b"\n"


def csv_line(item: Any) -> bytes:
    return encode_csv({"predictions": [item]})


ITEM_ENCODERS: dict[str, Callable[[Any], bytes]] = {
    JSON: json_line,  # a stream cannot be one JSON document: each item is a line of JSON
    JSONLINES: json_line,
    CSV: csv_line,
    EVENT_STREAM: event,
}


def _answer(result: Any) -> dict:
    if not isinstance(result, dict):
        raise TypeError(f"predict must return a dict, not {type(result).__name__}")
    return result


def _records(result: dict) -> list:
    records = _answer(result).get("predictions")
    if records is None or not hasattr(records, "__iter__") or isinstance(records, (str, dict)):
        raise TypeError('to answer CSV, JSON Lines or NumPy, predict must return {"predictions": [record, ...]}')
    return records


def _builtin(value: Any) -> Any:
    """json's fallback for NumPy and pandas values, which all know how to become plain Python."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"predict returned a {type(value).__name__}, which JSON cannot hold")
