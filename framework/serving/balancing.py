"""Spreads invocations over the gevent workers: a busy worker hands the next request of a connection to an idle one.

gunicorn's workers share one listening socket, and a client keeps its connection open: two clients that send large
requests (a transform job's MaxConcurrentTransforms connections) often both land on one worker, whose single
predictor thread then runs their requests one after the other while another worker idles. nginx in front of sync
workers does not have this problem, since it hands out requests, not connections.

So every worker counts its invocations in progress in a slot of memory shared with the others (created by the
master before the fork). When a worker answers an invocation while more of them wait for its predictor, and another
worker has none, the answer carries `Connection: close`: the client's next request comes on a new connection, and
the idle worker, whose event loop is not competing with a predictor thread, is the one that accepts it. Under full
load no worker is idle, so connections are kept as before; /ping is never delayed, since nothing here waits.
"""

import mmap
import struct

from werkzeug.wsgi import ClosingIterator

_FREE, _IDLE = -1, 0  # a slot's value: no worker (or one still loading its model), or invocations in progress
_SLOT = struct.Struct("i")


class WorkerLoad:
    """The shared slots; `mine` is this worker's slot, set after the fork."""

    def __init__(self, workers: int):
        # Room for the replacements gunicorn forks while a dead worker's slot is not yet freed.
        self.size = 2 * workers + 2
        self.memory = mmap.mmap(-1, self.size * _SLOT.size)  # anonymous and shared: the forked workers see it
        self.counts = memoryview(self.memory).cast("i")
        for slot in range(self.size):
            self.counts[slot] = _FREE
        self.mine = None

    # gunicorn's server hooks, which run in the master (pre_fork, child_exit) or in the new worker.
    def pre_fork(self, server, worker) -> None:
        taken = {getattr(w, "load_slot", None) for w in server.WORKERS.values()}
        worker.load_slot = next(slot for slot in range(self.size) if slot not in taken)

    def post_fork(self, server, worker) -> None:
        self.mine = worker.load_slot

    def post_worker_init(self, worker) -> None:
        self.counts[self.mine] = _IDLE  # the model is loaded: this worker can take work

    def child_exit(self, server, worker) -> None:
        self.counts[worker.load_slot] = _FREE

    def hooks(self) -> dict:
        return {name: getattr(self, name) for name in ("pre_fork", "post_fork", "post_worker_init", "child_exit")}

    def wsgi(self, app):
        """The app, counting its invocations and handing connections off when another worker is idle."""

        def balanced(environ, start_response):
            if environ.get("PATH_INFO") != "/invocations" or self.mine is None:
                return app(environ, start_response)
            self.counts[self.mine] += 1
            try:
                answer = app(environ, start_response)
            except BaseException:
                self.counts[self.mine] -= 1
                raise
            # The view has run; the answer's headers go out when gunicorn writes the body, after this returns. This
            # invocation counts until its answer is written (a streamed answer is still being made on the predictor),
            # so more than one means others wait for this worker's predictor.
            if self.counts[self.mine] > 1 and self.another_is_idle():
                response = getattr(start_response, "__self__", None)  # gunicorn's Response, which can close
                if hasattr(response, "force_close"):
                    response.force_close()
            return ClosingIterator(answer, self._answered)  # gunicorn closes the answer once written, or on a hang-up

        return balanced

    def _answered(self) -> None:
        self.counts[self.mine] -= 1

    def another_is_idle(self) -> bool:
        return any(count == _IDLE for slot, count in enumerate(self.counts) if slot != self.mine)
