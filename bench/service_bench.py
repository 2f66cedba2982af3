"""Service speed: Score over gRPC against a trivial echo RPC on the same kind of server.

Two servers run in their own processes, side by side in the same run:

* the real one, ``python -m rubric_service.server`` over the bundled rubrics (decision log on);
* an echo server built by the same ``rubric_service.server.new_grpc_server`` (same thread pool,
  same limits, the same ``Guard`` interceptor, methods registered the same way) whose
  ``Score``/``ScoreStream`` decode a ScoreRequest and answer the real reply to the seed
  facts (2 KB, 23 sections, 21 indicators), made once, with the request id appended.

This process is the load client (grpc.aio). Each scenario runs for a fixed time against
the echo server and the real one in alternating rounds (so that whatever else the machine
does hits both alike), with the same requests (the seed facts with varied values), and
reports calls per second (the median round), p50/p99 latency, the server's CPU time per
call, and the ratio Score / echo:

* unary ``Score`` with 1, 8 and 32 calls in flight;
* ``ScoreStream``: one stream, pipelined, with up to ``--window`` records in flight.

    python bench/service_bench.py [--duration 4] [--rounds 4] [--warmup 0.3] [--concurrency 1,8,32]
                                  [--window 64] [--workers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb  # noqa: E402
from rubric_service.server import WORKERS  # noqa: E402

RUBRIC = "wuping.casework"
ECHO_SERVICE = "rubric.bench.v1.Echo"
REAL_SERVICE = "rubric.v1.RubricService"
SEED = {
    "execution_rate": "100", "completion_rate": "100", "quality_rate": "100", "on_time": "true",
    "cost_saving_rate": "0", "fund_saving_rate": "0", "petition_reduction": "18",
    "eight_rules_reduction": "8", "mass_corruption_reduction": "10", "satisfaction": "98.02",
    "eight_rules_people": "62", "mass_corruption_cases": "23",
}  # fmt: skip


def requests(count: int = 64) -> list[pb.ScoreRequest]:
    """The seed facts with varied values, so that no two neighbouring calls are alike."""
    out = []
    for n in range(count):
        facts = dict(SEED)
        facts["satisfaction"] = f"{90 + (n * 7) % 100 / 10:.2f}"
        facts["petition_reduction"] = str(n % 21)
        facts["eight_rules_people"] = str(60 + n % 30)
        out.append(pb.ScoreRequest(rubric=RUBRIC, facts=facts, request_id=str(n)))
    return out


# -- the echo server ---------------------------------------------------------------------


def serve_echo(port_file: Path, workers: int) -> int:
    """Run the echo server until SIGTERM; its reply is the real reply to the seed facts.

    The same kind of server as the real one: ``new_grpc_server`` with the real server's
    interceptor (``Guard``: token check off, stream bounds on), methods registered the same
    way, and the cheapest reply there is: the real reply's bytes, made once, with the
    request id appended (a field after all the others), passed through without a serializer.
    """
    import signal
    import threading

    from rubric_service import convert
    from rubric_service.guard import Guard
    from rubric_service.server import new_grpc_server

    import rubric_dsl

    rubric = rubric_dsl.load_library(ROOT / "rubrics").rubrics[RUBRIC]
    canned = convert.score_response_bytes(rubric, rubric.score(SEED), explain=False)

    def echo(request: pb.ScoreRequest, context: Any) -> bytes:
        return canned + pb.ScoreResponse(request_id=request.request_id).SerializeToString()

    def echo_stream(request_iterator: Any, context: Any) -> Any:
        for request in request_iterator:
            yield echo(request, context)

    codec = {"request_deserializer": pb.ScoreRequest.FromString, "response_serializer": None}
    handlers = {
        "Score": grpc.unary_unary_rpc_method_handler(echo, **codec),
        "ScoreStream": grpc.stream_stream_rpc_method_handler(echo_stream, **codec),
    }
    server = new_grpc_server(workers=workers, interceptors=[Guard()])
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(ECHO_SERVICE, handlers),))
    server.add_registered_method_handlers(ECHO_SERVICE, handlers)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    port_file.write_text(str(port), encoding="utf-8")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop(1).wait()
    return 0


# -- processes ---------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    service: str
    proc: subprocess.Popen[bytes]
    port: int

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(name: str, service: str, command: list[str], port_file: Path, log: Path) -> Server:
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not port_file.exists() or not port_file.read_text().strip():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{name} server did not start; see {log}")
        time.sleep(0.05)
    return Server(name, service, proc, int(port_file.read_text()))


def stop(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(30)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


# -- load --------------------------------------------------------------------------------


@dataclass
class Run:
    calls: int
    seconds: float
    latencies: list[float]
    server_cpu: float

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")

    @property
    def cpu_us_per_call(self) -> float:
        return self.server_cpu / max(self.calls, 1) * 1e6


async def _timed(server: Server, work: Callable[[Callable[[], bool], list[float]], Awaitable[int]],
                 warmup: float, duration: float) -> Run:  # fmt: skip
    """Run ``work`` for warmup + duration; count only what finishes inside the measured window."""
    latencies: list[float] = []
    window = {"start": time.perf_counter() + warmup, "end": time.perf_counter() + warmup + duration}
    cpu = {}

    def going() -> bool:
        now = time.perf_counter()
        if now >= window["start"] and "start" not in cpu:
            cpu["start"] = server.cpu_seconds()
            latencies.clear()
        return now < window["end"]

    await work(going, latencies)
    return Run(len(latencies), duration, latencies, server.cpu_seconds() - cpu.get("start", 0.0))


async def unary(server: Server, in_flight: int, warmup: float, duration: float) -> Run:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        call = channel.unary_unary(
            f"/{server.service}/Score",
            request_serializer=pb.ScoreRequest.SerializeToString,
            response_deserializer=pb.ScoreResponse.FromString,
        )
        batch = requests()

        async def worker(offset: int, going: Callable[[], bool], latencies: list[float]) -> None:
            n = offset
            while going():
                begin = time.perf_counter()
                await call(batch[n % len(batch)], timeout=30)
                latencies.append(time.perf_counter() - begin)
                n += 1

        async def work(going: Callable[[], bool], latencies: list[float]) -> int:
            await asyncio.gather(*(worker(k * 7, going, latencies) for k in range(in_flight)))
            return len(latencies)

        return await _timed(server, work, warmup, duration)


async def stream(server: Server, window: int, warmup: float, duration: float) -> Run:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        open_stream = channel.stream_stream(
            f"/{server.service}/ScoreStream",
            request_serializer=pb.ScoreRequest.SerializeToString,
            response_deserializer=pb.ScoreResponse.FromString,
        )
        batch = requests()

        async def work(going: Callable[[], bool], latencies: list[float]) -> int:
            call = open_stream(timeout=warmup + duration + 60)
            slots = asyncio.Semaphore(window)
            sent: dict[str, float] = {}

            async def writer() -> None:
                n = 0
                while going():
                    await slots.acquire()
                    request = batch[n % len(batch)]
                    request.request_id = str(n)
                    sent[request.request_id] = time.perf_counter()
                    await call.write(request)
                    n += 1
                await call.done_writing()

            async def reader() -> None:
                async for response in call:
                    latencies.append(time.perf_counter() - sent.pop(response.request_id))
                    slots.release()

            await asyncio.gather(writer(), reader())
            return len(latencies)

        return await _timed(server, work, warmup, duration)


# -- report ------------------------------------------------------------------------------


def row(label: str, echo: Run, score: Run) -> str:
    ratio = score.rate / echo.rate
    return (
        f"| {label} | {echo.rate:,.0f} | {echo.percentile(0.5):.2f} / {echo.percentile(0.99):.2f} "
        f"| {echo.cpu_us_per_call:.0f} | {score.rate:,.0f} | {score.percentile(0.5):.2f} / "
        f"{score.percentile(0.99):.2f} | {score.cpu_us_per_call:.0f} | {ratio:.0%} |"
    )


HEADER = (
    "| scenario | echo calls/s | echo p50 / p99 ms | echo server CPU µs/call | Score calls/s "
    "| Score p50 / p99 ms | Score server CPU µs/call | Score / echo |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
)


def combine(runs: list[Run]) -> Run:
    """Rounds of one scenario on one server: the median round's rate, every latency, all CPU time."""
    median = statistics.median(r.rate for r in runs)
    calls = sum(r.calls for r in runs)
    return Run(calls, calls / median, [x for r in runs for x in r.latencies], sum(r.server_cpu for r in runs))


async def scenario(args: argparse.Namespace, label: str, echo: Server, real: Server,
                   run: Callable[[Server], Awaitable[Run]]) -> str:  # fmt: skip
    """Alternate echo and Score for ``--rounds`` rounds, so that drift in the machine hits both."""
    results: dict[str, list[Run]] = {"echo": [], "score": []}
    for n in range(args.rounds):
        for server in (echo, real) if n % 2 == 0 else (real, echo):
            results[server.name].append(await run(server))
    line = row(label, combine(results["echo"]), combine(results["score"]))
    print(line, flush=True)
    return line


async def measure(args: argparse.Namespace, echo: Server, real: Server) -> list[str]:
    each = args.duration / args.rounds
    rows = []
    for in_flight in args.concurrency:
        rows.append(await scenario(args, f"unary, {in_flight} in flight", echo, real,
                                   lambda s, k=in_flight: unary(s, k, args.warmup, each)))  # fmt: skip
    rows.append(await scenario(args, f"stream, window {args.window}", echo, real,
                               lambda s: stream(s, args.window, args.warmup, each)))  # fmt: skip
    return rows


def breakdown(number: int = 3000) -> list[str]:
    """Where a Score call's own time goes, measured in this process (µs per call, best of 7 rounds)."""
    import timeit

    from rubric_service import convert
    from rubric_service import servicer as servicer_module
    from rubric_service.logs import configure_logging
    from rubric_service.registry import Registry
    from rubric_service.servicer import RubricServicer

    with open(os.devnull, "w") as sink:
        configure_logging(sink)
        registry = Registry(ROOT / "rubrics")
        registry.reload()
        servicer = RubricServicer(registry)
        rubric = registry.snapshot().get(RUBRIC)
        batch = requests()
        results = [rubric.score(dict(r.facts)) for r in batch]
        encoder = convert.encoder(rubric)
        line = servicer_module._decisions.template("Score", rubric)

        class Context:
            def time_remaining(self) -> float:
                return 60.0

        context = Context()
        parts: dict[str, Callable[[int], object]] = {
            "service: facts from the request (`convert.facts_of`)": lambda k: convert.facts_of(batch[k]),
            "rubric_dsl: `CompiledRubric.score` (validate facts + evaluate)": lambda k: rubric.score(
                dict(batch[k].facts)
            ),
            "service: reply bytes from the `Result` (`ScoreEncoder.encode`)": lambda k: encoder.encode(
                results[k], "94.6", str(k)
            ),
            "… of which section points (`Result.sections`)": lambda k: convert.section_points(results[k]),
            "service: decision log line, queued by the request thread": lambda k: servicer._log_scored(
                "Score", batch[k], rubric, "94.6", "优", 0.1
            ),
            "… rendered by the log writer (per line, in its batch)": lambda k: line.render_at(
                1_700_000_000_123_456_789, (str(k), "94.6", "优", 0.1)
            ),
            "whole servicer call without gRPC, reply as bytes (`score_wire`)": lambda k: servicer.score_wire(
                batch[k], context
            ),
            "… reply parsed into a message (`Score`, for the generated registration)": lambda k: servicer.Score(
                batch[k], context
            ),
        }
        lines = []
        for label, part in parts.items():

            def loop(part: Callable[[int], object] = part) -> None:
                for k in range(len(batch)):
                    part(k)

            rounds = timeit.repeat(loop, number=max(1, number // len(batch)), repeat=7)
            per_call = min(rounds) / (max(1, number // len(batch)) * len(batch)) * 1e6
            lines.append(f"| {label} | {per_call:.1f} |")
        return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=4.0, help="measured seconds per scenario and server")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds the duration is split into")
    parser.add_argument("--warmup", type=float, default=0.3, help="unmeasured seconds before each round")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 32])
    parser.add_argument("--window", type=int, default=64, help="stream records in flight")
    parser.add_argument("--workers", type=int, default=WORKERS, help="RPC threads of both servers")
    parser.add_argument("--echo-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port-file", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.echo_server:
        return serve_echo(args.port_file, args.workers)
    with tempfile.TemporaryDirectory(prefix="service-bench-") as scratch:
        tmp = Path(scratch)
        echo_command = [sys.executable, __file__, "--echo-server", "--port-file", str(tmp / "echo.port")]
        real_command = [sys.executable, "-m", "rubric_service.server", "--rubrics", str(ROOT / "rubrics"),
                        "--port", "0", "--port-file", str(tmp / "real.port"), "--drain-seconds", "0"]  # fmt: skip
        workers = ["--workers", str(args.workers)]
        echo = start("echo", ECHO_SERVICE, echo_command + workers, tmp / "echo.port", tmp / "echo.log")
        real = start("score", REAL_SERVICE, real_command + workers, tmp / "real.port", tmp / "real.log")
        try:
            print(
                f"{os.cpu_count()} cores; per scenario and server {args.duration:g} s measured in "
                f"{args.rounds} alternating rounds, each after {args.warmup:g} s warm-up\n"
            )
            print(HEADER, flush=True)
            asyncio.run(measure(args, echo, real))
        finally:
            stop(echo)
            stop(real)
    print("\nA Score call's own work, in this process (best of 7 rounds), µs per call:\n")
    print("| part | µs |\n|---|---:|")
    print("\n".join(breakdown()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
