"""ScoreStream: a batch in, one response per record out, bad records do not end the stream."""

from __future__ import annotations

import queue
from typing import Any

import grpc
import pytest
from google.rpc import code_pb2
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from service_harness import CASEWORK_FACTS, INSPECTION_FACTS, ServerProcess


def test_batch_with_bad_records_goes_on(stub: Any):
    bad_facts = {**CASEWORK_FACTS, "on_time": "maybe"}
    del bad_facts["satisfaction"]
    requests = [
        pb.ScoreRequest(request_id="r1", rubric="wuping.inspection", facts=INSPECTION_FACTS),
        pb.ScoreRequest(request_id="r2", rubric="wuping.casework", facts=bad_facts),
        pb.ScoreRequest(request_id="r3", rubric="no.such.rubric", facts=CASEWORK_FACTS),
        pb.ScoreRequest(request_id="r4", rubric="wuping.casework", facts=CASEWORK_FACTS, explain=True),
    ]
    responses = list(stub.ScoreStream(iter(requests), timeout=20))
    assert [r.request_id for r in responses] == ["r1", "r2", "r3", "r4"]
    first, bad, unknown, last = responses
    assert (first.total, first.grade, first.HasField("error")) == ("85.6", "良", False)
    assert (last.total, last.grade, last.HasField("error")) == ("94.6", "优", False)
    assert all(i.explanation for i in last.indicators)
    assert bad.error.code == code_pb2.INVALID_ARGUMENT and bad.error.reason == "INVALID_FACTS"
    assert {v.field for v in bad.error.field_violations} == {"facts.on_time", "facts.satisfaction"}
    assert unknown.error.code == code_pb2.NOT_FOUND and unknown.error.reason == "RUBRIC_NOT_FOUND"
    assert (bad.total, unknown.total) == ("", "")


def test_pipelined_stream_answers_every_record_in_order(stub: Any):
    count = 200
    requests = (
        pb.ScoreRequest(request_id=str(n), rubric="wuping.casework", facts=CASEWORK_FACTS) for n in range(count)
    )
    responses = list(stub.ScoreStream(requests, timeout=60))
    assert [r.request_id for r in responses] == [str(n) for n in range(count)]
    assert {(r.total, r.grade) for r in responses} == {("94.6", "优")}


def test_stream_deadline_is_honoured_by_the_server(stub: Any, server: ServerProcess):
    requests: queue.Queue[pb.ScoreRequest | None] = queue.Queue()
    requests.put(pb.ScoreRequest(rubric="wuping.casework", facts=CASEWORK_FACTS, request_id="deadline-1"))
    mark = server.mark()
    call = stub.ScoreStream(iter(requests.get, None), timeout=1.0)  # never closed by the client
    assert next(call).request_id == "deadline-1"
    with pytest.raises(grpc.RpcError) as caught:
        next(call)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    # The server let go of the stream (its worker is free again). Whether it saw the deadline
    # itself or the client's cancellation at the deadline first is a race, so either may be logged.
    ended = server.wait_for(lambda e: e.get("event") == "stream_ended" and e.get("records") == 1, since=mark)
    assert ended["rpc"] == "ScoreStream"
    requests.put(None)
    again = pb.ScoreRequest(rubric="wuping.casework", facts=CASEWORK_FACTS)
    assert stub.Score(again, timeout=10).total == "94.6"
