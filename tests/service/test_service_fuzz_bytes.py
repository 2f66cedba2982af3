"""Byte-level fuzzing of the real server: any bytes as a request of any method (random, truncated
messages, wrong wire types, invalid UTF-8) get an answer or a clear status, never UNKNOWN or INTERNAL,
and the server goes on serving. The number of examples follows the hypothesis profile."""

from __future__ import annotations

from typing import Any

import grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import CASEWORK_FACTS

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
RAW = {"request_serializer": None, "response_deserializer": None}
UNARY = ["Score", "GetRubric", "CheckRubric", "ListRubrics"]
STREAMS = ["ScoreStream", "Compare"]
VALID = [
    pb.ScoreRequest(request_id="r", rubric="wuping.casework", facts=CASEWORK_FACTS, explain=True).SerializeToString(),
    pb.GetRubricRequest(rubric="wuping.casework").SerializeToString(),
    pb.CheckRubricRequest(source='rubric a.b "标" {\n  version "1"\n}\n', path="x.rubric").SerializeToString(),
    pb.ListRubricsRequest(page_size=2).SerializeToString(),
]
# Statuses a bad request may get; UNKNOWN and INTERNAL would be the server failing, not the request.
EXPECTED = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.OUT_OF_RANGE,
}


@st.composite
def message_bytes(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["random", "truncated", "wire type", "flipped", "bad utf-8"]))
    if kind == "random":
        return draw(st.binary(max_size=300))
    valid = draw(st.sampled_from(VALID))
    if kind == "truncated":
        return valid[: draw(st.integers(0, len(valid) - 1))]
    data = bytearray(valid)
    at = draw(st.integers(0, len(data) - 1))
    if kind == "wire type":
        data[0] = (data[0] & ~0x07) | draw(st.sampled_from([1, 3, 4, 5, 6, 7]))  # the first tag, another wire type
    elif kind == "flipped":
        data[at] ^= draw(st.integers(1, 255))
    else:
        return bytes(data[:at]) + b"\xff\xfe" + bytes(data[at:])
    return bytes(data)


def _expected(error: grpc.RpcError, what: str) -> None:
    assert error.code() in EXPECTED, f"{what}: {error.code()} {error.details()}"


@FUZZ
@given(st.sampled_from(UNARY), message_bytes())
def test_any_bytes_to_a_unary_method(channel: grpc.Channel, method: str, data: bytes) -> None:
    try:
        channel.unary_unary(f"/rubric.v1.RubricService/{method}", **RAW)(data, timeout=10)
    except grpc.RpcError as error:
        _expected(error, method)


@FUZZ
@given(st.sampled_from(STREAMS), st.lists(message_bytes(), min_size=1, max_size=3))
def test_any_bytes_to_a_stream(channel: grpc.Channel, method: str, messages: list[bytes]) -> None:
    try:
        list(channel.stream_stream(f"/rubric.v1.RubricService/{method}", **RAW)(iter(messages), timeout=10))
    except grpc.RpcError as error:
        _expected(error, method)


@FUZZ
@given(message_bytes())
def test_any_bytes_to_health(channel: grpc.Channel, data: bytes) -> None:
    try:
        channel.unary_unary("/grpc.health.v1.Health/Check", **RAW)(data, timeout=10)
    except grpc.RpcError as error:
        _expected(error, "Health/Check")


def test_the_server_still_serves_after_the_fuzzing(channel: grpc.Channel, stub: Any) -> None:
    reply = pb_grpc.RubricServiceStub(channel).Score(
        pb.ScoreRequest(rubric="wuping.casework", facts=CASEWORK_FACTS), timeout=10
    )
    assert (reply.total, reply.grade) == ("94.6", "优")
