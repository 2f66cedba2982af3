"""SIGTERM with requests in flight: health goes NOT_SERVING, new calls refused, in-flight ones answered."""

from __future__ import annotations

import queue
import signal
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import CASEWORK_FACTS, WAIT, ServerProcess, copy_rubrics, rich_error

SERVICE = "rubric.v1.RubricService"
DONE = None


class OpenStream:
    """A ScoreStream whose requests are sent one by one, while the call stays open."""

    def __init__(self, stub: Any) -> None:
        self._requests: queue.Queue[pb.ScoreRequest | None] = queue.Queue()
        self._call = stub.ScoreStream(iter(self._requests.get, DONE), timeout=WAIT * 2)
        self.sent = 0

    def send(self) -> None:
        self.sent += 1
        self._requests.put(pb.ScoreRequest(request_id=str(self.sent), rubric="wuping.casework", facts=CASEWORK_FACTS))

    def receive(self) -> pb.ScoreResponse:
        response: pb.ScoreResponse = next(self._call)
        return response

    def close(self) -> list[pb.ScoreResponse]:
        self._requests.put(DONE)
        return list(self._call)


def _refused(target: str) -> bool:
    """Whether a brand-new call is refused rather than answered.

    grpc refuses a call during shutdown with UNAVAILABLE (the port is closed) or
    CANCELLED (the connection was accepted while the server was shutting down).
    """
    with grpc.insecure_channel(target) as channel:
        try:
            pb_grpc.RubricServiceStub(channel).ListRubrics(pb.ListRubricsRequest(), timeout=5)
        except grpc.RpcError as error:
            assert error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED), error
            return True
    return False


def test_sigterm_drains_and_answers_everything_in_flight(tmp_path: Path):
    # Each open stream holds a worker thread; leave some free so that new calls are answered
    # while the server drains.
    server = ServerProcess(copy_rubrics(tmp_path / "rubrics"), "--log-facts", "--workers", "8")
    try:
        channel = server.channel()
        stub = pb_grpc.RubricServiceStub(channel)
        streams = [OpenStream(stub) for _ in range(4)]
        for stream in streams:
            stream.send()
            assert stream.receive().total == "94.6"
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=SERVICE), timeout=WAIT)
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING

        server.proc.send_signal(signal.SIGTERM)
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        watch.cancel()
        server.wait_for(lambda e: e.get("event") == "stopping")
        while not _refused(server.target):  # the drain period may still answer a call or two
            pass

        for stream in streams:
            for _ in range(3):
                stream.send()
        answered = [stream.close() for stream in streams]
        assert [[r.request_id for r in rs] for rs in answered] == [["2", "3", "4"]] * len(streams)
        assert all((r.total, r.grade) == ("94.6", "优") for rs in answered for r in rs)

        assert server.proc.wait(WAIT) == 0
        server.wait_for(lambda e: e.get("event") == "stopped")
        decisions = [e for e in server.events if e.get("event") == "decision" and e.get("rpc") == "ScoreStream"]
        assert len(decisions) == 16
        assert all(e["facts"] == CASEWORK_FACTS for e in decisions)  # --log-facts
        channel.close()
    finally:
        server.kill()


def test_after_the_drain_new_calls_are_refused_unavailable_while_streams_in_flight_end(tmp_path: Path):
    # gRPC cancels a call that reaches a stopping server (CANCELLED, which clients do not retry); the
    # server first refuses new calls with UNAVAILABLE, which they do.
    server = ServerProcess(copy_rubrics(tmp_path / "rubrics"), "--refuse-seconds", "10")
    try:
        channel = server.channel()
        stub = pb_grpc.RubricServiceStub(channel)
        stream = OpenStream(stub)
        stream.send()
        assert stream.receive().total == "94.6"
        mark = server.mark()
        server.proc.send_signal(signal.SIGTERM)
        server.wait_for(lambda e: e.get("event") == "refusing_new_calls", since=mark)
        try:
            stub.Score(pb.ScoreRequest(rubric="wuping.casework", facts=CASEWORK_FACTS), timeout=5)
            raise AssertionError("a new call was answered after the drain")
        except grpc.RpcError as error:
            code, _, info = rich_error(error)
            assert code == grpc.StatusCode.UNAVAILABLE and info.reason == "SHUTTING_DOWN"
        stream.send()  # the stream opened before goes on
        assert [r.request_id for r in stream.close()] == ["2"]
        assert server.proc.wait(WAIT) == 0
        channel.close()
    finally:
        server.kill()
