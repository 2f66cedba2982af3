"""Metrics and traces: /metrics of a real server scraped (one process, and two workers on one port); OpenTelemetry
spans of a real server seen by the in-memory exporter; a decision line carrying the trace id of its call."""

from __future__ import annotations

import re
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from rubric_service.server import create_server
from service_harness import BUNDLED, CASEWORK_FACTS, ServerProcess, copy_rubrics

RUBRIC = "wuping.casework"
FAMILIES = {
    "rubric_calls": "counter",
    "rubric_records": "counter",
    "rubric_call_seconds": "histogram",
    "rubric_reloads": "counter",
    "rubric_served_info": "gauge",
    "rubric_in_flight": "gauge",
}


def _scrape(host: str, port: int, path: str = "/metrics") -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=30) as reply:
        text = reply.read().decode("utf-8")
    return {family.name: family for family in text_string_to_metric_families(text)}


def _value(family: Any, suffix: str = "", **labels: str) -> float:
    """The sum of the samples of ``family`` (name + ``suffix``) whose labels include ``labels``."""
    return sum(
        s.value
        for s in family.samples
        if s.name == family.name + suffix and all(s.labels.get(k) == v for k, v in labels.items())
    )


def _served(stub: Any) -> dict[str, tuple[str, str]]:
    listed = stub.ListRubrics(pb.ListRubricsRequest(page_size=1000), timeout=30).rubrics
    return {r.id: (r.version, r.content_hash) for r in listed}


def test_metrics_of_a_real_server_hold_every_family(tmp_path: Path) -> None:
    server = ServerProcess(copy_rubrics(tmp_path / "rubrics"), "--metrics-port", "0")
    try:
        metrics_port = int(server.wait_for(lambda e: e.get("event") == "serving")["metrics_port"])
        with server.channel() as channel:
            stub = pb_grpc.RubricServiceStub(channel)
            for n in range(3):
                reply = stub.Score(pb.ScoreRequest(rubric=RUBRIC, facts=CASEWORK_FACTS, request_id=str(n)), timeout=30)
            for wrong in ("wuping.caseworkk", "x" * 300):  # NOT_FOUND: no series of its own
                with pytest.raises(grpc.RpcError):
                    stub.Score(pb.ScoreRequest(rubric=wrong, facts=CASEWORK_FACTS), timeout=30)
            source = (BUNDLED / "wuping" / "casework.rubric").read_text(encoding="utf-8")
            assert stub.CheckRubric(pb.CheckRubricRequest(source=source, path="c.rubric"), timeout=60).ok
            served = _served(stub)
        families = _scrape("127.0.0.1", metrics_port)
        assert {name: families[name].type for name in FAMILIES} == FAMILIES
        version = served[RUBRIC][0]
        records = families["rubric_records"]
        ok = {"rpc": "Score", "rubric": RUBRIC, "version": version, "grade": reply.grade, "outcome": "ok"}
        assert _value(records, "_total", **ok) == 3
        not_found = _value(records, "_total", rubric="(not served)", outcome="rubric_not_found")
        assert not_found == 2
        assert not [s for s in records.samples if "x" * 30 in s.labels.get("rubric", "")]
        calls = families["rubric_calls"]
        assert _value(calls, "_total", rpc="Score", outcome="ok") == 3
        assert _value(calls, "_total", rpc="CheckRubric", outcome="ok") == 1
        assert _value(families["rubric_call_seconds"], "_count", rpc="Score") == 5
        assert _value(families["rubric_reloads"], "_total", result="ok") >= 1
        info = {
            (s.labels["rubric"], s.labels["version"], s.labels["content_hash"])
            for s in families["rubric_served_info"].samples
            if s.value == 1
        }
        assert info == {(rid, v, h) for rid, (v, h) in served.items()}
        assert _value(families["rubric_in_flight"], rpc="Score") == 0
    finally:
        assert server.terminate() == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_metrics_under_two_processes_count_every_worker(tmp_path: Path) -> None:
    metrics_port, http_port = _free_port(), _free_port()
    server = ServerProcess(
        copy_rubrics(tmp_path / "rubrics"),
        *("--processes", "2", "--metrics-port", str(metrics_port), "--http-port", str(http_port)),
    )
    try:
        started = server.wait_for(lambda e: e.get("event") == "workers_serving")
        assert (started["metrics_port"], started["http_port"]) == (metrics_port, http_port)
        pids: set[int] = set()
        calls = 0
        for n in range(64):  # new connections until both workers answered
            with grpc.insecure_channel(server.target, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
                pb_grpc.RubricServiceStub(channel).Score(
                    pb.ScoreRequest(rubric=RUBRIC, facts=CASEWORK_FACTS, request_id=f"m{n}"), timeout=30
                )
            calls += 1
            line = server.wait_for(lambda e, r=f"m{n}": e.get("event") == "decision" and e.get("request_id") == r)
            pids.add(int(line["pid"]))
            if len(pids) == 2 and calls >= 4:
                break
        assert len(pids) == 2
        with server.channel() as channel:
            served = _served(pb_grpc.RubricServiceStub(channel))
        for port in (metrics_port, http_port) * 3:  # whichever worker answers the scrape, it answers for both
            families = _scrape("127.0.0.1", port, "/metrics")
            assert _value(families["rubric_records"], "_total", rpc="Score", outcome="ok") == calls
            assert _value(families["rubric_reloads"], "_total", result="ok") == 2  # each worker loaded once
            info = {s.labels["rubric"] for s in families["rubric_served_info"].samples if s.value == 1}
            assert info == set(served)
    finally:
        assert server.terminate() == 0


@pytest.fixture
def traced(tmp_path: Path) -> Iterator[tuple[InMemorySpanExporter, str]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    server, port = create_server(copy_rubrics(tmp_path / "rubrics"), watch=False, tracer_provider=provider)
    server.start()
    try:
        yield exporter, f"127.0.0.1:{port}"
    finally:
        server.shutdown(drain_seconds=0, grace_seconds=5, refuse_seconds=0)


TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_a_score_call_is_a_span_and_a_health_check_is_not(traced: tuple[InMemorySpanExporter, str]) -> None:
    exporter, target = traced
    with grpc.insecure_channel(target) as channel:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=30)
        traceparent = (("traceparent", f"00-{TRACE_ID}-00f067aa0ba902b7-01"),)
        reply = pb_grpc.RubricServiceStub(channel).Score(
            pb.ScoreRequest(rubric=RUBRIC, facts=CASEWORK_FACTS), timeout=30, metadata=traceparent
        )
    assert reply.total == "94.6"
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == ["/rubric.v1.RubricService/Score"]
    assert f"{spans[0].context.trace_id:032x}" == TRACE_ID  # the client's trace, carried on


def test_a_decision_line_carries_the_trace_id_of_its_call(tmp_path: Path) -> None:
    server = ServerProcess(copy_rubrics(tmp_path / "rubrics"), "--tracing")
    try:
        with server.channel() as channel:
            stub = pb_grpc.RubricServiceStub(channel)
            traceparent = (("traceparent", f"00-{TRACE_ID}-00f067aa0ba902b7-01"),)
            stub.Score(pb.ScoreRequest(rubric=RUBRIC, facts=CASEWORK_FACTS, request_id="t1"), metadata=traceparent)
            stub.Score(pb.ScoreRequest(rubric=RUBRIC, facts=CASEWORK_FACTS, request_id="t2"), timeout=30)
            with pytest.raises(grpc.RpcError):
                stub.Score(pb.ScoreRequest(rubric="nope", request_id="t3"), metadata=traceparent, timeout=30)
        lines = {
            r: server.wait_for(lambda e, r=r: e.get("event") == "decision" and e.get("request_id") == r)
            for r in ("t1", "t2", "t3")
        }
        assert lines["t1"]["trace_id"] == TRACE_ID == lines["t3"]["trace_id"]
        assert re.fullmatch(r"[0-9a-f]{32}", lines["t2"]["trace_id"]) and lines["t2"]["trace_id"] not in (
            TRACE_ID,
            "0" * 32,
        )
    finally:
        assert server.terminate() == 0
