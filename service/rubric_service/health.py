"""``grpc.health.v1.Health`` that no client can freeze.

Takes: the service names to report and their statuses, set by the server as it starts,
reloads and drains.
Guarantees:

* no lock of this module is ever held while a message is sent (statuses are posted to each watch
  under the servicer's lock, in order, and sent later by the watch's own thread). grpcio-health-checking's
  servicer (1.85) sends the first ``Watch`` reply while holding its lock, and gRPC's close
  callback for a cancelled ``Watch`` waits for that same lock on the completion thread: a
  few clients opening and cancelling ``Watch`` streams froze the whole server (grpc/grpc
  pull request #43403). Here each ``Watch`` is a generator that gRPC sends from; a status
  change only stores the new status in each watch and wakes it;
* ``Watch`` streams run on their own small thread pool (``MAX_WATCHES`` + 4 threads), so they
  never take the workers that score; a ``Watch`` beyond ``MAX_WATCHES`` open at once fails
  at once with RESOURCE_EXHAUSTED (reason ``TOO_MANY_WATCHES``), never waits in a queue;
* ``Watch`` sends the current status, then every change; a client that cancels frees its
  thread within ``POLL_SECONDS``; ``shutdown()`` (after ``enter_graceful_shutdown``, which
  sends NOT_SERVING to every watch) ends every ``Watch`` with OK at once, so open watches
  never delay a server's stop;
* ``Check`` answers the stored status, or NOT_FOUND (reason ``UNKNOWN_SERVICE``) for a service never set;
  bytes that are no request get INVALID_ARGUMENT (``UNDECODABLE_REQUEST``), not gRPC's INTERNAL;
* its refusals are ``rubric_service.errors`` statuses, like every other of the server: the message in
  the language of the call's ``accept-language``, both languages in the details.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures
from typing import Any, NoReturn

import grpc
from google.protobuf.message import DecodeError
from grpc_health.v1 import health_pb2

from rubric_service import errors

SERVICE_NAME: str = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
MAX_WATCHES = 16
# How often a waiting Watch looks whether its client is gone (cancellation also wakes it).
POLL_SECONDS = 1.0

Status = int  # a health_pb2.HealthCheckResponse.ServingStatus value


class _Watch:
    """One open ``Watch``: the latest status not yet sent; guarded by its own condition only."""

    def __init__(self, status: Status) -> None:
        self.condition = threading.Condition()
        self.pending: Status | None = status
        self.open = True

    def post(self, status: Status) -> None:
        with self.condition:
            self.pending = status
            self.condition.notify()

    def close(self) -> None:
        with self.condition:
            self.open = False
            self.condition.notify()

    def next(self, context: Any) -> Status | None:
        """The next status to send, or None when the watch ended (closed or client gone)."""
        with self.condition:
            while self.pending is None and self.open and context.is_active():
                self.condition.wait(POLL_SECONDS)
            if not self.open or not context.is_active():
                return None
            status, self.pending = self.pending, None
            return status


class HealthServicer:
    def __init__(self, max_watches: int = MAX_WATCHES) -> None:
        self._lock = threading.Lock()
        self._status: dict[str, Status] = {}
        self._watches: dict[_Watch, str] = {}
        self._draining = False
        self._stopped = False
        self.max_watches = max_watches
        # a few threads beyond the open watches answer the refusals of more at once
        self.pool = futures.ThreadPoolExecutor(max_workers=max_watches + 4, thread_name_prefix="health")

    def set(self, service: str, status: Status) -> None:
        """Store a service's status and wake its watches; ignored once draining has begun."""
        with self._lock:  # posting under the lock keeps the order of statuses (a watch's own lock is never
            # held while this one is taken, so this cannot deadlock; nothing is sent here)
            if self._draining:
                return
            self._status[service] = status
            for watch, name in self._watches.items():
                if name == service:
                    watch.post(status)

    def enter_graceful_shutdown(self) -> None:
        """Every service NOT_SERVING from now on; later ``set`` calls are ignored."""
        not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
        with self._lock:
            self._draining = True
            for service in self._status:
                self._status[service] = not_serving
            for watch in self._watches:
                watch.post(not_serving)

    def shutdown(self) -> None:
        """End every open ``Watch`` (they finish with OK) and refuse new ones."""
        with self._lock:
            self._stopped = True
            waiting = list(self._watches)
        for watch in waiting:
            watch.close()

    def close(self) -> None:
        """Release the ``Watch`` threads, once the gRPC server has stopped."""
        self.pool.shutdown(wait=False)

    def Check(self, request: Any, context: Any) -> Any:
        if request is UNDECODABLE:
            _refuse(context, errors.undecodable("the request is no HealthCheckRequest"))
        with self._lock:
            status = self._status.get(request.service)
        if status is None:
            _refuse(context, errors.unknown_service(request.service))
        return health_pb2.HealthCheckResponse(status=status)

    def Watch(self, request: Any, context: Any) -> Iterator[Any]:
        if request is UNDECODABLE:
            _refuse(context, errors.undecodable("the request is no HealthCheckRequest"))
        service: str = request.service
        with self._lock:
            full = len(self._watches) >= self.max_watches
            status = self._status.get(service, health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
            watch = _Watch(status)
            if not full and not self._stopped:
                self._watches[watch] = service
        if full:
            _refuse(context, errors.too_many_watches(self.max_watches))
        if self._stopped:
            return
        context.add_callback(watch.close)
        try:
            while (status := watch.next(context)) is not None:
                yield health_pb2.HealthCheckResponse(status=status)
        finally:
            with self._lock:
                self._watches.pop(watch, None)


def _refuse(context: Any, refusal: errors.ServiceError) -> NoReturn:
    context.abort_with_status(refusal.to_status(errors.choose_locale(context.invocation_metadata())))
    raise AssertionError("abort_with_status raises")


UNDECODABLE = object()  # gRPC takes a None request for a failure of its own (INTERNAL)


def _request(data: bytes) -> Any:
    """The request, or ``UNDECODABLE`` for bytes that are no HealthCheckRequest (then INVALID_ARGUMENT)."""
    try:
        return health_pb2.HealthCheckRequest.FromString(data)
    except DecodeError:
        return UNDECODABLE


def add_to_server(servicer: HealthServicer, server: Any) -> None:
    """Register the servicer; ``Watch`` runs on the servicer's own thread pool."""

    def watch(request: Any, context: Any) -> Iterator[Any]:
        return servicer.Watch(request, context)

    # gRPC runs a method on the pool its behavior names in `experimental_thread_pool`.
    watch.experimental_thread_pool = servicer.pool  # type: ignore[attr-defined]
    messages = {
        "request_deserializer": _request,
        "response_serializer": health_pb2.HealthCheckResponse.SerializeToString,
    }
    handlers = {
        "Check": grpc.unary_unary_rpc_method_handler(servicer.Check, **messages),
        "Watch": grpc.unary_stream_rpc_method_handler(watch, **messages),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
