"""JSON over HTTP beside gRPC: the operations of ``rubric.v1`` for clients that speak HTTP, and the workbench.

Takes: the gRPC server's ``RubricServicer`` (the same registry and core), its ``Guard`` (tokens, stream
limits, shutting down), the message size limit, and TLS files. ``create_app`` builds the Starlette
application; ``HttpServer`` runs it with uvicorn on a thread of its own beside the gRPC server.

Guarantees:

* request and response bodies are proto3 JSON (``google.protobuf.json_format``): a body that works
  with grpcurl works here, unknown fields are refused, and fields added to the proto flow through;
* every route calls the servicer's own functions (``_decide``, ``_stream_record``, ``Compare``,
  ``ListRubrics``, ``GetRubric``, ``CheckRubric``): one core, so HTTP and gRPC give the same replies
  and write the same decision lines;
* a failure is an HTTP status (``HTTP_STATUS``, as grpc-gateway maps codes) with a ``google.rpc.Status``
  JSON body, as gRPC sends it (``ServiceError.to_status_message``): ``ErrorInfo``, when fields are at fault
  ``BadRequest`` naming every bad field (``facts.<name>`` for each bad fact; not cut to fit gRPC trailers),
  and the message in zh-CN and en-US (``LocalizedMessage``); the message and the descriptions are in the
  language the request's ``Accept-Language`` prefers (en-US when it names neither), which the
  ``Content-Language`` header names. Every route's failure goes through ``Api._answered``;
* the same tokens as gRPC (``Authorization: Bearer``) guard every ``/v1/`` route; the page and its
  assets carry no data and need none; once the server is shutting down ``/v1/`` answers 503;
* a ``/v1/`` call sent by a browser from a page of another origin is refused (403 ``CROSS_ORIGIN``), and
  ``rubric studio``, which writes files, answers only requests addressed to 127.0.0.1 or localhost (403
  ``NOT_LOCAL``: a name rebound to this address cannot reach it);
* a body larger than the gRPC message limit is refused 413 before it is parsed; a batch (NDJSON) holds at
  most the stream record limit of lines, each within the message limit, and lives at most the stream
  call limit; at most ``max_streams`` batches run at once (429 past that);
* ``GET /openapi.json`` describes every route, its schemas generated from the proto descriptors.

Routes (``ROUTES``): see the table at the end of this module.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from rubric_service import errors, workbench
from rubric_service.auth import bearer_token
from rubric_service.convert import Undecodable
from rubric_service.errors import ServiceError
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.guard import Guard
from rubric_service.logs import get_logger
from rubric_service.servicer import RubricServicer

log = get_logger("rubric_service.http")

STATIC = Path(__file__).resolve().parent / "static"
NDJSON = "application/x-ndjson"
OPENAPI_PATH = "/openapi.json"
MAX_BATCH_BYTES = 64 * 1024 * 1024  # one NDJSON batch body (each line also within the message limit)
ERROR_BODY_BYTES = 256 * 1024  # the violations of one error body are listed while they fit this

# google.rpc.Code -> HTTP status, as grpc-gateway maps them.
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}
_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


# --- errors -----------------------------------------------------------------------------------------------


class Aborted(Exception):
    """What ``context.abort_with_status`` raised in a servicer function called over HTTP."""

    def __init__(self, status: status_pb2.Status) -> None:
        super().__init__(status.message)
        self.status = status


class HttpContext:
    """What the servicer's functions need of a gRPC context, for a call that came over HTTP: its deadline, and
    its ``accept-language`` as the metadata a gRPC call would carry (so its errors and explanations are in the
    same language as over gRPC)."""

    def __init__(self, seconds: float | None = None, accept_language: str = "") -> None:
        self._deadline = time.monotonic() + seconds if seconds is not None else None
        self._metadata = (("accept-language", accept_language),) if accept_language else ()

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def time_remaining(self) -> float:
        return 1e9 if self._deadline is None else self._deadline - time.monotonic()

    def is_active(self) -> bool:
        return True

    def abort_with_status(self, status: Any) -> None:
        for key, value in status.trailing_metadata or ():
            if key == rpc_status.GRPC_DETAILS_METADATA_KEY:
                raise Aborted(status_pb2.Status.FromString(value))
        raise Aborted(status_pb2.Status(code=status.code.value[0], message=status.details or ""))

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        raise Aborted(status_pb2.Status(code=code.value[0], message=details))


def locale_of(request: Request) -> str:
    """zh-CN or en-US, from the request's ``Accept-Language`` as over gRPC (``errors.choose_locale``)."""
    return errors.choose_locale(request.headers.items())


def status_message(error: ServiceError, locale: str = errors.DEFAULT_LOCALE) -> status_pb2.Status:
    """``error`` as a ``google.rpc.Status`` (``ServiceError.to_status_message``), its message in `locale`, every
    violation while they fit ``ERROR_BODY_BYTES``: an HTTP body is not held to gRPC's trailer size."""
    return error.to_status_message(locale, details_bytes=ERROR_BODY_BYTES)


def status_response(status: status_pb2.Status, locale: str) -> JSONResponse:
    code = _BY_NUMBER.get(status.code, grpc.StatusCode.UNKNOWN)
    return JSONResponse(json_format.MessageToDict(status), HTTP_STATUS[code], {"content-language": locale})


TOO_LARGE = ("MESSAGE_TOO_LARGE", "BATCH_TOO_LARGE")  # RESOURCE_EXHAUSTED as gRPC says it, 413 over HTTP


def error_response(error: ServiceError, locale: str) -> JSONResponse:
    response = status_response(status_message(error, locale), locale)
    if error.reason in TOO_LARGE:
        response.status_code = 413
    return response


# --- reading requests -------------------------------------------------------------------------------------


class BodyTooLarge(Exception):
    pass


DRAIN_BYTES = 16 * 1024 * 1024  # of a refused body, read and dropped so that the client hears why


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (``BodyTooLarge``) once it passes ``limit`` bytes; nothing past the limit is kept."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit + DRAIN_BYTES:
            break
        if size <= limit:
            chunks.append(chunk)
    if size > limit:
        raise BodyTooLarge
    return b"".join(chunks)


def parse_message(data: bytes | str, message_type: type[Message], what: str = "body") -> Any:
    """A request message from its proto3 JSON; ``ServiceError`` (UNDECODABLE_REQUEST) naming what is wrong."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json_format.Parse(text or "{}", message_type())
    except (json_format.ParseError, UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise errors.undecodable(f"the {what} is not a {message_type.DESCRIPTOR.full_name} in JSON: {exc}") from exc


def to_json(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message)


def json_line(message: Message) -> bytes:
    return json.dumps(to_json(message), ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


# --- the application --------------------------------------------------------------------------------------


class Api:
    """The routes' behaviour, over one servicer and guard."""

    def __init__(
        self,
        servicer: RubricServicer,
        guard: Guard,
        max_message_bytes: int,
        studio: workbench.Studio,
    ) -> None:
        self.servicer = servicer
        self.guard = guard
        self.max_message_bytes = max_message_bytes
        self.studio = studio
        self._streams = threading.BoundedSemaphore(guard.limits.max_streams)

    # -- unary: the servicer function, its reply as JSON -----------------------------------------------------

    async def _answered(self, request: Request, work: Callable[[], Awaitable[Response]]) -> Response:
        """`work`'s response, or why it failed as a Status in the request's language (``locale_of``): a body too
        large, a refusal, a servicer's abort, or a bug (logged), never a bare 500. The one place a route's failure
        becomes a response."""
        locale = locale_of(request)
        try:
            return await work()
        except BodyTooLarge:
            return error_response(errors.message_too_large(self.max_message_bytes), locale)
        except ServiceError as exc:
            return error_response(exc, locale)
        except Aborted as exc:  # made by the servicer in the language of the context's metadata: the same
            return status_response(exc.status, locale)
        except Exception as exc:  # a bug must not look like an answer, nor leave a bare 500
            log.exception("http_failed", path=request.url.path)
            return error_response(errors.internal(exc), locale)

    async def _unary(
        self, request: Request, call: Callable[[HttpContext, Any], Message], body: type[Message] | None = None
    ) -> Response:
        """The servicer function `call` on a context of the request's language and on the request's body parsed
        as `body` (a message type; None: no body), its reply as JSON."""

        async def work() -> Response:
            context = HttpContext(accept_language=request.headers.get("accept-language", ""))
            data = await read_body(request, self.max_message_bytes) if body is not None else b""
            message = parse_message(data, body) if body is not None else None
            return JSONResponse(to_json(await run_in_threadpool(call, context, message)))

        return await self._answered(request, work)

    async def score(self, request: Request) -> Response:
        return await self._unary(
            request, lambda c, m: pb.ScoreResponse.FromString(self.servicer._decide("Score", m, c)), pb.ScoreRequest
        )

    async def check(self, request: Request) -> Response:
        return await self._unary(request, lambda c, m: self.servicer.CheckRubric(m, c), pb.CheckRubricRequest)

    async def list_rubrics(self, request: Request) -> Response:
        query = request.query_params
        message = pb.ListRubricsRequest(page_token=query.get("pageToken", query.get("page_token", "")))
        size = query.get("pageSize", query.get("page_size", "0"))
        if not size.lstrip("-").isdigit() or len(size) > 10:
            problem = errors.bad_fields(
                {"page_size": f"not a whole number: {size[:50]!r}"}, problems_zh={"page_size": "不是整数"}
            )
            return error_response(problem, locale_of(request))
        message.page_size = max(min(int(size), 2**31 - 1), -(2**31))
        return await self._unary(request, lambda c, _: self.servicer.ListRubrics(message, c))

    async def get_rubric(self, request: Request) -> Response:
        message = pb.GetRubricRequest(
            rubric=request.path_params["rubric"], version=request.query_params.get("version", "")
        )
        return await self._unary(request, lambda c, _: self.servicer.GetRubric(message, c))

    async def format(self, request: Request) -> Response:
        async def work() -> Response:
            body = workbench.json_object(await read_body(request, self.max_message_bytes))
            return JSONResponse(await run_in_threadpool(workbench.format_reply, body))

        return await self._answered(request, work)

    async def sheet(self, request: Request) -> Response:
        """``POST /v1/sheet``: a ScoreRequest plus ``format`` (xlsx, html, md) and ``header``; without facts a
        blank form."""

        async def work() -> Response:
            body = workbench.json_object(await read_body(request, self.max_message_bytes))
            sheet_format = body.pop("format", "html")
            header = body.pop("header", {})
            message = parse_message(json.dumps(body), pb.ScoreRequest)
            content, media, name = await run_in_threadpool(
                workbench.served_sheet, self.servicer, message, sheet_format, header
            )
            return Response(content, media_type=media, headers=_attachment(name) if sheet_format == "xlsx" else None)

        return await self._answered(request, work)

    # -- batches: NDJSON in, NDJSON out ----------------------------------------------------------------------

    async def _lines(self, request: Request) -> list[bytes]:
        try:
            data = await read_body(request, MAX_BATCH_BYTES)
        except BodyTooLarge:
            raise errors.batch_too_large(MAX_BATCH_BYTES) from None
        lines = [line for line in data.split(b"\n") if line.strip()]
        limit = self.guard.limits.max_records
        if len(lines) > limit:
            raise errors.stream_too_long(limit, len(lines))
        for number, line in enumerate(lines, 1):
            if len(line) > self.max_message_bytes:
                raise errors.message_too_large(self.max_message_bytes, number)
        return lines

    async def _batch(self, request: Request, produce: Callable[[list[bytes], HttpContext], Iterator[bytes]]) -> Any:
        """The replies of `produce` streamed as they come; a failure before the first is the response's status
        (``_answered``), one after it the last line."""
        locale = locale_of(request)
        if not self._streams.acquire(blocking=False):
            return error_response(errors.too_many_streams(self.guard.limits.max_streams), locale)

        async def work() -> Response:
            lines = await self._lines(request)
            accept = request.headers.get("accept-language", "")
            context = HttpContext(self.guard.limits.max_call_seconds, accept)
            replies = produce(lines, context)
            first = await run_in_threadpool(_first, replies)
            return StreamingResponse(self._rest(first, replies, locale), media_type=NDJSON)

        try:
            response = await self._answered(request, work)
        except BaseException:
            self._streams.release()
            raise
        if not isinstance(response, StreamingResponse):
            self._streams.release()
        return response

    def _rest(self, first: bytes | None, replies: Iterator[bytes], locale: str) -> Iterator[bytes]:
        """The replies after the first; a failure once replies have gone is the last line, ``{"error": Status}``."""
        try:
            if first is not None:
                yield first
            yield from replies
        except (ServiceError, Aborted) as exc:
            status = status_message(exc, locale) if isinstance(exc, ServiceError) else exc.status
            yield json.dumps({"error": to_json(status)}, ensure_ascii=False).encode("utf-8") + b"\n"
        finally:
            self._streams.release()

    async def score_batch(self, request: Request) -> Any:
        return await self._batch(request, self._score_lines)

    def _score_lines(self, lines: list[bytes], context: HttpContext) -> Iterator[bytes]:
        for number, line in enumerate(lines, 1):
            if context.time_remaining() <= 0:
                raise errors.call_too_long(self.guard.limits.max_call_seconds, number)
            try:
                message: Any = parse_message(line, pb.ScoreRequest, f"record on line {number}")
            except ServiceError as exc:
                message = Undecodable(exc.message)  # answered as gRPC answers one
            yield json_line(pb.ScoreResponse.FromString(self.servicer._stream_record(message, context)))

    async def compare(self, request: Request) -> Any:
        return await self._batch(request, self._compare_lines)

    def _compare_lines(self, lines: list[bytes], context: HttpContext) -> Iterator[bytes]:
        requests = (parse_message(line, pb.CompareRequest, f"request on line {n}") for n, line in enumerate(lines, 1))
        for reply in self.servicer.Compare(requests, context):
            yield json_line(reply)

    # -- the workbench ---------------------------------------------------------------------------------------

    async def studio_call(self, request: Request) -> Response:
        action = request.path_params["action"]

        async def work() -> Response:
            data = await read_body(request, self.max_message_bytes) if request.method == "POST" else b"{}"
            body = workbench.json_object(data)
            body.update({k: v for k, v in request.query_params.items() if k not in body})
            reply = await run_in_threadpool(self.studio.call, action, body)
            if isinstance(reply, workbench.Download):
                return Response(reply.content, media_type=reply.media_type, headers=_attachment(reply.name))
            return JSONResponse(reply)

        return await self._answered(request, work)

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document())

    async def index(self, request: Request) -> Response:
        return Response((STATIC / "index.html").read_bytes(), media_type="text/html; charset=utf-8")


def _first(replies: Iterator[bytes]) -> bytes | None:
    return next(replies, None)


def _attachment(name: str) -> dict[str, str]:
    from urllib.parse import quote

    return {"content-disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


class Guarded:
    """ASGI middleware: tokens and shutting down, for ``/v1/`` routes (the page and its assets are public)."""

    def __init__(self, app: Any, guard: Guard, local_only: bool = False) -> None:
        self.app = app
        self.guard = guard
        self.local_only = local_only  # `rubric studio`, which writes files: a Host other than 127.0.0.1 is refused

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: dict[str, Any]) -> Response | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        refusal = self._refused(headers)
        return None if refusal is None else error_response(refusal, errors.choose_locale(headers.items()))

    def _refused(self, headers: dict[str, str]) -> ServiceError | None:
        origin = headers.get("origin")
        if origin is not None and origin.split("://", 1)[-1] != headers.get("host"):
            # a page of another site (or a name rebound to this address) must not act here through the browser
            return ServiceError(
                grpc.StatusCode.PERMISSION_DENIED,
                "CROSS_ORIGIN",
                f"calls from pages of {origin[:100]} are refused",
                metadata={"origin": origin[:100]},
                message_zh=f"拒绝来自其他网站页面（“{origin[:100]}”）的调用",
            )
        if self.local_only and headers.get("host", "").rsplit(":", 1)[0] not in ("127.0.0.1", "localhost", "[::1]"):
            return ServiceError(
                grpc.StatusCode.PERMISSION_DENIED,
                "NOT_LOCAL",
                "the studio answers 127.0.0.1 only",
                message_zh="工作室只接受发往本机（127.0.0.1）的请求",
            )
        if self.guard.closing:
            return errors.shutting_down()
        if self.guard.tokens is None:
            return None
        token = bearer_token(list(headers.items()))
        if token is None:
            return errors.missing_token("header")
        if not self.guard.tokens.accepts(token):
            return errors.bad_token()
        return None


def create_app(
    servicer: RubricServicer,
    guard: Guard,
    max_message_bytes: int,
    studio: workbench.Studio,
    metrics_app: Any | None = None,
) -> Any:
    api = Api(servicer, guard, max_message_bytes, studio)
    handlers: dict[str, Callable[[Request], Awaitable[Response]]] = {
        "ListRubrics": api.list_rubrics,
        "GetRubric": api.get_rubric,
        "Score": api.score,
        "ScoreStream": api.score_batch,
        "Compare": api.compare,
        "CheckRubric": api.check,
        "Format": api.format,
        "Sheet": api.sheet,
        "Workbench": api.studio_call,
        "OpenAPI": api.openapi,
        "Page": api.index,
    }
    routes: list[Any] = [Route(r.path, handlers[r.name], methods=[r.method]) for r in ROUTES]
    routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    if metrics_app is not None:  # Prometheus's /metrics (``rubric_service.metrics``), public as the page is
        routes.append(Route("/metrics", _AsgiApp(metrics_app), name="metrics"))
    return Guarded(Starlette(routes=routes), guard, local_only=studio.writable)


class _AsgiApp:
    """An ASGI app as a route's endpoint, so that `/metrics` is served as Prometheus asks for it (no redirect to
    `/metrics/`): Starlette would wrap a plain async function as a request handler."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


# --- the server -------------------------------------------------------------------------------------------


class HttpServer:
    """uvicorn serving the application on a thread of its own, bound before ``start`` returns."""

    def __init__(
        self,
        app: Any,
        host: str,
        port: int,
        *,
        tls_files: tuple[Path, Path, Path | None] | None = None,
        max_concurrent: int = 1000,
        reuse_port: bool = False,
    ) -> None:
        import ssl

        import uvicorn

        self.host = host
        options: dict[str, Any] = {}
        if tls_files is not None:
            cert, key, client_ca = tls_files
            options = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
            if client_ca is not None:
                options.update(ssl_ca_certs=str(client_ca), ssl_cert_reqs=ssl.CERT_REQUIRED)
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
            limit_concurrency=max_concurrent,
            timeout_graceful_shutdown=5,
            **options,
        )
        self.server = uvicorn.Server(config)
        self.tls = tls_files is not None
        self._thread: threading.Thread | None = None
        self._sockets = [_bind(host, port, reuse_port)]  # OSError when it cannot; uvicorn's own binding would exit
        self.port: int = self._sockets[0].getsockname()[1]

    def start(self) -> None:
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self.server.serve(sockets=self._sockets)), name="http", daemon=True
        )
        self._thread.start()
        while not self.server.started and self._thread.is_alive():
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        for sock in self._sockets:
            sock.close()


def _bind(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    """``reuse_port``: the workers of ``--processes N`` share the port, as they share the gRPC port."""
    family, kind, proto, _, address = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


# --- OpenAPI ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    name: str  # the rubric.v1 method it answers, or the HTTP-only operation
    summary: str
    body: str | None = None  # the rubric.v1 message of the request body
    reply: str | None = None  # the rubric.v1 message of the reply


ROUTES: tuple[HttpRoute, ...] = (
    HttpRoute("GET", "/v1/rubrics", "ListRubrics", "the served rubrics (query: pageSize, pageToken)", None,
              "ListRubricsResponse"),
    HttpRoute("GET", "/v1/rubrics/{rubric}", "GetRubric", "one rubric (query: version)", None, "GetRubricResponse"),
    HttpRoute("POST", "/v1/score", "Score", "score one record", "ScoreRequest", "ScoreResponse"),
    HttpRoute("POST", "/v1/score/batch", "ScoreStream",
              "score records: NDJSON of ScoreRequest in, NDJSON of ScoreResponse out (a bad record's reply has error)",
              "ScoreRequest", "ScoreResponse"),
    HttpRoute("POST", "/v1/compare", "Compare",
              "compare schemes: NDJSON of CompareRequest in (the first with setup), NDJSON of CompareResponse out",
              "CompareRequest", "CompareResponse"),
    HttpRoute("POST", "/v1/check", "CheckRubric", "check a rubric's text", "CheckRubricRequest", "CheckRubricResponse"),
    HttpRoute("POST", "/v1/format", "Format", "a rubric's text in the canonical layout: {source} in, "
              "{ok, source, changed, diagnostics} out"),
    HttpRoute("POST", "/v1/sheet", "Sheet", "the 评分表 of a served rubric: a ScoreRequest plus format "
              "(xlsx, html, md) and header; without facts a blank form"),
    HttpRoute("GET", "/v1/studio/{action}", "Workbench", "the workbench's reads (info, file)"),
    HttpRoute("POST", "/v1/studio/{action}", "Workbench",
              "the workbench: analyze, score, tests, sheet, save (a draft's text checked, scored, tested; saved only "
              "by `rubric studio`)"),
    HttpRoute("GET", OPENAPI_PATH, "OpenAPI", "this document"),
    HttpRoute("GET", "/", "Page", "the workbench page"),
)  # fmt: skip

_SCALARS: dict[str, dict[str, str]] = {
    "TYPE_DOUBLE": {"type": "number"},
    "TYPE_FLOAT": {"type": "number"},
    "TYPE_INT64": {"type": "string", "format": "int64"},
    "TYPE_UINT64": {"type": "string", "format": "uint64"},
    "TYPE_INT32": {"type": "integer", "format": "int32"},
    "TYPE_UINT32": {"type": "integer", "format": "uint32"},
    "TYPE_BOOL": {"type": "boolean"},
    "TYPE_STRING": {"type": "string"},
    "TYPE_BYTES": {"type": "string", "format": "byte"},
}
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Value": {"description": "any JSON value"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Any": {"type": "object", "properties": {"@type": {"type": "string"}}},
}


def _field_schema(field: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    from google.protobuf.descriptor import FieldDescriptor

    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if field.message_type.GetOptions().map_entry:
            value = field.message_type.fields_by_name["value"]
            return {"type": "object", "additionalProperties": _field_schema(value, schemas)}
        schema = _message_ref(field.message_type, schemas)
    elif field.type == FieldDescriptor.TYPE_ENUM:
        schema = {"type": "string", "enum": [v.name for v in field.enum_type.values]}
    else:
        type_name = next(name for name, number in vars(FieldDescriptor).items() if name.startswith("TYPE_")
                         and number == field.type)  # fmt: skip
        schema = dict(_SCALARS.get(type_name, {"type": "string"}))
    repeated = getattr(field, "is_repeated", None)
    if repeated if repeated is not None else field.label == FieldDescriptor.LABEL_REPEATED:
        return {"type": "array", "items": schema}
    return schema


def _message_ref(descriptor: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    name = descriptor.full_name
    if name in _WELL_KNOWN:
        return dict(_WELL_KNOWN[name])
    if name not in schemas:
        schemas[name] = {}  # placeholder: a message may hold itself
        schemas[name] = {
            "type": "object",
            "properties": {f.json_name: _field_schema(f, schemas) for f in descriptor.fields},
        }
    return {"$ref": f"#/components/schemas/{name}"}


def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    status_ref = _message_ref(status_pb2.Status.DESCRIPTOR, schemas)
    for extra in (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest):
        _message_ref(extra.DESCRIPTOR, schemas)
    paths: dict[str, Any] = {}
    for route in ROUTES:
        operation: dict[str, Any] = {"operationId": f"{route.name}_{route.method.lower()}", "summary": route.summary}
        media = NDJSON if route.name in ("ScoreStream", "Compare") else "application/json"
        if route.body:
            ref = _message_ref(pb.DESCRIPTOR.message_types_by_name[route.body], schemas)
            operation["requestBody"] = {"required": True, "content": {media: {"schema": ref}}}
        elif route.method == "POST":
            operation["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
        ok: dict[str, Any] = {"description": "OK"}
        if route.reply:
            ok["content"] = {media: {"schema": _message_ref(pb.DESCRIPTOR.message_types_by_name[route.reply], schemas)}}
        operation["responses"] = {
            "200": ok,
            "default": {"description": "google.rpc.Status", "content": {"application/json": {"schema": status_ref}}},
        }
        if "{" in route.path:
            name = route.path.split("{")[1].split("}")[0]
            operation["parameters"] = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}]
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "rubric.v1 over HTTP", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
