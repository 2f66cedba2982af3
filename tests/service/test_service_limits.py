"""Service-side limits on the real server: request size, facts, stream length, call lifetime, backpressure.

No timed assertions: sleeps only make the server's clock pass a limit, and waits only
bound how long a broken test may hang.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from rubric_service.check_worker import MAX_CHECK_SOURCE_BYTES
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import CASEWORK_FACTS, WAIT, ServerProcess, copy_rubrics, rich_error

from rubric_dsl import limits

RECORDS = 300  # --max-stream-records of the tight server
IDLE = 2.0  # --stream-idle-seconds of the tight server
CAP = 2.0  # --max-call-seconds of the capped server


def _record(n: int = 0, *, explain: bool = False) -> pb.ScoreRequest:
    return pb.ScoreRequest(request_id=str(n), rubric="wuping.casework", facts=CASEWORK_FACTS, explain=explain)


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    rubrics = copy_rubrics(tmp_path_factory.mktemp("tight") / "rubrics")
    process = ServerProcess(rubrics, "--max-stream-records", str(RECORDS), "--stream-idle-seconds", str(IDLE))
    yield process
    assert process.terminate() == 0


@pytest.fixture(scope="module")
def slow_reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        copy_rubrics(tmp_path_factory.mktemp("idle") / "rubrics"), "--stream-idle-seconds", str(IDLE)
    )
    yield process
    assert process.terminate() == 0


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(copy_rubrics(tmp_path_factory.mktemp("capped") / "rubrics"), "--max-call-seconds", str(CAP))
    yield process
    assert process.terminate() == 0


def _stub(server: ServerProcess) -> Any:
    return pb_grpc.RubricServiceStub(server.channel())


def _answers_again(server: ServerProcess) -> None:
    """The worker the stream held is free: a plain call is answered."""
    assert _stub(server).Score(_record(), timeout=WAIT).total == "94.6"


# -- one request --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "field", "reason"),
    [
        ({**CASEWORK_FACTS, **{f"x{n}": "1" for n in range(limits.MAX_FACTS)}}, "facts.facts", "too_many"),
        ({**CASEWORK_FACTS, "satisfaction": "9" * (limits.MAX_FACT_TEXT + 1)}, "facts.satisfaction", "wrong_type"),
        ({**CASEWORK_FACTS, "satisfaction": "1e31"}, "facts.satisfaction", "out_of_range"),
    ],
    ids=["too-many-facts", "long-fact-text", "huge-number"],
)
def test_fact_limits_over_the_wire(stub: Any, facts: dict[str, str], field: str, reason: str):
    request = pb.ScoreRequest(rubric="wuping.casework", facts=facts, allow_extra_facts=True)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Score(request, timeout=WAIT)
    code, violations, info = rich_error(caught.value)
    assert (code, info.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FACTS")
    assert field in violations


def test_oversized_score_request_is_refused(stub: Any):
    request = pb.ScoreRequest(rubric="wuping.casework", facts={**CASEWORK_FACTS, "pad": "x" * (5 * 1024 * 1024)})
    with pytest.raises(grpc.RpcError) as caught:
        stub.Score(request, timeout=WAIT)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_a_source_over_the_check_budget_is_refused_before_it_is_read(stub: Any):
    source = "#" * (limits.MAX_SOURCE_BYTES + 1)  # over the rubric limit too: the check's budget is smaller
    with pytest.raises(grpc.RpcError) as caught:
        stub.CheckRubric(pb.CheckRubricRequest(source=source, path="big.rubric"), timeout=WAIT)
    code, violations, info = rich_error(caught.value)
    assert (code, info.reason, info.metadata["exceeded"]) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "CHECK_BUDGET_EXCEEDED",
        "source_bytes",
    )
    assert violations == {"source": f"source_bytes: at most {MAX_CHECK_SOURCE_BYTES}; {len(source)} asked"}


# -- streams ------------------------------------------------------------------------


def test_stream_up_to_the_limit_is_answered(tight: ServerProcess):
    responses = list(_stub(tight).ScoreStream(iter([_record(n) for n in range(RECORDS)]), timeout=WAIT * 2))
    assert [r.request_id for r in responses] == [str(n) for n in range(RECORDS)]
    assert {r.total for r in responses} == {"94.6"}


def test_stream_past_the_limit_ends_with_a_clear_error(tight: ServerProcess):
    call = _stub(tight).ScoreStream(iter([_record(n) for n in range(RECORDS + 50)]), timeout=WAIT * 2)
    answered = []
    with pytest.raises(grpc.RpcError) as caught:
        answered.extend(call)
    code, _, info = rich_error(caught.value)
    assert (code, info.reason, info.metadata["limit"]) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "STREAM_TOO_LONG", "300")
    assert "at most 300 records" in caught.value.details()
    assert [r.request_id for r in answered] == [str(n) for n in range(RECORDS)]  # every record before was answered


def test_silent_stream_is_cancelled_when_idle(tight: ServerProcess):
    requests: queue.Queue[pb.ScoreRequest | None] = queue.Queue()
    requests.put(_record(1))
    mark = tight.mark()
    call = _stub(tight).ScoreStream(iter(requests.get, None), timeout=WAIT * 2)  # the client's deadline is far off
    assert next(call).request_id == "1"
    with pytest.raises(grpc.RpcError) as caught:
        next(call)  # the client sends nothing more
    assert caught.value.code() == grpc.StatusCode.CANCELLED
    cancelled = tight.wait_for(lambda e: e.get("event") == "call_cancelled", since=mark)
    assert (cancelled["reason"], cancelled["records"]) == ("idle", 1)
    requests.put(None)
    _answers_again(tight)


def test_a_client_that_does_not_read_holds_back_the_server_and_is_cancelled(slow_reader: ServerProcess):
    """Backpressure: the server reads the next record only once the last response is sent, so a
    client that sends 30,000 records and reads none stalls it after a bounded number; the stalled
    stream makes no progress and is cancelled after IDLE seconds."""
    generated = 0
    total = 30_000

    def records() -> Iterator[pb.ScoreRequest]:
        nonlocal generated
        for n in range(total):
            generated += 1
            yield _record(n, explain=True)  # ~4 KB responses fill the flow-control windows quickly

    mark = slow_reader.mark()
    call = _stub(slow_reader).ScoreStream(records(), timeout=WAIT * 2)
    assert next(call).request_id == "0"  # ...and then the client reads nothing more
    cancelled = slow_reader.wait_for(lambda e: e.get("event") == "call_cancelled", since=mark, timeout=WAIT * 2)
    assert cancelled["reason"] == "idle"
    slow_reader.wait_for(lambda e: e.get("event") == "stream_ended", since=mark)
    decided = [e for e in slow_reader.events[mark:] if e.get("event") == "decision" and e.get("rpc") == "ScoreStream"]
    assert len(decided) == cancelled["records"] < generated < total
    call.cancel()
    _answers_again(slow_reader)


def test_stream_past_the_call_cap_ends_with_a_clear_error(capped: ServerProcess):
    stop = threading.Event()

    def trickle() -> Iterator[pb.ScoreRequest]:
        n = 0
        while not stop.is_set() and n < 10_000:
            n += 1
            yield _record(n)
            time.sleep(0.05)

    call = _stub(capped).ScoreStream(trickle(), timeout=WAIT * 2)
    answered = []
    with pytest.raises(grpc.RpcError) as caught:
        answered.extend(call)
    stop.set()
    code, _, info = rich_error(caught.value)
    assert (code, info.reason) == (grpc.StatusCode.DEADLINE_EXCEEDED, "CALL_TOO_LONG")
    assert answered and all(r.total == "94.6" for r in answered)


def test_stream_blocked_past_the_call_cap_is_cancelled(capped: ServerProcess):
    requests: queue.Queue[pb.ScoreRequest | None] = queue.Queue()
    mark = capped.mark()
    call = _stub(capped).ScoreStream(iter(requests.get, None), timeout=WAIT * 2)
    with pytest.raises(grpc.RpcError) as caught:
        next(call)
    assert caught.value.code() == grpc.StatusCode.CANCELLED
    cancelled = capped.wait_for(lambda e: e.get("event") == "call_cancelled", since=mark)
    assert (cancelled["reason"], cancelled["records"]) == ("too_long", 0)
    requests.put(None)
    _answers_again(capped)


def test_unary_calls_are_not_capped(capped: ServerProcess):
    stub = _stub(capped)
    for _ in range(3):
        assert stub.Score(_record(), timeout=WAIT).total == "94.6"


def _comparison(n: int) -> pb.CompareRequest:
    request = pb.CompareRequest(records=[pb.CompareRecord(id=str(n), facts=CASEWORK_FACTS)])
    if n == 0:
        request.setup.schemes.add(rubrics=[pb.RubricRef(rubric="wuping.casework")])
    return request


def test_compare_past_the_stream_limit_ends_as_score_stream_does(tight: ServerProcess):
    mark = tight.mark()
    call = _stub(tight).Compare(iter([_comparison(n) for n in range(RECORDS + 5)]), timeout=WAIT * 2)
    answered = []
    with pytest.raises(grpc.RpcError) as caught:
        answered.extend(call)
    code, _, info = rich_error(caught.value)
    assert (code, info.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "STREAM_TOO_LONG")
    assert [r.records[0].id for r in answered] == [str(n) for n in range(RECORDS)]
    ended = tight.wait_for(lambda e: e.get("event") == "compare_ended", since=mark)
    assert (ended["outcome"], ended["records"]) == ("ended", RECORDS)
    assert not [e for e in tight.events[mark:] if e.get("event") == "compare_failed"]  # no traceback logged


def test_compare_past_the_call_cap_ends_with_a_clear_error(capped: ServerProcess):
    stop = threading.Event()

    def trickle() -> Iterator[pb.CompareRequest]:
        n = 0
        while not stop.is_set() and n < 10_000:
            yield _comparison(n)
            n += 1
            time.sleep(0.05)

    answered = []
    with pytest.raises(grpc.RpcError) as caught:
        answered.extend(_stub(capped).Compare(trickle(), timeout=WAIT * 2))
    stop.set()
    code, _, info = rich_error(caught.value)
    assert (code, info.reason) == (grpc.StatusCode.DEADLINE_EXCEEDED, "CALL_TOO_LONG")
    assert answered and all(r.records[0].outcomes[0].total == "94.6" for r in answered)


def test_a_stream_record_whose_error_would_outgrow_a_message_is_trimmed_and_the_stream_goes_on(
    server: ServerProcess, stub: Any
):
    # a 2.5 MB rubric id echoed in the error's message and metadata once made a 5 MB reply: the stream died
    huge = pb.ScoreRequest(request_id="huge", rubric="x" * 2_500_000, facts={f"f{k}": "1" for k in range(9_000)})
    many = pb.ScoreRequest(request_id="many", rubric="wuping.casework", facts={f"u{k}" * 40: "1" for k in range(9_000)})
    good = pb.ScoreRequest(request_id="good", rubric="wuping.casework", facts=CASEWORK_FACTS)
    mark = server.mark()
    first, second, third = stub.ScoreStream(iter([huge, many, good]), timeout=WAIT)
    assert first.error.reason == "RUBRIC_NOT_FOUND" and len(first.rubric) <= 200 and first.ByteSize() < 5_000
    assert second.error.reason == "INVALID_FACTS" and second.ByteSize() < 70 * 1024
    assert second.error.field_violations[-1].description.endswith("more problem(s), not listed")
    assert (third.request_id, third.total) == ("good", "94.6")
    server.wait_for(lambda e: e.get("event") == "decision" and e.get("request_id") == "good", since=mark)
    decisions = [e for e in server.events[mark:] if e.get("event") == "decision"]
    assert max(len(str(e)) for e in decisions) < 8_000  # request fields are cut in decision lines too


def test_an_over_long_request_id_is_refused_by_name(stub: Any):
    request = pb.ScoreRequest(request_id="r" * 1001, rubric="wuping.casework", facts=CASEWORK_FACTS)
    with pytest.raises(grpc.RpcError) as refused:
        stub.Score(request, timeout=10)
    code, violations, _ = rich_error(refused.value)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "request_id" in violations


def test_a_compare_request_of_more_scorings_than_one_request_may_cost_is_refused(stub: Any):
    # 16 schemes of empty records once turned a 20 KB request into 186 MB of replies
    schemes = [pb.Scheme(name=f"s{k}", rubrics=[pb.RubricRef(rubric="wuping.casework")]) for k in range(16)]
    records = [pb.CompareRecord(id=str(k)) for k in range(626)]  # 626 × 16 = 10,016 > 10,000
    request = pb.CompareRequest(setup=pb.CompareSetup(schemes=schemes), records=records)
    with pytest.raises(grpc.RpcError) as refused:
        list(stub.Compare(iter([request]), timeout=WAIT))
    code, violations, info = rich_error(refused.value)
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and info.reason == "COMPARE_REQUEST_TOO_LARGE"
    assert violations["records"] == "at most 625 per request under 16 schemes"
    allowed = pb.CompareRequest(setup=pb.CompareSetup(schemes=schemes), records=records[:625])
    replies = list(stub.Compare(iter([allowed]), timeout=WAIT))
    assert sum(len(r.records) for r in replies) == 625
