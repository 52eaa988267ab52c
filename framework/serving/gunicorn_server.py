"""`main.py serve`: gunicorn with gevent workers, started from Python, serving the Flask app of routes.py.

main.py has already monkey-patched the standard library with gevent before importing this file: gunicorn imports
ssl, and patching after that is the known source of RecursionError (boto3, requests) in gevent workers.
"""

import logging
import os
import time

from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from framework import cpus, logs
from framework.multi_model.registry import Registry
from framework.serving import balancing, batching, content_types, shared_model
from framework.serving.invocation import INFERENCE_ID
from framework.serving.routes import (
    create_app,  # Flask too, before the fork: workers inherit it instead of importing it
)
from framework.settings import ServingSettings

log = logging.getLogger("serve")
_INFERENCE_ID = INFERENCE_ID.upper()  # as gunicorn's parsed headers spell the name


class _Logger(glogging.Logger):
    """gunicorn's own lines through the root logger's handler (framework/logs.py): the same format and level."""

    def setup(self, cfg):
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            logger.handlers.clear()
            logger.propagate = True


def _request_started(worker, request) -> None:
    # In place of gunicorn's default, which logs each request at DEBUG, /ping too. The id is set here rather than in
    # the app so that gunicorn's own lines about the request (a stream that failed once started) carry it too.
    logs.request_id.set(next((value for name, value in request.headers if name == _INFERENCE_ID), None))


def _request_ended(worker, request, environ, response) -> None:
    logs.request_id.set(None)  # the greenlet of a keep-alive connection serves its next request


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict, app_factory, load: balancing.WorkerLoad):
        self.options, self.app_factory, self.worker_load = options, app_factory, load
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # In each worker, after the fork: the app around the master's model (or the worker's own, when not shared).
        return self.worker_load.wsgi(self.app_factory())


def run(algorithm_loader) -> int:
    """Serves until SIGTERM (gunicorn then exits the process); returns 1 when the model cannot be loaded."""
    # Import the algorithm (pandas, scikit-learn, ...) once here, before the fork: workers inherit the loaded
    # modules, and the model too unless algorithm.py says SHARED_MODEL = False (serving/shared_model.py).
    started = time.perf_counter()
    algorithm = algorithm_loader()
    # Part of the cold start that SageMaker's serverless and scaled-out endpoints wait for, and the algorithm's own.
    log.info("algorithm.py imported in %.2f s", time.perf_counter() - started)
    shared = shared_model.declared(algorithm)
    # Its DECODERS and ENCODERS are checked here, once, and its answer types may be the default Accept.
    settings = ServingSettings.from_env(content_types.codecs(algorithm).encoders)
    options = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "worker_class": "gevent",
        "timeout": settings.timeout,
        # SageMaker sends SIGKILL 30 s after SIGTERM: finish in-flight requests well before that.
        "graceful_timeout": 20,
        "accesslog": None,  # one line per /ping every few seconds is noise in CloudWatch (routes.py logs at DEBUG)
        "logger_class": _Logger,
        "pre_request": _request_started,
        "post_request": _request_ended,
        "loglevel": logging.getLevelName(logging.getLogger().level).lower(),
        "proc_name": "sagemaker-serve",
        "control_socket_disable": True,  # gunicornc is not part of the contract; one fixed socket path would clash
    }
    # Created before the fork, so that every worker sees how busy the others are (balancing.py).
    load = balancing.WorkerLoad(settings.workers)
    options.update(load.hooks())
    if os.path.isdir("/dev/shm"):
        options["worker_tmp_dir"] = "/dev/shm"  # heartbeat files on a container's overlay disk can stall workers
    log.info(
        "serving on %s with %d gevent worker(s), timeout %d s, max payload %d MB",
        options["bind"],
        settings.workers,
        settings.timeout,
        settings.max_payload_mb,
    )
    # main.py sized them before the libraries loaded (framework/cpus.py), where the environment left them unset.
    log.info(
        "native thread pools per worker: %s",
        ", ".join(f"{name}={os.environ.get(name, 'unset')}" for name in cpus.THREAD_POOL_VARIABLES[:3]),
    )
    if batching.declared(algorithm):  # here, before the fork: a wrong declaration stops serve with one line
        log.info(
            "adaptive batching on: queued requests share predict calls of up to %d records (SERVE_BATCH_WAIT_MS %d)",
            settings.batch_max_records,
            settings.batch_wait_ms,
        )
    if settings.multi_model:
        return _serve_models(options, algorithm, settings, load)  # loaded on demand, each in the workers
    if not shared:
        log.info("SHARED_MODEL = False in algorithm.py: each worker loads its own copy of the model")
        _Gunicorn(options, lambda: create_app(algorithm, settings), load).run()
        return 0
    try:
        model = shared_model.load_before_fork(algorithm)
    except shared_model.ForkUnsafe:
        raise
    except Exception:  # logged with its traceback: the server stops, as when a worker could not load it
        return 1
    log.info("the workers share this one copy of the model (SHARED_MODEL = False in algorithm.py loads one each)")
    _Gunicorn(options, lambda: create_app(algorithm, settings, model=lambda: model), load).run()
    return 0


def _serve_models(options: dict, algorithm, settings: ServingSettings, load: balancing.WorkerLoad) -> int:
    # Made before the fork, so that every worker shares it: the models one worker loads, the others serve too.
    registry, master = Registry.create(), os.getpid()
    log.info(
        "multi-model: models load with POST /models; memory budget %d MB; registry %s",
        settings.model_memory_mb,
        registry.folder,
    )
    try:
        _Gunicorn(options, lambda: create_app(algorithm, settings, registry), load).run()
    finally:
        if os.getpid() == master:  # a worker leaves through here too (gunicorn ends it with sys.exit)
            registry.remove()
    return 0
