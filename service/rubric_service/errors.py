"""Service errors and their two encodings: a rich gRPC status, or a ScoreError record.

Takes: front-door exceptions (``InvalidFacts``, ``EvaluationError``), registry
misses and request problems. Guarantees: every ``ServiceError`` becomes either

* a ``grpc.Status`` whose details hold a ``google.rpc.ErrorInfo`` (``reason``,
  domain ``rubric.v1``) and, when fields are at fault, a ``google.rpc.BadRequest``
  naming every bad field (``facts.<name>`` for facts) -- for unary calls; or
* a ``rubric.v1.ScoreError`` with the same code, reason, message and violations --
  for one record of a ScoreStream, so the stream goes on.

Languages: every error has its message in Chinese (zh-CN, the field's own wording: 评分规则, 事实,
指标) and English (en-US). Both travel as ``google.rpc.LocalizedMessage`` details (in a ScoreError,
``localized_messages``); the status message (ScoreError ``message``) and the violations' descriptions are in
the language the request asked for in its ``accept-language`` metadata (``choose_locale``). A request that
names neither language gets en-US: the service's clients are programs, whose existing checks and logs
read the English messages, and the Chinese is in the details whatever the request says. An error made
without a Chinese wording (some of the comparison engine's) gets its reason's (``REASONS_ZH``).

One path: every status the service sends, over gRPC (``to_status``) or as an HTTP body (``http``), is
``to_status_message`` of a ``ServiceError``; the refusals made before the work (tokens, stream and batch
limits, shutting down, health) are made here too (the section at the end), once for every transport.

Codes: bad facts or request fields -> INVALID_ARGUMENT; unknown rubric or version
-> NOT_FOUND; facts valid one by one but the rubric cannot be evaluated on them
(``EvaluationError``) -> FAILED_PRECONDITION, since the fix may lie in the rubric.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from rubric_dsl import EvaluationError, InvalidFacts
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.registry import RubricNotFound

DOMAIN = "rubric.v1"
STATUS_MESSAGE_BYTES = 600  # UTF-8 bytes of a status message (percent-encoded in the trailers: up to ×3)
STATUS_TEXT = 200  # characters of one field, description or metadata value in a status
STATUS_DETAILS_BYTES = 2500  # bytes of the details (base64 in the trailers: ×4/3)
# A ScoreError inside a stream's reply (ScoreStream, Compare): its message cut to this many characters and
# its violations listed while they fit this many bytes, so one bad record cannot make a reply past the
# message size limit and end the whole stream.
SCORE_ERROR_TEXT = 2000
SCORE_ERROR_BYTES = 64 * 1024
ECHOED_NAME = 200  # characters of a rubric id or version echoed in a message, metadata or log line
MAX_REQUEST_ID = 1000  # characters of a request id; a longer one is refused (violation `request_id`)
NAMED_FACTS = 20  # bad facts named one by one in an error's message (all are violations)


ZH, EN = "zh-CN", "en-US"
LOCALES = (ZH, EN)
DEFAULT_LOCALE = EN  # see the module's docstring: why English when a request does not say
MAX_ACCEPT_LANGUAGE = 200  # characters of `accept-language` read; the rest is ignored

# A reason's Chinese message, for an error made without one (its English message says the details).
REASONS_ZH = {
    "MISSING_TOKEN": "缺少访问令牌",
    "BAD_TOKEN": "访问令牌无效或无权访问",
    "CALL_TOO_LONG": "调用持续时间超过上限，已结束",
    "STREAM_TOO_LONG": "流中的记录超过上限，已结束",
    "TOO_MANY_STREAMS": "同时进行的流式调用过多，请稍后再试",
    "TOO_MANY_CHECKS": "同时进行的评分规则检查过多，请稍后再试",
    "COMPARE_REQUEST_TOO_LARGE": "一次比较请求的计分次数超过上限，请分批发送",
    "NO_RUBRIC_FITS": "没有适用于这条记录的评分规则",
    "INVALID_FACTS": "事实有误",
    "INVALID_REQUEST": "请求有误",
    "UNDECODABLE_REQUEST": "无法读取请求",
    "RUBRIC_NOT_FOUND": "找不到评分规则",
    "VERSION_NOT_FOUND": "找不到评分规则的这个版本",
    "EVALUATION_FAILED": "评分规则无法按这些事实计分",
    "DEADLINE_EXCEEDED": "计分前已超过请求时限",
    "INTERNAL": "计分时发生内部错误",
    "NOT_SERVING": "服务暂不可用",
    "SHUTTING_DOWN": "服务正在停止",
    "MESSAGE_TOO_LARGE": "请求过大",
    "BATCH_TOO_LARGE": "这一批过大，请分成几批发送",
    "TOO_MANY_WATCHES": "健康状态订阅过多",
    "UNKNOWN_SERVICE": "没有这个服务",
    "CHECK_BUDGET_EXCEEDED": "评分规则检查超出预算",
    "CROSS_ORIGIN": "拒绝来自其他网站页面的调用",
    "NOT_LOCAL": "工作室只接受本机的请求",
    "READ_ONLY": "此服务器上的评分规则只读",
    "NO_SUCH_ACTION": "工作台没有这个操作",
    "NO_SUCH_FILE": "无法读取文件",
    "TOO_MANY_DRAFTS": "工作台正忙于其他草稿，请稍后再试",
    "DRAFT_HAS_ERRORS": "草稿有错误，无法计分",
}


def choose_locale(metadata: Any) -> str:
    """zh-CN or en-US from a request's `accept-language` metadata ("zh-CN,zh;q=0.9,en;q=0.8"): the first
    of the highest quality that is Chinese or English; `DEFAULT_LOCALE` when it names neither."""
    given = next((str(v) for k, v in (metadata or ()) if k == "accept-language"), "")[:MAX_ACCEPT_LANGUAGE]
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(given.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().lower().split("-")[0]
        if language in ("zh", "en") and quality > 0:
            ranked.append((-quality, position, ZH if language == "zh" else EN))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE


def _localized(locale: str, message: str) -> error_details_pb2.LocalizedMessage:
    return error_details_pb2.LocalizedMessage(locale=locale, message=message)


@dataclass(frozen=True)
class Violation:
    field: str
    description: str
    reason: str = ""
    description_zh: str = ""  # the same in Chinese, where it has a wording

    def text(self, locale: str) -> str:
        return self.description_zh if locale == ZH and self.description_zh else self.description

    def worded_in(self, locale: str) -> bool:
        """Whether the description has a wording in `locale` (else `text` gives the English)."""
        return locale == EN or bool(self.description_zh)


@dataclass
class ServiceError(Exception):
    code: grpc.StatusCode
    reason: str
    message: str
    violations: list[Violation] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    message_zh: str = ""  # the message in Chinese; else its reason's (`REASONS_ZH`)

    def __str__(self) -> str:
        return self.message

    def text(self, locale: str) -> str:
        """The message in `locale` (zh-CN or en-US)."""
        if locale != ZH:
            return self.message
        return self.message_zh or REASONS_ZH.get(self.reason, "请求失败")

    def localized_messages(
        self, locale: str, limit: int = STATUS_MESSAGE_BYTES
    ) -> list[error_details_pb2.LocalizedMessage]:
        """The message in both languages, `locale` first, each cut to `limit` UTF-8 bytes."""
        ordered = sorted(LOCALES, key=lambda lc: lc != locale)
        return [_localized(lc, _cut_bytes(self.text(lc), limit)) for lc in ordered]

    @property
    def code_number(self) -> int:
        number: int = self.code.value[0]
        return number

    def to_status_message(
        self,
        locale: str = DEFAULT_LOCALE,
        *,
        text_limit: int | None = None,
        message_bytes: int | None = None,
        details_bytes: int = STATUS_DETAILS_BYTES,
    ) -> status_pb2.Status:
        """The ``google.rpc.Status`` of this error, as both transports send it (one place for both): its
        message in `locale`; details: the ``ErrorInfo``, a ``BadRequest`` when fields are at fault (each
        description in `locale`, listed while they fit `details_bytes`, then one more saying how many were left
        out), and the message in both languages as ``LocalizedMessage``s, `locale` first. `text_limit` cuts
        each field, description and metadata value; `message_bytes` the messages (None: uncut)."""

        def cut(text: str) -> str:
            return text if text_limit is None else _cut(text, text_limit)

        metadata = {k: cut(v) for k, v in self.metadata.items()}
        details = [_pack(error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN, metadata=metadata))]
        if self.violations:
            listed = error_details_pb2.BadRequest()
            budget = details_bytes - details[0].ByteSize()
            for number, v in enumerate(self.violations):
                described = cut(v.text(locale))
                item = error_details_pb2.BadRequest.FieldViolation(
                    field=cut(v.field), description=described, reason=v.reason
                )
                if v.worded_in(locale):
                    item.localized_message.CopyFrom(_localized(locale, described))
                if listed.ByteSize() + item.ByteSize() + 40 > budget:
                    listed.field_violations.add(description=_not_listed(len(self.violations) - number, locale))
                    break
                listed.field_violations.append(item)
            details.append(_pack(listed))
        limit = message_bytes if message_bytes is not None else 1 << 30
        details += [_pack(m) for m in self.localized_messages(locale, limit)]
        message = _cut_bytes(self.text(locale), limit)
        return status_pb2.Status(code=self.code_number, message=message, details=details)

    def to_status(self, locale: str = DEFAULT_LOCALE) -> Any:
        """A ``grpc.Status`` for ``context.abort_with_status``: ``to_status_message`` in `locale`, and the
        trailing metadata ``content-language``.

        A status travels in the trailers, which clients refuse past 8 KiB (gRPC's default), so it
        is kept to about 4 KiB whatever the problems: the message to ``STATUS_MESSAGE_BYTES``, each
        text to ``STATUS_TEXT``, and the violations listed while they fit ``STATUS_DETAILS_BYTES``.
        (A ScoreError in a stream message has a larger budget, ``SCORE_ERROR_BYTES``.)"""
        status = self.to_status_message(locale, text_limit=STATUS_TEXT, message_bytes=STATUS_MESSAGE_BYTES)
        converted = rpc_status.to_status(status)
        return _Status(converted.code, converted.details, (*converted.trailing_metadata, ("content-language", locale)))

    def to_score_error(self, locale: str = DEFAULT_LOCALE) -> pb.ScoreError:
        """The error of one record in a stream, its message in `locale` and in both languages
        (``localized_messages``): violations listed while they fit ``SCORE_ERROR_BYTES``, then one saying how
        many more there were."""
        error = pb.ScoreError(
            code=code_pb2.Code.ValueType(self.code_number),
            reason=self.reason,
            message=_cut_middle(self.text(locale), SCORE_ERROR_TEXT),
            localized_messages=[
                _localized(lc, _cut_middle(self.text(lc), SCORE_ERROR_TEXT))
                for lc in sorted(LOCALES, key=lambda lc: lc != locale)
            ],
        )
        size = error.ByteSize()
        for number, v in enumerate(self.violations):
            described = _cut(v.text(locale), SCORE_ERROR_TEXT)
            item = pb.FieldViolation(
                field=_cut(v.field, SCORE_ERROR_TEXT),
                description=described,
                reason=v.reason,
                localized_message=_localized(locale, described) if v.worded_in(locale) else None,
            )
            size += item.ByteSize() + 8
            if size > SCORE_ERROR_BYTES:
                error.field_violations.add(description=_not_listed(len(self.violations) - number, locale))
                break
            error.field_violations.append(item)
        return error


class _Status(collections.namedtuple("_Status", ("code", "details", "trailing_metadata")), grpc.Status):  # type: ignore[misc]
    """A ``grpc.Status``, as ``grpc_status.rpc_status`` makes one, with more trailing metadata."""


def _not_listed(left: int, locale: str) -> str:
    return f"另有{left}个问题未列出" if locale == ZH else f"and {left} more problem(s), not listed"


def _cut_bytes(text: str, limit: int) -> str:
    """`text` in at most `limit` UTF-8 bytes (and " …" when cut), never in the middle of a character."""
    cut = text.encode("utf-8")[:limit].decode("utf-8", "ignore")
    return cut if len(cut) == len(text) else cut + " …"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cut_middle(text: str, limit: int) -> str:
    """The text cut in its middle, so that a message's head and its closing words (how many) both stay."""
    if len(text) <= limit:
        return text
    tail = limit // 10
    return text[: limit - tail - 3] + " … " + text[-tail:]


def _pack(message: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def invalid_facts(exc: InvalidFacts, rubric: str) -> ServiceError:
    violations = [Violation(f"facts.{p.fact}", p.message, p.reason, p.message_zh) for p in exc.problems]
    named = [_cut(p.fact, ECHOED_NAME) for p in exc.problems[:NAMED_FACTS]]
    more = len(exc.problems) - len(named)
    names = ", ".join(named) + (f" and {more} more" if more > 0 else "")
    names_zh = "、".join(named) + (f"等（另有{more}项）" if more > 0 else "")
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_FACTS",
        f"{len(violations)} bad fact(s) for rubric {rubric!r}: {names}",
        violations,
        {"rubric": rubric, "facts": names},
        f"评分规则“{rubric}”有{len(violations)}项事实有误：{names_zh}",
    )


def bad_fields(
    problems: dict[str, str], reason: str = "INVALID_REQUEST", problems_zh: dict[str, str] | None = None
) -> ServiceError:
    """Request fields at fault; `problems_zh` words them in Chinese (else the reason's wording names them)."""
    zh = problems_zh or {}
    violations = [Violation(name, text, description_zh=zh.get(name, "")) for name, text in problems.items()]
    if all(name in zh for name in problems):
        message_zh = "；".join(f"{name}：{zh[name]}" for name in problems)
    else:
        message_zh = f"{REASONS_ZH.get(reason, '请求有误')}：{'、'.join(problems)}"
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        reason,
        "; ".join(f"{name}: {text}" for name, text in problems.items()),
        violations,
        message_zh=message_zh,
    )


def too_much(
    reason: str, message: str, problems: dict[str, str], message_zh: str = "", problems_zh: dict[str, str] | None = None
) -> ServiceError:
    """A request within the message size that asks for more work than one request may: RESOURCE_EXHAUSTED."""
    zh = problems_zh or {}
    violations = [Violation(name, text, description_zh=zh.get(name, "")) for name, text in problems.items()]
    return ServiceError(grpc.StatusCode.RESOURCE_EXHAUSTED, reason, message, violations, message_zh=message_zh)


def not_found(exc: RubricNotFound) -> ServiceError:
    reason = "RUBRIC_NOT_FOUND" if exc.served_version is None else "VERSION_NOT_FOUND"
    shown = _cut(exc.rubric, ECHOED_NAME)
    metadata = {"rubric": shown}
    if exc.version:
        metadata["version"] = _cut(exc.version, ECHOED_NAME)
    if exc.served_version is not None:
        metadata["served_version"] = exc.served_version
    if exc.suggestions:
        metadata["did_you_mean"] = ", ".join(exc.suggestions)
    if exc.served_version is None:
        hint = f"；是否要找：{'、'.join(exc.suggestions)}" if exc.suggestions else ""
        message_zh = f"没有在用的评分规则“{shown}”{hint}"
    else:
        message_zh = f"评分规则“{shown}”现行版本为“{exc.served_version}”，不是“{_cut(exc.version, ECHOED_NAME)}”"
    return ServiceError(grpc.StatusCode.NOT_FOUND, reason, str(exc), [], metadata, message_zh)


def evaluation_failed(exc: EvaluationError, rubric: str) -> ServiceError:
    if "division by zero" in exc.message:
        cause = "除数为零；请在评分规则中为零值另设得分"
    elif "matches no band" in exc.message:
        cause = "数值不在任何一档内"
    else:
        cause = "计算出错"
    return ServiceError(
        grpc.StatusCode.FAILED_PRECONDITION,
        "EVALUATION_FAILED",
        f"rubric {rubric!r} cannot be evaluated on these facts: indicator {exc.indicator!r}: {exc.message}",
        [],
        {"rubric": rubric, "indicator": str(exc.indicator)},
        f"评分规则“{rubric}”无法按这些事实计分：指标“{exc.indicator}”{cause}",
    )


def deadline_exceeded() -> ServiceError:
    return ServiceError(
        grpc.StatusCode.DEADLINE_EXCEEDED,
        "DEADLINE_EXCEEDED",
        "deadline exceeded before scoring",
        message_zh="计分前已超过请求时限",
    )


def internal(exc: Exception) -> ServiceError:
    return ServiceError(
        grpc.StatusCode.INTERNAL,
        "INTERNAL",
        f"internal error while scoring: {exc!r}",
        message_zh="计分时发生内部错误，已记入服务日志",
    )


def undecodable(message: str) -> ServiceError:
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "UNDECODABLE_REQUEST",
        f"the request could not be read: {message}",
        message_zh="无法读取请求：不是有效的请求消息",
    )


# --- refusals: made before (or instead of) the work, by the guard, the HTTP front and the health service ------
# Each is worded here once, in both languages, for every transport that refuses for that reason.


def missing_token(carrier: str = "metadata") -> ServiceError:
    """No bearer token; `carrier` is where it goes: gRPC "metadata", or an HTTP "header"."""
    name = "Authorization" if carrier == "header" else "authorization"
    where_zh = "请求头" if carrier == "header" else "请求元数据"
    return ServiceError(
        grpc.StatusCode.UNAUTHENTICATED,
        "MISSING_TOKEN",
        f"this server needs a bearer token: send the {carrier} '{name}: Bearer <token>'",
        message_zh=f"此服务需要访问令牌：请在{where_zh}中发送 `{name}: Bearer <令牌>`",
    )


def bad_token() -> ServiceError:
    return ServiceError(
        grpc.StatusCode.UNAUTHENTICATED,
        "BAD_TOKEN",
        "the bearer token is not one this server accepts",
        message_zh="访问令牌无效：不是此服务接受的令牌",
    )


def shutting_down() -> ServiceError:
    return ServiceError(
        grpc.StatusCode.UNAVAILABLE,
        "SHUTTING_DOWN",
        "this server is shutting down and takes no new calls; send the call again (to another replica)",
        message_zh="服务正在停止，不再接受新的调用；请重新发送（发往其他副本）",
    )


def stream_too_long(limit: int, records: int | None = None) -> ServiceError:
    """More than `limit` records in a stream (gRPC: the records before were answered) or, `records` of them, in
    one HTTP batch (refused whole)."""
    if records is None:
        message = (
            f"a stream takes at most {limit} records (--max-stream-records); the first {limit} were answered;"
            " send the rest on a new stream"
        )
        message_zh = f"一个流最多{limit}条记录（`--max-stream-records`）；前{limit}条已答复，其余请在新的流中发送"
    else:
        message = f"{records} records in one batch, more than the {limit} allowed"
        message_zh = f"一批有{records}条记录，超过上限{limit}条；请分批发送"
    return ServiceError(
        grpc.StatusCode.RESOURCE_EXHAUSTED, "STREAM_TOO_LONG", message, metadata={"limit": str(limit)},
        message_zh=message_zh,
    )  # fmt: skip


def call_too_long(seconds: float, record: int | None = None) -> ServiceError:
    """A streaming call (an HTTP batch: at its `record`) past the longest life the server gives one."""
    if record is None:
        message = (
            f"the call ran longer than the server allows one call ({seconds:g} s, --max-call-seconds);"
            " the records read before were answered; send the rest on a new stream"
        )
        message_zh = (
            f"调用持续时间超过服务允许的上限（{seconds:g}秒，`--max-call-seconds`）；之前读到的记录已答复，"
            "其余请在新的流中发送"
        )
    else:
        message = f"the batch ran past {seconds:g} s at record {record}"
        message_zh = f"这一批在第{record}条记录时超过{seconds:g}秒的上限"
    return ServiceError(
        grpc.StatusCode.DEADLINE_EXCEEDED, "CALL_TOO_LONG", message, metadata={"limit_seconds": f"{seconds:g}"},
        message_zh=message_zh,
    )  # fmt: skip


def too_many_streams(total: int, per_peer: int | None = None) -> ServiceError:
    """A stream (an HTTP batch, `per_peer` None) past the number the server keeps open at once."""
    if per_peer is None:
        message = f"at most {total} batches run at once; try again in a moment"
        message_zh = f"同时最多处理{total}批；请稍后再试"
        metadata = {"max_streams": str(total)}
    else:
        message = (
            f"the server keeps at most {total} streams open at once, {per_peer} from one client address"
            " (--max-streams, --max-streams-per-peer); close one, or send records by unary Score, and try again"
        )
        message_zh = (
            f"服务同时最多保持{total}个流，同一客户端地址最多{per_peer}个（`--max-streams`、`--max-streams-per-peer`）；"
            "请关闭一个流或逐条计分后再试"
        )
        metadata = {"max_streams": str(total), "max_streams_per_peer": str(per_peer)}
    return ServiceError(grpc.StatusCode.RESOURCE_EXHAUSTED, "TOO_MANY_STREAMS", message, [], metadata, message_zh)


def message_too_large(limit: int, line: int | None = None) -> ServiceError:
    """An HTTP body (or a batch's `line`) past the message size limit (413 over HTTP)."""
    if line is None:
        return too_much(
            "MESSAGE_TOO_LARGE", f"the body is larger than the {limit} bytes allowed", {},
            f"请求体超过上限{limit}字节",
        )  # fmt: skip
    return too_much(
        "MESSAGE_TOO_LARGE",
        f"line {line} is larger than the {limit} bytes allowed",
        {f"line {line}": "too large"},
        f"第{line}行超过上限{limit}字节",
        {f"line {line}": "过大"},
    )


def batch_too_large(limit: int) -> ServiceError:
    return too_much(
        "BATCH_TOO_LARGE", f"the batch is larger than the {limit} bytes allowed; send several", {},
        f"这一批超过上限{limit}字节；请分成几批发送",
    )  # fmt: skip


def too_many_watches(limit: int) -> ServiceError:
    return too_much(
        "TOO_MANY_WATCHES", f"at most {limit} health Watch streams are open at once; use Check", {},
        f"同时最多{limit}个健康状态订阅；请改用单次健康检查",
    )  # fmt: skip


def unknown_service(name: str) -> ServiceError:
    """A health check of a service this server does not serve."""
    shown = _cut(name, ECHOED_NAME)
    return ServiceError(
        grpc.StatusCode.NOT_FOUND,
        "UNKNOWN_SERVICE",
        f"unknown service {shown!r}",
        metadata={"service": shown},
        message_zh=f"没有服务“{shown}”",
    )
