"""Conversions between ``rubric_dsl`` objects and ``rubric.v1`` messages.

Takes: front-door objects (``Result``, ``CompiledRubric``, ``Diagnostic``) and
requests. Guarantees: decimals leave as strings exactly as ``Result.to_dict()``
writes them, and an explained Score response carries what ``rubric score --format
json`` prints, in the language asked for (``lang``: ``rubric score --lang en|zh``; en by default) with
the vetoes' reasons and the total's explanation (without ``explain``, the explanations stay empty and are never
formatted, and ``ScoreEncoder`` writes the reply straight to bytes, byte for byte
what ``SerializeToString`` writes for it); facts reach the front door as text
(``facts``) or as int/bool/Decimal (``typed_facts``), never as binary floats;
nothing here raises for a well-formed message except ``FactsNotDecoded`` for
typed facts that cannot be facts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from google.protobuf import struct_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message

from rubric_dsl import CompiledRubric, Diagnostic, Result, limits
from rubric_dsl.diagnostics import Language, fmt
from rubric_dsl.printer import format_expr
from rubric_dsl.program import InputInfo
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb

Fact = str | int | bool | Decimal | list[dict[str, Any]]
MAX_LISTED = 100  # bad typed facts listed one by one
MAX_NAME = 200  # characters of a fact name echoed in a problem

_KINDS = {
    "number": pb.INPUT_KIND_NUMBER,
    "percent": pb.INPUT_KIND_PERCENT,
    "count": pb.INPUT_KIND_COUNT,
    "money": pb.INPUT_KIND_MONEY,
    "flag": pb.INPUT_KIND_FLAG,
    "choice": pb.INPUT_KIND_CHOICE,
    "records": pb.INPUT_KIND_RECORDS,
}
_SEVERITIES = {"error": pb.SEVERITY_ERROR, "warning": pb.SEVERITY_WARNING}


class FactsNotDecoded(ValueError):
    """Typed facts that cannot be facts; ``problems`` maps field path to reason, ``problems_zh`` to its Chinese."""

    def __init__(self, problems: dict[str, str], problems_zh: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems
        self.problems_zh = problems_zh


class _Unreadable(ValueError):
    """Why a typed fact cannot be a fact, in English (its text) and Chinese (``zh``)."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


class Undecodable:
    """A request whose bytes are no valid message (a string that is not UTF-8, a corrupt field): the
    handler answers INVALID_ARGUMENT, where gRPC's own deserializer failure would be INTERNAL."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def decoder(message_type: type[Message]) -> Callable[[bytes], Any]:
    """A request deserializer for ``message_type`` that gives an ``Undecodable`` instead of raising."""
    parse = message_type.FromString

    def decode(data: bytes) -> Any:
        try:
            return parse(data)
        except DecodeError as exc:
            return Undecodable(str(exc))

    return decode


def _typed_fact(value: struct_pb2.Value) -> Fact:
    """A scalar fact, or a list of records: objects whose fields are scalars (at most `MAX_RECORDS`, counted
    before any is read)."""
    if value.WhichOneof("kind") != "list_value":
        return _scalar(value)
    items = value.list_value.values
    if len(items) > limits.MAX_RECORDS:
        raise _Unreadable(
            f"the list has {len(items)} records, more than the {limits.MAX_RECORDS} allowed",
            f"列表有{len(items)}条记录，超过上限{limits.MAX_RECORDS}条",
        )
    records = []
    for index, item in enumerate(items):
        if item.WhichOneof("kind") != "struct_value":
            raise _Unreadable(
                f"record [{index}] is not an object: a list of records holds one object per record",
                f"第{index + 1}条记录不是对象：记录列表中每条记录是一个对象",
            )
        fields = item.struct_value.fields
        try:
            records.append({name: _scalar(fields[name]) for name in fields})
        except _Unreadable as exc:
            raise _Unreadable(f"record [{index}]: {exc}", f"第{index + 1}条记录：{exc.zh}") from None
    return records


def _scalar(value: struct_pb2.Value) -> str | int | bool | Decimal:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        number = value.number_value
        if number != number or number in (float("inf"), float("-inf")):
            raise _Unreadable("a number must be finite", "数字必须是有限数")
        # repr gives the shortest text that reads back as the same double: 98.02 -> "98.02".
        return int(number) if number.is_integer() else Decimal(repr(number))
    raise _Unreadable(
        "a fact must be a string, a number, a bool or a list of records", "事实应为文本、数字、是否或记录列表"
    )


def facts_of(request: pb.ScoreRequest | pb.CompareRecord) -> dict[str, Fact]:
    """The facts of a request or a Compare record: ``facts`` as given, plus decoded ``typed_facts``."""
    given = request.facts
    facts: dict[str, Fact] = {name: given[name] for name in given}  # dict(given) goes through Python's Mapping
    if not request.typed_facts:
        return facts
    problems: dict[str, str] = {}
    problems_zh: dict[str, str] = {}
    bad = 0
    for name, value in request.typed_facts.items():
        if name in facts:
            problem, problem_zh = "given in both facts and typed_facts", "在 `facts` 和 `typed_facts` 中都给出了"
        else:
            try:
                facts[name] = _typed_fact(value)
                continue
            except _Unreadable as exc:
                problem, problem_zh = str(exc), exc.zh
        bad += 1
        if bad <= MAX_LISTED:  # a flood of bad facts must not make a reply larger than the request
            field = f"facts.{name if len(name) <= MAX_NAME else name[:MAX_NAME] + '…'}"
            problems[field], problems_zh[field] = problem, problem_zh
    if bad > MAX_LISTED:
        problems["typed_facts"] = f"{bad} facts cannot be read; the first {MAX_LISTED} are listed"
        problems_zh["typed_facts"] = f"有{bad}项事实无法读取；只列出前{MAX_LISTED}项"
    if problems:
        raise FactsNotDecoded(problems, problems_zh)
    return facts


decimal_text = fmt  # a decimal as ``Result.to_dict()`` writes it: no exponent, no trailing zeros


def _varint(number: int) -> bytes:
    out = bytearray()
    while number > 0x7F:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


_LENGTHS = [bytes((n,)) for n in range(128)]  # a length below 128 as its one byte on the wire


def _string_field(key: bytes, text: str) -> bytes:
    """A proto3 ``string`` field on the wire: ``key`` (see ``_key``), length, UTF-8 bytes; nothing when empty."""
    if not text:
        return b""
    data = text.encode("utf-8")
    if len(data) < 128:  # a length of one byte
        return key + _LENGTHS[len(data)] + data
    return key + _varint(len(data)) + data


_T = FieldDescriptor
# The wire type of each field type (https://protobuf.dev/programming-guides/encoding/#structure).
_WIRE_TYPES = {
    **dict.fromkeys((_T.TYPE_INT32, _T.TYPE_INT64, _T.TYPE_UINT32, _T.TYPE_UINT64, _T.TYPE_SINT32), 0),
    **dict.fromkeys((_T.TYPE_SINT64, _T.TYPE_BOOL, _T.TYPE_ENUM), 0),
    **dict.fromkeys((_T.TYPE_FIXED64, _T.TYPE_SFIXED64, _T.TYPE_DOUBLE), 1),
    **dict.fromkeys((_T.TYPE_STRING, _T.TYPE_BYTES, _T.TYPE_MESSAGE), 2),
    **dict.fromkeys((_T.TYPE_FIXED32, _T.TYPE_SFIXED32, _T.TYPE_FLOAT), 5),
}
_LENGTH_DELIMITED = 2


def _key(message: Descriptor, name: str) -> bytes:
    """The key (field number and wire type) of a field ``ScoreEncoder`` writes, from ``message``'s descriptor.

    The encoder writes singular proto3 strings, left out when empty, and repeated
    messages; a field of another shape needs other code, so it fails here, at import,
    rather than on the wire.
    """
    field = message.fields_by_name[name]
    if field.type == _T.TYPE_STRING:
        fits = not field.is_repeated and not field.has_presence
    else:
        fits = field.type == _T.TYPE_MESSAGE and field.is_repeated
    wire_type = _WIRE_TYPES[field.type]
    if not fits or wire_type != _LENGTH_DELIMITED:
        raise TypeError(f"ScoreEncoder cannot write {field.full_name} as it is declared; change the encoder")
    return _varint(field.number << 3 | wire_type)


_RESPONSE = pb.ScoreResponse.DESCRIPTOR
RowKeys = tuple[bytes, tuple[bytes, bytes, bytes, bytes]]


def _row_keys(name: str) -> RowKeys:
    """The key of ScoreResponse's repeated field ``name``, and the keys of its rows' id, label, points, max_points."""
    row = _RESPONSE.fields_by_name[name].message_type
    if row is None:
        raise TypeError(f"{_RESPONSE.full_name}.{name} is no message field; change the encoder")
    return _key(_RESPONSE, name), (_key(row, "id"), _key(row, "label"), _key(row, "points"), _key(row, "max_points"))


# ScoreResponse's keys, from protos/rubric/v1/rubric_service.proto through the generated descriptors.
_RUBRIC, _VERSION, _HASH, _TOTAL, _GRADE, _REQUEST_ID = (
    _key(_RESPONSE, name) for name in ("rubric", "version", "content_hash", "total", "grade", "request_id")
)
_SECTIONS, _INDICATORS = _row_keys("sections"), _row_keys("indicators")
# The fields of those three messages that ScoreEncoder leaves out (by full name), each with
# what sends a reply that has it through ``SerializeToString()`` instead: ``explain``
# (``_explained_response``), or ``stream_error``, a ScoreStream record that could not be
# scored (the servicer builds that reply as a message). tests/service/test_service_wire.py
# walks the descriptors: a field that is neither written by the encoder nor listed here fails it.
NOT_ENCODED: dict[str, str] = {
    _RESPONSE.fields_by_name["error"].full_name: "stream_error",
    _RESPONSE.fields_by_name["lost"].full_name: "explain",
    pb.IndicatorScore.DESCRIPTOR.fields_by_name["explanation"].full_name: "explain",
    pb.Adjustment.DESCRIPTOR.fields_by_name["explanation"].full_name: "explain",
    # a rubric that declares `not_applicable`: its weights change per record, so its reply is built as a message
    **{
        message.DESCRIPTOR.fields_by_name[name].full_name: "not_applicable"
        for message in (pb.IndicatorScore, pb.SectionScore)
        for name in ("not_applicable", "weight")
    },
}
_ROW_CACHE = 256  # encoded rows kept per section or indicator (distinct point values seen)


class _Row:
    """One SectionScore or IndicatorScore of a rubric, encoded as a ScoreResponse field per points value.

    The row's id, label and maximum never change, so each distinct points value is
    encoded once and kept (up to ``_ROW_CACHE`` values), keyed by ``str(points)``:
    cheaper than hashing a fresh ``Decimal``, and equal texts mean equal points.
    """

    __slots__ = ("encoded", "head", "key", "points_key", "tail")

    def __init__(self, keys: RowKeys, row_id: str, label: str, max_points: Decimal) -> None:
        self.key, (id_key, label_key, self.points_key, max_key) = keys  # key: the ScoreResponse field of the row
        self.head = _string_field(id_key, row_id) + _string_field(label_key, label)
        self.tail = _string_field(max_key, decimal_text(max_points))
        self.encoded: dict[str, bytes] = {}

    def encode(self, key: str) -> bytes:
        """The row for points ``Decimal(key)``; called on a cache miss."""
        body = self.head + _string_field(self.points_key, decimal_text(Decimal(key))) + self.tail
        encoded = self.key + _varint(len(body)) + body
        if len(self.encoded) < _ROW_CACHE:
            self.encoded[key] = encoded
        return encoded


class ScoreEncoder:
    """Encodes the ``ScoreResponse`` of one compiled rubric (without explanations) straight to bytes.

    Why by hand: building the reply through the protobuf API (a message, 44 rows, a
    string per field) cost ~45 µs a call, as much as the scoring and the rest of the
    handler together; joining cached rows costs ~6 µs. The bytes are what
    ``ScoreResponse.SerializeToString()`` gives for the same content (fields in number
    order, empty strings left out; keys from the descriptors); ``tests/service/test_service_wire.py``
    checks that byte for byte over many results and through a real client, and that
    every field the descriptors declare is written here or named in ``NOT_ENCODED``.
    """

    def __init__(self, rubric: CompiledRubric) -> None:
        self.head = (
            _string_field(_RUBRIC, rubric.id)
            + _string_field(_VERSION, rubric.version)
            + _string_field(_HASH, rubric.content_hash)
        )
        # Sections come before indicators on the wire: their field numbers are in that order.
        self.rows = [_Row(_SECTIONS, s.id, s.label, s.weight) for s in rubric.sections] + [
            _Row(_INDICATORS, i.id, i.label, i.weight) for i in rubric.indicators
        ]
        self.tables = [row.encoded for row in self.rows]
        self.grades = {g.label: _string_field(_GRADE, g.label) for g in rubric.grades}
        self.adjusted = bool(rubric.adjustment_lines or rubric.veto_rules or rubric.tree.final_range)

    def encode(self, result: Result, total: str, request_id: str = "", lang: Language = "en") -> bytes:
        """The reply to ``result`` of this rubric; ``total`` is ``decimal_text(result.total)``; a veto's reason
        and the total's explanation in `lang`."""
        if result.applied is not None:  # items not applicable: the weights change per record, no cached rows
            return _explained_response(result, request_id, explain=False, lang=lang).SerializeToString()
        keys = [*map(str, section_points(result)), *map(str, result.points.values())]
        if len(keys) != len(self.rows):
            raise ValueError(f"a result of {len(keys)} rows for a rubric of {len(self.rows)}")
        try:
            rows = list(map(dict.__getitem__, self.tables, keys))  # every value seen before: no Python loop
        except KeyError:
            rows = [row.encoded.get(key) or row.encode(key) for row, key in zip(self.rows, keys, strict=True)]
        grade = self.grades.get(result.grade) or _string_field(_GRADE, result.grade)
        # fields 11-13 (lines, vetoes) follow request_id in number order: appended as protobuf writes them
        tail = adjusted_fields(result, explain=False, lang=lang).SerializeToString() if self.adjusted else b""
        return b"".join(
            (self.head, _string_field(_TOTAL, total), grade, *rows, _string_field(_REQUEST_ID, request_id), tail)
        )


def adjusted_fields(result: Result, *, explain: bool, lang: Language = "en") -> pb.ScoreResponse:
    """A response holding only `base_total`, `adjustments` and `vetoes` (the reasons a veto fired always; a line's
    explanation only when asked for), in `lang`."""
    return pb.ScoreResponse(
        base_total=decimal_text(result.base_total),
        total_explanation=result.total_explanation(lang),
        adjustments=[
            pb.Adjustment(
                id=a.id,
                label=a.label,
                kind=a.kind,
                sign=a.sign,
                amount=decimal_text(a.amount),
                signed=a.signed,
                explanation=a.explanation if explain else "",
                **_present(max_amount=_text(a.max_amount)),
            )
            for a in result.adjustments_in(lang)
        ],
        vetoes=[
            pb.Veto(
                id=v.id,
                label=v.label,
                kind=v.kind,
                at_most=v.at_most,
                zeroed=v.zeroed,
                why=v.why,
                **_present(grade=v.grade),
            )
            for v in result.vetoes_in(lang)
        ],
    )


def section_points(result: Result) -> Sequence[Decimal]:
    """Points by section, in ``rubric.sections`` order, without building ``result.sections``
    (a dataclass per section, ~13 µs for 23)."""
    return result.section_points


_encoders: WeakKeyDictionary[CompiledRubric, ScoreEncoder] = WeakKeyDictionary()


def encoder(rubric: CompiledRubric) -> ScoreEncoder:
    """The rubric's encoder, built on first use and dropped with the rubric."""
    found = _encoders.get(rubric)
    if found is None:
        found = _encoders[rubric] = ScoreEncoder(rubric)
    return found


def score_response_bytes(
    rubric: CompiledRubric, result: Result, *, explain: bool, request_id: str = "", lang: Language = "en"
) -> bytes:
    """The serialized reply for one scored record; explanations are only formatted when asked for, in `lang`."""
    if explain:
        return _explained_response(result, request_id, lang=lang).SerializeToString()
    return encoder(rubric).encode(result, decimal_text(result.total), request_id, lang)


def score_response(
    rubric: CompiledRubric, result: Result, *, explain: bool, request_id: str = "", lang: Language = "en"
) -> pb.ScoreResponse:
    """The reply for one scored record, as a message (``score_response_bytes`` parsed)."""
    if explain:
        return _explained_response(result, request_id, lang=lang)
    return pb.ScoreResponse.FromString(
        score_response_bytes(rubric, result, explain=False, request_id=request_id, lang=lang)
    )


def _explained_response(
    result: Result, request_id: str, explain: bool = True, lang: Language = "en"
) -> pb.ScoreResponse:
    """The reply built as a message: with explanations, or for a rubric that declares `not_applicable`
    (whose weights, and so each row's maximum, change from one record to the next)."""
    data = result.to_dict(lang)
    if not explain:
        for row in data["indicators"]:
            del row["explanation"]
    response = pb.ScoreResponse(
        rubric=data["rubric"],
        version=data["version"],
        content_hash=data["content_hash"],
        total=data["total"],
        grade=data["grade"] or "",
        sections=[pb.SectionScore(**_applicability(s)) for s in data["sections"]],
        indicators=[pb.IndicatorScore(**_applicability(i)) for i in data["indicators"]],
        lost=[pb.LostPoints(**item) for item in data["lost"]] if explain else [],
        request_id=request_id,
    )
    if "base_total" in data:
        response.MergeFrom(adjusted_fields(result, explain=explain, lang=lang))
    return response


def _applicability(row: dict[str, Any]) -> dict[str, Any]:
    """A `to_dict` row in the message's fields: `applicable` is sent as `not_applicable` (false by default)."""
    if "applicable" in row:
        row = {**row, "not_applicable": not row["applicable"]}
        del row["applicable"]
    return row


def _text(value: object) -> str | None:
    if value is None:
        return None
    return decimal_text(value) if isinstance(value, Decimal) else str(value)


def _fact_text(value: Decimal | None, kind: str) -> str | None:
    """A range end as facts are given: a percent in percent points (the rubric holds its ratio)."""
    if value is None:
        return None
    return decimal_text(value * 100) if kind == "percent" else decimal_text(value)


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
    message.inputs.extend(_input_message(i) for i in rubric.inputs)
    for s in rubric.sections:
        message.sections.add(
            id=s.id,
            label=s.label,
            weight=decimal_text(s.weight),
            parent=s.parent or "",
            depth=s.depth,
            applicable_when=s.applicable or "",
        )
    for ind in rubric.indicators:
        message.indicators.add(
            id=ind.id,
            label=ind.label,
            weight=decimal_text(ind.weight),
            section=ind.section or "",
            rule=ind.rule,
            applicable_when=ind.applicable or "",
        )
    message.not_applicable = rubric.not_applicable or ""
    for g in rubric.grades:
        message.grades.add(label=g.label, **_present(minimum=_text(g.minimum)))
    for line in rubric.adjustment_lines:
        message.adjustment_lines.add(
            id=line.id,
            label=line.label,
            kind=line.kind,
            rule=type(line.rule).__name__.lower(),
            **_present(max_amount=_text(line.cap)),
        )
    for veto in rubric.veto_rules:
        message.vetoes.add(
            id=veto.id,
            label=veto.label,
            kind=veto.kind,
            condition=format_expr(veto.condition),
            at_most=veto.at_most,
            zero=veto.zero,
            **_present(grade=veto.grade),
        )
    message.final_minimum = decimal_text(rubric.final_minimum)
    message.final_maximum = decimal_text(rubric.final_maximum)
    return message


def _input_message(i: InputInfo) -> pb.Input:
    return pb.Input(
        name=i.name,
        kind=_KINDS.get(i.kind, pb.INPUT_KIND_UNSPECIFIED),
        label=i.label,
        choices=list(i.choices),
        required=i.required,
        fields=[_input_message(f) for f in i.fields],
        optional=i.optional,
        **_present(
            minimum=_fact_text(i.minimum, i.kind),
            maximum=_fact_text(i.maximum, i.kind),
            default_value=_text(i.default),
            unit=_text(i.unit),
        ),
    )


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
