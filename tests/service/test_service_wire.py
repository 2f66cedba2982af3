"""The hand-encoded Score reply: byte for byte what protobuf writes, and the same over a real channel.

``convert.ScoreEncoder`` writes ``ScoreResponse`` bytes itself (see its docstring for
why). These tests hold it to ``SerializeToString()`` of the message built field by
field through the protobuf API, for many results of every bundled rubric, for
request ids and labels long enough to need multi-byte lengths, and past the
per-row cache; then they serve the same servicer registered both ways (the
generated registration, and ``servicer.add_to_server`` which passes the bytes
through) and check that a real client reads the same replies from both.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rubric_service import convert
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from rubric_service.registry import Registry
from rubric_service.servicer import RubricServicer, add_to_server
from service_harness import BUNDLED, CASEWORK_FACTS, INSPECTION_FACTS, rich_error

import rubric_dsl
from tests.test_properties import wuping_facts

RUBRICS = rubric_dsl.load_dir(BUNDLED)


def reference(result: rubric_dsl.Result, request_id: str = "") -> bytes:
    """The reply built through the protobuf API, from what ``rubric score --format json`` prints."""
    data = result.to_dict()
    return pb.ScoreResponse(
        rubric=data["rubric"],
        version=data["version"],
        content_hash=data["content_hash"],
        total=data["total"],
        grade=data["grade"],
        sections=[pb.SectionScore(**s) for s in data["sections"]],
        indicators=[
            pb.IndicatorScore(**{k: v for k, v in i.items() if k != "explanation"}) for i in data["indicators"]
        ],
        request_id=request_id,
    ).SerializeToString()


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
    assert wire == reference(result, request_id)
    assert wire == convert.score_response(rubric, result, explain=False, request_id=request_id).SerializeToString()


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
