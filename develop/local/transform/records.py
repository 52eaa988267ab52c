"""What a transform job does to the data around the container: split files into mini-batches of whole records, filter
them (InputFilter), and put the answers back together (AssembleWith, JoinSource, OutputFilter).

A record is a line (SplitType Line) or the whole file (SplitType None). Lines end with \\n or \\r\\n; a blank line is no
record; the last line may lack its \\n. A mini-batch never cuts a record, so never a multi-byte UTF-8 character either.
"""

import csv
import functools
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from develop.local.transform.jsonpath import JSONPathError, compile_path

compile_path = functools.cache(compile_path)  # a job applies the same two paths to every record

CSV = "text/csv"
JSON = "application/json"
JSONLINES_TYPES = ("application/jsonlines", "application/jsonl", "application/x-jsonlines")
# A blank line (nothing but spaces, tabs or \r) starts the body or follows a \n: where one may be, these show it.
_BLANK_START = (b"\n", b"\r", b" ", b"\t")
_BLANK_MARKS = (b"\n\n", b"\n\r", b"\n ", b"\n\t")


class DataError(Exception):
    """A record the job cannot handle; the message says which and why."""


@dataclass
class Batch:
    body: bytes  # what is POSTed
    first: int  # the number of its first record in the file, from 1
    count: int  # how many records it holds
    originals: list[bytes] | None = None  # the records as read, for JoinSource Input


@dataclass(frozen=True)
class Processing:
    """The records' content type and the job's DataProcessing, compiled once."""

    content_type: str
    input_filter: str = "$"
    join_source: str = "None"
    output_filter: str = "$"

    def __post_init__(self):
        for name in ("input_filter", "output_filter"):
            compile_path(getattr(self, name))  # a bad path fails the job before it starts

    @property
    def filters_input(self) -> bool:
        return self.input_filter != "$"

    @property
    def reshapes_output(self) -> bool:
        return self.join_source == "Input" or self.output_filter != "$"

    @property
    def is_csv(self) -> bool:
        return self.content_type == CSV


def split(
    source: BinaryIO, split_type: str, single_record: bool, limit: int, processing: Processing
) -> Iterator[Batch]:
    """The file's mini-batches, in order. `limit` is MaxPayloadInMB in bytes."""
    if split_type == "None":
        body = source.read()
        if not body:
            return
        if len(body) > limit:
            raise DataError(
                f"the file is {len(body):,} bytes, more than MaxPayloadInMB ({limit:,} bytes) allows in one request: "
                "use SplitType Line or raise MaxPayloadInMB"
            )
        original = body
        if processing.filters_input:
            body = _serialize(processing, _apply(processing.input_filter, _parse(processing, body), 1))
        yield Batch(body, 1, 1, [original] if processing.join_source == "Input" else None)
    elif single_record or processing.filters_input or processing.join_source == "Input":
        yield from _by_record(source, single_record, limit, processing)
    else:
        yield from _by_slice(source, limit)


def _by_slice(source: BinaryIO, limit: int) -> Iterator[Batch]:
    """MultiRecord without an input filter: each batch is a run of the file's bytes, as many whole lines as fit."""
    buffer, end_of_file, first = b"", False, 1
    while True:
        while not end_of_file and len(buffer) <= limit:
            chunk = source.read(max(limit, 1 << 20))
            end_of_file = not chunk
            buffer += chunk
        if end_of_file and len(buffer) <= limit:
            count = count_records(buffer)
            if count:
                yield Batch(buffer, first, count)
            return
        cut = buffer.rfind(b"\n", 0, limit) + 1
        if cut == 0:
            raise _too_large(first, limit)
        body, buffer = buffer[:cut], buffer[cut:]
        count = count_records(body)
        if count:
            yield Batch(body, first, count)
        first += count


def _by_record(source: BinaryIO, single_record: bool, limit: int, processing: Processing) -> Iterator[Batch]:
    keep = processing.join_source == "Input"
    parts, originals, size, first, number = [], [], 0, 1, 0
    for line in source:
        record = line.rstrip(b"\n").removesuffix(b"\r")
        if not record.strip():
            continue
        number += 1
        sent = record
        if processing.filters_input:
            sent = _serialize(processing, _apply(processing.input_filter, _parse(processing, record), number))
        sent += b"\n"
        if len(sent) > limit:
            raise _too_large(number, limit)
        if parts and (single_record or size + len(sent) > limit):
            yield Batch(b"".join(parts), first, len(parts), originals if keep else None)
            parts, originals, size, first = [], [], 0, number
        parts.append(sent)
        originals.append(record)
        size += len(sent)
    if parts:
        yield Batch(b"".join(parts), first, len(parts), originals if keep else None)


def count_records(body: bytes) -> int:
    """Lines that are not blank; the last one needs no \\n."""
    if body.startswith(_BLANK_START) or any(mark in body for mark in _BLANK_MARKS):  # rare: then look at every line
        return sum(1 for line in body.split(b"\n") if line.strip())
    return body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)


def count_lines(answer: bytes) -> int:
    """An answer's records: its lines, the last one without a newline too (a blank line is a record here)."""
    return answer.count(b"\n") + (1 if answer and not answer.endswith(b"\n") else 0)


def _too_large(number: int, limit: int) -> DataError:
    return DataError(f"record {number} is larger than MaxPayloadInMB ({limit:,} bytes): raise MaxPayloadInMB")


def assembler(
    processing: Processing, assemble_with: str, check_count: bool, accept: str | None
) -> Callable[[Batch, bytes], bytes]:
    """answer -> the bytes written to <file>.out for this batch."""
    line = assemble_with == "Line"
    output_filter = compile_path(processing.output_filter)

    def records_of(batch: Batch, answer: bytes) -> list[bytes]:
        text = answer[:-1] if answer.endswith(b"\n") else answer
        records = [r.removesuffix(b"\r") for r in text.split(b"\n")] if text else []
        if len(records) != batch.count:
            raise DataError(
                f"the container answered {len(records)} record(s) for {batch.count} input record(s); with "
                "AssembleWith Line or JoinSource Input it must answer one line per record"
                + (
                    " (an application/json answer is one document: ask for text/csv or application/jsonlines)"
                    if accept in (None, JSON)
                    else ""
                )
            )
        return records

    def assemble(batch: Batch, answer: bytes) -> bytes:
        if not processing.reshapes_output:
            if check_count and count_lines(answer) != batch.count:
                records_of(batch, answer)  # raises, with the counts
            return answer + b"\n" if line and answer and not answer.endswith(b"\n") else answer
        out = []
        for offset, output in enumerate(records_of(batch, answer)):
            number = batch.first + offset
            value = _parse(processing, output, number, "answer")
            if processing.join_source == "Input":
                value = _join(processing, _parse(processing, batch.originals[offset], number), value)
            value = _apply(output_filter, value, number)
            out.append(_serialize(processing, value))
        return b"".join(record + b"\n" for record in out) if line else b"".join(out)

    return assemble


def _join(processing: Processing, record: Any, output: Any) -> Any:
    # CSV: the answer's columns after the input's. JSON: the answer under SageMakerOutput, in the input object when it
    # is one, else next to it under SageMakerInput (AWS: "The joined result for JSON must be a key-value pair object").
    if processing.is_csv:
        return record + output
    if isinstance(record, dict):
        return {**record, "SageMakerOutput": output}
    return {"SageMakerInput": record, "SageMakerOutput": output}


def _apply(path: str | Callable, value: Any, number: int) -> Any:
    try:
        return (compile_path(path) if isinstance(path, str) else path)(value)
    except JSONPathError as exc:
        raise DataError(f"record {number}: {exc}") from None


def _parse(processing: Processing, record: bytes, number: int = 1, what: str = "record") -> Any:
    try:
        text = record.decode("utf-8")
        if processing.is_csv:
            return next(csv.reader([text]), [])
        return json.loads(text)
    except (UnicodeDecodeError, ValueError, csv.Error) as exc:
        kind = "CSV" if processing.is_csv else "JSON"
        raise DataError(f"{what} {number} is not valid UTF-8 {kind}: {exc}") from None


def _serialize(processing: Processing, value: Any) -> bytes:
    if processing.is_csv:
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(value if isinstance(value, list) else [value])
        return out.getvalue().encode()
    return json.dumps(value, ensure_ascii=False).encode()
