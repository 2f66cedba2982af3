"""The scoring server: ``create_server`` builds it, ``serve_main`` runs it until SIGTERM.

Takes: a rubrics directory, host and port (0 = pick a free port), and limits.
Guarantees:

* ``create_server`` loads the rubrics, binds the port and returns the bound port;
  nothing is served until ``RubricServer.start()``;
* alongside ``rubric.v1.RubricService`` the server answers ``grpc.health.v1.Health``
  (service "" and "rubric.v1.RubricService") and server reflection;
* messages larger than ``max_message_bytes`` are refused in both directions
  (RESOURCE_EXHAUSTED); at most ``max_concurrent_rpcs`` RPCs run at once;
* ``rubric_service.guard`` bounds every streaming call (records, lifetime, idle time) and,
  when tokens are configured (``--token-file``, ``$RUBRIC_TOKENS``), refuses every
  call but health checks without a valid bearer token (UNAUTHENTICATED);
* with ``--tls-cert``/``--tls-key`` the port speaks TLS only; with ``--tls-client-ca``
  every client must present a certificate signed by that CA (mutual TLS);
* bad TLS or token options are refused before anything is bound (exit code 2);
* on SIGTERM or SIGINT: health turns NOT_SERVING for ``drain_seconds`` while
  requests are still answered (so balancers stop sending), then new RPCs are
  refused and in-flight ones get up to ``grace_seconds`` to finish; exit code 0;
* with ``--http-port N`` the same servicer also answers JSON over HTTP, and serves the workbench page, on
  port N (``rubric_service.http``), with the same tokens, TLS files, size limits and shutdown; once serving,
  a line ``{"event": "http_serving", "port": N, "url": ...}`` follows the ``serving`` line;
* once serving, one JSON log line ``{"event": "serving", "port": N, ...}`` goes to
  stdout (``run_server``'s ``out``), and the port is written to ``--port-file`` when given;
* calls, records, reloads and served versions are counted (``rubric_service.metrics``), answered on
  ``--metrics-port`` at ``/metrics`` when given; with ``--tracing`` each call but health checks is a span
  (OpenTelemetry's gRPC server interceptor) whose trace id each decision line carries.

Run: ``python -m rubric_service.server [--rubrics DIR] [--host H] [--port N]``, or ``rubric serve``;
the options are ``options.add_server_arguments``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

import grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection

from rubric_service import health
from rubric_service.auth import TokenConfigError, TokenSet, load_tokens, readable_by_others
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.guard import Guard, StreamLimits
from rubric_service.logs import configure_logging, get_logger
from rubric_service.metrics import Metrics, MetricsServer
from rubric_service.options import (
    MAX_CONCURRENT_RPCS,
    MAX_MESSAGE_BYTES,
    REFUSE_SECONDS,
    SERVER_DESCRIPTION,
    WORKERS,
    add_server_arguments,
)
from rubric_service.registry import Registry, Snapshot
from rubric_service.servicer import COMPARE_REPLY_BYTES, RubricServicer, add_to_server
from rubric_service.tls import ServerTls, TlsConfigError
from rubric_service.watcher import RubricWatcher

if TYPE_CHECKING:
    from rubric_service.http import HttpServer

log = get_logger("rubric_service.server")

SERVICE_NAME: str = pb.DESCRIPTOR.services_by_name["RubricService"].full_name


def server_options(max_message_bytes: int = MAX_MESSAGE_BYTES, reuse_port: bool = False) -> list[tuple[str, int]]:
    """gRPC's options; ``reuse_port`` for the workers of ``--processes N``, which share one port (and only
    they: a single server never shares its port with another)."""
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.so_reuseport", int(reuse_port)),
    ]


def new_grpc_server(
    *,
    workers: int = WORKERS,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    max_concurrent_rpcs: int = MAX_CONCURRENT_RPCS,
    interceptors: Sequence[Any] = (),
    reuse_port: bool = False,
) -> Any:
    """A bare ``grpc.Server`` with this service's limits (the benchmark's echo server uses it too)."""
    return grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rpc"),
        options=server_options(max_message_bytes, reuse_port),
        maximum_concurrent_rpcs=max_concurrent_rpcs,
        interceptors=list(interceptors),
    )


class HealthFollower:
    """Health follows what is served: NOT_SERVING, and an error in the log, while no valid rubric is
    (the directory is empty, missing at start, or every file in it is broken); SERVING again once one is."""

    def __init__(self, health: health.HealthServicer) -> None:
        self.health = health
        self.started = False
        self.serving: bool | None = None

    def __call__(self, snapshot: Snapshot) -> None:
        if self.started:
            self.follow(snapshot)

    def follow(self, snapshot: Snapshot) -> None:
        serving = bool(snapshot.rubrics)
        if serving == self.serving:
            return
        self.serving = serving
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", SERVICE_NAME):
            self.health.set(name, status)
        if serving:
            log.info("health", status="SERVING", rubrics=len(snapshot.rubrics))
        else:
            log.error(
                "health",
                status="NOT_SERVING",
                reason="no valid rubric is served: the directory is empty or missing, or every rubric in it has "
                "errors (see the rubric_diagnostic lines); health turns SERVING once one loads",
            )


class CannotBind(OSError):
    """The server cannot listen on the address asked for."""


class TracingUnavailable(RuntimeError):
    """``--tracing`` was asked for without OpenTelemetry installed."""


@dataclass
class RubricServer:
    """A built server: ``start`` it, then ``shutdown`` it (or let ``serve_main`` do both)."""

    grpc_server: Any
    registry: Registry
    health: health.HealthServicer
    follower: HealthFollower
    watcher: RubricWatcher | None
    host: str
    port: int
    guard: Guard
    tls: ServerTls | None = None
    http: HttpServer | None = None
    servicer: RubricServicer | None = None
    metrics: Metrics | None = None
    metrics_server: MetricsServer | None = None

    @property
    def metrics_port(self) -> int | None:
        return self.metrics_server.port if self.metrics_server is not None else None

    def start(self) -> None:
        self.grpc_server.start()
        if self.http is not None:
            self.http.start()
        if self.metrics_server is not None:
            self.metrics_server.start()
        if self.servicer is not None:
            self.servicer.check_worker.start_soon()
        self.follower.started = True
        snapshot = self.registry.snapshot()
        self.follower.follow(snapshot)
        log.info(
            "serving",
            host=self.host,
            port=self.port,
            pid=os.getpid(),
            directory=str(self.registry.directory),
            rubrics=list(snapshot.ids),
            reload=self.watcher is not None,
            tls=self.tls is not None,
            client_certificates=self.tls is not None and self.tls.client_ca is not None,
            tokens=len(self.guard.tokens) if self.guard.tokens is not None else 0,
            max_stream_records=self.guard.limits.max_records,
            max_call_seconds=self.guard.limits.max_call_seconds,
            stream_idle_seconds=self.guard.limits.idle_seconds,
            http_port=self.http.port if self.http is not None else None,
            metrics_port=self.metrics_port,
        )
        if self.http is not None:
            scheme = "https" if self.http.tls else "http"
            log.info("http_serving", port=self.http.port, url=f"{scheme}://{_bracket(self.host)}:{self.http.port}/")

    def shutdown(
        self, *, drain_seconds: float = 1.0, grace_seconds: float = 30.0, refuse_seconds: float = REFUSE_SECONDS
    ) -> None:
        """Drain (health NOT_SERVING, still answering); then refuse new calls UNAVAILABLE while those in
        flight end; then stop, giving what is still running ``grace_seconds``."""
        log.info("draining", drain_seconds=drain_seconds, grace_seconds=grace_seconds)
        self.health.enter_graceful_shutdown()
        threading.Event().wait(drain_seconds)
        # gRPC itself cancels calls that reach a stopping server (CANCELLED, which clients do not
        # retry): first refuse them here, UNAVAILABLE, while the calls in flight end
        self.guard.closing = True
        log.info("refusing_new_calls", refuse_seconds=refuse_seconds)
        threading.Event().wait(refuse_seconds)
        log.info("stopping", grace_seconds=grace_seconds)
        self.health.shutdown()  # open Watch streams end now instead of holding up the stop
        self.grpc_server.stop(grace_seconds).wait()
        if self.http is not None:
            self.http.stop()
        self.health.close()
        self.guard.stop()
        if self.watcher is not None:
            self.watcher.stop()
        if self.servicer is not None:
            self.servicer.close()
        if self.metrics_server is not None:
            self.metrics_server.stop()
        log.info("stopped")


def create_server(
    rubrics_dir: str | os.PathLike[str],
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    watch: bool = True,
    log_facts: bool = False,
    workers: int = WORKERS,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    max_concurrent_rpcs: int = MAX_CONCURRENT_RPCS,
    reload_debounce_ms: int = 300,
    tls: ServerTls | None = None,
    tokens: TokenSet | None = None,
    stream_limits: StreamLimits | None = None,
    http_port: int | None = None,
    studio: bool = False,
    reuse_port: bool = False,
    metrics_port: int | None = None,
    tracer_provider: Any = None,
) -> tuple[RubricServer, int]:
    """Load the rubrics, build the server and bind ``host:port`` (and ``metrics_port``, when given); returns it and
    the bound port. ``tracer_provider``: trace every call but health checks with it (OpenTelemetry)."""
    credentials = tls.credentials() if tls is not None else None
    metrics = Metrics()
    health_servicer = health.HealthServicer()
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    follower = HealthFollower(health_servicer)
    registry = Registry(rubrics_dir, follower)
    registry.on_reload = lambda result, snapshot: metrics.reloaded(
        result, [(r.id, r.version, r.content_hash) for r in snapshot.rubrics.values()]
    )
    watcher = RubricWatcher(registry, debounce_ms=reload_debounce_ms) if watch else None
    if watcher is not None:
        watcher.start()  # before loading, so that no edit made after the load is missed
    registry.reload()
    guard = Guard(tokens, stream_limits)
    server = new_grpc_server(
        workers=workers,
        max_message_bytes=max_message_bytes,
        max_concurrent_rpcs=max_concurrent_rpcs,
        interceptors=[*_tracing(tracer_provider), guard],
        reuse_port=reuse_port,
    )
    reply_bytes = min(COMPARE_REPLY_BYTES, max_message_bytes // 2)  # room for one larger result
    servicer = RubricServicer(
        registry,
        log_facts=log_facts,
        compare_reply_bytes=reply_bytes,
        metrics=metrics,
        tracing=tracer_provider is not None,
    )
    add_to_server(servicer, server)  # Score replies leave as encoded bytes
    health.add_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    address = f"{_bracket(host)}:{port}"
    try:
        bound = (
            server.add_insecure_port(address) if credentials is None else server.add_secure_port(address, credentials)
        )
    except RuntimeError:  # gRPC's way of saying the port is taken, or the address is not this machine's
        bound = 0
    metrics_server = None
    if bound != 0 and metrics_port is not None:
        try:
            metrics_server = MetricsServer(metrics, host, metrics_port, reuse_port=reuse_port)
        except OSError:
            server.stop(None)
            port, bound = metrics_port, 0  # said below as for the gRPC port
    if bound == 0:
        if watcher is not None:
            watcher.stop()
        guard.stop()
        raise CannotBind(
            f"cannot bind {host}:{port}: the port is in use (is another server running?)"
            " or the address is not this machine's"
        )
    built = RubricServer(server, registry, health_servicer, follower, watcher, host, bound, guard, tls)
    built.servicer, built.metrics, built.metrics_server = servicer, metrics, metrics_server
    if http_port is not None:
        try:
            built.http = _http_server(
                servicer, built, http_port, max_message_bytes, max_concurrent_rpcs, studio, reuse_port
            )
        except CannotBind:
            if metrics_server is not None:
                metrics_server.stop()
            raise
    return built, bound


def _tracing(tracer_provider: Any) -> list[Any]:
    """OpenTelemetry's gRPC server interceptor, health checks left out; none without a tracer provider."""
    if tracer_provider is None:
        return []
    from opentelemetry.instrumentation.grpc import filters, server_interceptor

    health_checks = filters.negate(filters.service_name(health.SERVICE_NAME))
    return [server_interceptor(tracer_provider, filter_=health_checks)]  # type: ignore[no-untyped-call]


def tracer_provider_from_environment() -> Any:
    """The tracer provider of ``--tracing``: OpenTelemetry's SDK, exporting over OTLP when its exporter is installed
    and ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; otherwise spans are made (their trace ids reach the decision lines)
    but not exported, and the log says so."""
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise TracingUnavailable(
            "--tracing needs OpenTelemetry, which is not installed: pip install 'rubric-engine[tracing]'"
        ) from exc

    provider = TracerProvider(resource=Resource.create({"service.name": "rubric-service"}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # type: ignore[import-not-found]
                OTLPSpanExporter,
            )
        except ImportError:
            log.warning(
                "tracing_not_exported", reason="OTEL_EXPORTER_OTLP_ENDPOINT is set but no OTLP exporter is installed"
            )
        else:
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        log.info(
            "tracing_not_exported",
            reason="set OTEL_EXPORTER_OTLP_ENDPOINT (and install the OTLP exporter) to export spans",
        )
    return provider


def _http_server(
    servicer: RubricServicer,
    built: RubricServer,
    port: int,
    max_message_bytes: int,
    max_concurrent: int,
    studio: bool,
    reuse_port: bool = False,
) -> HttpServer:
    """JSON over HTTP and the workbench (``rubric_service.http``) over the same servicer, guard and TLS."""
    from rubric_service.http import HttpServer, create_app
    from rubric_service.workbench import Studio

    metrics_app = built.metrics.asgi_app() if built.metrics is not None else None  # the HTTP port answers /metrics
    app = create_app(servicer, built.guard, max_message_bytes, Studio(built.registry, writable=studio), metrics_app)
    tls_files = built.tls.files if built.tls is not None else None
    try:
        return HttpServer(
            app, built.host, port, tls_files=tls_files, max_concurrent=max_concurrent, reuse_port=reuse_port
        )
    except OSError as exc:
        built.grpc_server.stop(0)
        if built.watcher is not None:
            built.watcher.stop()
        built.guard.stop()
        raise CannotBind(f"cannot bind {built.host}:{port} for HTTP: {exc.strerror or exc}") from exc


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def build_parser(prog: str = "rubric serve") -> argparse.ArgumentParser:
    """The parser of ``python -m rubric_service.server``; ``rubric serve`` adds the same options to its own."""
    parser = argparse.ArgumentParser(prog=prog, description=SERVER_DESCRIPTION)
    add_server_arguments(parser)
    return parser


def _write_port_file(path: Path, port: int) -> None:
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(f"{port}\n", encoding="utf-8")
    os.replace(scratch, path)  # readers never see a half-written file


def serve_main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the server (``run_server``) with its logs on stdout."""
    return run_server(build_parser().parse_args(argv), sys.stdout, sys.stderr)


def run_server(
    args: argparse.Namespace, out: TextIO, err: TextIO, on_start: Callable[[RubricServer], None] | None = None
) -> int:
    """Run the server of parsed options until SIGTERM/SIGINT, its JSON log lines on ``out``, a refused option on
    ``err``; 0 after a clean shutdown, 2 on a bad directory, TLS or token option, or a port it cannot bind.
    With ``--processes N`` > 1 this process supervises N workers (``rubric_service.supervisor``), each of which
    runs this function with ``processes`` 1 and ``reuse_port`` set; ``on_start`` hears the server once it serves."""
    if args.processes > 1:
        from rubric_service.supervisor import supervise

        return supervise(args, out, err, run_server)
    worker = getattr(args, "reuse_port", False)
    configure_logging(out, sync=args.decision_log_sync, process_fields={"pid": os.getpid()} if worker else None)
    if not args.rubrics.is_dir():
        log.error("no_rubrics_directory", directory=str(args.rubrics))
        print(f"rubric serve: {args.rubrics}: not a directory", file=err)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal", signal=signal.Signals(signum).name)
        stop.set()

    try:
        tls = ServerTls.from_options(args.tls_cert, args.tls_key, args.tls_client_ca)
        tokens = load_tokens(args.token_file)
    except (TlsConfigError, TokenConfigError) as exc:
        log.error("bad_security_options", error=str(exc))
        print(f"rubric serve: {exc}", file=err)
        return 2
    _warn_about_tokens(args, tls, tokens)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        server, port = _create_from_args(args, tls, tokens)
    except CannotBind as exc:
        log.error("cannot_bind", host=args.host, port=args.port, error=str(exc))
        print(f"rubric serve: {exc}", file=err)
        return 2
    except TracingUnavailable as exc:
        log.error("tracing_unavailable", error=str(exc))
        print(f"rubric serve: {exc}", file=err)
        return 2
    server.start()
    if args.port_file is not None:
        _write_port_file(args.port_file, port)
    if on_start is not None:
        on_start(server)
    # Short waits, not one long one: a signal the kernel hands to another thread (gRPC's, the log writer's, the
    # check worker's starter) only trips a flag that the main thread reads when it runs Python again; one long
    # wait could sleep through SIGTERM (seen in CI: health never turned NOT_SERVING within 30 s).
    while not stop.wait(SIGNAL_POLL_SECONDS):
        pass
    server.shutdown(
        drain_seconds=args.drain_seconds, grace_seconds=args.grace_seconds, refuse_seconds=args.refuse_seconds
    )
    return 0


SIGNAL_POLL_SECONDS = 0.2  # how soon the main thread acts on a signal another thread received


def _warn_about_tokens(args: argparse.Namespace, tls: ServerTls | None, tokens: TokenSet | None) -> None:
    if tokens is None:
        return
    if tls is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("tokens_in_clear", reason="tokens are checked but travel unencrypted; use --tls-cert/--tls-key")
    if args.token_file is not None and readable_by_others(args.token_file):
        log.warning("token_file_readable", path=str(args.token_file), reason="group or others may read it")


def _create_from_args(
    args: argparse.Namespace, tls: ServerTls | None, tokens: TokenSet | None
) -> tuple[RubricServer, int]:
    return create_server(
        args.rubrics,
        args.host,
        args.port,
        watch=not args.no_reload,
        log_facts=args.log_facts,
        workers=args.workers,
        max_message_bytes=args.max_message_bytes,
        max_concurrent_rpcs=args.max_concurrent_rpcs,
        reload_debounce_ms=args.reload_debounce_ms,
        tls=tls,
        tokens=tokens,
        stream_limits=StreamLimits(
            args.max_stream_records,
            args.max_call_seconds,
            args.stream_idle_seconds,
            args.max_streams,
            args.max_streams_per_peer,
        ),
        http_port=args.http_port,
        studio=getattr(args, "studio", False),
        reuse_port=getattr(args, "reuse_port", False),
        metrics_port=args.metrics_port,
        tracer_provider=tracer_provider_from_environment() if args.tracing else None,
    )


if __name__ == "__main__":
    sys.exit(serve_main())
