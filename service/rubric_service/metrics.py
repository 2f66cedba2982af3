"""Prometheus metrics of the service (prometheus-client), and the app that answers ``/metrics``.

Takes: what the servicer and the registry report (``Metrics.scored``, ``failed``, ``reloaded``…).
Guarantees:

* the families: ``rubric_calls_total{rpc,outcome}``; ``rubric_records_total{rpc,rubric,version,grade,outcome}``
  (a Score call is one record, each ScoreStream record one); ``rubric_call_seconds{rpc}`` (a histogram of the
  time a call or record took in the handler); ``rubric_reloads_total{result}`` (``ok``, ``kept_previous``: some
  file has errors and a previous version stays, ``failed``, ``directory_missing``); ``rubric_served_info
  {rubric,version,content_hash}``, 1 for each rubric served (0 once no longer); ``rubric_in_flight{rpc}``;
* a label never takes a value from a request unless it names a served rubric (else ``(not served)``), so no
  client can grow the number of series;
* under ``--processes N`` (``PROMETHEUS_MULTIPROC_DIR`` set, the supervisor's per-run directory) every worker
  writes its samples there and any worker's ``/metrics`` answers for all of them (prometheus-client's
  multiprocess mode: counters and histograms summed, in-flight summed over live workers, served versions the
  most any live worker serves); a dead worker's gauges are dropped by the supervisor (``mark_dead``);
* ``Metrics.wsgi_app()`` and ``asgi_app()`` are ``/metrics`` for any HTTP server to mount (``--http-port``
  mounts the ASGI one); ``MetricsServer`` serves it on a port of its own (``--metrics-port``) from a daemon thread;
* prometheus-client is imported when a ``Metrics`` is made, not before, so that the supervisor can set the
  directory before any worker's first sample.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

ENV_DIR = "PROMETHEUS_MULTIPROC_DIR"
NOT_SERVED = "(not served)"
# Handler times: a Score takes ~0.1 ms in the handler; a Compare or a CheckRubric up to seconds.
BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def multiprocess() -> bool:
    return bool(os.environ.get(ENV_DIR))


class Metrics:
    """This process's metrics."""

    def __init__(self) -> None:
        import prometheus_client
        from prometheus_client import values

        if multiprocess():  # the value class is chosen when prometheus_client is first imported: choose again
            values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
        self.multiprocess = multiprocess()
        own = None if self.multiprocess else prometheus_client.CollectorRegistry(auto_describe=True)
        self.registry = own
        self.calls = prometheus_client.Counter(
            "rubric_calls", "RPCs answered, by method and outcome", ["rpc", "outcome"], registry=own
        )
        self.records = prometheus_client.Counter(
            "rubric_records",
            "Records scored (a Score call, or one ScoreStream record), by rubric, version, grade and outcome",
            ["rpc", "rubric", "version", "grade", "outcome"],
            registry=own,
        )
        self.seconds = prometheus_client.Histogram(
            "rubric_call_seconds",
            "Time in the handler, per call or stream record",
            ["rpc"],
            buckets=BUCKETS,
            registry=own,
        )
        self.reloads = prometheus_client.Counter(
            "rubric_reloads", "Loads of the rubrics directory, by result", ["result"], registry=own
        )
        self.served = prometheus_client.Gauge(
            "rubric_served_info",
            "1 for each rubric served, with its version and content hash",
            ["rubric", "version", "content_hash"],
            registry=own,
            multiprocess_mode="livemax",
        )
        self.in_flight = prometheus_client.Gauge(
            "rubric_in_flight", "Calls being answered", ["rpc"], registry=own, multiprocess_mode="livesum"
        )
        self._served_labels: set[tuple[str, str, str]] = set()
        self._children: dict[tuple[str, ...], Any] = {}
        self._lock = threading.Lock()

    # -- what the service reports ----------------------------------------------------------------------

    def _child(self, key: tuple[str, ...], make: Callable[[], Any]) -> Any:
        found = self._children.get(key)
        if found is None:
            with self._lock:
                found = self._children.setdefault(key, make())
        return found

    def record(self, rpc: str, rubric: str, version: str, grade: str, outcome: str, seconds: float) -> None:
        """One record answered (scored, or failed with ``outcome``); ``rubric`` only if served."""
        self._child(
            ("r", rpc, rubric, version, grade, outcome),
            lambda: self.records.labels(rpc, rubric, version, grade, outcome),
        ).inc()
        self.observe(rpc, seconds)

    def call(self, rpc: str, outcome: str) -> None:
        self._child(("c", rpc, outcome), lambda: self.calls.labels(rpc, outcome)).inc()

    def observe(self, rpc: str, seconds: float) -> None:
        self._child(("s", rpc), lambda: self.seconds.labels(rpc)).observe(seconds)

    def flight(self, rpc: str) -> Any:
        """The in-flight gauge of ``rpc``: ``inc()`` when a call starts, ``dec()`` when it ends."""
        return self._child(("f", rpc), lambda: self.in_flight.labels(rpc))

    def reloaded(self, result: str, served: Iterable[tuple[str, str, str]] | None) -> None:
        """A load of the directory with that result; ``served``: (rubric, version, content hash) now served."""
        self.reloads.labels(result).inc()
        if served is None:
            return
        now = set(served)
        with self._lock:
            for labels in self._served_labels - now:
                self.served.labels(*labels).set(0)
            for labels in now:
                self.served.labels(*labels).set(1)
            self._served_labels = now

    # -- exposition ------------------------------------------------------------------------------------

    def exposition_registry(self) -> Any:
        """The registry ``/metrics`` reads: this process's, or in multiprocess mode all workers' files."""
        if self.registry is not None:
            return self.registry
        from prometheus_client import CollectorRegistry, multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry

    def wsgi_app(self) -> Callable[..., Any]:
        """``/metrics`` as a WSGI app (prometheus-client's), to mount in any WSGI server."""
        from prometheus_client import make_wsgi_app

        return make_wsgi_app(self.exposition_registry())

    def asgi_app(self) -> Callable[..., Any]:
        """``/metrics`` as an ASGI app (prometheus-client's), as the HTTP server mounts it."""
        from prometheus_client import make_asgi_app

        return make_asgi_app(self.exposition_registry())

    def text(self) -> bytes:
        """What ``/metrics`` answers now, in Prometheus's text format."""
        from prometheus_client import generate_latest

        return generate_latest(self.exposition_registry())


def mark_dead(pid: int) -> None:
    """Drop a dead worker's live gauges (in-flight calls, served versions) from the multiprocess directory."""
    if multiprocess():
        from prometheus_client import multiprocess as mp

        mp.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes are not worth a log line each
        pass


class _ReusePortServer(WSGIServer):
    reuse_port = False

    def server_bind(self) -> None:
        if self.reuse_port:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


class MetricsServer:
    """``/metrics`` on its own port, answered from a daemon thread."""

    def __init__(self, metrics: Metrics, host: str, port: int, *, reuse_port: bool = False) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_class: type[_ReusePortServer] = type(
            "MetricsHTTPServer", (_ReusePortServer,), {"reuse_port": reuse_port, "address_family": family}
        )
        self.httpd: _ReusePortServer = make_server(
            host, port, metrics.wsgi_app(), server_class=server_class, handler_class=_Quiet
        )
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="metrics-http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
