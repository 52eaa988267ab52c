"""The choice of decoder and encoder for a request (the media types' names are in media_types.py).

A request's Content-Type picks its decoder (415 when none), its Accept header picks the encoder (406 when none);
an absent or `*/*` Accept gets the endpoint's default (SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT).

The built-in codecs are in decoders.py and encoders.py. algorithm.py adds its own, or replaces a built-in one, with two
optional dicts keyed by media type:

    DECODERS = {"image/png": read_png}            # body bytes -> the `data` predict gets
    ENCODERS = {"text/plain": lambda result: ...}  # predict's result (or each streamed item) -> bytes

codecs(algorithm) is the one place that merges them: the server, its 415 and 406 answers and anything that
describes the endpoint (the algorithm spec, the Postman guard test) read the media types from it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from framework.errors import ConfigError
from framework.serving.decoders import DECODERS
from framework.serving.encoders import ENCODERS, ITEM_ENCODERS

_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


@dataclass(frozen=True)
class Codecs:
    decoders: dict[str, Callable[[bytes], Any]]  # Content-Type -> decoder
    encoders: dict[str, Callable[[Any], bytes]]  # answer type -> encoder of a whole answer
    item_encoders: dict[str, Callable[[Any], bytes]]  # answer type -> encoder of one item of a streamed answer


def codecs(algorithm: ModuleType | None = None) -> Codecs:
    """The effective codecs for an algorithm: the built-ins, then the algorithm's DECODERS and ENCODERS over them."""
    decoders, encoders = _declared(algorithm, "DECODERS"), _declared(algorithm, "ENCODERS")
    # An algorithm's encoder for a type also encodes each streamed item of that type: it knows its own format.
    return Codecs({**DECODERS, **decoders}, {**ENCODERS, **encoders}, {**ITEM_ENCODERS, **encoders})


def best_answer_type(accept_header: str | None, offered: list[str], default: str) -> str | None:
    """The offered type the Accept header prefers; `default` when the caller takes anything; None when none fits."""
    if accept_header in offered:
        return accept_header  # one type, no quality or wildcard, the usual header: parsing it cost ~5 us a request
    accepted = parse_accept_header(accept_header, MIMEAccept)
    if not accepted or accepted.to_header() == "*/*":
        return default
    return accepted.best_match(offered)


def _declared(algorithm: ModuleType | None, name: str) -> dict[str, Callable]:
    declared = getattr(algorithm, name, None) or {}
    if not isinstance(declared, dict):
        raise ConfigError(f"algorithm.{name} must be a dict of media type to function, not {type(declared).__name__}")
    for media_type, function in declared.items():
        if not isinstance(media_type, str) or not _MEDIA_TYPE.fullmatch(media_type):
            raise ConfigError(
                f"algorithm.{name} key {media_type!r} is not a media type in lower case, like 'image/png' "
                "(no parameters: a request's charset and the like are ignored when choosing)"
            )
        if not callable(function):
            raise ConfigError(f"algorithm.{name}[{media_type!r}] is a {type(function).__name__}, not a function")
    return dict(declared)
