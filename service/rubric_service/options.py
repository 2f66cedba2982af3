"""The command-line options of the server and the client, and the defaults they show, without gRPC.

Takes: an ``argparse`` parser. ``add_server_arguments`` gives it the options of ``rubric serve``
(and of ``python -m rubric_service.server``), ``add_client_arguments`` those of ``rubric call``
(and of ``python -m rubric_service.client``). Guarantees: importing this module imports neither
gRPC nor protobuf, so the ``rubric`` command can list every command's options on each run and
load ``server`` or ``client`` (and gRPC) only when one of them runs. ``server``, ``guard`` and
``client`` take their defaults from here, so a default shown in ``--help`` is the one used.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rubric_dsl.api import bundled_rubrics
from rubric_dsl.diagnostics import add_lang_argument
from rubric_service.auth import ENV_TOKENS

# --- the server -----------------------------------------------------------------------------------------

SERVER_DESCRIPTION = "Serve rubric.v1.RubricService over gRPC."
DEFAULT_RUBRICS = bundled_rubrics()
DEFAULT_PORT = 50051
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# Threads for unary calls. Scoring is Python work under one GIL, so more threads only contend: on
# the 2-core reference machine 4 threads score ~1.7x the calls/s of 16 at 8-32 calls in flight.
# Streams run on threads of their own (--max-streams), and health Watch on its own too.
WORKERS = 4
MAX_CONCURRENT_RPCS = 1000


def default_processes() -> int:
    """The number of cores this process may run on: ``--processes``' default."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


REFUSE_SECONDS = 0.5  # after the drain, new calls are refused UNAVAILABLE this long before the stop
# The stream bounds of ``guard.StreamLimits``.
MAX_STREAM_RECORDS = 100_000
MAX_CALL_SECONDS = 300.0
STREAM_IDLE_SECONDS = 60.0
MAX_STREAMS = 8
MAX_STREAMS_PER_PEER = 4


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rubrics", type=Path, default=DEFAULT_RUBRICS, help="directory of *.rubric files")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (0.0.0.0 or :: for all)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to bind; 0 picks a free one")
    parser.add_argument("--port-file", type=Path, help="write the bound port to this file once serving")
    parser.add_argument(
        "--http-port",
        type=int,
        help="also serve JSON over HTTP and the workbench page on this port (0 picks a free one; off by default)",
    )
    parser.add_argument("--no-reload", action="store_true", help="do not watch the directory for changes")
    parser.add_argument("--reload-debounce-ms", type=int, default=300, help="group file changes this long")
    parser.add_argument("--log-facts", action="store_true", help="put the facts in each decision log line")
    parser.add_argument(
        "--decision-log-sync",
        action="store_true",
        help="write each decision line before its reply leaves (none lost to SIGKILL; a write per call)",
    )
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help="threads answering unary calls (streams have their own)"
    )
    parser.add_argument(
        "--processes",
        type=_positive_int,
        default=default_processes(),
        help="server processes sharing the port (SO_REUSEPORT), each reloading on its own, restarted when one dies;"
        " default: the number of cores (%(default)s); 1 serves from this process alone",
    )
    parser.add_argument(
        "--metrics-port", type=int, help="serve Prometheus metrics at /metrics on this port (0 picks a free one)"
    )
    parser.add_argument(
        "--tracing",
        action="store_true",
        help="trace each call but health checks (OpenTelemetry; exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT"
        " is set and the exporter installed); each decision line carries its trace id",
    )
    parser.add_argument("--max-message-bytes", type=int, default=MAX_MESSAGE_BYTES)
    parser.add_argument("--max-concurrent-rpcs", type=int, default=MAX_CONCURRENT_RPCS)
    parser.add_argument("--drain-seconds", type=float, default=1.0, help="NOT_SERVING before refusing RPCs")
    parser.add_argument(
        "--refuse-seconds",
        type=float,
        default=REFUSE_SECONDS,
        help="after the drain, refuse new calls UNAVAILABLE this long before stopping",
    )
    parser.add_argument("--grace-seconds", type=float, default=30.0, help="time in-flight RPCs get to end")
    limits = parser.add_argument_group("stream limits")
    limits.add_argument(
        "--max-stream-records",
        type=_positive_int,
        default=MAX_STREAM_RECORDS,
        help="records one ScoreStream may send (%(default)s); the next fails RESOURCE_EXHAUSTED",
    )
    limits.add_argument(
        "--max-call-seconds",
        type=_positive_float,
        default=MAX_CALL_SECONDS,
        help="longest life of a streaming call (%(default)s s), whatever deadline the client set",
    )
    limits.add_argument(
        "--max-streams",
        type=_positive_int,
        default=MAX_STREAMS,
        help="streams open at once (%(default)s), each on a thread of its own apart from the unary workers;"
        " the next is refused RESOURCE_EXHAUSTED",
    )
    limits.add_argument(
        "--max-streams-per-peer",
        type=_positive_int,
        default=MAX_STREAMS_PER_PEER,
        help="streams open at once from one client address (%(default)s)",
    )
    limits.add_argument(
        "--stream-idle-seconds",
        type=_positive_float,
        default=STREAM_IDLE_SECONDS,
        help="cancel a stream that neither sends a record nor takes a response this long (%(default)s s)",
    )
    security = parser.add_argument_group("TLS and tokens")
    security.add_argument("--tls-cert", type=Path, help="PEM certificate chain; with --tls-key, serve TLS only")
    security.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")
    security.add_argument("--tls-client-ca", type=Path, help="PEM CA: require client certificates it signed (mTLS)")
    security.add_argument(
        "--token-file",
        type=Path,
        help=f"accepted bearer tokens, one per line (also ${ENV_TOKENS}, comma-separated);"
        " every RPC but health then needs 'authorization: Bearer <token>'",
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


# --- the client -----------------------------------------------------------------------------------------

CLIENT_DESCRIPTION = "Call rubric.v1.RubricService with JSON."
DEFAULT_TARGET = "127.0.0.1:50051"
ENV_TOKEN = "RUBRIC_TOKEN"
# The methods ``client.METHODS`` knows how to call, in the order --help lists them.
METHOD_NAMES = ("CheckRubric", "Compare", "GetRubric", "Health", "ListRubrics", "Score", "ScoreStream")


def add_client_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("method", choices=METHOD_NAMES, help="RPC to call")
    parser.add_argument("--json", default="{}", help="request as JSON, @FILE, or - for stdin")
    parser.add_argument("--rubric", help="Score: the rubric id (instead of putting it in --json)")
    parser.add_argument("--facts", type=Path, help="Score: a JSON file of facts (instead of --json)")
    parser.add_argument("--explain", action="store_true", help="Score: ask for explanations")
    parser.add_argument("--target", default=DEFAULT_TARGET, help="server address host:port")
    parser.add_argument("--timeout", type=float, default=30.0, help="deadline in seconds")
    add_lang_argument(parser)  # sent as accept-language: the server's messages and explanations in it
    security = parser.add_argument_group("TLS and tokens")
    security.add_argument("--token", help=f"bearer token, or @FILE holding it (default: ${ENV_TOKEN})")
    security.add_argument("--tls", action="store_true", help="connect over TLS, trusting the system's roots")
    security.add_argument("--tls-ca", type=Path, help="connect over TLS, trusting this PEM CA")
    security.add_argument("--tls-cert", type=Path, help="PEM client certificate for mutual TLS (with --tls-key)")
    security.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")
    security.add_argument("--tls-server-name", help="name to check the server's certificate against")
