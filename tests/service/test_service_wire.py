"""The hand-encoded Score reply: byte for byte what protobuf writes, and the same over a real channel.

``convert.ScoreEncoder`` writes ``ScoreResponse`` bytes itself (see its docstring for
why), with keys taken from the message descriptors. These tests hold it to
``SerializeToString()`` of a message built from the descriptors, whatever fields they
declare, filled from what ``rubric score --format json`` prints: every field of
``ScoreResponse`` and of the rows inside it must either be written by the encoder or
be one it names as left to a reply serialized by protobuf (``convert.NOT_ENCODED``),
and that reply must carry it. Then for many results of every bundled rubric, for
request ids and labels long enough to need multi-byte lengths, and past the per-row
cache; then they serve the same servicer registered both ways (the generated
registration, and ``servicer.add_to_server`` which passes the bytes through) and
check that a real client reads the same replies from both.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from concurrent import futures
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rubric_service import convert
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from rubric_service.registry import Registry
from rubric_service.servicer import RubricServicer, add_to_server
from service_harness import BUNDLED, CASEWORK_FACTS, INSPECTION_FACTS, rich_error

import rubric_dsl
from tests.service.test_service_adjustments import ACCEPTANCE
from tests.service.test_service_adjustments import FACTS as ACCEPTANCE_FACTS
from tests.test_properties import wuping_facts

RUBRICS = rubric_dsl.load_dir(BUNDLED)


def fill(message: Message, data: Mapping[str, Any], skip: Container[str] = ()) -> Message:
    """``message`` with every field its descriptor declares that ``data`` has a value for (by field
    name, messages from nested mappings), except the fields whose full names are in ``skip``."""
    for field in message.DESCRIPTOR.fields:
        if field.full_name in skip or data.get(field.name) is None:  # JSON's null: an unset optional field
            continue
        value = data[field.name]
        if field.message_type is None:
            if field.is_repeated:
                getattr(message, field.name).extend(value)
            else:
                setattr(message, field.name, value)
        elif field.is_repeated:
            for item in value:
                fill(getattr(message, field.name).add(), item, skip)
        else:
            getattr(message, field.name).SetInParent()
            fill(getattr(message, field.name), value, skip)
    return message


def reference_message(
    result: rubric_dsl.Result, request_id: str = "", skip: Container[str] = convert.NOT_ENCODED
) -> pb.ScoreResponse:
    """The reply built through the protobuf API from what ``rubric score --format json`` prints (and
    the request id), every field the descriptors declare but those ``skip`` names."""
    data = result.to_dict()
    for row in (*data["sections"], *data["indicators"]):  # JSON's `applicable` is the reply's `not_applicable`
        if "applicable" in row:
            row["not_applicable"] = not row.pop("applicable")
    reply = fill(pb.ScoreResponse(), {**data, "request_id": request_id}, skip)
    assert isinstance(reply, pb.ScoreResponse)
    return reply


def reference(result: rubric_dsl.Result, request_id: str = "") -> bytes:
    """What protobuf writes for the reply without explanations."""
    return reference_message(result, request_id).SerializeToString(deterministic=True)


def encoded(rubric: rubric_dsl.CompiledRubric, result: rubric_dsl.Result, request_id: str = "") -> bytes:
    return convert.score_response_bytes(rubric, result, explain=False, request_id=request_id)


REQUEST_IDS = st.one_of(st.just(""), st.text(max_size=300), st.text(alphabet="0123456789abcdef-", max_size=40))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_encoded_reply_is_what_protobuf_serializes(data: st.DataObject) -> None:
    rubric = data.draw(st.sampled_from(sorted(RUBRICS.values(), key=lambda r: r.id)))
    try:
        result = rubric.score(data.draw(wuping_facts(rubric)))
    except rubric_dsl.InvalidFacts:
        return  # facts drawn one by one can break a rubric's constraints; nothing to encode
    request_id = data.draw(REQUEST_IDS)
    wire = encoded(rubric, result, request_id)
    # a rubric that declares `not_applicable` sends each row's nominal weight and applicability too
    skip = {f for f, why in convert.NOT_ENCODED.items() if not (rubric.not_applicable and why == "not_applicable")}
    assert wire == reference_message(result, request_id, skip).SerializeToString(deterministic=True)
    assert wire == convert.score_response(rubric, result, explain=False, request_id=request_id).SerializeToString()


def walk(message: Descriptor, seen: frozenset[str] = frozenset()) -> Iterator[FieldDescriptor]:
    """Every field of ``message``, and of every message type the encoder writes inside it (those of
    the fields it leaves to protobuf are that reply's business), recursively."""
    seen |= {message.full_name}
    for field in message.fields:
        yield field
        inner = field.message_type
        if inner is not None and field.full_name not in convert.NOT_ENCODED and inner.full_name not in seen:
            yield from walk(inner, seen)


FIELDS = list(walk(pb.ScoreResponse.DESCRIPTOR))


def holds(message: Message, field: FieldDescriptor) -> bool:
    """Whether ``field`` has a value that is not its default in ``message`` or a message inside it."""
    found = message.ListFields()
    if any(f.full_name == field.full_name for f, _ in found):
        return True
    return any(
        holds(inner, field)
        for f, value in found
        if f.message_type is not None
        for inner in (value if f.is_repeated else [value])
    )


SAMPLES = [
    (RUBRICS[rubric_id], RUBRICS[rubric_id].score(facts), request_id)
    for rubric_id, facts in (("wuping.casework", CASEWORK_FACTS), ("wuping.inspection", INSPECTION_FACTS))
    for request_id in ("", "r-1")
]
# a rubric with bonus/penalty lines and vetoes (tests/testdata/adjust): base_total, adjustments, vetoes
ADJUSTED = rubric_dsl.compile_source(ACCEPTANCE.read_text(encoding="utf-8"), "acceptance.rubric")
SAMPLES += [
    (ADJUSTED, ADJUSTED.score({**ACCEPTANCE_FACTS, **changes}), request_id)
    for changes in ({}, {"serious_accidents": "1", "false_material": "true", "serious_violation": "true"})
    for request_id in ("", "r-2")
]


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.full_name)
def test_every_field_is_written_by_the_encoder_or_left_to_protobuf(
    field: FieldDescriptor, request: pytest.FixtureRequest
) -> None:
    """For each field the descriptors declare: replies where it is set, byte for byte what protobuf
    writes; or, for a field the encoder leaves out, the reply that has it is serialized by protobuf."""
    reason = convert.NOT_ENCODED.get(field.full_name)
    if reason is None:
        replies = [(s, reference_message(s[1], s[2])) for s in SAMPLES]
        replies = [(s, reply) for s, reply in replies if holds(reply, field)]
        assert replies, f"no reply sets {field.full_name}: the encoder does not write it, NOT_ENCODED does not name it"
        for (rubric, result, request_id), reply in replies:
            wire = encoded(rubric, result, request_id)
            assert holds(pb.ScoreResponse.FromString(wire), field), f"the encoder does not write {field.full_name}"
            assert wire == reply.SerializeToString(deterministic=True) == reply.SerializeToString()
    elif reason == "explain":  # only an explained reply has it, and that one protobuf serializes
        explained = 0
        for rubric, result, request_id in SAMPLES:
            wire = convert.score_response_bytes(rubric, result, explain=True, request_id=request_id)
            full = reference_message(result, request_id, skip=())
            assert wire == full.SerializeToString(deterministic=True) == full.SerializeToString()
            explained += holds(full, field)
            assert not holds(pb.ScoreResponse.FromString(encoded(rubric, result, request_id)), field)
        assert explained, f"no explained reply sets {field.full_name}"
    elif reason == "stream_error":  # only a stream record that could not be scored has it
        stub = request.getfixturevalue("passed_through")
        bad = pb.ScoreRequest(request_id="b", rubric="wuping.casework", facts={"on_time": "maybe"})
        (reply,) = stub.ScoreStream(iter([bad]), timeout=10)
        assert holds(reply, field) and reply.request_id == "b"
    elif reason == "not_applicable":  # only a rubric that declares `not_applicable` has it, built as a message
        rubric = rubric_dsl.compile_source(NOT_APPLICABLE, "na.rubric")
        result = rubric.score({"on": False, "a": "50"})
        wire = encoded(rubric, result, "r-1")
        reply = pb.ScoreResponse.FromString(wire)
        assert holds(reply, field) and reply.request_id == "r-1"
        assert wire == reply.SerializeToString(deterministic=True)
        assert reply.indicators[0].explanation == "" and not reply.lost
    else:
        pytest.fail(f"NOT_ENCODED gives {field.full_name} a reason no test knows: {reason}")


NOT_APPLICABLE = """
rubric test.na "不适用" {
  version "1"
  total 10
  not_applicable full
  input on flag "适用"
  input a percent "甲" range 0% .. 100%
  section part "部分" 4 applicable when on {
    indicator ia "甲" 4 { proportional a }
  }
  indicator ib "乙" 6 { proportional a }
  grades { 好 >= 9 差 otherwise }
}
"""


def test_the_walk_reaches_the_rows() -> None:
    names = {f.full_name for f in FIELDS}
    assert {"rubric.v1.ScoreResponse.grade", "rubric.v1.SectionScore.points"} <= names
    assert "rubric.v1.IndicatorScore.explanation" in names and set(convert.NOT_ENCODED) <= names


LONG = "长" * 50  # 150 bytes of UTF-8: lengths of two varint bytes, inside and around the row


def test_long_ids_labels_and_request_ids_need_multi_byte_lengths() -> None:
    text = f"""
rubric test.{"x" * 130} "{LONG}" {{
  version "{"v" * 140}"
  total 10
  input rate percent "率" range 0% .. 100%
  section {"s" * 130} "{LONG}" 10 {{
    indicator {"i" * 130} "{LONG}" 10 {{ proportional rate }}
  }}
  grades {{ {LONG} >= 5 差 otherwise }}
}}
"""
    rubric = rubric_dsl.compile_source(text, "long.rubric")
    for rate in ("0", "37.5", "50", "100"):
        result = rubric.score({"rate": rate})
        assert encoded(rubric, result, LONG * 3) == reference(result, LONG * 3)


def test_rows_past_the_cache_are_still_encoded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert, "_ROW_CACHE", 3)
    rubric = rubric_dsl.compile_source(
        """
rubric test.many "多" {
  version "1"
  total 10
  input rate percent "率" range 0% .. 100%
  indicator it "指标" 10 { proportional rate }
  grades { 好 >= 5 差 otherwise }
}
""",
        "many.rubric",
    )
    for n in range(40):
        result = rubric.score({"rate": str(n * 2.5)})
        assert encoded(rubric, result, str(n)) == reference(result, str(n))
    assert all(len(table) <= 3 for table in convert.encoder(rubric).tables)


class _WithSectionPoints:
    """A result that also has ``section_points``, as the core is asked to add."""

    def __init__(self, result: rubric_dsl.Result) -> None:
        self._result = result
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        if name == "sections":
            raise AssertionError("section_points is there: sections need not be built")
        return getattr(self._result, name)

    @property
    def section_points(self) -> tuple[Any, ...]:
        self.calls += 1
        return tuple(s.points for s in self._result.sections)


def test_section_points_of_the_core_are_used_where_they_exist() -> None:
    rubric = RUBRICS["wuping.casework"]
    result = rubric.score(CASEWORK_FACTS)
    cheap = _WithSectionPoints(result)
    assert convert.encoder(rubric).encode(cheap, "94.6", "x") == reference(result, "x")  # type: ignore[arg-type]
    assert cheap.calls == 1


def test_explained_reply_keeps_its_explanations() -> None:
    rubric = RUBRICS["wuping.casework"]
    wire = convert.score_response_bytes(rubric, rubric.score(CASEWORK_FACTS), explain=True, request_id="e")
    reply = pb.ScoreResponse.FromString(wire)
    assert reply.request_id == "e" and reply.lost
    assert all(i.explanation for i in reply.indicators)


# -- the same servicer, registered both ways, over a real channel ---------------------------------


def _serve(register: Any) -> Iterator[Any]:
    registry = Registry(BUNDLED)
    registry.reload()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    register(RubricServicer(registry), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield pb_grpc.RubricServiceStub(channel)
    finally:
        server.stop(None)


@pytest.fixture(scope="module")
def generated() -> Iterator[Any]:
    yield from _serve(pb_grpc.add_RubricServiceServicer_to_server)


@pytest.fixture(scope="module")
def passed_through() -> Iterator[Any]:
    yield from _serve(add_to_server)


SCORED = [
    pb.ScoreRequest(request_id="a", rubric="wuping.inspection", facts=INSPECTION_FACTS),
    pb.ScoreRequest(request_id="d", rubric="wuping.casework", facts=CASEWORK_FACTS, explain=True),
    pb.ScoreRequest(request_id="长" * 100, rubric="wuping.casework", facts=CASEWORK_FACTS),
]
STREAM = [
    pb.ScoreRequest(request_id="a", rubric="wuping.inspection", facts=INSPECTION_FACTS),
    pb.ScoreRequest(request_id="b", rubric="wuping.casework", facts={**CASEWORK_FACTS, "on_time": "maybe"}),
    pb.ScoreRequest(request_id="c", rubric="no.such.rubric", facts=CASEWORK_FACTS),
    pb.ScoreRequest(request_id="d", rubric="wuping.casework", facts=CASEWORK_FACTS, explain=True),
    pb.ScoreRequest(request_id="长" * 100, rubric="wuping.casework", facts=CASEWORK_FACTS),
]


def test_both_registrations_answer_alike(generated: Any, passed_through: Any) -> None:
    for request in SCORED:
        assert generated.Score(request, timeout=10) == passed_through.Score(request, timeout=10)
    assert list(generated.ScoreStream(iter(STREAM), timeout=10)) == list(
        passed_through.ScoreStream(iter(STREAM), timeout=10)
    )
    for stub in (generated, passed_through):
        assert [r.id for r in stub.ListRubrics(pb.ListRubricsRequest(), timeout=10).rubrics] == sorted(RUBRICS)
        assert stub.GetRubric(pb.GetRubricRequest(rubric="wuping.casework"), timeout=10).rubric.id == "wuping.casework"
        assert stub.CheckRubric(pb.CheckRubricRequest(source="rubric"), timeout=10).ok is False


def test_passed_through_reply_parses_to_the_reference(passed_through: Any) -> None:
    reply = passed_through.Score(pb.ScoreRequest(rubric="wuping.casework", facts=CASEWORK_FACTS, request_id="r"))
    assert reply.SerializeToString() == reference(RUBRICS["wuping.casework"].score(CASEWORK_FACTS), "r")
    assert (reply.total, reply.grade) == ("94.6", "优")


def test_passed_through_errors_keep_their_rich_status(passed_through: Any) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        passed_through.Score(pb.ScoreRequest(rubric="wuping.casework", facts={"on_time": "maybe"}), timeout=10)
    code, violations, info = rich_error(caught.value)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and info.reason == "INVALID_FACTS"
    assert "facts.on_time" in violations


BAD_UTF8 = b"\x0a\x03\xff\xfe\xfd"  # field 1 (a string) holding bytes that are not UTF-8


def test_requests_that_cannot_be_read_are_invalid_arguments(channel: grpc.Channel):
    """Bytes that are no valid message get INVALID_ARGUMENT naming the problem, not gRPC's INTERNAL."""
    raw = {"request_serializer": None, "response_deserializer": None}
    page_token = b"\x12\x03\xff\xfe\xfd"  # ListRubricsRequest's string is field 2
    for method, data in (
        ("Score", BAD_UTF8),
        ("GetRubric", BAD_UTF8),
        ("CheckRubric", BAD_UTF8),
        ("ListRubrics", page_token),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            channel.unary_unary(f"/rubric.v1.RubricService/{method}", **raw)(data, timeout=10)
        code, _, info = rich_error(caught.value)
        assert (code, info.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "UNDECODABLE_REQUEST"), method
        assert "bad UTF-8" in caught.value.details()
    good = pb.ScoreRequest(rubric="wuping.casework", facts=CASEWORK_FACTS).SerializeToString()
    stream = channel.stream_stream("/rubric.v1.RubricService/ScoreStream", **raw)
    bad, scored = (pb.ScoreResponse.FromString(r) for r in stream(iter([BAD_UTF8, good]), timeout=10))
    assert bad.error.reason == "UNDECODABLE_REQUEST" and scored.total == "94.6"  # the stream goes on
    with pytest.raises(grpc.RpcError) as caught:
        list(channel.stream_stream("/rubric.v1.RubricService/Compare", **raw)(iter([BAD_UTF8]), timeout=10))
    assert rich_error(caught.value)[2].reason == "UNDECODABLE_REQUEST"
