"""Reading a request's body: the one place where its framing and its size and time limits are enforced.

Every content type goes through read(), whether the body comes with a Content-Length or chunked:
- over the limit: 413, never a body cut at the limit and predicted as if it were whole. The upload is read and
  discarded first (up to DRAIN_BYTES), because a client that sends its whole body before reading the answer (most
  HTTP libraries, SageMaker's batch agent) otherwise gets "connection reset" instead of the 413.
- shorter than its Content-Length (the client hung up), or chunked framing that is broken: 400, never an answer
  computed on part of the data.
- slower than the time limit: 408, as gunicorn already bounds the time a client takes to send the headers.

gunicorn's wsgi.input does the framing (Content-Length or chunked); this file decides what each outcome means.
"""

import gevent
from gunicorn.http.errors import ParseException

from framework.settings import MAX_PAYLOAD_MB

# The largest over-limit upload read to its end before the 413: SageMaker's largest payload (batch transform's
# MaxPayloadInMB is at most 100). Beyond it the answer is sent at once and the connection closed.
DRAIN_BYTES = 100 * 1024 * 1024
_STEP = 1024 * 1024


class BodyError(Exception):
    """The body cannot be used: the answer's status and the reason to give the client."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status


class _TooSlow(Exception):
    """Raised by gevent.Timeout inside a read; an Exception, so gunicorn marks the connection as not reusable."""


def read(stream, content_length: int | None, limit_mb: int, seconds: int) -> bytes:
    """The whole body from a WSGI input stream, or BodyError.

    content_length: the Content-Length header's value, None when the body is chunked.
    """
    limit = limit_mb * 1024 * 1024
    too_large = BodyError(
        413,
        f"the request body is over the {limit_mb} MB limit; send fewer records per request, or raise the limit with "
        f"the SAGEMAKER_MAX_PAYLOAD_IN_MB setting (now {limit_mb}, at most {MAX_PAYLOAD_MB})",
    )
    try:
        with gevent.Timeout(seconds, _TooSlow):
            if content_length is not None and content_length > limit:
                if content_length <= DRAIN_BYTES:  # beyond, no reading would let the client see the answer
                    _drain(stream)
                raise too_large
            # One byte more than the limit tells a chunked body at the limit from one that goes on.
            body = stream.read(limit + 1 if content_length is None else content_length)
            if len(body) > limit:
                _drain(stream)
                raise too_large
    except _TooSlow:
        raise BodyError(
            408,
            f"the request body did not arrive within {seconds} s (SAGEMAKER_MODEL_SERVER_TIMEOUT); nothing was "
            "predicted",
        ) from None
    except ParseException as exc:
        raise BodyError(400, f"the request's chunked framing is invalid ({exc}); nothing was predicted") from None
    except OSError as exc:  # gunicorn's NoMoreData (the client hung up in a chunked body), or the socket failed
        raise BodyError(400, f"the request body ended before its end ({exc}); nothing was predicted") from None
    if content_length is not None and len(body) < content_length:
        raise BodyError(
            400,
            f"the request body ended after {len(body)} of the {content_length} bytes its Content-Length announced; "
            "nothing was predicted",
        )
    return body


def _drain(stream) -> None:
    """Read and discard what is left of an over-limit upload, up to DRAIN_BYTES; whatever the client does."""
    drained = 0
    try:
        while drained < DRAIN_BYTES:
            piece = stream.read(_STEP)
            if not piece:
                return
            drained += len(piece)
    except (_TooSlow, ParseException, OSError):
        return  # the 413 goes out all the same; gunicorn closes a connection whose body it could not finish
