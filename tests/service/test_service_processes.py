"""`--processes 2`: two workers on one fixed port, each scoring, each reloading an edit, one killed and replaced,
both drained on SIGTERM. Which worker answered is read off the decision lines (each names its worker's pid)."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path
from typing import Any

import grpc
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import CASEWORK_FACTS, ServerProcess, copy_rubrics

import rubric_dsl

RUBRIC = "wuping.casework"
CONNECTIONS = 64  # new connections tried until both workers answered (the kernel spreads them by a hash)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _score_on_new_connections(server: ServerProcess, tag: str) -> dict[str, int]:
    """Score once on each of up to CONNECTIONS new connections until two workers answered; {request id: pid}."""
    answered: dict[str, int] = {}
    for n in range(CONNECTIONS):
        request_id = f"{tag}-{n}"
        # a channel of its own subchannel pool: a new TCP connection, which may land on either worker
        with grpc.insecure_channel(server.target, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
            reply = pb_grpc.RubricServiceStub(channel).Score(
                pb.ScoreRequest(rubric=RUBRIC, facts=CASEWORK_FACTS, request_id=request_id), timeout=10
            )
        assert (reply.total, reply.grade) == ("94.6", "优")
        line = server.wait_for(lambda e, r=request_id: e.get("event") == "decision" and e.get("request_id") == r)
        answered[request_id] = int(line["pid"])
        if len(set(answered.values())) == 2:
            break
    return answered


def test_two_processes_share_a_port_reload_are_replaced_and_drain(tmp_path: Path) -> None:
    port = _free_port()
    rubrics = copy_rubrics(tmp_path / "rubrics")
    server = ServerProcess(rubrics, "--port", str(port), "--processes", "2")
    try:
        started = server.wait_for(lambda e: e.get("event") == "workers_serving")
        assert started["port"] == port and server.port == port
        workers = set(started["workers"])
        assert len(workers) == 2 and os.getpid() not in workers
        for pid in workers:  # each worker's own line (the supervisor heard it serve on another pipe)
            server.wait_for(lambda e, p=pid: e.get("event") == "serving" and e["pid"] == p and e["port"] == port)

        # scoring reaches both workers
        assert set(_score_on_new_connections(server, "first").values()) == workers

        # an edit is reloaded by each worker on its own
        before = rubric_dsl.load_library(rubrics).rubrics[RUBRIC]
        path, old_hash = Path(before.path), before.content_hash
        source = path.read_text(encoding="utf-8")
        mark = server.mark()
        path.write_text(source.replace(f'"{before.title}"', f'"{before.title}（修订）"', 1), encoding="utf-8")
        new_hash = rubric_dsl.load_library(rubrics).rubrics[RUBRIC].content_hash
        assert new_hash != old_hash
        reloaded: set[int] = set()
        for _ in workers:
            reload: dict[str, Any] = server.wait_for(
                lambda e: (
                    e.get("event") == "reload"
                    and int(e["pid"]) not in reloaded
                    and e["serving"].get(RUBRIC, "").endswith(new_hash)
                ),
                since=mark,
            )
            reloaded.add(int(reload["pid"]))
        assert reloaded == workers
        answered = _score_on_new_connections(server, "edited")
        assert set(answered.values()) == workers
        for request_id in answered:
            line = server.wait_for(lambda e, r=request_id: e.get("event") == "decision" and e.get("request_id") == r)
            assert line["content_hash"] == new_hash

        # a worker that dies is replaced, and the port keeps being served by two
        victim = min(workers)
        mark = server.mark()
        os.kill(victim, signal.SIGKILL)
        exited = server.wait_for(lambda e: e.get("event") == "worker_exited" and e["worker_pid"] == victim, since=mark)
        assert exited["signal"] == "SIGKILL" and exited["level"] == "error"
        replacement = int(server.wait_for(lambda e: e.get("event") == "serving", since=mark)["pid"])
        assert replacement not in workers
        workers = (workers - {victim}) | {replacement}
        assert set(_score_on_new_connections(server, "replaced").values()) == workers
    finally:
        mark = server.mark()
        code = server.terminate()
    assert code == 0
    stopped = {int(e["pid"]) for e in server.events[mark:] if e.get("event") == "stopped" and "component" in e}
    drained = {int(e["pid"]) for e in server.events[mark:] if e.get("event") == "draining"}
    assert drained == workers
    assert workers < stopped  # each worker said it stopped, and so did the supervisor
    assert server.events[-2]["event"] == "stopped" and server.events[-2]["component"] == "rubric_service.supervisor"
