"""The decision line rendered without structlog's chain, and the background line writer.

``servicer._DecisionLines`` and ``logs.LineTemplate`` write the scored record's line
themselves (see why in their docstrings); these tests hold them to the line that
``log.info("decision", **fields)`` writes through ``logs.configure_logging``'s chain,
character for character but the timestamp. ``logs.LineWriter`` must keep every line
whole, in order per thread, and flush what is queued at exit.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st
from rubric_service import convert, logs, servicer
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import BUNDLED, CASEWORK_FACTS, ROOT, WAIT, ServerProcess, copy_rubrics

import rubric_dsl

STAMP = re.compile(r'"timestamp": "[^"]*"')


@pytest.fixture(scope="module")
def captured() -> Iterator[io.StringIO]:
    """Logging configured onto a buffer for these tests; structlog's defaults come back after."""
    previous = logs._sink
    buffer = io.StringIO()
    logs.configure_logging(buffer)
    yield buffer
    structlog.reset_defaults()
    logs._sink = previous


def _lines(buffer: io.StringIO) -> list[str]:
    assert logs._sink is not None
    logs._sink.flush()
    lines = buffer.getvalue().split("\n")[:-1]  # not splitlines: "\x85" or "\u2028" may stay in a line
    buffer.seek(0)
    buffer.truncate()
    return lines


def _masked(line: str) -> str:
    stamps = STAMP.findall(line)
    assert len(stamps) == 1, line
    assert re.fullmatch(r'"timestamp": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z"', stamps[0]), stamps
    return STAMP.sub('"timestamp": "-"', line)


CASEWORK = rubric_dsl.load_dir(BUNDLED)["wuping.casework"]


@settings(max_examples=200, deadline=None)
@given(
    rpc=st.sampled_from(["Score", "ScoreStream"]),
    request_id=st.text(max_size=40),
    total=st.decimals(0, 100, places=1, allow_nan=False, allow_infinity=False).map(convert.decimal_text),
    grade=st.text(min_size=1, max_size=4),
    latency=st.floats(0, 1e5, allow_nan=False).map(lambda x: round(x, 3)),
)
def test_decision_line_is_what_the_chain_writes(
    captured: io.StringIO, rpc: str, request_id: str, total: str, grade: str, latency: float
) -> None:
    fields = servicer._decision_fields(rpc, request_id, CASEWORK, total, grade, latency)
    logs.get_logger(servicer.DECISIONS).info("decision", **fields)
    fast = servicer._decisions.template(rpc, CASEWORK).render(request_id, total, grade, latency)
    (chain,) = _lines(captured)
    assert _masked(fast) == _masked(chain)
    assert json.loads(fast)["request_id"] == request_id


def test_template_fills_blanks_in_order(captured: io.StringIO) -> None:
    template = logs.LineTemplate("c", "e", {"a": 1, "b": logs.BLANK, "c": "中", "d": logs.BLANK})
    logs.get_logger("c").info("e", a=1, b='q"\\\n', c="中", d=2.5)
    (chain,) = _lines(captured)
    assert _masked(template.render('q"\\\n', 2.5)) == _masked(chain)


def test_decimal_text_round_trips() -> None:
    for text in ("0", "0.0", "-0.0", "15.0", "2.25", "1E+1", "0.000001", "100"):
        rendered = convert.decimal_text(Decimal(text))
        assert Decimal(rendered) == Decimal(text)
        assert "E" not in rendered and rendered != "-0"


def test_lines_stay_whole_and_in_order_per_thread(captured: io.StringIO) -> None:
    log = logs.get_logger("t")

    def emit(thread: int) -> None:
        for n in range(2000):
            log.info("line", thread=thread, n=n)

    threads = [threading.Thread(target=emit, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = [json.loads(line) for line in _lines(captured)]
    assert len(events) == 6 * 2000
    for k in range(6):
        assert [e["n"] for e in events if e["thread"] == k] == list(range(2000))


def test_a_broken_stream_drops_lines_instead_of_failing_callers() -> None:
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("gone")

    writer = logs.LineWriter(Broken(), linger=0)
    writer.write_line("first")
    writer._thread.join(10)  # the thread ends when the stream fails
    assert not writer._thread.is_alive()
    for n in range(100):
        writer.write_line(str(n))
    assert not writer._queue


def test_queued_lines_are_written_at_exit() -> None:
    code = (
        "from rubric_service.logs import configure_logging, get_logger\n"
        "configure_logging()\n"
        "log = get_logger('t')\n"
        "for n in range(5000):\n"
        "    log.info('line', n=n)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [json.loads(line)["n"] for line in out.stdout.splitlines()] == list(range(5000))


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 4_000_000_000 * 10**9))
def test_timestamps_read_as_the_chain_writes_them(ns: int) -> None:
    expected = (EPOCH + datetime.timedelta(microseconds=ns // 1000)).isoformat().replace("+00:00", "Z")
    assert logs.iso_timestamp(ns) == expected
    assert logs.iso_timestamp(ns - ns % 10**9) == expected.split(".")[0].removesuffix("Z") + "Z"


def test_events_are_rendered_by_the_writer_in_order_and_as_of_their_call(captured: io.StringIO) -> None:
    template = logs.LineTemplate("c", "e", {"n": logs.BLANK})
    writer = logs.line_writer()
    assert writer is not None
    before = datetime.datetime.now(tz=datetime.UTC)
    for n in range(300):
        if n % 3:
            writer.write_event(template, (str(n),))
        else:
            writer.write_line(template.render(str(n)))
    after = datetime.datetime.now(tz=datetime.UTC)
    events = [json.loads(line) for line in _lines(captured)]
    assert [e["n"] for e in events] == [str(n) for n in range(300)]
    assert all(before <= datetime.datetime.fromisoformat(e["timestamp"]) <= after for e in events)


def test_a_stream_that_cannot_encode_a_line_gets_it_escaped() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    writer = logs.LineWriter(stream)
    writer.write_line('{"grade": "优"}')
    writer.write_line('{"grade": "A"}')
    writer.flush()
    assert raw.getvalue().decode("ascii").splitlines() == ['{"grade": "\\u4f18"}', '{"grade": "A"}']


def test_sync_decision_log_loses_no_line_to_sigkill(tmp_path: Path) -> None:
    # Without --decision-log-sync a line waits up to LINGER_SECONDS for its batch; SIGKILL loses those.
    server = ServerProcess(copy_rubrics(tmp_path / "rubrics"), "--decision-log-sync")
    try:
        with server.channel() as channel:
            stub = pb_grpc.RubricServiceStub(channel)
            for n in range(50):
                request = pb.ScoreRequest(request_id=f"r{n}", rubric="wuping.casework", facts=CASEWORK_FACTS)
                assert stub.Score(request, timeout=10).total == "94.6"
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(WAIT)
        server.wait_for(lambda e: e.get("event") == "<exit>")
        decided = [e["request_id"] for e in server.events if e.get("event") == "decision"]
        assert decided == [f"r{n}" for n in range(50)]
    finally:
        server.kill()


def test_sync_writer_writes_before_the_call_returns() -> None:
    stream = io.StringIO()
    writer = logs.LineWriter(stream, linger=60.0, sync=True)  # a batch would wait a minute
    writer.write_line('{"event": "one"}')
    writer.write_event(logs.LineTemplate("c", "e", {"a": logs.BLANK}), ("x",))
    lines = stream.getvalue().splitlines()
    assert lines[0] == '{"event": "one"}' and json.loads(lines[1])["a"] == "x"
