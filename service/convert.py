"""Conversions between ``rubric_dsl`` objects and ``rubric.v1`` messages.

Takes: front-door objects (``Result``, ``CompiledRubric``, ``Diagnostic``) and
requests. Guarantees: decimals leave as strings exactly as ``Result.to_dict()``
writes them, and an explained Score response carries what ``rubric score --format
json`` prints (without ``explain``, the explanations stay empty and are never
formatted); facts reach the front door as text (``facts``) or as int/bool/Decimal
(``typed_facts``), never as binary floats; nothing here raises for a well-formed
message except ``FactsNotDecoded`` for typed facts that cannot be facts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from google.protobuf import struct_pb2

from rubric_dsl import CompiledRubric, Diagnostic, Result
from service.gen.rubric.v1 import rubric_service_pb2 as pb

Fact = str | int | bool | Decimal

_KINDS = {
    "number": pb.INPUT_KIND_NUMBER,
    "percent": pb.INPUT_KIND_PERCENT,
    "count": pb.INPUT_KIND_COUNT,
    "money": pb.INPUT_KIND_MONEY,
    "flag": pb.INPUT_KIND_FLAG,
    "choice": pb.INPUT_KIND_CHOICE,
}
_SEVERITIES = {"error": pb.SEVERITY_ERROR, "warning": pb.SEVERITY_WARNING}


class FactsNotDecoded(ValueError):
    """Typed facts that cannot be facts; ``problems`` maps field path to reason."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def _typed_fact(value: struct_pb2.Value) -> Fact:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        number = value.number_value
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("a number must be finite")
        # repr gives the shortest text that reads back as the same double: 98.02 -> "98.02".
        return int(number) if number.is_integer() else Decimal(repr(number))
    raise ValueError("a fact must be a string, a number or a bool")


def facts_of(request: pb.ScoreRequest) -> dict[str, Fact]:
    """The facts of a request: ``facts`` as given, plus decoded ``typed_facts``."""
    facts: dict[str, Fact] = dict(request.facts)
    if not request.typed_facts:
        return facts
    problems: dict[str, str] = {}
    for name, value in request.typed_facts.items():
        if name in facts:
            problems[f"facts.{name}"] = "given in both facts and typed_facts"
            continue
        try:
            facts[name] = _typed_fact(value)
        except ValueError as exc:
            problems[f"facts.{name}"] = str(exc)
    if problems:
        raise FactsNotDecoded(problems)
    return facts


def decimal_text(value: Decimal) -> str:
    """A decimal as ``Result.to_dict()`` writes it: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


_templates: WeakKeyDictionary[CompiledRubric, pb.ScoreResponse] = WeakKeyDictionary()


def _template(rubric: CompiledRubric) -> pb.ScoreResponse:
    """A response for ``rubric`` with everything but the points, built once per compiled rubric."""
    found = _templates.get(rubric)
    if found is None:
        found = pb.ScoreResponse(
            rubric=rubric.id,
            version=rubric.version,
            content_hash=rubric.content_hash,
            sections=[
                pb.SectionScore(id=s.id, label=s.label, max_points=decimal_text(s.weight)) for s in rubric.sections
            ],
            indicators=[
                pb.IndicatorScore(id=i.id, label=i.label, max_points=decimal_text(i.weight)) for i in rubric.indicators
            ],
        )
        _templates[rubric] = found
    return found


def score_response(rubric: CompiledRubric, result: Result, *, explain: bool, request_id: str = "") -> pb.ScoreResponse:
    """The reply for one scored record; explanations are only formatted when asked for.

    Without ``explain`` the reply is a copy of the rubric's template with the points
    filled in (the template follows ``rubric.sections`` and ``rubric.indicators``, the
    order of ``result.sections`` and ``result.points``).
    """
    if explain:
        return _explained_response(result, request_id)
    response = pb.ScoreResponse()
    response.CopyFrom(_template(rubric))
    response.total = decimal_text(result.total)
    response.grade = result.grade
    response.request_id = request_id
    for indicator, points in zip(response.indicators, result.points.values(), strict=True):
        indicator.points = decimal_text(points)
    for section, scored in zip(response.sections, result.sections, strict=True):
        section.points = decimal_text(scored.points)
    return response


def _explained_response(result: Result, request_id: str) -> pb.ScoreResponse:
    data = result.to_dict()
    return pb.ScoreResponse(
        rubric=data["rubric"],
        version=data["version"],
        content_hash=data["content_hash"],
        total=data["total"],
        grade=data["grade"],
        sections=[pb.SectionScore(**s) for s in data["sections"]],
        indicators=[pb.IndicatorScore(**i) for i in data["indicators"]],
        lost=[pb.LostPoints(**item) for item in data["lost"]],
        request_id=request_id,
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    return decimal_text(value) if isinstance(value, Decimal) else str(value)


def _present(**fields: Any) -> dict[str, Any]:
    """Drop unset optional fields (protobuf constructors do not take None for scalars)."""
    return {k: v for k, v in fields.items() if v is not None}


def summary(rubric: CompiledRubric) -> pb.RubricSummary:
    return pb.RubricSummary(
        id=rubric.id,
        title=rubric.title,
        version=rubric.version,
        content_hash=rubric.content_hash,
        total=decimal_text(rubric.total),
    )


def rubric_message(rubric: CompiledRubric) -> pb.Rubric:
    message = pb.Rubric(
        id=rubric.id,
        title=rubric.title,
        version=rubric.version,
        content_hash=rubric.content_hash,
        metadata={str(k): str(v) for k, v in rubric.metadata.items()},
        total=decimal_text(rubric.total),
        rounding=rubric.rounding,
        source_text=rubric.source_text,
    )
    for i in rubric.inputs:
        message.inputs.add(
            name=i.name,
            kind=_KINDS.get(i.kind, pb.INPUT_KIND_UNSPECIFIED),
            label=i.label,
            choices=list(i.choices),
            required=i.required,
            **_present(
                minimum=_text(i.minimum),
                maximum=_text(i.maximum),
                default_value=_text(i.default),
                unit=_text(i.unit),
            ),
        )
    for s in rubric.sections:
        message.sections.add(
            id=s.id, label=s.label, weight=decimal_text(s.weight), parent=s.parent or "", depth=s.depth
        )
    for ind in rubric.indicators:
        message.indicators.add(
            id=ind.id, label=ind.label, weight=decimal_text(ind.weight), section=ind.section or "", rule=ind.rule
        )
    for g in rubric.grades:
        message.grades.add(label=g.label, **_present(minimum=_text(g.minimum)))
    return message


def diagnostic_message(diagnostic: Diagnostic, source_text: str) -> pb.Diagnostic:
    span = diagnostic.span
    return pb.Diagnostic(
        code=diagnostic.code,
        severity=_SEVERITIES.get(diagnostic.severity, pb.SEVERITY_UNSPECIFIED),
        message=diagnostic.message,
        path=str(span.path),
        line=span.line,
        column=span.column,
        end_line=span.end_line,
        end_column=span.end_column,
        rendered=diagnostic.render(source_text),
    )
