"""Soak under faults: many clients, good and bad requests, rubric edits, cancellations, then SIGTERM.

Starts ``python -m rubric_service.server`` on 127.0.0.1 (port 0, a bearer token, a low stream
limit) over a copy of ``rubrics/`` plus a ``soak.counter`` rubric, then for ``--duration``
seconds runs ``--clients`` client threads, each drawing calls from a fixed mix:

* valid: Score against ``wuping.casework`` with 60 fact variations (expected totals and
  grades computed in-process with ``rubric_dsl``), Score against ``soak.counter``
  (whose expected total depends on the version the response names), mixed ScoreStreams,
  GetRubric, ListRubrics, CheckRubric, health;
* invalid: bad facts (INVALID_FACTS naming each), path-like and unknown ids
  (RUBRIC_NOT_FOUND), too many facts (INVALID_FACTS ``facts``), an oversized message
  (RESOURCE_EXHAUSTED), a stream over the limit (STREAM_TOO_LONG after the limit's worth
  of answers), no token or a wrong one (UNAUTHENTICATED);
* faults: unary calls and streams cancelled by the client, deadlines that expire;
* churn: Compare streams (each record's baseline total checked), health ``Watch`` streams
  opened and cancelled (the churn that once froze the whole server).

Meanwhile an editor thread rewrites rubric files: good edits (a new ``soak.counter``
version, a new casework title) and broken ones (a syntax error, weights that do not add
up), each of which the server must refuse while serving the version before. At the end
the server gets SIGTERM while the clients are still calling.

Checks: every answer is right (a score matches its expected total and grade; an error has
the expected code and reason); nothing is lost (every record the server logged a decision
for reached its client, unless that client cancelled it or let its deadline pass); after
SIGTERM a call is either answered or refused (UNAVAILABLE, or CANCELLED without a
decision); the server exits 0; resident memory after warm-up grows less than 10 %.
Prints requests sent, outcomes by kind, edits, and RSS and open file descriptors over time. Exit 0 when every check
passes. Loopback only; bounded in time (duration + at most ~60 s to start and stop).

    .venv/bin/python bench/soak.py [--duration 60] [--clients 32] [--warmup 15] [--seed 1] [--edit-every 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb  # noqa: E402
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc  # noqa: E402

import rubric_dsl  # noqa: E402

TOKEN = "soak-token-5b0c1e9a2f"
CASEWORK = "wuping.casework"
COUNTER = "soak.counter"
STREAM_LIMIT = 50
CHANNELS = 4
WAIT = 60.0  # bounds every wait for the server (start, shutdown)

COUNTER_TEXT = """rubric soak.counter "压力测试计数" {{
  version "{version}"
  total 100
  input x count "x" range 0 .. 50
  section all "全部" 100 {{
    indicator a "a" {weight} {{
      points x + {offset}
    }}
  }}
  grades {{ 优 >= 90  良 >= 60  差 otherwise }}
}}
"""


def counter_text(version: int, *, broken: bool = False) -> str:
    # A broken edit declares an indicator weight that does not add up to its section (checker error).
    return COUNTER_TEXT.format(version=version, weight=90 if broken else 100, offset=version % 40)


@dataclass
class SoakConfig:
    duration: float = 60.0
    clients: int = 32
    warmup: float = 15.0
    seed: int = 1
    sample_every: float = 1.0
    edit_every: float = 2.0
    workdir: Path | None = None
    quiet: bool = False


@dataclass
class SoakResult:
    calls: Counter[str] = field(default_factory=Counter)  # action -> calls made
    seconds: Counter[str] = field(default_factory=Counter)  # action -> client seconds spent in it
    records: int = 0  # ScoreStream records sent
    outcomes: Counter[str] = field(default_factory=Counter)  # "OK", reasons, codes
    wrong: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    edits: Counter[str] = field(default_factory=Counter)
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, KiB)
    fds: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, open file descriptors)
    server_events: Counter[str] = field(default_factory=Counter)
    exit_code: int | None = None
    growth: float | None = None
    sigterm_at: float = 0.0
    counter_versions: set[str] = field(default_factory=set)  # soak.counter versions seen in answers

    def passed(self) -> bool:
        return not self.wrong and not self.lost and self.exit_code == 0

    def rss_flat(self) -> bool:
        return self.growth is not None and self.growth < 0.10


# -- the server ------------------------------------------------------------------------


class Server:
    """The real server in a subprocess; its JSON log goes to a file read after it stops."""

    def __init__(self, workdir: Path, clients: int) -> None:
        self.rubrics = workdir / "rubrics"
        shutil.copytree(ROOT / "rubrics", self.rubrics)
        (self.rubrics / "soak").mkdir()
        write_atomically(self.rubrics / "soak" / "counter.rubric", counter_text(0))
        tokens = workdir / "tokens.txt"
        tokens.write_text(TOKEN + "\n", encoding="utf-8")
        tokens.chmod(0o600)
        self.log_path = workdir / "server.log"
        port_file = workdir / "port"
        command = [
            sys.executable, "-m", "rubric_service.server", "--rubrics", str(self.rubrics),
            "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file), "--processes", "1",
            "--token-file", str(tokens), "--max-stream-records", str(STREAM_LIMIT),
            "--stream-idle-seconds", "10", "--reload-debounce-ms", "100",
            "--drain-seconds", "1", "--grace-seconds", "20",
            # every client may hold a stream: the soak is of faults, not of the stream limits (tested apart)
            "--max-streams", str(max(8, clients)), "--max-streams-per-peer", str(max(8, clients)),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        with self.log_path.open("w", encoding="utf-8") as log:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT
        while not port_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {self.log_path}")
            time.sleep(0.05)
        self.target = f"127.0.0.1:{int(port_file.read_text())}"

    def rss_kib(self) -> int | None:
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), None)
        return int(line.split()[1]) if line else None

    def fd_count(self) -> int | None:
        try:
            return len(os.listdir(f"/proc/{self.proc.pid}/fd"))
        except OSError:
            return None

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(WAIT)
            return -9

    def events(self) -> Iterator[dict[str, Any]]:
        with self.log_path.open(encoding="utf-8") as log:
            for line in log:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    yield {"event": "raw", "line": line.rstrip()}


def write_atomically(path: Path, text: str) -> None:
    scratch = path.with_name(path.name + ".tmp")  # not *.rubric: the watcher ignores it
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)


# -- what the answers must be ----------------------------------------------------------


class Expected:
    """Expected casework scores (per variation) and soak.counter scores (per served version)."""

    def __init__(self, rubrics: Path) -> None:
        casework = rubric_dsl.load_library(rubrics).rubrics[CASEWORK]
        seed = json.loads((ROOT / "rubrics" / "wuping" / "seed-casework.facts.json").read_text(encoding="utf-8"))
        self.variations: list[tuple[dict[str, str], tuple[Decimal, str]]] = []
        for satisfaction in ("98.02", "95", "90", "85.5", "70"):
            for petitions in ("18", "20", "5"):
                for people in ("62", "74", "75", "90"):
                    facts = {**seed, "satisfaction": satisfaction, "petition_reduction": petitions}
                    facts["eight_rules_people"] = people
                    result = casework.score(facts)
                    self.variations.append((facts, (result.total, result.grade)))
        self.counter_versions: dict[str, rubric_dsl.CompiledRubric] = {}
        self._lock = threading.Lock()
        self.add_counter(0)

    def add_counter(self, version: int) -> None:
        compiled = rubric_dsl.compile_source(counter_text(version), "counter.rubric")
        with self._lock:
            self.counter_versions[str(version)] = compiled

    def counter(self, version: str, x: int) -> tuple[Decimal, str] | None:
        with self._lock:
            rubric = self.counter_versions.get(version)
        if rubric is None:
            return None
        result = rubric.score({"x": x})
        return result.total, result.grade


# -- the editor ------------------------------------------------------------------------


def edit_loop(server: Server, expected: Expected, result: SoakResult, stop: threading.Event, cfg: SoakConfig) -> None:
    """Good and broken edits, one every ``edit_every`` seconds; a broken casework edit is mended next time."""
    rng = random.Random(cfg.seed * 7919)
    counter = server.rubrics / "soak" / "counter.rubric"
    casework = server.rubrics / "wuping" / "casework.rubric"
    original = casework.read_text(encoding="utf-8")
    title = "武平县纪委项目支出绩效评价：办案与专项业务费"
    version, broken_casework = 0, False
    while not stop.wait(cfg.edit_every):
        if broken_casework:
            write_atomically(casework, original)
            broken_casework = False
            result.edits["casework_mended"] += 1
            continue
        kind = rng.choice(["counter_good", "counter_good", "counter_broken", "casework_good", "casework_broken"])
        if kind == "counter_good":
            version += 1
            expected.add_counter(version)  # before the server can serve it
            write_atomically(counter, counter_text(version))
        elif kind == "counter_broken":
            write_atomically(counter, counter_text(version + 1000, broken=True))
        elif kind == "casework_good":
            write_atomically(casework, original.replace(title, f"{title}（修订{result.edits[kind] + 1}）", 1))
        else:
            write_atomically(casework, original[: original.rstrip().rfind("}")])  # lose the closing brace
            broken_casework = True
        result.edits[kind] += 1
    if broken_casework:
        write_atomically(casework, original)


# -- the clients -----------------------------------------------------------------------


class Refused(Exception):
    """A call refused because the server is shutting down (only acceptable after SIGTERM)."""


@dataclass
class Client:
    """One client thread's state; each ``action_*`` makes one call and checks its answer."""

    number: int
    channel: grpc.Channel
    expected: Expected
    result: SoakResult
    shared: Shared
    rng: random.Random
    seq: int = 0
    answered: set[str] = field(default_factory=set)  # request ids whose answer (or error) arrived
    abandoned: set[str] = field(default_factory=set)  # request ids the client cancelled or let expire

    def __post_init__(self) -> None:
        self.stub = pb_grpc.RubricServiceStub(self.channel)

    # helpers

    def next_id(self) -> str:
        self.seq += 1
        return f"c{self.number}-{self.seq}"

    def wrong(self, what: str) -> None:
        with self.shared.lock:
            self.result.wrong.append(f"client {self.number}: {what}")

    def outcome(self, kind: str) -> None:
        with self.shared.lock:
            self.result.outcomes[kind] += 1

    def casework_request(self) -> tuple[pb.ScoreRequest, tuple[Decimal, str]]:
        facts, want = self.rng.choice(self.expected.variations)
        return pb.ScoreRequest(request_id=self.next_id(), rubric=CASEWORK, facts=facts), want

    def check_score(self, response: pb.ScoreResponse, want: tuple[Decimal, str] | None, what: str) -> None:
        if response.HasField("error"):
            self.wrong(f"{what}: error {response.error.reason}: {response.error.message}")
        elif want is None:
            self.wrong(f"{what}: served version {response.version!r} was never a good edit")
        elif (Decimal(response.total), response.grade) != want:
            self.wrong(f"{what}: got {response.total} {response.grade}, want {want[0]} {want[1]}")
        else:
            self.outcome("OK")
            if response.rubric == COUNTER:
                with self.shared.lock:
                    self.result.counter_versions.add(response.version)

    def unary_error(self, error: grpc.RpcError, code: grpc.StatusCode, reason: str, what: str) -> None:
        got = error.code()
        if self.shared.terminating.is_set() and got in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
            raise Refused from error
        info = _error_info(error)
        if (got, info) != (code, reason):
            self.wrong(f"{what}: got {got.name} {info}, want {code.name} {reason}: {error.details()}")
        else:
            self.outcome(reason)

    def call(self, fn: Callable[[], Any], want_ok: bool, what: str) -> Any:
        """Run a unary call that should succeed; a refusal at shutdown raises Refused."""
        try:
            return fn()
        except grpc.RpcError as error:
            if self.shared.terminating.is_set() and error.code() in (
                grpc.StatusCode.UNAVAILABLE,
                grpc.StatusCode.CANCELLED,
            ):
                raise Refused from error
            if want_ok:
                self.wrong(f"{what}: {error.code().name}: {error.details()}")
            raise

    # valid calls

    def action_score(self) -> None:
        request, want = self.casework_request()
        response = self.call(lambda: self.stub.Score(request, **self.shared.opts), True, "Score")
        self.answered.add(request.request_id)
        self.check_score(response, want, "Score casework")

    def action_counter(self) -> None:
        x = self.rng.randrange(0, 51)
        request = pb.ScoreRequest(request_id=self.next_id(), rubric=COUNTER, facts={"x": str(x)})
        response = self.call(lambda: self.stub.Score(request, **self.shared.opts), True, "Score counter")
        self.answered.add(request.request_id)
        self.check_score(response, self.expected.counter(response.version, x), "Score counter")

    def action_rubrics(self) -> None:
        got = self.call(
            lambda: self.stub.GetRubric(pb.GetRubricRequest(rubric=CASEWORK), **self.shared.opts), True, "GetRubric"
        )
        listed = self.call(lambda: self.stub.ListRubrics(pb.ListRubricsRequest(), **self.shared.opts), True, "List")
        try:
            checked = self.call(
                lambda: self.stub.CheckRubric(pb.CheckRubricRequest(source="rubric a.b {"), **self.shared.opts),
                False,
                "CheckRubric",
            )
        except grpc.RpcError as error:  # checks beyond the few run at once are refused, by design: retryable
            if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "CheckRubric calls run at once" in str(
                error.details()
            ):
                self.outcome("TOO_MANY_CHECKS")
                return
            self.wrong(f"CheckRubric: {error.code().name}: {error.details()}")
            raise
        ids = {r.id for r in listed.rubrics}
        if got.rubric.id != CASEWORK or not {CASEWORK, COUNTER} <= ids or checked.ok or not checked.diagnostics:
            self.wrong("GetRubric/ListRubrics/CheckRubric gave an unexpected answer")
        else:
            self.outcome("OK")

    def action_compare(self) -> None:
        """A Compare of a few casework records under casework and its 开平 scale: the baseline column
        must give each record's expected total and grade, and the summary must count every record."""
        drawn = [self.casework_request() for _ in range(self.rng.randrange(1, 6))]
        schemes = [
            pb.Scheme(rubrics=[pb.RubricRef(rubric=CASEWORK)]),
            pb.Scheme(rubrics=[pb.RubricRef(rubric=CASEWORK + ".kaiping_scale")]),
        ]
        records = [pb.CompareRecord(id=request.request_id, facts=request.facts) for request, _ in drawn]
        requests = [pb.CompareRequest(setup=pb.CompareSetup(schemes=schemes), records=records)]
        replies = self.call(lambda: list(self.stub.Compare(iter(requests), **self.shared.opts)), True, "Compare")
        results = [r for reply in replies for r in reply.records]
        summaries = [s for reply in replies for s in reply.summaries]
        if [r.id for r in results] != [r.id for r in records] or len(summaries) != 2:
            self.wrong("Compare: results do not match the records one to one, or summaries are missing")
            return
        for result, (_, want) in zip(results, drawn, strict=True):
            baseline = result.outcomes[0]
            if baseline.HasField("error"):
                self.wrong(f"Compare: error {baseline.error.reason}: {baseline.error.message}")
            elif (Decimal(baseline.total), baseline.grade) != want:
                self.wrong(f"Compare: got {baseline.total} {baseline.grade}, want {want[0]} {want[1]}")
        self.outcome("COMPARED")

    def action_watch(self) -> None:
        """Open a health Watch, maybe read its first status, cancel it: the churn that once froze the server."""
        call = health_pb2_grpc.HealthStub(self.channel).Watch(health_pb2.HealthCheckRequest(), timeout=30)
        try:
            if self.rng.random() < 0.5:
                first = next(call)
                if first.status != health_pb2.HealthCheckResponse.SERVING and not self.shared.terminating.is_set():
                    self.wrong(f"Watch says {first.status} before SIGTERM")
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                self.outcome("TOO_MANY_WATCHES")
                return
            if self.shared.terminating.is_set():
                raise Refused from error
            self.wrong(f"Watch: {error.code().name}: {error.details()}")
            return
        finally:
            call.cancel()
        self.outcome("WATCH_CHURN")

    def action_health(self) -> None:
        stub = health_pb2_grpc.HealthStub(self.channel)
        response = self.call(lambda: stub.Check(health_pb2.HealthCheckRequest(), timeout=30), True, "Health")
        serving = response.status == health_pb2.HealthCheckResponse.SERVING
        if not serving and not self.shared.terminating.is_set():
            self.wrong(f"health says {response.status} before SIGTERM")
        else:
            self.outcome("OK")

    def action_stream(self) -> None:
        requests: list[pb.ScoreRequest] = []
        wants: list[tuple[str, Any]] = []
        for _ in range(8):
            draw = self.rng.random()
            if draw < 0.5:
                request, want = self.casework_request()
                requests.append(request)
                wants.append(("score", want))
            elif draw < 0.7:
                x = self.rng.randrange(0, 51)
                requests.append(pb.ScoreRequest(request_id=self.next_id(), rubric=COUNTER, facts={"x": str(x)}))
                wants.append(("counter", x))
            elif draw < 0.85:
                requests.append(self.bad_facts_request())
                wants.append(("error", "INVALID_FACTS"))
            else:
                requests.append(pb.ScoreRequest(request_id=self.next_id(), rubric="../wuping/casework"))
                wants.append(("error", "RUBRIC_NOT_FOUND"))
        with self.shared.lock:
            self.result.records += len(requests)
        responses = self.call(lambda: list(self.stub.ScoreStream(iter(requests), **self.shared.opts)), True, "Stream")
        if [r.request_id for r in responses] != [r.request_id for r in requests]:
            self.wrong("ScoreStream: responses do not match the records one to one, in order")
            return
        for response, (kind, want) in zip(responses, wants, strict=True):
            self.answered.add(response.request_id)
            if kind == "score":
                self.check_score(response, want, "stream casework")
            elif kind == "counter":
                self.check_score(response, self.expected.counter(response.version, want), "stream counter")
            elif response.error.reason != want:
                self.wrong(f"stream record: got {response.error.reason or 'a score'}, want {want}")
            else:
                self.outcome(str(want))

    # invalid calls

    def bad_facts_request(self) -> pb.ScoreRequest:
        facts, _ = self.rng.choice(self.expected.variations)
        facts = {k: v for k, v in facts.items() if k != "satisfaction"} | {"on_time": "maybe"}
        return pb.ScoreRequest(request_id=self.next_id(), rubric=CASEWORK, facts=facts)

    def expect_error(
        self, request: Any, method: Callable[..., Any], code: grpc.StatusCode, reason: str, **kw: Any
    ) -> None:
        options = {**self.shared.opts, **kw}
        try:
            method(request, **options)
        except grpc.RpcError as error:
            self.unary_error(error, code, reason, f"{reason} call")  # raises Refused at shutdown
            if getattr(request, "request_id", ""):
                self.answered.add(request.request_id)
            return
        self.wrong(f"a call that should fail with {reason} was answered")

    def action_bad_facts(self) -> None:
        self.expect_error(self.bad_facts_request(), self.stub.Score, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FACTS")

    def action_unknown_rubric(self) -> None:
        rubric = self.rng.choice(["../wuping/casework", "/etc/passwd", "no.such.rubric", "wuping/casework.rubric"])
        request = pb.ScoreRequest(request_id=self.next_id(), rubric=rubric, facts={"x": "1"})
        self.expect_error(request, self.stub.Score, grpc.StatusCode.NOT_FOUND, "RUBRIC_NOT_FOUND")

    def action_too_many_facts(self) -> None:
        request = pb.ScoreRequest()
        request.CopyFrom(self.shared.too_many_facts)
        request.request_id = self.next_id()
        self.expect_error(request, self.stub.Score, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FACTS")

    def action_oversized(self) -> None:
        try:
            self.stub.Score(self.shared.oversized, **self.shared.opts)
        except grpc.RpcError as error:
            if self.shared.terminating.is_set() and error.code() == grpc.StatusCode.UNAVAILABLE:
                raise Refused from error
            if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                self.wrong(f"oversized message: got {error.code().name}, want RESOURCE_EXHAUSTED")
            else:
                self.outcome("MESSAGE_TOO_LARGE")
            return
        self.wrong("an oversized message was answered")

    def action_bad_token(self) -> None:
        request, _ = self.casework_request()
        metadata, reason = self.rng.choice([(None, "MISSING_TOKEN"), ([("authorization", "Bearer nope")], "BAD_TOKEN")])
        self.expect_error(request, self.stub.Score, grpc.StatusCode.UNAUTHENTICATED, reason, metadata=metadata)

    def action_stream_too_long(self) -> None:
        requests = [self.casework_request() for _ in range(STREAM_LIMIT + 5)]
        with self.shared.lock:
            self.result.records += len(requests)
        answered: list[pb.ScoreResponse] = []
        try:
            answered.extend(self.stub.ScoreStream(iter([r for r, _ in requests]), **self.shared.opts))
            self.wrong("a stream over the limit ended without an error")
            return
        except grpc.RpcError as error:
            self.answered.update(r.request_id for r in answered)  # these answers did arrive
            self.unary_error(error, grpc.StatusCode.RESOURCE_EXHAUSTED, "STREAM_TOO_LONG", "stream over the limit")
        if len(answered) != STREAM_LIMIT:
            self.wrong(f"a stream over the limit got {len(answered)} answers, want {STREAM_LIMIT}")
        for response, (_, want) in zip(answered, requests, strict=False):
            self.check_score(response, want, "stream over the limit")

    # faults

    def action_cancel(self) -> None:
        request, want = self.casework_request()
        future = self.stub.Score.future(request, **self.shared.opts)
        if self.rng.random() < 0.5:
            time.sleep(self.rng.random() * 0.002)
        if future.cancel():
            self.abandoned.add(request.request_id)
            self.outcome("CANCELLED_BY_CLIENT")
            return
        self.call(future.result, True, "Score that was not cancelled in time")
        self.answered.add(request.request_id)
        self.check_score(future.result(), want, "Score that was not cancelled in time")

    def action_cancel_stream(self) -> None:
        first, want = self.casework_request()
        ready = threading.Event()

        def requests() -> Iterator[pb.ScoreRequest]:
            yield first
            ready.wait(10)  # hold the stream open until the client cancels it

        call = self.stub.ScoreStream(requests(), **self.shared.opts)
        with self.shared.lock:
            self.result.records += 1
        try:
            response = self.call(lambda: next(call), True, "stream before cancelling")
        finally:
            call.cancel()
            ready.set()
        self.answered.add(first.request_id)
        self.check_score(response, want, "stream before cancelling")
        self.outcome("CANCELLED_BY_CLIENT")

    def action_deadline(self) -> None:
        request, want = self.casework_request()
        try:
            response = self.stub.Score(request, timeout=0.001, metadata=self.shared.opts["metadata"])
        except grpc.RpcError as error:
            self.abandoned.add(request.request_id)
            if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                self.outcome("DEADLINE_EXCEEDED")
            elif self.shared.terminating.is_set() and error.code() in (
                grpc.StatusCode.UNAVAILABLE,
                grpc.StatusCode.CANCELLED,
            ):  # refused at shutdown, as every other action allows
                raise Refused from error
            else:
                self.wrong(f"a call with a 1 ms deadline failed with {error.code().name}")
            return
        self.answered.add(request.request_id)
        self.check_score(response, want, "Score with a 1 ms deadline")

    def action_deadline_stream(self) -> None:
        records = [self.casework_request() for _ in range(2)]
        done = threading.Event()

        def requests() -> Iterator[pb.ScoreRequest]:
            yield from (r for r, _ in records)
            done.wait(10)  # never closed by the client: only the deadline ends it

        with self.shared.lock:
            self.result.records += len(records)
        call = self.stub.ScoreStream(requests(), timeout=0.3, metadata=self.shared.opts["metadata"])
        received: list[pb.ScoreResponse] = []
        try:
            received.extend(call)
            self.wrong("a stream left open past its deadline ended without an error")
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                self.outcome("DEADLINE_EXCEEDED")
            elif not (self.shared.terminating.is_set() and error.code() == grpc.StatusCode.UNAVAILABLE):
                self.wrong(f"a stream past its deadline failed with {error.code().name}")
        finally:
            done.set()
        wants = {r.request_id: want for r, want in records}
        for response in received:
            self.answered.add(response.request_id)
            self.check_score(response, wants.get(response.request_id), "stream before its deadline")
        self.abandoned.update(set(wants) - {r.request_id for r in received})


ACTIONS: dict[str, int] = {  # action -> weight in the mix
    "score": 30,
    "counter": 12,
    "stream": 8,
    "rubrics": 4,
    "health": 2,
    "bad_facts": 10,
    "unknown_rubric": 6,
    "too_many_facts": 2,
    "oversized": 1,
    "bad_token": 4,
    "stream_too_long": 2,
    "cancel": 6,
    "cancel_stream": 3,
    "deadline": 6,
    "deadline_stream": 2,
    "compare": 3,
    "watch": 4,
}


@dataclass
class Shared:
    lock: threading.Lock
    terminating: threading.Event
    stop: threading.Event
    opts: dict[str, Any]
    too_many_facts: pb.ScoreRequest
    oversized: pb.ScoreRequest


def _error_info(error: grpc.RpcError) -> str | None:
    status = rpc_status.from_call(error)
    for detail in status.details if status is not None else []:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return None


def client_loop(client: Client) -> None:
    names, weights = list(ACTIONS), list(ACTIONS.values())
    terminating_since: float | None = None
    while not client.shared.stop.is_set():
        if client.shared.terminating.is_set():
            terminating_since = terminating_since or time.monotonic()
            if time.monotonic() - terminating_since > 15:
                return
        name = client.rng.choices(names, weights)[0]
        with client.shared.lock:
            client.result.calls[name] += 1
        began = time.perf_counter()
        try:
            getattr(client, f"action_{name}")()
        except Refused:
            client.outcome("REFUSED_AT_SHUTDOWN")
            return  # the server is going away: this client is done
        except grpc.RpcError:
            pass  # already counted as wrong by Client.call
        except Exception as exc:  # a bug in the soak itself must show, not hang it
            client.wrong(f"{name}: {exc!r}")
        finally:
            with client.shared.lock:
                client.result.seconds[name] += time.perf_counter() - began


# -- the run ---------------------------------------------------------------------------


def run_soak(cfg: SoakConfig) -> SoakResult:
    workdir = cfg.workdir or Path(tempfile.mkdtemp(prefix="rubric-soak-"))
    result = SoakResult()
    server = Server(workdir, cfg.clients)
    expected = Expected(server.rubrics)
    shared = Shared(
        threading.Lock(),
        threading.Event(),
        threading.Event(),
        {"timeout": 30.0, "metadata": [("authorization", f"Bearer {TOKEN}")]},
        pb.ScoreRequest(rubric=CASEWORK, facts={f"x{n}": "1" for n in range(10_001)}, allow_extra_facts=True),
        pb.ScoreRequest(rubric=CASEWORK, facts={"pad": "x" * (5 * 1024 * 1024)}),
    )
    channels = [grpc.insecure_channel(server.target) for _ in range(CHANNELS)]
    clients = [
        Client(n, channels[n % CHANNELS], expected, result, shared, random.Random(cfg.seed * 1000 + n))
        for n in range(cfg.clients)
    ]
    start = time.monotonic()
    editor_stop = threading.Event()
    threads = [threading.Thread(target=client_loop, args=(c,), name=f"client-{c.number}") for c in clients]
    threads.append(threading.Thread(target=edit_loop, args=(server, expected, result, editor_stop, cfg)))
    sampler = threading.Thread(target=_sample_rss, args=(server, result, start, cfg, shared.stop), daemon=True)
    for thread in [*threads, sampler]:
        thread.start()
    try:
        time.sleep(cfg.duration)
        editor_stop.set()
        result.sigterm_at = time.monotonic() - start
        shared.terminating.set()
        server.proc.send_signal(signal.SIGTERM)
        result.exit_code = server.stop()
        shared.stop.set()
        for thread in threads:
            thread.join(WAIT)
    finally:
        shared.stop.set()
        editor_stop.set()
        if server.proc.poll() is None:
            server.proc.kill()
        for channel in channels:
            channel.close()
    _read_server_log(server, clients, result)
    result.growth = _growth(result, cfg)
    return result


def _sample_rss(server: Server, result: SoakResult, start: float, cfg: SoakConfig, stop: threading.Event) -> None:
    while not stop.wait(cfg.sample_every) and server.proc.poll() is None:
        kib, fds = server.rss_kib(), server.fd_count()
        if kib is not None:
            result.rss.append((time.monotonic() - start, kib))
        if fds is not None:
            result.fds.append((time.monotonic() - start, fds))


def _growth(result: SoakResult, cfg: SoakConfig) -> float | None:
    """RSS growth from just after warm-up to just before SIGTERM (medians of a few samples each)."""
    loaded = [(t, kib) for t, kib in result.rss if t < result.sigterm_at]
    after = [kib for t, kib in loaded if t >= cfg.warmup]
    if len(after) < 4:
        return None
    span = max(2, len(after) // 10)
    first, last = sorted(after[:span]), sorted(after[-span:])
    return last[len(last) // 2] / first[len(first) // 2] - 1


EXPECTED_ERRORS = ("rubric_kept", "rubric_diagnostic")  # the broken edits


def _read_server_log(server: Server, clients: list[Client], result: SoakResult) -> None:
    answered = set().union(*(c.answered for c in clients))
    abandoned = set().union(*(c.abandoned for c in clients))
    for event in server.events():
        name = str(event.get("event"))
        if name in ("reload", "rubric_kept", "rubric_diagnostic", "call_cancelled", "stream_too_long", "serving"):
            result.server_events[name] += 1
        unexpected = event.get("level") in ("error", "critical") and name not in EXPECTED_ERRORS
        if name == "raw" or unexpected:
            result.server_events[f"{event.get('level', 'raw')}:{name}"] += 1
        if name != "decision" or not event.get("request_id"):
            continue
        result.server_events["decision"] += 1
        request_id = str(event["request_id"])
        if request_id not in answered and request_id not in abandoned:
            result.lost.append(f"{request_id} ({event.get('rpc')}, {event.get('outcome')})")


# -- the report ------------------------------------------------------------------------


def report(result: SoakResult, cfg: SoakConfig) -> str:
    calls = sum(result.calls.values())
    lines = [
        f"soak: {cfg.clients} clients for {cfg.duration:g} s, an edit every {cfg.edit_every:g} s,"
        f" SIGTERM at {result.sigterm_at:.1f} s",
        f"requests sent: {calls} calls ({result.records} of them stream records)",
        "calls by action (mean ms): "
        + ", ".join(f"{k} {v} ({result.seconds[k] / v * 1000:.0f})" for k, v in result.calls.most_common()),
        "outcomes: " + ", ".join(f"{k} {v}" for k, v in result.outcomes.most_common()),
        "edits: " + ", ".join(f"{k} {v}" for k, v in sorted(result.edits.items())),
        f"soak.counter versions seen in answers: {len(result.counter_versions)}",
        "server log: " + ", ".join(f"{k} {v}" for k, v in sorted(result.server_events.items())),
        "RSS over time (s: MiB): " + ", ".join(f"{t:.0f}: {kib / 1024:.1f}" for t, kib in _every_nth(result.rss, 12)),
        "open fds over time (s: fds): " + ", ".join(f"{t:.0f}: {n}" for t, n in _every_nth(result.fds, 12)),
    ]
    growth = "n/a" if result.growth is None else f"{result.growth * 100:+.1f} %"
    lines.append(f"RSS growth after {cfg.warmup:g} s warm-up: {growth} ({'flat' if result.rss_flat() else 'NOT flat'})")
    lines.append(f"wrong answers: {len(result.wrong)}; lost: {len(result.lost)}; server exit code: {result.exit_code}")
    lines += [f"  wrong: {w}" for w in result.wrong[:20]] + [f"  lost: {x}" for x in result.lost[:20]]
    return "\n".join(lines)


def _every_nth(samples: list[tuple[float, int]], count: int) -> list[tuple[float, int]]:
    if len(samples) <= count:
        return samples
    step = len(samples) / count
    return [samples[int(i * step)] for i in range(count)] + [samples[-1]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load before SIGTERM")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds before RSS growth is measured")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--edit-every", type=float, default=2.0, help="seconds between rubric edits")
    args = parser.parse_args(argv)
    cfg = SoakConfig(args.duration, args.clients, args.warmup, args.seed, edit_every=args.edit_every)
    result = run_soak(cfg)
    print(report(result, cfg))
    return 0 if result.passed() and result.rss_flat() else 1


if __name__ == "__main__":
    sys.exit(main())
