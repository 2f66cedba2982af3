"""Streams cannot starve unary calls: they run on threads of their own, bounded in all and per client."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import CASEWORK_FACTS, WAIT, ServerProcess, copy_rubrics, rich_error

SERVICE = "rubric.v1.RubricService"


class IdleStream:
    """A ScoreStream that sends one record, reads its answer, then sends nothing (the request queue stays open)."""

    def __init__(self, stub: Any) -> None:
        self.requests: queue.Queue[pb.ScoreRequest | None] = queue.Queue()
        self.call = stub.ScoreStream(iter(self.requests.get, None), timeout=WAIT * 2)
        self.requests.put(pb.ScoreRequest(request_id="1", rubric="wuping.casework", facts=CASEWORK_FACTS))

    def first(self) -> Any:
        return next(self.call)

    def close(self) -> list[Any]:
        self.requests.put(None)
        return list(self.call)


def _refused(stub: Any) -> Any:
    extra = IdleStream(stub)
    try:
        extra.first()
    except grpc.RpcError as error:
        return error
    finally:
        extra.requests.put(None)
    raise AssertionError("a stream past the limit was answered")


def _held(server: ServerProcess, count: int) -> Iterator[Any]:
    channel = server.channel()
    stub = pb_grpc.RubricServiceStub(channel)
    streams = [IdleStream(stub) for _ in range(count)]
    assert all(s.first().total == "94.6" for s in streams)  # each holds a stream thread now
    return stub, streams, channel


def test_idle_streams_leave_unary_calls_and_health_their_workers(tmp_path: Path):
    server = ServerProcess(
        copy_rubrics(tmp_path / "rubrics"), "--workers", "2", "--max-streams", "6", "--max-streams-per-peer", "6"
    )
    try:
        stub, streams, channel = _held(server, 6)
        # with six idle streams open (three times the unary workers), Score and health still answer
        for _ in range(3):
            reply = stub.Score(pb.ScoreRequest(rubric="wuping.casework", facts=CASEWORK_FACTS), timeout=10)
            assert reply.total == "94.6"
        check = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=10)
        assert check.status == health_pb2.HealthCheckResponse.SERVING
        # a seventh stream is refused at once, not queued where no idle timer watches it
        error = _refused(stub)
        code, _, info = rich_error(error)
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and info.reason == "TOO_MANY_STREAMS"
        # closing one makes room again
        assert [r.request_id for r in streams[0].close()] == []
        again = IdleStream(stub)
        assert again.first().total == "94.6"
        again.close()
        for stream in streams[1:]:
            stream.close()
        channel.close()
    finally:
        server.kill()


def test_one_client_address_gets_its_share_of_streams(tmp_path: Path):
    server = ServerProcess(copy_rubrics(tmp_path / "rubrics"), "--max-streams", "8", "--max-streams-per-peer", "2")
    try:
        stub, streams, channel = _held(server, 2)
        code, _, info = rich_error(_refused(stub))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and info.reason == "TOO_MANY_STREAMS"
        assert info.metadata["max_streams_per_peer"] == "2"
        refused = server.wait_for(lambda e: e.get("event") == "stream_refused")
        assert refused["peer"].startswith("ipv4:127.0.0.1") and refused["from_peer"] == 2
        for stream in streams:
            stream.close()
        channel.close()
    finally:
        server.kill()
