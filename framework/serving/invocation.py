"""One request through the algorithm: choose decoder and encoder, decode, predict, encode, map each error to an answer.

Plain functions with no server behind them: the Flask route in routes.py calls them, and tests can too.
"""

import inspect
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from framework.errors import InputError
from framework.serving import content_types, media_types
from framework.serving.content_types import Codecs
from framework.serving.encoders import event

log = logging.getLogger("serve")

CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
INFERENCE_ID = "X-Amzn-SageMaker-Inference-Id"  # the caller's InferenceId, which SageMaker forwards: the request's id
_MAX_ATTRIBUTES = 1024  # SageMaker's limit on the header, both ways
_END = object()


@dataclass(frozen=True)
class Prediction:
    """Return this from predict to also send the X-Amzn-SageMaker-Custom-Attributes header back to the caller.

    `result` is what predict would return otherwise (a dict, or an iterator to stream); `custom_attributes` is at
    most 1,024 printable ASCII characters (anything else is a 500 with a log line saying why).
    """

    result: Any
    custom_attributes: str | None = None


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes | Iterator[bytes]  # an iterator is a streamed answer, sent chunk by chunk as it is made
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


class StreamBroken(Exception):
    """A streamed answer failed after its 200 went out: the server cuts the connection so the caller sees it."""


def error(status: int, message: str, **extra: Any) -> Answer:
    return Answer(status, json.dumps({"error": message, **extra}).encode(), media_types.JSON)


def negotiate(codecs: Codecs, content_type: str, accept_header: str | None, default_accept: str) -> Answer | str:
    """The answer's media type, or the 415/406 answer when the request's Content-Type or Accept cannot be served."""
    if content_type not in codecs.decoders:
        return error(
            415,
            f"Content-Type {content_type or '(none)'!r} is not supported; use one of: " + ", ".join(codecs.decoders),
        )
    accept = content_types.best_answer_type(accept_header, list(codecs.encoders), default_accept)
    if accept is None:
        return error(406, f"cannot answer {accept_header!r}; use one of: " + ", ".join(codecs.encoders))
    return accept


class Invoker:
    """algorithm.predict bound to its loaded model: bytes in, Answer out, whatever predict does.

    Its steps (decode, call, encode, failed) are separate so that batching.py can merge requests between them.
    """

    def __init__(self, algorithm: ModuleType, model: Any):
        self.predict, self.model = algorithm.predict, model
        self.codecs = content_types.codecs(algorithm)
        self.takes_attributes = "custom_attributes" in inspect.signature(algorithm.predict).parameters

    def __call__(self, body: bytes, content_type: str, accept: str, attributes: str | None = None) -> Answer:
        try:
            data = self.decode(body, content_type)
        except Exception as exc:
            return self.failed(exc)
        return self.respond(data, accept, attributes)

    def decode(self, body: bytes, content_type: str) -> Any:
        if not body:
            raise InputError("request body is empty")
        return self.codecs.decoders[content_type](body)

    def respond(self, data: Any, accept: str, attributes: str | None) -> Answer:
        """predict on one request's decoded data, encoded as `accept`; every error mapped to its answer."""
        try:
            return self.encode(self.call(data, attributes), accept)
        except Exception as exc:
            return self.failed(exc)

    def call(self, data: Any, attributes: str | None) -> Any:
        if self.takes_attributes:
            return self.predict(self.model, data, custom_attributes=attributes)
        return self.predict(self.model, data)

    def encode(self, result: Any, accept: str) -> Answer:
        headers = {}
        if isinstance(result, Prediction):
            headers = _attributes_header(result.custom_attributes)
            result = result.result
        if isinstance(result, Iterator):
            return self._stream(result, accept, headers)
        return Answer(200, self.codecs.encoders[accept](result), accept, headers)

    @staticmethod
    def failed(exc: Exception, what: str = "invocation failed") -> Answer:
        """InputError is the caller's 400; anything else is a 500 whose id is on the traceback's line in the log."""
        if isinstance(exc, InputError):
            return error(400, str(exc))
        error_id = _new_id()
        log.error("%s [error id %s]", what, error_id, exc_info=exc)
        return error(500, "the model failed on this request; the server log has the details", id=error_id)

    def _stream(self, items: Iterator, accept: str, headers: dict[str, str]) -> Answer:
        encode = self.codecs.item_encoders.get(accept)
        if encode is None:
            raise TypeError(
                f"predict returned an iterator, but {accept} answers cannot be streamed; streams are sent as "
                + ", ".join(self.codecs.item_encoders)
            )
        # The first item is made before the status is chosen: input that predict rejects at once still gets its 400.
        first = next(items, _END)
        chunks = [] if first is _END else [encode(first)]
        return Answer(200, self._chunks(chunks, items, encode, accept), accept, headers)

    @staticmethod
    def _chunks(first: list[bytes], items: Iterator, encode, accept: str) -> Iterator[bytes]:
        yield from first
        try:
            for item in items:
                yield encode(item)
        except Exception as exc:
            error_id = _new_id()
            log.exception("streamed answer failed after it started [error id %s]; the stream is cut here", error_id)
            if accept == media_types.EVENT_STREAM:
                reason = str(exc) if isinstance(exc, InputError) else "the model failed while streaming"
                yield b"event: error\n" + event({"error": reason, "id": error_id})
            # The status (200) is already sent: only an unfinished chunked body tells the caller the answer is cut.
            raise StreamBroken(f"streamed answer cut after a failure [error id {error_id}]") from None


def _attributes_header(value: Any) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, str):
        raise TypeError(f"predict's custom_attributes must be a str, not {type(value).__name__}")
    if len(value) > _MAX_ATTRIBUTES or not (value.isascii() and value.isprintable()):
        raise ValueError(
            f"predict's custom_attributes must be at most {_MAX_ATTRIBUTES:,} printable ASCII characters "
            f"(SageMaker's limit); got {len(value):,} characters: {value[:80]!r}"
        )
    return {CUSTOM_ATTRIBUTES: value}


def _new_id() -> str:
    return uuid.uuid4().hex[:12]
