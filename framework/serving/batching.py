"""Adaptive batching: requests that wait behind a busy predictor share one predict call. Opt-in, in algorithm.py:

    ADAPTIVE_BATCHING = True   # only if predict's records are independent of one another

Each worker has one predictor thread (routes.py). While it runs a predict call, the requests that arrive queue here;
when it is free, the request at the head of the queue is decoded and merged with the queued requests whose records
are of the same kind (a 2-D array of the same width and dtype, or lists of records of the same fields and types) and
that carry the same custom attributes, up to SERVE_BATCH_MAX_RECORDS records. One predict call answers them all; its
"predictions" are split back, in order, and each request's share is encoded in that request's own Accept type.
Nothing waits when the predictor is idle (unless SERVE_BATCH_WAIT_MS asks to), so a lone request costs what it
did without batching. A request that cannot be merged runs alone, exactly as without batching.

Failures stay each request's own: an InputError for a merged call runs its requests again one by one, so that only
the bad one gets the 400; any other exception is predict's fault, not one request's, and answers every request of
the call with a 500 carrying one error id, logged once; so does a result whose "predictions" do not count one per
record. A result that cannot be split (not a dict, keys besides "predictions") runs the requests again one by one.
"""

import contextvars
import inspect
import itertools
import logging
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import gevent
import numpy as np
from gevent.event import AsyncResult, Event
from gevent.threadpool import ThreadPool

from framework import logs
from framework.errors import ConfigError, InputError
from framework.serving.invocation import Answer, Invoker
from framework.settings import ServingSettings

log = logging.getLogger("serve")


def declared(algorithm: ModuleType) -> bool:
    """Whether algorithm.py opts in; a value other than True or False stops the server at start."""
    value = getattr(algorithm, "ADAPTIVE_BATCHING", False)
    if not isinstance(value, bool):
        raise ConfigError(f"ADAPTIVE_BATCHING in algorithm.py must be True or False, not {value!r}")
    if value and inspect.isgeneratorfunction(algorithm.predict):
        raise ConfigError("ADAPTIVE_BATCHING cannot split a predict that streams its answer (a generator)")
    return value


@dataclass(eq=False)
class Pending:
    """One request in the queue. data, key and records are filled on the predictor thread, once it is decoded; data
    is dropped there again once the request is answered (next_call)."""

    body: bytes
    content_type: str
    accept: str
    attributes: str | None
    answer: AsyncResult = field(default_factory=AsyncResult)
    decoded: bool = False
    data: Any = None  # what the decoder made of the body (a custom decoder may make anything)
    key: tuple | None = None  # requests with equal keys can share a call; None: this one runs alone
    records: int = 0
    # The request's context, made in its greenlet: what is logged for it alone, on the predictor thread, carries its id.
    context: contextvars.Context = field(default_factory=contextvars.copy_context)


class Batcher:
    """Stands where predictor.apply(invoke, ...) stands without batching: one request in, its Answer out."""

    def __init__(self, invoker: Invoker, predictor: ThreadPool, settings: ServingSettings):
        self.invoker, self.predictor = invoker, predictor
        self.max_records, self.wait_s = settings.batch_max_records, settings.batch_wait_ms / 1000
        self.queue: list[Pending] = []
        self.arrived = Event()
        self.dispatcher: gevent.Greenlet | None = None
        self.closed = False

    def __call__(self, body: bytes, content_type: str, accept: str, attributes: str | None) -> Answer:
        pending = Pending(body, content_type, accept, attributes)
        self.queue.append(pending)
        self.arrived.set()
        if self.dispatcher is None or self.dispatcher.dead:  # started in the worker's own event loop, when needed
            self.dispatcher = gevent.spawn(self._dispatch)
        return pending.answer.get()

    def close(self) -> None:
        """Let the dispatcher end once the queue is empty (a multi-model worker unloading the model)."""
        self.closed = True
        self.arrived.set()

    def _dispatch(self) -> None:
        # One greenlet per worker hands the queue to the predictor thread, one predict call at a time; the queue is
        # only touched here and in __call__, both on the event loop, so it needs no lock.
        while True:
            self.arrived.wait()
            if self.closed and not self.queue:
                return
            if self.wait_s:
                gevent.sleep(self.wait_s)  # the predictor was idle: let a few more requests arrive
            self.arrived.clear()
            while self.queue:
                self._answer_next()

    def _answer_next(self) -> None:
        # A method of its own, so that nothing of one call (its requests, their answers) stays alive, in the loop's
        # variables, through the next call.
        waiting = list(self.queue)
        try:
            done = self.predictor.apply(next_call, (self.invoker, waiting, self.max_records))
        except Exception as exc:  # a fault here must not leave requests waiting forever
            answer = self.invoker.failed(exc, f"batching failed for {len(waiting)} request(s){_ids(waiting)}")
            done = [(pending, answer) for pending in waiting]
        for pending, answer in done:
            pending.answer.set(answer)
        finished = {id(pending) for pending, _ in done}
        self.queue = [pending for pending in self.queue if id(pending) not in finished]


def next_call(invoker: Invoker, waiting: list[Pending], max_records: int) -> list[tuple[Pending, Answer]]:
    """On the predictor thread: one predict call for the head of the queue and the requests it can merge with.

    Returns the answered requests: that call's, and those whose body failed to decode on the way.
    """
    done, group, records = [], [], 0
    for pending in waiting:
        if not pending.decoded:
            try:
                pending.data = pending.context.run(invoker.decode, pending.body, pending.content_type)
            except Exception as exc:
                done.append((pending, pending.context.run(invoker.failed, exc)))
                continue
            pending.decoded, pending.body = True, b""  # the bytes are no longer needed while it waits
            pending.key, pending.records = merge_key(pending.data, pending.attributes, max_records)
        if not group:
            group, records = [pending], pending.records
            if pending.key is None:
                break
        elif pending.key == group[0].key and records + pending.records <= max_records:
            group.append(pending)
            records += pending.records
        if records >= max_records:
            break
    done += run_group(invoker, group)
    for pending, _ in done:
        # Dropped once answered, on this thread, as without batching: a large request's arrays kept alive into the
        # next call cost a 5 MB forest request 56,000 page faults and over 40% more CPU.
        pending.data = None
    return done


def merge_key(data: Any, attributes: str | None, max_records: int) -> tuple[tuple | None, int]:
    """What a request must share with others to be merged with them (None: it runs alone), and its record count."""
    if type(data) is not dict or data.keys() != {"instances"}:
        return None, 0  # other keys would be one request's options: they cannot be merged
    instances = data["instances"]
    is_array = isinstance(instances, np.ndarray) and instances.ndim > 0
    # The size first: a large request runs alone without a look at each of its records.
    if not (is_array or type(instances) is list) or not 0 < len(instances) <= max_records:
        return None, 0
    if is_array:
        return ("array", instances.dtype.str, instances.shape[1:], attributes), len(instances)
    shapes = {_shape(record) for record in instances}
    return (("list", shapes.pop(), attributes) if len(shapes) == 1 else None), len(instances)


def _shape(record: Any) -> tuple:
    # Types, not values: [5, 1.2] and [5.0, 1.2] are not merged, since predict might treat them differently.
    if type(record) is list:
        return list, tuple(map(type, record))
    if type(record) is dict:
        return dict, frozenset(zip(record, map(type, record.values()), strict=True))
    return (type(record),)


def run_group(invoker: Invoker, group: list[Pending]) -> list[tuple[Pending, Answer]]:
    if not group:
        return []
    if len(group) == 1:
        head = group[0]
        return [(head, head.context.run(invoker.respond, head.data, head.accept, head.attributes))]

    def alone() -> list[tuple[Pending, Answer]]:
        return [(p, p.context.run(invoker.respond, p.data, p.accept, p.attributes)) for p in group]

    parts = [p.data["instances"] for p in group]
    merged = np.concatenate(parts) if isinstance(parts[0], np.ndarray) else list(itertools.chain.from_iterable(parts))
    try:
        result = invoker.call({"instances": merged}, group[0].attributes)
    except Exception as exc:
        if isinstance(exc, InputError):
            return alone()  # which request is bad? Each alone tells: only that one gets the 400
        answer = invoker.failed(exc, f"predict failed on a merged call of {len(group)} requests{_ids(group)}")
        return [(p, answer) for p in group]

    predictions = result.get("predictions") if type(result) is dict and result.keys() == {"predictions"} else None
    if not hasattr(predictions, "__len__") or isinstance(predictions, (str, bytes, dict)):
        _warn_once(result)
        return alone()
    if len(predictions) != len(merged):
        answer = invoker.failed(
            ValueError(f"{len(predictions)} predictions for {len(merged)} records"),
            f"predict returned {len(predictions)} predictions for a merged call of {len(group)} requests{_ids(group)} "
            f"with {len(merged)} records: with ADAPTIVE_BATCHING, predict must answer one prediction per record, in "
            "order",
        )
        return [(p, answer) for p in group]

    done, start = [], 0
    for p in group:
        share = predictions[start : start + len(p.data["instances"])]
        start += len(share)
        try:
            done.append((p, p.context.run(invoker.encode, {"predictions": share}, p.accept)))
        except Exception as exc:
            done.append((p, p.context.run(invoker.failed, exc)))
    return done


def _ids(group: list[Pending]) -> str:
    """The request ids of a merged call, for its log line (which no single request's id fits)."""
    ids = [rid for p in group if (rid := p.context.get(logs.request_id)) is not None]
    return f" (request ids {', '.join(ids)})" if ids else ""


_warned = False


def _warn_once(result: Any) -> None:
    global _warned
    if not _warned:
        _warned = True
        what = sorted(result) if isinstance(result, dict) else type(result).__name__
        log.warning(
            'predict returned %s for a merged call, not {"predictions": [...]} alone: such calls run their '
            "requests again one by one, which batching cannot speed up",
            what,
        )
