"""One copy of the model for every worker: loaded once in gunicorn's master process, before the workers fork.

fork() gives a worker the master's memory without copying it: a page is copied only when one of the processes
writes to it. So a model loaded in the master costs its memory once, however many workers serve it, and a worker
that gunicorn starts again (after a crash or the timeout) has it at once, without reading the disk.
CPython writes to an object's header when it counts a reference to it and when its garbage collector visits it; the
collector would visit every object of the model in each worker and make it copy their pages. gc.freeze() takes the
master's objects out of the collector's reach; what is left is the reference counts of the objects predict touches
(NumPy's arrays keep their data in buffers that counting never writes to).

Two things do not survive a fork: threads (the worker has only the thread that forked; a lock another thread held
stays held forever, the classic hang) and open connections (every worker would write to the same socket). A model
whose initialize leaves either behind in the master is refused at start with one line that names them; with
SHARED_MODEL = False in algorithm.py, each worker loads its own copy after the fork, as SageMaker's own model
servers do. docs/reference/algorithm-hooks.md says which libraries need it.
One kind of thread is let through: OpenBLAS's own (SciPy loads it when a model is unpickled), which OpenBLAS stops
before every fork and starts again when the worker next multiplies (its pthread_atfork handler). GNU OpenMP's threads,
which a prediction in initialize starts, are refused with their own reason: a worker's next OpenMP call would hang.
"""

import gc
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import gevent

from framework.errors import ConfigError
from framework.paths import MLPaths

log = logging.getLogger("serve")

OPT_OUT = "SHARED_MODEL = False"
THREAD_REASON = "a thread does not survive a fork (a lock it holds would stay held in every worker)"
OPENMP_REASON = (
    "a thread does not survive a fork (GNU OpenMP, loaded here, keeps its threads once a parallel region has run, "
    "and a worker's next OpenMP call would then hang: predict nothing in initialize)"
)


class ForkUnsafe(ConfigError):
    """initialize left threads or sockets in the master: the workers cannot share that model."""


def declared(algorithm: ModuleType) -> bool:
    """Whether the workers share one model (the default); a value other than True or False stops the server."""
    value = getattr(algorithm, "SHARED_MODEL", True)
    if not isinstance(value, bool):
        raise ConfigError(f"SHARED_MODEL in algorithm.py must be True or False, not {value!r}")
    return value


def load_model(algorithm: ModuleType, traceback: bool = False) -> Any:
    """algorithm.initialize on the model folder; a failure is logged in one line (with its traceback if asked)."""
    model_dir = MLPaths.from_env().model
    started = time.perf_counter()
    try:
        model = algorithm.initialize(model_dir)
    except Exception as exc:
        log.error(
            "could not load the model from %s: %s: %s; the server stops",
            model_dir,
            type(exc).__name__,
            exc,
            exc_info=exc if traceback else None,
        )
        raise
    log.info("model loaded from %s in %.2f s", model_dir, time.perf_counter() - started)
    return model


def load_before_fork(algorithm: ModuleType) -> Any:
    """The model, loaded in this (the master) process and ready to be shared; raises ForkUnsafe when initialize left
    threads or sockets behind, and initialize's own exception when it fails."""
    before = _Resources.now()
    model = load_model(algorithm, traceback=True)
    after = _Resources.now()
    if after.openblas > before.openblas:
        log.info(
            "initialize started %s: allowed, as OpenBLAS stops them before a fork and starts them again after it",
            _count(after.openblas - before.openblas, "OpenBLAS thread"),
        )
    left, why = after.added_since(before)
    if left:
        raise ForkUnsafe(
            f"initialize left {' and '.join(left)} in the server's main process, from which the workers fork, and "
            f"{'; '.join(why)}: close them before initialize returns, or declare {OPT_OUT} in algorithm.py to load "
            "the model in each worker (docs/reference/algorithm-hooks.md)"
        )
    gc.collect()
    gc.freeze()  # the model's objects, out of the collector's reach: no worker copies their pages by collecting
    return model


@dataclass(frozen=True)
class _Resources:
    """What of this process a fork cannot share: Python threads (greenlets, once gevent has patched threading),
    the operating system's threads (C libraries start them: OpenMP, CUDA, ONNX Runtime) and sockets."""

    threads: frozenset[threading.Thread]
    tasks: frozenset[str]
    sockets: frozenset[str]  # "socket:[inode]": a number reused by a new socket is not the old one
    gevent_pool: int  # gevent's own native threads (its DNS resolver's pool), which it restarts after a fork
    openblas: int  # OpenBLAS's threads, which it stops before a fork and starts again after it
    gnu_openmp: bool  # a GNU OpenMP runtime is loaded, whose threads a fork orphans

    @classmethod
    def now(cls) -> "_Resources":
        return cls(
            # Not the dummies gevent makes for greenlets that ask for their thread (logging does): not threads.
            frozenset(t for t in threading.enumerate() if not isinstance(t, threading._DummyThread)),
            frozenset(_listing(Path("/proc/self/task"))),
            frozenset(
                link
                for fd in _listing(Path("/proc/self/fd"))
                if (link := _link(f"/proc/self/fd/{fd}")).startswith("socket:")
            ),
            _gevent_pool_size(),
            *_native_pools(),
        )

    def added_since(self, before: "_Resources") -> tuple[list[str], list[str]]:
        """What appeared since `before` and is still there, and why a fork does not take it: words for the error."""
        found, why, sockets = [], [], len(self.sockets - before.sockets)
        threads = [t for t in self.threads - before.threads if t.is_alive()]
        if threads:
            found.append(f"{_count(len(threads), 'thread')} running ({', '.join(sorted(t.name for t in threads))})")
            why.append(THREAD_REASON)
        # A Python thread is a greenlet once gevent has patched threading, else an operating system thread too.
        tasks = self.tasks - before.tasks - {str(t.native_id) for t in threads}
        native = (
            len(tasks)
            - max(0, self.gevent_pool - before.gevent_pool)
            - max(0, self.openblas - before.openblas)  # OpenBLAS's: they survive the fork (see the module's docstring)
        )
        if native > 0:
            names = sorted({_comm(task) for task in tasks})
            found.append(f"{_count(native, 'native thread')} running (named {', '.join(names)})")
            # Named like the process, as OpenMP's threads are: with GNU OpenMP loaded, they may be its pool's.
            why = [r for r in why if r != THREAD_REASON] + [OPENMP_REASON if self.gnu_openmp else THREAD_REASON]
        if sockets:
            found.append(f"{_count(sockets, 'socket')} open")
            why.append("every worker would write to the same socket")
        return found, why


def _listing(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:  # no /proc (macOS): only Python's own threads are checked
        return []


def _link(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:  # closed in between (the listing's own descriptor)
        return ""


def _comm(task: str) -> str:
    try:
        return Path(f"/proc/self/task/{task}/comm").read_text().strip()
    except OSError:
        return "?"


def _native_pools() -> tuple[int, bool]:
    """The threads the loaded OpenBLAS libraries keep (each keeps its thread count less one, the caller's), and whether
    a GNU OpenMP runtime is loaded; (0, False) without threadpoolctl (scikit-learn's dependency), which tells."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return 0, False
    pools = threadpool_info()
    openblas = sum(
        max(0, pool["num_threads"] - 1)
        for pool in pools
        if pool["internal_api"] == "openblas" and pool.get("threading_layer") == "pthreads"
    )
    return openblas, any(pool["prefix"] == "libgomp" for pool in pools)


def _gevent_pool_size() -> int:
    pool = getattr(gevent.get_hub(), "_threadpool", None)  # None until something needed it: not created here
    return pool.size if pool is not None else 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"
