"""The Flask app behind `main.py serve`: /ping, /invocations and /execution-parameters, as SageMaker calls them.

One app per gunicorn worker process. The model is loaded when the worker starts (algorithm.initialize), never per
request, and a model that cannot be loaded stops the server instead of answering requests it cannot serve.
predict runs on a worker thread, off gevent's event loop: a long prediction then cannot hold /ping past
SageMaker's 2 s health check.
"""

import inspect
import json
import logging
import uuid
from types import ModuleType

from flask import Flask, Response, request
from gevent.threadpool import ThreadPool
from werkzeug.exceptions import HTTPException, NotAcceptable, UnsupportedMediaType

from framework import codecs
from framework.errors import InputError
from framework.paths import MLPaths
from framework.settings import ServingSettings

log = logging.getLogger("serve")


def create_app(algorithm: ModuleType, settings: ServingSettings) -> Flask:
    model_dir = MLPaths.from_env().model
    try:
        model = algorithm.initialize(model_dir)
    except Exception as exc:
        log.error("could not load the model from %s: %s: %s; the server stops", model_dir, type(exc).__name__, exc)
        raise
    log.info("model loaded from %s", model_dir)

    takes_attributes = "custom_attributes" in inspect.signature(algorithm.predict).parameters
    # One thread: predictions are CPU-bound, and more threads would only fight /ping for the GIL.
    predictor = ThreadPool(1)

    def answer(body: bytes, decode, encode, attributes: str | None) -> Response:
        # Runs on the predictor thread; errors are turned into answers here, where their traceback is.
        try:
            data = decode(body)
            result = algorithm.predict(model, data, custom_attributes=attributes) if takes_attributes else \
                algorithm.predict(model, data)
            if not isinstance(result, dict):
                raise TypeError(f"predict must return a dict, not {type(result).__name__}")
            return encode(result)
        except InputError as exc:
            return _error(400, str(exc))
        except Exception:
            error_id = uuid.uuid4().hex[:12]
            log.exception("invocation failed [error id %s]", error_id)
            return _error(500, "the model failed on this request; the server log has the details", id=error_id)

    app = Flask("serve")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_payload_bytes

    @app.get("/ping")
    def ping():
        return Response(status=200)

    @app.get("/execution-parameters")
    def execution_parameters():
        return {"MaxConcurrentTransforms": settings.workers, "BatchStrategy": "MULTI_RECORD",
                "MaxPayloadInMB": settings.max_payload_mb}

    @app.post("/invocations")
    def invocations():
        decode = codecs.DECODERS.get(request.mimetype)
        if decode is None:
            raise UnsupportedMediaType(
                f"Content-Type {request.mimetype or '(none)'!r} is not supported; use one of: "
                + ", ".join(codecs.DECODERS))
        accept = _answer_type(settings.default_accept)
        body = request.get_data(cache=False)
        if not body:
            return _error(400, "request body is empty")
        attributes = request.headers.get("X-Amzn-SageMaker-Custom-Attributes")
        answered = predictor.apply(answer, (body, decode, codecs.ENCODERS[accept], attributes))
        return answered if isinstance(answered, Response) else Response(answered, mimetype=accept)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # Keep werkzeug's status and headers (Allow on 405), but answer JSON like every other error.
        response = exc.get_response()
        response.set_data(json.dumps({"error": exc.description}))
        response.mimetype = codecs.JSON
        return response

    return app


def _answer_type(default: str) -> str:
    accepted = request.accept_mimetypes
    if not accepted or accepted.to_header() == "*/*":
        return default
    best = accepted.best_match(list(codecs.ENCODERS))
    if best is None:
        raise NotAcceptable(f"cannot answer {accepted.to_header()!r}; use one of: " + ", ".join(codecs.ENCODERS))
    return best


def _error(status: int, message: str, **extra) -> Response:
    return Response(json.dumps({"error": message, **extra}), status=status, mimetype=codecs.JSON)
