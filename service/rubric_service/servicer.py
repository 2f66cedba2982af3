"""``rubric.v1.RubricService``: decode the request, call ``rubric_dsl``, encode the reply.

Takes: a ``Registry`` (the served rubrics) and whether facts may be logged.
Guarantees:

* each scored record takes one registry snapshot, so it sees exactly one version
  of its rubric, and its response names that rubric's id, version and content hash;
* what a person reads in a reply (explanations, reasons for lost points, a veto's reason, the total's
  explanation) is in the language of the call's ``accept-language`` (zh-CN: Chinese, in the sheet's wording,
  as ``rubric score --lang zh``; else English), as its errors are;
* each scored record (Score, or one ScoreStream record) writes one ``decision``
  log line: rubric, version, content hash, total, grade, outcome, latency; facts
  only when ``log_facts`` is set; with ``tracing``, the trace id of the call's span (``trace_id``);
* with ``metrics``, each record and call is counted there (``rubric_service.metrics``), and the calls in
  flight are;
* failures follow ``rubric_service.errors``: a unary call aborts with a rich status, a
  stream record gets a response with ``error`` set and the stream goes on;
* work is skipped once the caller's deadline has passed; a stream whose deadline
  passes ends, and a ``stream_ended`` line says how it ended and after how many records;
* ``Compare`` (``rubric_service.compare``) scores under one snapshot for the whole call, writes no
  decision lines (its scores are what-if analyses, not decisions) but one ``compare_ended``
  line per call: the rubrics with versions and content hashes, records, outcome, latency;
  a bad setup aborts the call, a bad record gets errors in its result and the call goes on;
* ``CheckRubric`` stores nothing and reads no file but the served directory's
  rubrics (for ``extends``); it checks in a process of its own (``check_worker``), within a per-call budget
  (source size, indicators, generated code size, time, memory), beyond which it answers RESOURCE_EXHAUSTED
  ``CHECK_BUDGET_EXCEEDED`` naming what was exceeded (metadata ``exceeded``), and at most ``MAX_CHECKS`` at once;
* ``Score`` and ``ScoreStream`` answer messages, as the generated
  ``add_RubricServiceServicer_to_server`` expects; ``add_to_server`` serves
  ``score_wire`` and ``score_stream_wire`` instead, which answer the same replies
  already serialized (``convert.ScoreEncoder``), so no message is built per call.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import grpc
from google.protobuf.json_format import MessageToDict

from rubric_dsl import CompiledRubric, Diagnostic, EvaluationError, InvalidFacts, Result
from rubric_dsl.diagnostics import Language
from rubric_dsl.parser import parse
from rubric_dsl.source import SourceFile
from rubric_service import compare, convert, errors, logs
from rubric_service.check_worker import BudgetExceeded, CheckBudget, CheckFailed, CheckWorker, number
from rubric_service.errors import ServiceError
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from rubric_service.metrics import NOT_SERVED, Metrics
from rubric_service.registry import Registry, RubricNotFound, parent_in_head

SERVICE: str = pb.DESCRIPTOR.services_by_name["RubricService"].full_name
DECISIONS = "service.decision"
log = logs.get_logger(DECISIONS)

DEFAULT_PAGE_SIZE = 50
COMPARE_REPLY_BYTES = 1 << 20  # a Compare reply holds results up to about this size, then another follows
COMPARE_CHUNK = 256  # records scored at a time within a Compare request
MAX_COMPARE_RECORDS = 10_000  # records in one Compare request
# Records × schemes scored for one Compare request: what one request may cost (~25 µs each, a quarter
# of a second), and so what its replies may hold, whatever its records are (16 schemes of empty
# records once gave 186 MB of replies from a 20 KB request).
MAX_COMPARE_EVALUATIONS = 10_000
T = TypeVar("T")
MAX_PAGE_SIZE = 1000
MAX_CHECKS = 2  # CheckRubric calls at once: the rest are refused RESOURCE_EXHAUSTED, so scoring keeps its workers


def _past_deadline(context: Any) -> bool:
    remaining = context.time_remaining()  # never None in grpc's sync server; large without a deadline
    return remaining is not None and remaining <= 0


class RubricServicer(pb_grpc.RubricServiceServicer):
    def __init__(
        self,
        registry: Registry,
        *,
        log_facts: bool = False,
        compare_reply_bytes: int = COMPARE_REPLY_BYTES,
        check_budget: CheckBudget | None = None,
        metrics: Metrics | None = None,
        tracing: bool = False,
    ) -> None:
        self.registry = registry
        self.metrics = metrics
        self.tracing = tracing
        self._checks = threading.BoundedSemaphore(MAX_CHECKS)
        self.check_worker = CheckWorker(check_budget)
        self.log_facts = log_facts
        self.compare_reply_bytes = compare_reply_bytes

    # -- scoring -----------------------------------------------------------------

    def _score(self, request: pb.ScoreRequest) -> tuple[CompiledRubric, Result]:
        if not request.rubric:
            raise errors.bad_fields(
                {"rubric": "name the rubric to score against"}, problems_zh={"rubric": "请写明按哪个评分规则计分"}
            )
        if len(request.request_id) > errors.MAX_REQUEST_ID:
            raise errors.bad_fields(
                {"request_id": f"{len(request.request_id)} characters, more than the {errors.MAX_REQUEST_ID} allowed"},
                problems_zh={"request_id": f"长{len(request.request_id)}个字符，超过上限{errors.MAX_REQUEST_ID}"},
            )
        try:
            rubric = self.registry.snapshot().get(request.rubric, request.version)
        except RubricNotFound as exc:
            raise errors.not_found(exc) from exc
        try:
            facts = convert.facts_of(request)
        except convert.FactsNotDecoded as exc:
            raise errors.bad_fields(exc.problems, "INVALID_FACTS", exc.problems_zh) from exc
        try:
            return rubric, rubric.score(facts, allow_extra_facts=request.allow_extra_facts)
        except InvalidFacts as exc:
            raise errors.invalid_facts(exc, rubric.id) from exc
        except EvaluationError as exc:
            raise errors.evaluation_failed(exc, rubric.id) from exc

    def _decide(self, rpc: str, request: pb.ScoreRequest, context: Any) -> bytes:
        """Score one record, log the decision and return the serialized reply; raises ServiceError."""
        if self.metrics is None:
            return self._decide_timed(rpc, request, context)
        flight = self.metrics.flight(rpc)
        flight.inc()
        try:
            return self._decide_timed(rpc, request, context)
        finally:
            flight.dec()

    def _decide_timed(self, rpc: str, request: pb.ScoreRequest, context: Any) -> bytes:
        start = time.perf_counter()
        try:
            if _past_deadline(context):
                raise errors.deadline_exceeded()
            rubric, result = self._score(request)
            total = convert.decimal_text(result.total)
            encoder = convert.encoder(rubric)
            # the language of what a person reads in the reply: only looked up when there is such text
            worded = request.explain or encoder.adjusted or result.applied is not None
            lang: Language = "zh" if worded and _locale(context) == errors.ZH else "en"
            if request.explain:
                wire = convert.score_response_bytes(
                    rubric, result, explain=True, request_id=request.request_id, lang=lang
                )
            else:
                wire = encoder.encode(result, total, request.request_id, lang)
        except ServiceError as exc:
            self._log_failure(rpc, request, exc, time.perf_counter() - start)
            raise
        except Exception as exc:  # a bug must not look like a score; say so and log it
            log.exception("score_failed", rpc=rpc, request_id=request.request_id, rubric=request.rubric)
            failure = errors.internal(exc)
            self._log_failure(rpc, request, failure, time.perf_counter() - start)
            raise failure from exc
        except BaseException:
            self._log_failure(rpc, request, None, time.perf_counter() - start)
            raise
        self._log_scored(rpc, request, rubric, total, result.grade, time.perf_counter() - start)
        return wire

    def _log_scored(
        self, rpc: str, request: pb.ScoreRequest, rubric: CompiledRubric, total: str, grade: str, seconds: float
    ) -> None:
        latency_ms = round(seconds * 1000, 3)
        if self.metrics is not None:
            self.metrics.record(rpc, rubric.id, rubric.version, grade, "ok", seconds)
            if rpc == "Score":
                self.metrics.call(rpc, "ok")
        trace_id = _trace_id() if self.tracing else None
        writer = logs.line_writer()
        if writer is not None and not self.log_facts:
            if trace_id is None:
                values: logs.Values = (request.request_id, total, grade, latency_ms)
            else:
                values = (request.request_id, trace_id, total, grade, latency_ms)
            writer.write_event(_decisions.template(rpc, rubric, trace_id is not None), values)
            return
        fields = _decision_fields(rpc, request.request_id, rubric, total, grade, latency_ms, trace_id)
        if self.log_facts:
            fields.update(_facts_fields(request))
        log.info("decision", **fields)

    def _log_failure(self, rpc: str, request: pb.ScoreRequest, failure: ServiceError | None, seconds: float) -> None:
        outcome = failure.reason.lower() if failure is not None else "internal_error"
        if self.metrics is not None:
            served = self.registry.snapshot().rubrics.get(request.rubric)  # a label names served rubrics only
            rubric, version = (served.id, served.version) if served is not None else (NOT_SERVED, "")
            self.metrics.record(rpc, rubric, version, "", outcome, seconds)
            if rpc == "Score":
                self.metrics.call(rpc, outcome)
        # the request's own text, cut: a decision line stays a line, whatever the request held
        fields: dict[str, Any] = {
            "rpc": rpc,
            "request_id": request.request_id[: errors.MAX_REQUEST_ID],
        }
        if self.tracing:
            fields["trace_id"] = _trace_id()
        fields["rubric"] = request.rubric[: errors.ECHOED_NAME]
        if failure is not None:
            fields.update(
                version=request.version[: errors.ECHOED_NAME],
                outcome=failure.reason.lower(),
                error=failure.message[: errors.SCORE_ERROR_TEXT],
            )
        else:
            fields.update(outcome="internal_error")
        fields["latency_ms"] = round(seconds * 1000, 3)
        if self.log_facts:
            fields.update(_facts_fields(request))
        log.info("decision", **fields)

    def score_wire(self, request: pb.ScoreRequest | convert.Undecodable, context: Any) -> bytes:
        """``Score``, answering the serialized reply (for a handler whose serializer passes bytes through)."""
        try:
            if isinstance(request, convert.Undecodable):
                raise _undecodable("Score", request)
            return self._decide("Score", request, context)
        except ServiceError as exc:
            context.abort_with_status(exc.to_status(_locale(context)))
            raise  # abort_with_status raises; this only satisfies the type checker

    def Score(self, request: pb.ScoreRequest, context: Any) -> pb.ScoreResponse:
        return pb.ScoreResponse.FromString(self.score_wire(request, context))

    def score_stream_wire(
        self, request_iterator: Iterator[pb.ScoreRequest], context: Any
    ) -> Generator[bytes, None, None]:
        """``ScoreStream``, answering serialized replies."""
        records, outcome = 0, "ok"
        try:
            for request in request_iterator:
                records += 1
                yield self._stream_record(request, context)
        except grpc.RpcError:  # the call ended under us: cancelled, or its deadline passed
            outcome = "ended"
        finally:
            if _past_deadline(context):
                outcome = "deadline_exceeded"
            elif outcome != "ok" or not context.is_active():
                outcome = "cancelled"
            log.info("stream_ended", rpc="ScoreStream", records=records, outcome=outcome)
            if self.metrics is not None:
                self.metrics.call("ScoreStream", outcome)

    def ScoreStream(self, request_iterator: Iterator[pb.ScoreRequest], context: Any) -> Iterator[pb.ScoreResponse]:
        wires = self.score_stream_wire(request_iterator, context)
        try:
            for wire in wires:
                yield pb.ScoreResponse.FromString(wire)
        finally:
            wires.close()  # now, not when collected: its stream_ended line says how the stream ended

    def _stream_record(self, request: pb.ScoreRequest | convert.Undecodable, context: Any) -> bytes:
        if isinstance(request, convert.Undecodable):
            error = _undecodable("ScoreStream", request).to_score_error(_locale(context))
            return pb.ScoreResponse(error=error).SerializeToString()
        try:
            return self._decide("ScoreStream", request, context)
        except ServiceError as exc:
            if exc.code is grpc.StatusCode.DEADLINE_EXCEEDED:
                context.abort_with_status(exc.to_status(_locale(context)))
            return pb.ScoreResponse(  # echoes cut: one record's reply must not outgrow the message limit
                rubric=request.rubric[: errors.ECHOED_NAME],
                version=request.version[: errors.ECHOED_NAME],
                request_id=request.request_id[: errors.MAX_REQUEST_ID],
                error=exc.to_score_error(_locale(context)),
            ).SerializeToString()

    # -- comparing ---------------------------------------------------------------

    def Compare(
        self, request_iterator: Iterator[pb.CompareRequest | convert.Undecodable], context: Any
    ) -> Iterator[pb.CompareResponse]:
        start = time.perf_counter()
        session: compare.Session | None = None
        outcome, failure = "ended", None  # "ended": cancelled by the client, or ended by a stream limit (the guard)
        try:
            for number, request in enumerate(request_iterator):  # the guard may end the call here
                if isinstance(request, convert.Undecodable):
                    raise _undecodable("Compare", request)
                if number == 0:
                    session = self._compare_step(self._open_comparison, request)
                elif request.HasField("setup"):
                    raise errors.bad_fields(
                        {"setup": "only the first request may carry the setup"},
                        problems_zh={"setup": "只有第一个请求可以带比较设置"},
                    )
                if len(request.records) > MAX_COMPARE_RECORDS:
                    raise errors.bad_fields(
                        {
                            "records": f"{len(request.records)} records in one request, more than the "
                            f"{MAX_COMPARE_RECORDS} allowed; send them in several requests"
                        },
                        problems_zh={
                            "records": f"一个请求有{len(request.records)}条记录，"
                            f"超过上限{MAX_COMPARE_RECORDS}条；请分批发送"
                        },
                    )
                assert session is not None
                evaluations = len(request.records) * len(session.schemes)
                if evaluations > MAX_COMPARE_EVALUATIONS:
                    most = max(1, MAX_COMPARE_EVALUATIONS // len(session.schemes))
                    raise errors.too_much(
                        "COMPARE_REQUEST_TOO_LARGE",
                        f"{len(request.records)} records under {len(session.schemes)} schemes are {evaluations} "
                        f"scorings in one request, more than the {MAX_COMPARE_EVALUATIONS} allowed; send at most "
                        f"{most} records per request under these schemes",
                        {"records": f"at most {most} per request under {len(session.schemes)} schemes"},
                        f"{len(request.records)}条记录按{len(session.schemes)}个方案计分共{evaluations}次，超过一个请求"
                        f"上限{MAX_COMPARE_EVALUATIONS}次；在这些方案下每个请求最多发送{most}条记录",
                        {"records": f"在{len(session.schemes)}个方案下每个请求最多{most}条"},
                    )
                if _past_deadline(context):
                    raise errors.deadline_exceeded()
                head = self._compare_step(session.rubrics) if number == 0 else []
                results = self._results(session, request.records, _locale(context))
                yield from _replies(results, "records", self.compare_reply_bytes, head, _too_large)
            if session is None:
                raise errors.bad_fields(
                    {"setup": "the call ended before a request carried the setup"},
                    problems_zh={"setup": "调用结束前没有请求带比较设置"},
                )
            summaries = self._compare_step(session.summaries)
            yield from _replies(summaries, "summaries", self.compare_reply_bytes)
            outcome = "ok"
        except ServiceError as exc:
            outcome, failure = exc.reason.lower(), exc
        except grpc.RpcError:  # the call ended under us
            outcome = "cancelled"
        finally:
            if _past_deadline(context):
                outcome = "deadline_exceeded"
            elif outcome == "ok" and not context.is_active():
                outcome = "cancelled"
            fields: dict[str, Any] = {
                "rpc": "Compare",
                "schemes": [s.name for s in session.schemes] if session else [],
                "rubrics": session.described() if session else [],
                "records": session.records if session else 0,
                "outcome": outcome,
            }
            if failure is not None:
                fields["error"] = failure.message
            log.info("compare_ended", **fields, latency_ms=round((time.perf_counter() - start) * 1000, 3))
            if self.metrics is not None:
                self.metrics.call("Compare", outcome)
                self.metrics.observe("Compare", time.perf_counter() - start)
        if failure is not None:
            context.abort_with_status(failure.to_status(_locale(context)))

    @staticmethod
    def _compare_step(step: Callable[..., T], *args: Any) -> T:
        """Run one step of a Compare call; a bug becomes an INTERNAL ServiceError (and is logged)."""
        try:
            return step(*args)
        except ServiceError:
            raise
        except Exception as exc:  # a bug must not look like a comparison; say so and log it
            log.exception("compare_failed", rpc="Compare")
            raise errors.internal(exc) from exc

    def _open_comparison(self, request: pb.CompareRequest) -> compare.Session:
        if not request.HasField("setup"):
            raise errors.bad_fields(
                {"setup": "the first request must carry the setup"}, problems_zh={"setup": "第一个请求必须带比较设置"}
            )
        return compare.Session(request.setup, self.registry.snapshot())

    def _results(
        self, session: compare.Session, records: Sequence[pb.CompareRecord], locale: str = errors.DEFAULT_LOCALE
    ) -> Iterator[Any]:
        """The results of a request's records, scored a chunk at a time, so that what waits to be sent
        stays about one reply, however many records the request holds; their errors in `locale`."""
        for start in range(0, len(records), COMPARE_CHUNK):
            yield from self._compare_step(session.score, records[start : start + COMPARE_CHUNK], locale)

    # -- rubrics -----------------------------------------------------------------

    def ListRubrics(self, request: pb.ListRubricsRequest, context: Any) -> pb.ListRubricsResponse:
        try:
            size = _page_size(request.page_size)
            after = _decode_token(request.page_token)
        except ServiceError as exc:
            context.abort_with_status(exc.to_status(_locale(context)))
            raise
        snapshot = self.registry.snapshot()
        start = bisect.bisect_right(snapshot.ids, after) if after is not None else 0
        page = snapshot.ids[start : start + size]
        more = start + size < len(snapshot.ids)
        return pb.ListRubricsResponse(
            rubrics=[convert.summary(snapshot.rubrics[rid]) for rid in page],
            next_page_token=_encode_token(page[-1]) if more and page else "",
        )

    def GetRubric(self, request: pb.GetRubricRequest, context: Any) -> pb.GetRubricResponse:
        try:
            if not request.rubric:
                raise errors.bad_fields(
                    {"rubric": "name the rubric to get"}, problems_zh={"rubric": "请写明要取哪个评分规则"}
                )
            try:
                rubric = self.registry.snapshot().get(request.rubric, request.version)
            except RubricNotFound as exc:
                raise errors.not_found(exc) from exc
        except ServiceError as exc:
            context.abort_with_status(exc.to_status(_locale(context)))
            raise
        return pb.GetRubricResponse(rubric=convert.rubric_message(rubric))

    def _check(self, source: str, path: str) -> list[Diagnostic]:
        """The diagnostics of ``source``, checked (by the check worker, within its budget) against the served
        directory's texts: its parent chain only, nothing read from disk; the whole directory only when the
        chain is not among them."""
        worker = self.check_worker
        size = len(source.encode("utf-8"))
        if size > worker.budget.source_bytes:  # before even its head is read
            raise BudgetExceeded("source_bytes", worker.budget.source_bytes, size)
        parents = self.registry.snapshot().chain(_parent_of(source, path))
        return worker.check(source, path, parents, str(self.registry.directory) if parents is None else None)

    def close(self) -> None:
        """End the check worker's process (the server stops)."""
        self.check_worker.close()

    def CheckRubric(self, request: pb.CheckRubricRequest, context: Any) -> pb.CheckRubricResponse:
        if self.metrics is None:
            return self._check_rubric(request, context)
        start, outcome = time.perf_counter(), "ok"
        flight = self.metrics.flight("CheckRubric")
        flight.inc()
        try:
            return self._check_rubric(request, context)
        except BaseException:
            outcome = _abort_reason(context)
            raise
        finally:
            flight.dec()
            self.metrics.call("CheckRubric", outcome)
            self.metrics.observe("CheckRubric", time.perf_counter() - start)

    def _check_rubric(self, request: pb.CheckRubricRequest, context: Any) -> pb.CheckRubricResponse:
        # Pure: the text stands in for the served rubric of its id; nothing is stored or served.
        path = request.path or "<input>"
        if not self._checks.acquire(blocking=False):
            busy = errors.too_much(
                "TOO_MANY_CHECKS",
                f"at most {MAX_CHECKS} CheckRubric calls run at once, so that checking never starves scoring;"
                " try again in a moment",
                {},
                f"同时最多进行{MAX_CHECKS}个评分规则检查，以免影响计分；请稍后再试",
            )
            context.abort_with_status(busy.to_status(_locale(context)))
        try:
            diagnostics = self._check(request.source, path)
        except BudgetExceeded as exc:
            context.abort_with_status(_over_budget(exc).to_status(_locale(context)))
        except CheckFailed as exc:
            log.error("check_failed", rpc="CheckRubric", error=str(exc)[:500])
            context.abort_with_status(errors.internal(exc).to_status(_locale(context)))
        finally:
            self._checks.release()
        return pb.CheckRubricResponse(
            ok=not any(d.severity == "error" for d in diagnostics),
            diagnostics=[convert.diagnostic_message(d, request.source) for d in diagnostics],
        )


def _abort_reason(context: Any) -> str:
    """The outcome of a call that was aborted: its status code, lower case (``resource_exhausted``)."""
    code = context.code() if hasattr(context, "code") else None
    return code.name.lower() if isinstance(code, grpc.StatusCode) else "error"


# What each part of CheckRubric's budget (``CheckBudget``) counts, in Chinese.
_BUDGET_ZH = {
    "source_bytes": "规则文本的字节数",
    "indicators": "指标数",
    "code_bytes": "生成代码的字节数",
    "seconds": "检查用时（秒）",
    "cpu_seconds": "处理器用时（秒）",
    "memory_bytes": "内存字节数",
}


def _over_budget(exc: BudgetExceeded) -> ServiceError:
    limit = number(exc.limit)
    asked = f"; {number(exc.actual)} asked" if exc.actual is not None else ""
    what_zh = _BUDGET_ZH.get(exc.what, "检查所用资源")
    asked_zh = f"，本次需要{number(exc.actual)}" if exc.actual is not None else ""
    return ServiceError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "CHECK_BUDGET_EXCEEDED",
        f"CheckRubric's budget of {exc.what} was exceeded: at most {limit} per call{asked}",
        [errors.Violation("source", f"{exc.what}: at most {limit}{asked}", "", f"{what_zh}最多{limit}{asked_zh}")],
        {"exceeded": exc.what, "limit": limit},
        f"评分规则检查超出预算：每次{what_zh}最多{limit}{asked_zh}",
    )


_BAD_TOKEN_ZH = {"page_token": "不是上一页评分规则列表给出的翻页令牌"}


def _locale(context: Any) -> str:
    """The language the call's errors are worded in: from its `accept-language` (`errors.choose_locale`); a
    context without metadata (a call that came over HTTP, `http.HttpContext`) gets the default."""
    metadata = getattr(context, "invocation_metadata", None)
    return errors.choose_locale(metadata() if metadata is not None else ())


def _parent_of(source: str, path: str) -> str | None:
    """The id the text extends: read off its head line when it is written the usual way, else parsed."""
    parent = parent_in_head(source)
    if parent is not None or "extends" not in source:
        return parent
    tree, _ = parse(SourceFile(path, source))
    return tree.extends.id if tree is not None and tree.extends is not None else None


def _replies(
    items: Iterable[Any],
    name: str,
    limit: int,
    head: Sequence[Any] = (),
    shrink: Callable[[Any, int], Any] | None = None,
) -> Iterator[pb.CompareResponse]:
    """``items`` in CompareResponse field ``name``, in order, in replies of about ``limit`` bytes at most
    (a single larger item goes alone, or ``shrink`` replaces it), the first also holding ``head`` (the
    compared rubrics); always at least one reply."""
    run: list[Any] = []
    size = sum(item.ByteSize() + 8 for item in head)
    for item in items:
        length = item.ByteSize() + 8  # the field's key and length
        if shrink is not None and length > limit:
            item = shrink(item, length)
            length = item.ByteSize() + 8
        if (run or head) and size + length > limit:
            yield pb.CompareResponse(rubrics=head, **{name: run})
            head, run, size = (), [], 0
        run.append(item)
        size += length
    yield pb.CompareResponse(rubrics=head, **{name: run})


def _too_large(result: pb.RecordComparison, size: int) -> pb.RecordComparison:
    """A record's result that would not fit a reply, trimmed (a backstop: the bounds on names, values
    and listed problems keep real results far smaller): its errors keep their code and reason but lose
    their violations, and say so; totals, grades and differences stay, so that it still agrees with the
    summaries, which counted it."""
    trimmed = pb.RecordComparison()
    trimmed.CopyFrom(result)
    trimmed.id = result.id[:200]
    note = f" [the result had {size} bytes, more than a reply may hold: its violations are left out]"
    errors_ = [o.error for o in trimmed.outcomes if o.HasField("error")]
    if trimmed.HasField("error"):
        errors_.append(trimmed.error)
    for error in errors_:
        del error.field_violations[:]
        error.message = error.message[:200] + note
    return trimmed


def add_to_server(servicer: RubricServicer, server: Any) -> None:
    """Serve ``servicer`` on ``server``, like the generated ``add_RubricServiceServicer_to_server``
    except that ``Score`` and ``ScoreStream`` answer ``score_wire``'s bytes as they are (no
    response serializer), which saves parsing them into a message that gRPC would serialize again."""
    plain = {"request_deserializer": convert.decoder(pb.ScoreRequest), "response_serializer": None}
    handlers = {
        "Score": grpc.unary_unary_rpc_method_handler(servicer.score_wire, **plain),
        "ScoreStream": grpc.stream_stream_rpc_method_handler(servicer.score_stream_wire, **plain),
        "ListRubrics": _unary(servicer.ListRubrics, pb.ListRubricsRequest, pb.ListRubricsResponse),
        "GetRubric": _unary(servicer.GetRubric, pb.GetRubricRequest, pb.GetRubricResponse),
        "CheckRubric": _unary(servicer.CheckRubric, pb.CheckRubricRequest, pb.CheckRubricResponse),
        "Compare": grpc.stream_stream_rpc_method_handler(
            servicer.Compare,
            request_deserializer=convert.decoder(pb.CompareRequest),
            response_serializer=pb.CompareResponse.SerializeToString,
        ),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_registered_method_handlers(SERVICE, handlers)


def _unary(behavior: Any, request: Any, response: Any) -> Any:
    name = request.DESCRIPTOR.name.removesuffix("Request")

    def checked(message: Any, context: Any) -> Any:
        if type(message) is convert.Undecodable:
            context.abort_with_status(_undecodable(name, message).to_status(_locale(context)))
        return behavior(message, context)

    return grpc.unary_unary_rpc_method_handler(
        checked, request_deserializer=convert.decoder(request), response_serializer=response.SerializeToString
    )


def _undecodable(rpc: str, request: convert.Undecodable) -> ServiceError:
    log.info("undecodable_request", rpc=rpc, error=request.message)
    return errors.undecodable(request.message)


def _decision_fields(
    rpc: str,
    request_id: str,
    rubric: CompiledRubric,
    total: str,
    grade: str,
    latency_ms: float,
    trace_id: str | None = None,
) -> dict[str, Any]:
    """The fields of a scored record's decision line, in the order they are written."""
    traced = {"trace_id": trace_id} if trace_id is not None else {}
    return {
        "rpc": rpc,
        "request_id": request_id,
        **traced,
        "rubric": rubric.id,
        "version": rubric.version,
        "content_hash": rubric.content_hash,
        "total": total,
        "grade": grade,
        "outcome": "ok",
        "latency_ms": latency_ms,
    }


def _trace_id() -> str:
    """The trace id of the span this thread is in (the gRPC server interceptor's), 32 hex digits; zeros when
    the call is not traced."""
    from opentelemetry import trace

    return f"{trace.get_current_span().get_span_context().trace_id:032x}"


def _facts_fields(request: pb.ScoreRequest) -> dict[str, Any]:
    fields: dict[str, Any] = {"facts": dict(request.facts)}
    if request.typed_facts:
        fields["typed_facts"] = {k: MessageToDict(v) for k, v in request.typed_facts.items()}
    return fields


class _DecisionLines:
    """Templates of a scored record's decision line (without facts), one per rubric and RPC.

    Why: structlog's chain (an event dict, four processors, ``json.dumps``) cost ~15 µs
    a line in the request thread. The fields that never change for a rubric are rendered
    once here, and the request thread only queues the rest (``LineWriter.write_event``);
    the writer renders the line that ``log.info("decision", **_decision_fields(...))``
    would have written (tests/service/test_service_decision_log.py compares them).
    """

    def __init__(self) -> None:
        self._templates: WeakKeyDictionary[CompiledRubric, dict[tuple[str, bool], logs.LineTemplate]] = (
            WeakKeyDictionary()
        )

    def template(self, rpc: str, rubric: CompiledRubric, traced: bool = False) -> logs.LineTemplate:
        """Blanks: request id, (trace id, when ``traced``), total, grade, latency (ms)."""
        by_rpc = self._templates.get(rubric)
        if by_rpc is None:
            by_rpc = self._templates[rubric] = {}
        template = by_rpc.get((rpc, traced))
        if template is None:
            blank = logs.BLANK
            trace = blank if traced else None
            fields = _decision_fields(rpc, blank, rubric, blank, blank, 0.0, trace) | {"latency_ms": blank}
            template = by_rpc[(rpc, traced)] = logs.LineTemplate(DECISIONS, "decision", fields)
        return template


_decisions = _DecisionLines()


def _page_size(requested: int) -> int:
    if requested < 0:
        raise errors.bad_fields({"page_size": "must not be negative"}, problems_zh={"page_size": "不能为负数"})
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _encode_token(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode("utf-8")).decode("ascii")


def _decode_token(token: str) -> str | None:
    if not token:
        return None
    problem = {"page_token": "not a token from a previous ListRubrics page"}
    try:
        last_id = base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise errors.bad_fields(problem, problems_zh=_BAD_TOKEN_ZH) from exc
    if not last_id or _encode_token(last_id) != token:
        raise errors.bad_fields(problem, problems_zh=_BAD_TOKEN_ZH)
    return last_id
