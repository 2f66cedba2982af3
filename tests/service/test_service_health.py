"""Health Watch streams cannot freeze the server, hold its scoring workers, or delay its stop."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from rubric_service.health import MAX_WATCHES
from service_harness import CASEWORK_FACTS, WAIT, ServerProcess, copy_rubrics, rich_error

SERVICE = "rubric.v1.RubricService"


def _score(channel: grpc.Channel) -> str:
    reply = pb_grpc.RubricServiceStub(channel).Score(
        pb.ScoreRequest(rubric="wuping.casework", facts=CASEWORK_FACTS), timeout=10
    )
    return f"{reply.total} {reply.grade}"


def _churn(target: str, rounds: int, errors: list[BaseException]) -> None:
    """Open a Watch, read its first status (or not), cancel it; over and over, on one channel."""
    try:
        with grpc.insecure_channel(target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            for k in range(rounds):
                watch = stub.Watch(health_pb2.HealthCheckRequest(service=SERVICE), timeout=WAIT)
                if k % 2:
                    next(watch)
                watch.cancel()
    except grpc.RpcError as error:  # a Watch refused because too many are open is fine here
        if error.code() not in (grpc.StatusCode.CANCELLED, grpc.StatusCode.RESOURCE_EXHAUSTED):
            errors.append(error)
    except BaseException as error:
        errors.append(error)


def test_watch_churn_from_many_threads_then_score_and_drain(tmp_path: Path):
    # grpcio-health-checking 1.85 froze the whole server here in 5 of 5 runs: Score timed out
    # for good and SIGTERM never got past draining.
    server = ServerProcess(copy_rubrics(tmp_path / "rubrics"))
    try:
        errors: list[BaseException] = []
        threads = [threading.Thread(target=_churn, args=(server.target, 40, errors)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT * 2)
        assert not any(t.is_alive() for t in threads), "Watch calls hung"
        assert errors == []
        with grpc.insecure_channel(server.target) as channel:
            assert _score(channel) == "94.6 优"
            check = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=SERVICE), timeout=10
            )
            assert check.status == health_pb2.HealthCheckResponse.SERVING
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(WAIT) == 0
    finally:
        server.kill()


def test_open_watches_take_no_scoring_worker_and_end_at_shutdown(tmp_path: Path):
    # The server runs 2 scoring workers; the Watch streams run on their own pool, so scoring goes on
    # while MAX_WATCHES of them are open, and one more is refused at once rather than queued.
    server = ServerProcess(copy_rubrics(tmp_path / "rubrics"), "--workers", "2", "--grace-seconds", "600")
    try:
        with grpc.insecure_channel(server.target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            request = health_pb2.HealthCheckRequest(service=SERVICE)
            watches = [stub.Watch(request, timeout=WAIT * 4) for _ in range(MAX_WATCHES)]
            assert {next(w).status for w in watches} == {health_pb2.HealthCheckResponse.SERVING}
            assert _score(channel) == "94.6 优"
            extra = stub.Watch(request, timeout=WAIT)
            try:
                next(extra)
                raise AssertionError("a Watch beyond the limit was accepted")
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                assert rich_error(error)[2].reason == "TOO_MANY_WATCHES"

            server.proc.send_signal(signal.SIGTERM)
            # Each open Watch hears NOT_SERVING, then ends with OK when the server stops.
            for watch in watches:
                assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
                assert list(watch) == []
            # Open watches no longer hold the stop for the grace period (600 s here, beyond the wait).
            assert server.proc.wait(WAIT) == 0
    finally:
        server.kill()
