"""Service errors and their two encodings: a rich gRPC status, or a ScoreError record.

Takes: front-door exceptions (``InvalidFacts``, ``EvaluationError``), registry
misses and request problems. Guarantees: every ``ServiceError`` becomes either

* a ``grpc.Status`` whose details hold a ``google.rpc.ErrorInfo`` (``reason``,
  domain ``rubric.v1``) and, when fields are at fault, a ``google.rpc.BadRequest``
  naming every bad field (``facts.<name>`` for facts) -- for unary calls; or
* a ``rubric.v1.ScoreError`` with the same code, reason, message and violations --
  for one record of a ScoreStream, so the stream goes on.

Codes: bad facts or request fields -> INVALID_ARGUMENT; unknown rubric or version
-> NOT_FOUND; facts valid one by one but the rubric cannot be evaluated on them
(``EvaluationError``) -> FAILED_PRECONDITION, since the fix may lie in the rubric.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Violation:
    field: str
    description: str
    reason: str = ""


@dataclass
class ServiceError(Exception):
    code: grpc.StatusCode
    reason: str
    message: str
    violations: list[Violation] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message

    @property
    def code_number(self) -> int:
        number: int = self.code.value[0]
        return number

    def to_status(self) -> Any:
        """A ``grpc.Status`` for ``context.abort_with_status``.

        A status travels in the trailers, which clients refuse past 8 KiB (gRPC's default), so it
        is kept to about 4 KiB whatever the problems: the message to ``STATUS_MESSAGE_BYTES``, each
        text to ``STATUS_TEXT``, and the violations listed while they fit ``STATUS_DETAILS_BYTES``,
        then one more saying how many were left out. (A ScoreError in a stream message has a larger
        budget, ``SCORE_ERROR_BYTES``.)"""
        metadata = {k: _cut(v, STATUS_TEXT) for k, v in self.metadata.items()}
        details = [_pack(error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN, metadata=metadata))]
        if self.violations:
            listed = error_details_pb2.BadRequest()
            budget = STATUS_DETAILS_BYTES - details[0].ByteSize()
            for number, v in enumerate(self.violations):
                item = error_details_pb2.BadRequest.FieldViolation(
                    field=_cut(v.field, STATUS_TEXT), description=_cut(v.description, STATUS_TEXT), reason=v.reason
                )
                if listed.ByteSize() + item.ByteSize() + 40 > budget:
                    left = len(self.violations) - number
                    listed.field_violations.add(description=f"and {left} more problem(s), not listed")
                    break
                listed.field_violations.append(item)
            details.append(_pack(listed))
        message = self.message.encode("utf-8")[:STATUS_MESSAGE_BYTES].decode("utf-8", "ignore")
        if len(message) < len(self.message):
            message += " …"
        status = status_pb2.Status(code=self.code_number, message=message, details=details)
        return rpc_status.to_status(status)

    def to_score_error(self) -> pb.ScoreError:
        """The error of one record in a stream: violations listed while they fit ``SCORE_ERROR_BYTES``, then one
        saying how many more there were."""
        error = pb.ScoreError(
            code=code_pb2.Code.ValueType(self.code_number),
            reason=self.reason,
            message=_cut_middle(self.message, SCORE_ERROR_TEXT),
        )
        size = error.ByteSize()
        for number, v in enumerate(self.violations):
            item = pb.FieldViolation(
                field=_cut(v.field, SCORE_ERROR_TEXT),
                description=_cut(v.description, SCORE_ERROR_TEXT),
                reason=v.reason,
            )
            size += item.ByteSize() + 8
            if size > SCORE_ERROR_BYTES:
                left = len(self.violations) - number
                error.field_violations.add(description=f"and {left} more problem(s), not listed")
                break
            error.field_violations.append(item)
        return error


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
    violations = [Violation(f"facts.{p.fact}", p.message, p.reason) for p in exc.problems]
    named = [_cut(p.fact, ECHOED_NAME) for p in exc.problems[:NAMED_FACTS]]
    more = len(exc.problems) - len(named)
    names = ", ".join(named) + (f" and {more} more" if more > 0 else "")
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_FACTS",
        f"{len(violations)} bad fact(s) for rubric {rubric!r}: {names}",
        violations,
        {"rubric": rubric, "facts": names},
    )


def bad_fields(problems: dict[str, str], reason: str = "INVALID_REQUEST") -> ServiceError:
    violations = [Violation(name, text) for name, text in problems.items()]
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        reason,
        "; ".join(f"{name}: {text}" for name, text in problems.items()),
        violations,
    )


def too_much(reason: str, message: str, problems: dict[str, str]) -> ServiceError:
    """A request within the message size that asks for more work than one request may: RESOURCE_EXHAUSTED."""
    violations = [Violation(name, text) for name, text in problems.items()]
    return ServiceError(grpc.StatusCode.RESOURCE_EXHAUSTED, reason, message, violations)


def not_found(exc: RubricNotFound) -> ServiceError:
    reason = "RUBRIC_NOT_FOUND" if exc.served_version is None else "VERSION_NOT_FOUND"
    metadata = {"rubric": _cut(exc.rubric, ECHOED_NAME)}
    if exc.version:
        metadata["version"] = _cut(exc.version, ECHOED_NAME)
    if exc.served_version is not None:
        metadata["served_version"] = exc.served_version
    if exc.suggestions:
        metadata["did_you_mean"] = ", ".join(exc.suggestions)
    return ServiceError(grpc.StatusCode.NOT_FOUND, reason, str(exc), [], metadata)


def evaluation_failed(exc: EvaluationError, rubric: str) -> ServiceError:
    return ServiceError(
        grpc.StatusCode.FAILED_PRECONDITION,
        "EVALUATION_FAILED",
        f"rubric {rubric!r} cannot be evaluated on these facts: indicator {exc.indicator!r}: {exc.message}",
        [],
        {"rubric": rubric, "indicator": str(exc.indicator)},
    )


def deadline_exceeded() -> ServiceError:
    return ServiceError(grpc.StatusCode.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", "deadline exceeded before scoring")


def internal(exc: Exception) -> ServiceError:
    return ServiceError(grpc.StatusCode.INTERNAL, "INTERNAL", f"internal error while scoring: {exc!r}")


def undecodable(message: str) -> ServiceError:
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT, "UNDECODABLE_REQUEST", f"the request could not be read: {message}"
    )
