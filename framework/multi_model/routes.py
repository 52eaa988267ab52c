"""SageMaker's multi-model API, served when SAGEMAKER_MULTI_MODEL=true: one container, many models of one algorithm.

    POST   /models                  {"model_name", "url"}: load (initialize) the model in url; 409 when loaded,
                                    507 past the memory budget, 404 when url holds nothing, 500 when initialize fails
    GET    /models                  {"models": [{"modelName", "modelUrl"}], "nextPageToken"}; ?limit=&next_page_token=
    GET    /models/<name>           {"modelName", "modelUrl"}; 404 when not loaded
    DELETE /models/<name>           unload it; 404 when not loaded
    POST   /models/<name>/invoke    exactly what /invocations does in single-model mode, with that model

Every worker answers for every model: the list of loaded models is shared (registry.py), and a worker that is
asked for a model another worker loaded loads its own copy on first use. The worker that takes POST /models loads
the model before it answers, so that a model that cannot load is an error there, not on its first invocation.
Loads run on their own thread, so /ping and other models' predictions go on while a big model loads.
docs/explanation/design.md has the design and its reasons.
"""

import gc
import json
import logging
import os
import shutil
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import gevent
from flask import Flask, Response, request
from gevent.lock import Semaphore
from gevent.threadpool import ThreadPool

from framework.multi_model import memory
from framework.multi_model.registry import LOADED, Entry, Registry
from framework.serving.invocation import Answer, Invoker, error
from framework.settings import ServingSettings

log = logging.getLogger("serve")

PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000  # GET /models, as Multi Model Server pages it
SWEEP_SECONDS = 1.0  # how soon a worker lets go of a model that another worker unloaded
PLACEHOLDERS = {".gitkeep", ".gitignore", ".keep"}  # keep an empty folder in git; not part of a model


class ModelUnusable(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class WorkerModels:
    """This worker's copies of the registry's models, each loaded once however many requests race for it."""

    def __init__(self, algorithm: ModuleType, registry: Registry, settings: ServingSettings, bind):
        self.algorithm, self.registry, self.settings, self.bind = algorithm, registry, settings, bind
        self.copies: dict[str, tuple[str, Any]] = {}  # name -> (the load's id, its predict as routes.py runs it)
        self.locks: dict[str, Semaphore] = {}
        # One thread: a load is CPU- and disk-bound; predictions keep their own thread (routes.py).
        self.loader = ThreadPool(1)

    def load(self, name: str, url: str) -> Answer:
        claimed = self.registry.claim(name, url)
        if claimed is None:
            return error(409, f"model {name!r} is already loaded")
        published = None
        try:
            before = self._used()
            if before is not None and before > self.settings.model_memory_bytes:
                return self._full(name, f"the server already uses {before // memory.MB} MB")
            model_dir, unpacked = self.loader.apply(_model_dir, (Path(url), self.registry.scratch(claimed)))
            model = self.loader.apply(self._initialize, (name, model_dir))
            after = self._used()
            if after is not None and after > self.settings.model_memory_bytes:
                del model
                gc.collect()
                grown = (after - (before or 0)) // memory.MB
                return self._full(name, f"it took {grown} MB and brought the server to {after // memory.MB} MB")
            published = self.registry.publish(claimed, model_dir, unpacked)
            if published is None:
                return error(404, f"model {name!r} was unloaded while it loaded")
            self.copies[name] = (published.id, self.bind(Invoker(self.algorithm, model)))
            log.info("model %r loaded from %s (server memory %s MB)", name, url, _mb(after))
            return Answer(200, json.dumps({"status": f"model {name!r} loaded"}).encode(), "application/json")
        except ModelUnusable as exc:
            return error(exc.status, str(exc))
        finally:
            if published is None:  # whatever went wrong, the name is free again and nothing is left on disk
                self.registry.forget(claimed)
                shutil.rmtree(self.registry.scratch(claimed), ignore_errors=True)

    def runner(self, name: str) -> Any:
        """The model's predict as routes.py runs it (bound to this worker's copy), or the 404 Answer."""
        entry = self.registry.get(name)
        if entry is None or entry.state != LOADED:
            return error(404, f"model {name!r} is not loaded; load it with POST /models")
        copy = self.copies.get(name)
        if copy is not None and copy[0] == entry.id:
            return copy[1]
        # Loaded by another worker (or unloaded and loaded again): this worker's first request for it loads it.
        with self.locks.setdefault(name, Semaphore()):
            copy = self.copies.get(name)
            if copy is None or copy[0] != entry.id:
                try:
                    model = self.loader.apply(self._initialize, (name, Path(entry.model_dir)))
                except ModelUnusable as exc:
                    return error(exc.status, str(exc))
                self._drop(name)  # an older load of the same name
                copy = (entry.id, self.bind(Invoker(self.algorithm, model)))
                self.copies[name] = copy
                log.info("model %r loaded into this worker on its first request", name)
            return copy[1]

    def unload(self, name: str) -> Answer:
        entry = self.registry.unload(name)
        if entry is None:
            return error(404, f"model {name!r} is not loaded")
        self._drop(name)
        if entry.unpacked:
            shutil.rmtree(entry.model_dir, ignore_errors=True)
        gc.collect()  # a model is often a web of objects: give its memory back now, not at the next collection
        log.info("model %r unloaded (server memory %s MB)", name, _mb(self._used()))
        return Answer(200, json.dumps({"status": f"model {name!r} unloaded"}).encode(), "application/json")

    def sweep(self) -> None:
        """Forever: let go of this worker's copies of models that another worker unloaded."""
        while True:
            gevent.sleep(SWEEP_SECONDS)
            gone = [n for n, (id_, _) in self.copies.items() if getattr(self.registry.get(n), "id", None) != id_]
            for name in gone:
                self._drop(name)
                self.locks.pop(name, None)
            if gone:
                gc.collect()

    def _drop(self, name: str) -> None:
        _, run = self.copies.pop(name, (None, None))
        if hasattr(run, "close"):  # a batcher: its dispatcher would otherwise hold the model forever
            run.close()

    def _initialize(self, name: str, model_dir: Path):
        try:
            return self.algorithm.initialize(model_dir)
        except Exception as exc:
            log.exception("model %r could not be loaded from %s", name, model_dir)
            raise ModelUnusable(
                500, f"model {name!r} could not be loaded from {model_dir}: {type(exc).__name__}: {exc}"
            ) from None

    def _used(self) -> int | None:
        return memory.used(os.getppid())  # the gunicorn master and all its workers

    def _full(self, name: str, why: str) -> Answer:
        budget = self.settings.model_memory_bytes // memory.MB
        log.warning("model %r not loaded: %s, over the memory budget of %d MB", name, why, budget)
        return error(507, f"not enough memory to load model {name!r}: {why}, over the budget of {budget} MB")


def add_routes(app: Flask, algorithm: ModuleType, settings: ServingSettings, registry: Registry, bind, answer) -> None:
    """The multi-model routes. From routes.py: `bind(invoker)` makes a model's predict as /invocations runs it, and
    `answer(run)` answers the request with it, exactly as /invocations does."""
    models = WorkerModels(algorithm, registry, settings, bind)
    gevent.spawn(models.sweep)

    @app.post("/models")
    def load_model():
        body = request.get_json(force=True, silent=True)
        name, url = (body.get("model_name"), body.get("url")) if isinstance(body, dict) else (None, None)
        if not (isinstance(name, str) and name and isinstance(url, str) and url):
            return _response(error(400, 'expected a JSON body {"model_name": "...", "url": "..."}'))
        return _response(models.load(name, url))

    @app.get("/models")
    def list_models():
        try:
            limit = int(request.args.get("limit", PAGE_SIZE))
            start = int(request.args.get("next_page_token", 0))
        except ValueError:
            return _response(error(400, "limit and next_page_token must be whole numbers"))
        if not (1 <= limit <= MAX_PAGE_SIZE and start >= 0):
            return _response(error(400, f"limit must be 1..{MAX_PAGE_SIZE} and next_page_token 0 or more"))
        entries = registry.loaded()
        page = {"models": [_describe(e) for e in entries[start : start + limit]]}
        if start + limit < len(entries):
            page["nextPageToken"] = str(start + limit)
        return page

    @app.get("/models/<name>")
    def describe_model(name: str):
        entry = registry.get(name)
        if entry is None or entry.state != LOADED:
            return _response(error(404, f"model {name!r} is not loaded"))
        return _describe(entry)

    @app.delete("/models/<name>")
    def unload_model(name: str):
        return _response(models.unload(name))

    @app.post("/models/<name>/invoke")
    def invoke_model(name: str):
        # SageMaker's TargetModel (the artifact's S3 key), for the logs only: the name is what identifies the model.
        log.info("invoke model %r (target model %s)", name, request.headers.get("X-Amzn-SageMaker-Target-Model"))
        return answer(models.runner(name))

    @app.post("/invocations")
    def invocations():
        return _response(
            error(404, "this server runs multi-model (SAGEMAKER_MULTI_MODEL=true): POST /models/<name>/invoke")
        )


def _describe(entry: Entry) -> dict:
    return {"modelName": entry.name, "modelUrl": entry.url}


def _response(answer: Answer) -> Response:
    return Response(answer.body, status=answer.status, mimetype=answer.content_type)


def _model_dir(url: Path, scratch: Path) -> tuple[Path, bool]:
    """The folder to initialize from: url itself, or the model.tar.gz it is (or holds) unpacked into `scratch`.
    The bool says whether the folder is the server's own (unpacked), to remove when the model is unloaded."""
    if url.is_dir():
        files = sorted(p for p in url.iterdir() if p.name not in PLACEHOLDERS)
        if [p.name for p in files] != ["model.tar.gz"]:
            if not files:
                raise ModelUnusable(404, f"{url} holds no model: the folder is empty")
            return url, False
        url = files[0]
    if not url.is_file():
        raise ModelUnusable(404, f"{url} holds no model: no such file or folder")
    if not url.name.endswith((".tar.gz", ".tgz", ".tar")):
        raise ModelUnusable(400, f"{url} is a file but not a model.tar.gz: give the folder of the model")
    _unpack(url, scratch)
    return scratch, True


def _unpack(archive_path: Path, into: Path) -> None:
    into.mkdir(parents=True)
    inside = into.resolve()
    try:
        with tarfile.open(archive_path) as archive:
            members = archive.getmembers()
            for member in members:
                # Only plain files and folders, only inside the folder (Debian's Python 3.11.2 predates tarfile's
                # extraction filters).
                if not (member.isfile() or member.isdir()) or not (inside / member.name).resolve().is_relative_to(
                    inside
                ):
                    raise ModelUnusable(400, f"{archive_path} holds {member.name!r}, which would unpack outside it")
            extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            archive.extractall(into, members=members, **extra)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ModelUnusable(400, f"{archive_path} could not be unpacked: {exc}") from None


def _mb(used: int | None) -> str:
    return "?" if used is None else str(used // memory.MB)
