"""One request through the algorithm: choose decoder and encoder, decode, predict, encode, map each error to an answer.

Plain functions with no server behind them: the Flask route in routes.py calls them, and tests can too.
"""

import inspect
import json
import logging
import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from framework import content_types
from framework.decoders import DECODERS
from framework.encoders import ENCODERS
from framework.errors import InputError

log = logging.getLogger("serve")


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str


def error(status: int, message: str, **extra: Any) -> Answer:
    return Answer(status, json.dumps({"error": message, **extra}).encode(), content_types.JSON)


def negotiate(content_type: str, accept_header: str | None, default_accept: str) -> Answer | str:
    """The answer's media type, or the 415/406 answer when the request's Content-Type or Accept cannot be served."""
    if content_type not in DECODERS:
        return error(
            415, f"Content-Type {content_type or '(none)'!r} is not supported; use one of: " + ", ".join(DECODERS)
        )
    accept = content_types.best_answer_type(accept_header, list(ENCODERS), default_accept)
    if accept is None:
        return error(406, f"cannot answer {accept_header!r}; use one of: " + ", ".join(ENCODERS))
    return accept


class Invoker:
    """algorithm.predict bound to its loaded model: bytes in, Answer out, whatever predict does.

    Its steps (decode, call, encode, failed) are separate so that batching.py can merge requests between them.
    """

    def __init__(self, algorithm: ModuleType, model: Any):
        self.predict, self.model = algorithm.predict, model
        self.takes_attributes = "custom_attributes" in inspect.signature(algorithm.predict).parameters

    def __call__(self, body: bytes, content_type: str, accept: str, attributes: str | None = None) -> Answer:
        try:
            data = decode(body, content_type)
        except Exception as exc:
            return self.failed(exc)
        return self.respond(data, accept, attributes)

    def respond(self, data: dict, accept: str, attributes: str | None) -> Answer:
        """predict on one request's decoded data, encoded as `accept`; every error mapped to its answer."""
        try:
            return self.encode(self.call(data, attributes), accept)
        except Exception as exc:
            return self.failed(exc)

    def call(self, data: dict, attributes: str | None) -> Any:
        if self.takes_attributes:
            return self.predict(self.model, data, custom_attributes=attributes)
        return self.predict(self.model, data)

    @staticmethod
    def encode(result: Any, accept: str) -> Answer:
        if not isinstance(result, dict):
            raise TypeError(f"predict must return a dict, not {type(result).__name__}")
        return Answer(200, ENCODERS[accept](result), accept)

    @staticmethod
    def failed(exc: Exception, what: str = "invocation failed") -> Answer:
        """InputError is the caller's 400; anything else is a 500 whose id is on the traceback's line in the log."""
        if isinstance(exc, InputError):
            return error(400, str(exc))
        error_id = uuid.uuid4().hex[:12]
        log.error("%s [error id %s]", what, error_id, exc_info=exc)
        return error(500, "the model failed on this request; the server log has the details", id=error_id)


def decode(body: bytes, content_type: str) -> dict:
    if not body:
        raise InputError("request body is empty")
    return DECODERS[content_type](body)
