"""``rubric.v1.RubricService``: decode the request, call ``rubric_dsl``, encode the reply.

Takes: a ``Registry`` (the served rubrics) and whether facts may be logged.
Guarantees:

* each scored record takes one registry snapshot, so it sees exactly one version
  of its rubric, and its response names that rubric's id, version and content hash;
* each scored record (Score, or one ScoreStream record) writes one ``decision``
  log line: rubric, version, content hash, total, grade, outcome, latency; facts
  only when ``log_facts`` is set;
* failures follow ``service.errors``: a unary call aborts with a rich status, a
  stream record gets a response with ``error`` set and the stream goes on;
* work is skipped once the caller's deadline has passed; a stream whose deadline
  passes ends, and a ``stream_ended`` line says how it ended and after how many records;
* ``CheckRubric`` stores nothing and reads no file but the served directory's
  rubrics (for ``extends``).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import time
from collections.abc import Iterator
from typing import Any

import grpc
from google.protobuf.json_format import MessageToDict

import rubric_dsl
from rubric_dsl import EvaluationError, InvalidFacts
from service import convert, errors
from service.errors import ServiceError
from service.gen.rubric.v1 import rubric_service_pb2 as pb
from service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service.logs import get_logger
from service.registry import Registry, RubricNotFound

log = get_logger("service.decision")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def _past_deadline(context: Any) -> bool:
    remaining = context.time_remaining()  # never None in grpc's sync server; large without a deadline
    return remaining is not None and remaining <= 0


class RubricServicer(pb_grpc.RubricServiceServicer):
    def __init__(self, registry: Registry, *, log_facts: bool = False) -> None:
        self.registry = registry
        self.log_facts = log_facts

    # -- scoring -----------------------------------------------------------------

    def _score(self, request: pb.ScoreRequest) -> pb.ScoreResponse:
        if not request.rubric:
            raise errors.bad_fields({"rubric": "name the rubric to score against"})
        try:
            rubric = self.registry.snapshot().get(request.rubric, request.version)
        except RubricNotFound as exc:
            raise errors.not_found(exc) from exc
        try:
            facts = convert.facts_of(request)
        except convert.FactsNotDecoded as exc:
            raise errors.bad_fields(exc.problems, "INVALID_FACTS") from exc
        try:
            result = rubric.score(facts, allow_extra_facts=request.allow_extra_facts)
        except InvalidFacts as exc:
            raise errors.invalid_facts(exc, rubric.id) from exc
        except EvaluationError as exc:
            raise errors.evaluation_failed(exc, rubric.id) from exc
        return convert.score_response(rubric, result, explain=request.explain, request_id=request.request_id)

    def _decide(self, rpc: str, request: pb.ScoreRequest, context: Any) -> pb.ScoreResponse:
        """Score one record and log the decision; raises ServiceError."""
        start = time.perf_counter()
        response: pb.ScoreResponse | None = None
        failure: ServiceError | None = None
        try:
            if _past_deadline(context):
                raise errors.deadline_exceeded()
            response = self._score(request)
            return response
        except ServiceError as exc:
            failure = exc
            raise
        except Exception as exc:  # a bug must not look like a score; say so and log it
            log.exception("score_failed", rpc=rpc, request_id=request.request_id, rubric=request.rubric)
            failure = errors.internal(exc)
            raise failure from exc
        finally:
            self._log_decision(rpc, request, response, failure, time.perf_counter() - start)

    def _log_decision(
        self,
        rpc: str,
        request: pb.ScoreRequest,
        response: pb.ScoreResponse | None,
        failure: ServiceError | None,
        seconds: float,
    ) -> None:
        fields: dict[str, Any] = {"rpc": rpc, "request_id": request.request_id, "rubric": request.rubric}
        if response is not None:
            fields.update(
                version=response.version,
                content_hash=response.content_hash,
                total=response.total,
                grade=response.grade,
                outcome="ok",
            )
        elif failure is not None:
            fields.update(version=request.version, outcome=failure.reason.lower(), error=failure.message)
        else:
            fields.update(outcome="internal_error")
        fields["latency_ms"] = round(seconds * 1000, 3)
        if self.log_facts:
            fields["facts"] = dict(request.facts)
            if request.typed_facts:
                fields["typed_facts"] = {k: MessageToDict(v) for k, v in request.typed_facts.items()}
        log.info("decision", **fields)

    def Score(self, request: pb.ScoreRequest, context: Any) -> pb.ScoreResponse:
        try:
            return self._decide("Score", request, context)
        except ServiceError as exc:
            context.abort_with_status(exc.to_status())
            raise  # abort_with_status raises; this only satisfies the type checker

    def ScoreStream(self, request_iterator: Iterator[pb.ScoreRequest], context: Any) -> Iterator[pb.ScoreResponse]:
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

    def _stream_record(self, request: pb.ScoreRequest, context: Any) -> pb.ScoreResponse:
        try:
            return self._decide("ScoreStream", request, context)
        except ServiceError as exc:
            if exc.code is grpc.StatusCode.DEADLINE_EXCEEDED:
                context.abort_with_status(exc.to_status())
            return pb.ScoreResponse(
                rubric=request.rubric,
                version=request.version,
                request_id=request.request_id,
                error=exc.to_score_error(),
            )

    # -- rubrics -----------------------------------------------------------------

    def ListRubrics(self, request: pb.ListRubricsRequest, context: Any) -> pb.ListRubricsResponse:
        try:
            size = _page_size(request.page_size)
            after = _decode_token(request.page_token)
        except ServiceError as exc:
            context.abort_with_status(exc.to_status())
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
                raise errors.bad_fields({"rubric": "name the rubric to get"})
            try:
                rubric = self.registry.snapshot().get(request.rubric, request.version)
            except RubricNotFound as exc:
                raise errors.not_found(exc) from exc
        except ServiceError as exc:
            context.abort_with_status(exc.to_status())
            raise
        return pb.GetRubricResponse(rubric=convert.rubric_message(rubric))

    def CheckRubric(self, request: pb.CheckRubricRequest, context: Any) -> pb.CheckRubricResponse:
        # Pure: the text stands in for the served rubric of its id; nothing is stored or served.
        path = request.path or "<input>"
        diagnostics = rubric_dsl.check_source(request.source, path, search_dir=self.registry.directory)
        return pb.CheckRubricResponse(
            ok=not any(d.severity == "error" for d in diagnostics),
            diagnostics=[convert.diagnostic_message(d, request.source) for d in diagnostics],
        )


def _page_size(requested: int) -> int:
    if requested < 0:
        raise errors.bad_fields({"page_size": "must not be negative"})
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
        raise errors.bad_fields(problem) from exc
    if not last_id or _encode_token(last_id) != token:
        raise errors.bad_fields(problem)
    return last_id
