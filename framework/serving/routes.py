"""The Flask app behind `main.py serve`: /ping, /invocations and /execution-parameters, as SageMaker calls them.

One app per gunicorn worker process. The model is loaded once in the master before the workers fork, and shared by
them (serving/shared_model.py), or, when algorithm.py says SHARED_MODEL = False, when each worker starts; never per
request, and a model that cannot be loaded stops the server instead of answering requests it cannot serve.
predict runs on a worker thread, off gevent's event loop: a long prediction then cannot hold /ping past
SageMaker's 2 s health check. With ADAPTIVE_BATCHING in algorithm.py, batching.py stands between the route and that
thread, merging the requests that queue behind it.
With SAGEMAKER_MULTI_MODEL=true, no model is loaded at start: framework/multi_model/routes.py adds SageMaker's
/models API instead of /invocations, and /models/<name>/invoke answers exactly as /invocations does.
"""

import contextvars
import json
import logging
import time
from collections.abc import Callable, Iterator
from functools import partial
from types import ModuleType
from typing import Any

from flask import Flask, Response, g, request
from gevent.threadpool import ThreadPool
from werkzeug.exceptions import HTTPException

from framework.multi_model import routes as multi_model_routes
from framework.multi_model.registry import Registry
from framework.serving import batching, content_types, media_types, request_body
from framework.serving.invocation import CUSTOM_ATTRIBUTES, Answer, Invoker, StreamBroken, error, negotiate
from framework.serving.shared_model import load_model
from framework.settings import ServingSettings

# One model's predict as the routes call it: (body, content type, accept, custom attributes) -> Answer.
Run = Callable[[bytes, str, str, str | None], Answer]

log = logging.getLogger("serve")


def create_app(
    algorithm: ModuleType,
    settings: ServingSettings,
    registry: Registry | None = None,
    model: Callable[[], Any] | None = None,
) -> Flask:
    """The app of one worker: with one model, the one `model` returns (the master's shared copy), else loaded now by
    this worker; in multi-model mode, with the models `registry` lists."""
    app = Flask("serve")
    # One thread: predictions are CPU-bound, and more threads would only fight /ping for the GIL.
    predictor = ThreadPool(1)
    batched = batching.declared(algorithm)
    codecs = content_types.codecs(algorithm)  # the algorithm's, so the same for every model it loads

    def bind(invoke: Invoker) -> Run:
        """A model's predict on the predictor thread, through a batcher of its own when algorithm.py batches."""
        if batched:
            return batching.Batcher(invoke, predictor, settings)
        # In the request's context: what predict logs on that thread carries the request's id.
        return lambda *args: predictor.apply(contextvars.copy_context().run, (invoke, *args))

    def answer(run: Run | Answer) -> Response:
        """One model's answer to the request: /invocations, and /models/<name>/invoke in multi-model mode (where
        `run` may be the Answer already, a 404 for a model that is not loaded, sent once the body is read)."""
        # The body first, whatever the headers say: an answer sent with the upload unread reaches many clients as
        # "connection reset" instead of the answer.
        try:
            body = request_body.read(
                request.environ["wsgi.input"], request.content_length, settings.max_payload_mb, settings.timeout
            )
        except request_body.BodyError as exc:
            return _response(error(exc.status, str(exc)))
        if isinstance(run, Answer):
            return _response(run)
        accept = negotiate(codecs, request.mimetype, request.headers.get("Accept"), settings.default_accept)
        if isinstance(accept, Answer):
            return _response(accept)
        answer = run(body, request.mimetype, accept, request.headers.get(CUSTOM_ATTRIBUTES))
        if isinstance(answer.body, Iterator):
            return _response(answer, _made_on(predictor, answer.body, contextvars.copy_context()))
        return _response(answer)

    if settings.multi_model:
        multi_model_routes.add_routes(app, algorithm, settings, registry, bind, answer)
    else:
        run = bind(Invoker(algorithm, (model or partial(load_model, algorithm))()))

        @app.post("/invocations")
        def invocations():
            return answer(run)

    @app.before_request
    def note_start():
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        # No access log (gunicorn_server.py): at DEBUG, one line per request but /ping, which comes every few seconds.
        if request.path != "/ping" and log.isEnabledFor(logging.DEBUG):
            elapsed_ms = (time.perf_counter() - g.started) * 1000
            log.debug("%s %s %d in %.1f ms", request.method, request.path, response.status_code, elapsed_ms)
        return response

    @app.get("/ping")
    def ping():
        return Response(status=200)

    @app.get("/execution-parameters")
    def execution_parameters():
        # What this server takes: a transform job that sets none of these uses them (SageMaker's precedence).
        return {
            "MaxConcurrentTransforms": settings.max_concurrent_transforms,
            "BatchStrategy": settings.batch_strategy,
            # A transform job takes at most 100 MB, whatever an asynchronous endpoint's limit is.
            "MaxPayloadInMB": min(settings.max_payload_mb, 100),
        }

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # Keep werkzeug's status and headers (Allow on 405), but answer JSON like every other error.
        response = exc.get_response()
        response.set_data(json.dumps({"error": exc.description}))
        response.mimetype = media_types.JSON
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        # Only a bug in the framework gets here: the same 500 with an id as a failing predict, never Flask's own page.
        return _response(Invoker.failed(exc, f"{request.method} {request.path} failed"))

    return app


def _response(answer: Answer, body=None) -> Response:
    return Response(
        answer.body if body is None else body,
        status=answer.status,
        mimetype=answer.content_type,
        headers=answer.headers,
    )


def _made_on(predictor: ThreadPool, chunks: Iterator[bytes], context: contextvars.Context) -> Iterator[bytes]:
    """A streamed answer: each chunk made on the predictor thread, in the request's context, and sent at once
    (chunked transfer encoding) from the event loop, which answers /ping between chunks."""
    end = object()
    try:
        while (chunk := predictor.apply(context.run, (_next, chunks, end))) is not end:
            if isinstance(chunk, StreamBroken):
                raise chunk  # to gunicorn, which then closes the connection without the final chunk
            yield chunk
    finally:
        # Also when the caller hangs up mid-stream: predict's generator is closed on the predictor thread, where its
        # cleanup (`finally`, `with`) runs at once, not on the event loop whenever the garbage collector gets to it.
        predictor.apply(context.run, (chunks.close,))


def _next(chunks: Iterator[bytes], end: object) -> bytes | object:
    try:
        return next(chunks, end)
    except StreamBroken as exc:  # returned, not raised: gevent's thread pool would print a second traceback
        return exc
