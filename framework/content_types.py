"""The media types /invocations speaks, and the choice of decoder and encoder for a request.

A request's Content-Type picks its decoder (415 when none), its Accept header picks the encoder (406 when none);
an absent or `*/*` Accept gets the endpoint's default (SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT).
"""

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

JSON, JSONLINES, CSV = "application/json", "application/jsonlines", "text/csv"
JSONLINES_ALIASES = (JSONLINES, "application/jsonl", "application/x-jsonlines")


def best_answer_type(accept_header: str | None, offered: list[str], default: str) -> str | None:
    """The offered type the Accept header prefers; `default` when the caller takes anything; None when none fits."""
    accepted = parse_accept_header(accept_header, MIMEAccept)
    if not accepted or accepted.to_header() == "*/*":
        return default
    return accepted.best_match(offered)
