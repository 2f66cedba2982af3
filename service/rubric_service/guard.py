"""A server interceptor that guards every call but health checks: bearer tokens and stream bounds.

Takes: the accepted tokens (``None``: no token check) and ``StreamLimits``.
Guarantees:

* ``grpc.health.v1.Health`` calls pass untouched: probes need no token, and ``Watch``
  streams are not bounded;
* with tokens, every other call (``rubric.v1``, reflection, unknown methods) without
  ``authorization: Bearer <token>`` naming an accepted token fails UNAUTHENTICATED
  (ErrorInfo reason ``MISSING_TOKEN`` or ``BAD_TOKEN``) before its handler runs and
  before any request of it is decoded;
* a call that streams requests takes at most ``max_records`` of them: the next one
  fails the call with RESOURCE_EXHAUSTED (``STREAM_TOO_LONG``), after every earlier
  record was answered;
* a streaming call lives at most ``max_call_seconds``: a record read later fails it
  with DEADLINE_EXCEEDED (``CALL_TOO_LONG``), and a call still open ``CAP_GRACE_SECONDS``
  after that (blocked on a silent client, or on one that does not read) is cancelled;
* a streaming call that makes no progress (no request read, no response sent) for
  ``idle_seconds`` is cancelled, so a client that goes silent or stops reading holds
  a worker thread only that long. Reading the next request only after the response
  to the previous one was sent, the server holds at most one record per stream, and
  gRPC's flow control makes a fast sender wait;
* one daemon thread (the reaper) cancels overdue calls and logs each cancellation.
  Unary calls get the token check only: their work is bounded by the rubric and
  facts limits;
* once ``closing`` is set (the server stops), every new call but health fails at once with
  UNAVAILABLE (``SHUTTING_DOWN``), which clients may retry, while calls in flight go on;
* streaming calls run on their own thread pool, never on the workers that answer unary
  calls, so open streams, idle or busy, cannot starve Score or health. At most
  ``max_streams`` are open at once, and ``max_streams_per_peer`` from one client address:
  the next is refused at once with RESOURCE_EXHAUSTED (``TOO_MANY_STREAMS``), never queued,
  so every open stream is one the idle timer watches;
* every refusal is a ``rubric_service.errors`` refusal (``missing_token``, ``stream_too_long``…): its
  message in the language of the call's ``accept-language`` metadata, both languages in its details, as
  every other error of the service.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc

from rubric_service import errors
from rubric_service.auth import TokenSet, bearer_token
from rubric_service.logs import get_logger
from rubric_service.options import (
    MAX_CALL_SECONDS,
    MAX_STREAM_RECORDS,
    MAX_STREAMS,
    MAX_STREAMS_PER_PEER,
    STREAM_IDLE_SECONDS,
)

log = get_logger("rubric_service.guard")

HEALTH_PREFIX = "/grpc.health.v1.Health/"
# Past the cap, a busy stream fails at its next record with a clear status; the reaper
# cancels (status CANCELLED) only a call that is still open this much later.
CAP_GRACE_SECONDS = 1.0


@dataclass(frozen=True)
class StreamLimits:
    max_records: int = MAX_STREAM_RECORDS
    max_call_seconds: float = MAX_CALL_SECONDS
    idle_seconds: float = STREAM_IDLE_SECONDS
    max_streams: int = MAX_STREAMS
    max_streams_per_peer: int = MAX_STREAMS_PER_PEER


@dataclass(eq=False)
class Watch:
    """One streaming call in progress, as the reaper sees it."""

    method: str
    context: Any
    limits: StreamLimits
    started: float = field(default_factory=time.monotonic)
    last: float = 0.0
    records: int = 0
    locale: str = errors.DEFAULT_LOCALE  # the language its refusals are worded in: the call's

    def __post_init__(self) -> None:
        self.last = self.started
        self.locale = _locale(self.context)

    def touch(self) -> None:
        self.last = time.monotonic()

    def past_cap(self) -> bool:
        return time.monotonic() - self.started > self.limits.max_call_seconds

    def due(self) -> tuple[float, str]:
        """When the reaper must cancel this call, and why."""
        cap = self.started + self.limits.max_call_seconds + CAP_GRACE_SECONDS
        idle = self.last + self.limits.idle_seconds
        return (idle, "idle") if idle < cap else (cap, "too_long")


class Reaper:
    """Cancels watched calls that overstay; one daemon thread, started with the first watch."""

    def __init__(self) -> None:
        self._calls: set[Watch] = set()
        self._changed = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def add(self, watch: Watch) -> None:
        with self._changed:
            self._calls.add(watch)
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="call-reaper", daemon=True)
                self._thread.start()
            self._changed.notify()

    def forget(self, watch: Watch) -> None:
        with self._changed:
            self._calls.discard(watch)

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify()

    def _run(self) -> None:
        with self._changed:
            while not self._stopped:
                self._changed.wait(self._reap())

    def _reap(self) -> float | None:
        """Cancel what is overdue; seconds until the next check (None: nothing to watch)."""
        now = time.monotonic()
        soonest: float | None = None
        for watch in list(self._calls):
            due, reason = watch.due()
            if due <= now:
                self._calls.discard(watch)
                log.warning(
                    "call_cancelled",
                    method=watch.method,
                    reason=reason,
                    records=watch.records,
                    seconds=round(now - watch.started, 3),
                    idle_seconds=round(now - watch.last, 3),
                )
                watch.context.cancel()
            elif soonest is None or due < soonest:
                soonest = due
        return None if soonest is None else max(soonest - now, 0.01)


Behavior = Callable[..., Any]


class Guard(grpc.ServerInterceptor):  # type: ignore[misc]
    """The interceptor; ``stop()`` ends its reaper thread."""

    def __init__(self, tokens: TokenSet | None = None, limits: StreamLimits | None = None) -> None:
        self.tokens = tokens
        self.limits = limits or StreamLimits()
        self.reaper = Reaper()
        self._wrapped: dict[str, tuple[Any, Any]] = {}  # method -> (handler, guarded handler)
        # a thread per open stream, and a few more that refuse the streams past the limits at once
        self.streams = futures.ThreadPoolExecutor(self.limits.max_streams + 2, thread_name_prefix="stream")
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}  # client address -> open streams
        self.closing = False  # set as the server stops: new calls are refused UNAVAILABLE, a retryable status

    def stop(self) -> None:
        self.reaper.stop()
        self.streams.shutdown(wait=False)

    def open_streams(self) -> int:
        with self._lock:
            return sum(self._open.values())

    def _admit(self, context: Any) -> str:
        """Count the stream in, or refuse it (RESOURCE_EXHAUSTED) when the server or its client has enough."""
        peer = _address(context.peer())
        limits = self.limits
        with self._lock:
            total, mine = sum(self._open.values()), self._open.get(peer, 0)
            admitted = total < limits.max_streams and mine < limits.max_streams_per_peer
            if admitted:
                self._open[peer] = mine + 1
        if not admitted:
            log.warning("stream_refused", open=total, from_peer=mine, peer=peer[:100])
            refusal = errors.too_many_streams(limits.max_streams, limits.max_streams_per_peer)
            context.abort_with_status(refusal.to_status(_locale(context)))
        return peer

    def _release(self, peer: str) -> None:
        with self._lock:
            left = self._open.get(peer, 0) - 1
            if left > 0:
                self._open[peer] = left
            else:
                self._open.pop(peer, None)

    def intercept_service(self, continuation: Callable[[Any], Any], details: Any) -> Any:
        method: str = details.method
        if method.startswith(HEALTH_PREFIX):
            return continuation(details)
        handler = continuation(details)
        refusal = None
        if self.closing:
            refusal = errors.shutting_down()
        elif self.tokens is not None:
            token = bearer_token(details.invocation_metadata)
            if token is None:
                refusal = errors.missing_token()
            elif not self.tokens.accepts(token):
                refusal = errors.bad_token()
        if refusal is not None:
            return _refusing(handler, refusal.to_status(errors.choose_locale(details.invocation_metadata)))
        if handler is None or not (handler.request_streaming or handler.response_streaming):
            return handler
        cached = self._wrapped.get(method)
        if cached is None or cached[0] is not handler:
            cached = (handler, self._guarded(method, handler))
            self._wrapped[method] = cached
        return cached[1]

    def _guarded(self, method: str, handler: Any) -> Any:
        options = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.request_streaming and handler.response_streaming:
            return grpc.stream_stream_rpc_method_handler(self._stream_stream(method, handler.stream_stream), **options)
        if handler.request_streaming:
            return grpc.stream_unary_rpc_method_handler(self._stream_unary(method, handler.stream_unary), **options)
        return grpc.unary_stream_rpc_method_handler(self._unary_stream(method, handler.unary_stream), **options)

    def _watch(self, method: str, context: Any) -> Watch:
        watch = Watch(method, context, self.limits)
        self.reaper.add(watch)
        return watch

    def _on_stream_pool(self, guarded: Behavior) -> Behavior:
        # gRPC runs a method on the pool its behavior names in `experimental_thread_pool`
        guarded.experimental_thread_pool = self.streams  # type: ignore[attr-defined]
        return guarded

    def _stream_stream(self, method: str, behavior: Behavior) -> Behavior:
        def guarded(requests: Iterator[Any], context: Any) -> Iterator[Any]:
            peer = self._admit(context)
            watch = self._watch(method, context)
            try:
                yield from _sent(watch, behavior(self._requests(watch, requests), context))
            finally:
                self.reaper.forget(watch)
                self._release(peer)

        return self._on_stream_pool(guarded)

    def _stream_unary(self, method: str, behavior: Behavior) -> Behavior:
        def guarded(requests: Iterator[Any], context: Any) -> Any:
            peer = self._admit(context)
            watch = self._watch(method, context)
            try:
                return behavior(self._requests(watch, requests), context)
            finally:
                self.reaper.forget(watch)
                self._release(peer)

        return self._on_stream_pool(guarded)

    def _unary_stream(self, method: str, behavior: Behavior) -> Behavior:
        def guarded(request: Any, context: Any) -> Iterator[Any]:
            peer = self._admit(context)
            watch = self._watch(method, context)
            try:
                yield from _sent(watch, behavior(request, context))
            finally:
                self.reaper.forget(watch)
                self._release(peer)

        return self._on_stream_pool(guarded)

    def _requests(self, watch: Watch, requests: Iterator[Any]) -> Iterator[Any]:
        limits = self.limits
        for request in requests:
            watch.records += 1
            if watch.records > limits.max_records:
                log.warning("stream_too_long", method=watch.method, limit=limits.max_records)
                watch.context.abort_with_status(errors.stream_too_long(limits.max_records).to_status(watch.locale))
            if watch.past_cap():
                log.warning("call_too_long", method=watch.method, records=watch.records - 1)
                watch.context.abort_with_status(errors.call_too_long(limits.max_call_seconds).to_status(watch.locale))
            watch.touch()
            yield request


def _sent(watch: Watch, responses: Iterator[Any]) -> Iterator[Any]:
    """The responses, noting progress when each is produced and again once gRPC has sent it."""
    for response in responses:
        watch.touch()
        yield response
        watch.touch()


def _locale(context: Any) -> str:
    """zh-CN or en-US, from the call's `accept-language` (``errors.choose_locale``)."""
    return errors.choose_locale(context.invocation_metadata())


def _address(peer: str) -> str:
    """The client address of a gRPC peer (``ipv4:127.0.0.1:5123`` → ``ipv4:127.0.0.1``), port left out."""
    head, _, port = peer.rpartition(":")
    return head if head and port.isdigit() else peer


def _refusing(handler: Any, status: Any) -> Any:
    """A handler of the same shape as ``handler`` that fails with ``status`` without reading a request."""

    def refuse(request: Any, context: Any) -> Any:
        context.abort_with_status(status)

    if handler is None or not (handler.request_streaming or handler.response_streaming):
        return grpc.unary_unary_rpc_method_handler(refuse)
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(refuse)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(refuse)
    return grpc.unary_stream_rpc_method_handler(refuse)
