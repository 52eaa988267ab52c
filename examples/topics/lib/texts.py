"""Texts out of any request shape the framework decodes, and a text/plain decoder of one text a line."""

from framework import InputError


def decode_lines(body: bytes) -> dict:
    """A text/plain body: one text a line (blank lines skipped), as {"instances": [...]}."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"a text/plain body must be UTF-8: {exc}") from None
    return {"instances": [line for line in text.splitlines() if line.strip()]}


def texts_of(data: dict) -> list[str]:
    """{"instances": [...]} of strings (JSON, JSON Lines, text/plain) or of one-field rows (CSV) -> the texts."""
    instances = data.get("instances") if isinstance(data, dict) else None
    if not isinstance(instances, list) or not instances:
        raise InputError('expected {"instances": ["a text", ...]} with at least one text')
    texts = []
    for number, record in enumerate(instances):
        if isinstance(record, list) and len(record) == 1:  # a CSV row of one field
            record = record[0]
        if not isinstance(record, str):
            raise InputError(f"record {number}: expected a text, got {type(record).__name__} {record!r:.80}")
        texts.append(record)
    return texts
