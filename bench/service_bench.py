"""Service speed: Score over gRPC against a trivial echo RPC on the same kind of server, with 1 and N processes.

For each process count (``--processes``, default 1 and 2) two servers run side by side in the same run:

* the real one, ``python -m rubric_service.server --processes N`` over the bundled rubrics (decision log on);
* an echo ceiling of as many processes sharing one port (SO_REUSEPORT, as the real workers do), each
  built by the same ``rubric_service.server.new_grpc_server`` (same thread pool, same limits, the same
  ``Guard`` interceptor, methods registered the same way) whose ``Score`` decodes a ScoreRequest and
  answers the real reply to the seed facts (2 KB, 23 sections, 21 indicators), made once, with the
  request id appended.

The load comes from h2load (nghttp2's C client: ``apt-get install nghttp2-client``), which spends far less
CPU per call than any Python client, so the servers and not the client are measured; without it (or with
``--client python``) from this process (grpc.aio). Each scenario runs against the echo server and the real
one in alternating rounds (so that whatever else the machine does hits both alike) and reports calls per
second (the median round), mean latency, the servers' CPU time per call (all their processes), and the
ratio Score / echo:

* unary ``Score`` with 1, 8 and 32 calls in flight over 1 connection, and 4, 8 and 32 over 4 connections
  (h2load: connections × streams per connection);
* with the Python client, also ``ScoreStream``: one stream, pipelined, up to ``--window`` records in flight.

    python bench/service_bench.py [--duration 4] [--rounds 2] [--warmup 0.5] [--processes 1,2]
                                  [--client h2load|python] [--workers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import struct
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


def serve_echo(port_file: Path, workers: int, port: int = 0) -> int:
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
    # a given port is shared with the other echo processes, as the real workers share theirs
    server = new_grpc_server(workers=workers, interceptors=[Guard()], reuse_port=port != 0)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(ECHO_SERVICE, handlers),))
    server.add_registered_method_handlers(ECHO_SERVICE, handlers)
    port = server.add_insecure_port(f"127.0.0.1:{port}")
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
    procs: list[subprocess.Popen[bytes]]
    port: int

    def cpu_seconds(self) -> float:
        """CPU time of its processes and their children (the real server's workers), user + system."""
        roots = {str(p.pid) for p in self.procs}
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat.parent.name in roots or fields[1] in roots:
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")


def start(name: str, service: str, commands: list[list[str]], port_files: list[Path], log: Path) -> Server:
    procs = []
    with log.open("wb") as out:
        for command in commands:
            procs.append(subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 120
    for port_file in port_files:
        while not port_file.exists() or not port_file.read_text().strip():
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                raise SystemExit(f"{name} server did not start; see {log}")
            time.sleep(0.05)
    return Server(name, service, procs, int(port_files[0].read_text()))


def stop(server: Server) -> None:
    for proc in server.procs:
        proc.terminate()
    for proc in server.procs:
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


async def unary(server: Server, connections: int, in_flight: int, warmup: float, duration: float) -> Run:
    own = [("grpc.use_local_subchannel_pool", 1)]  # a connection of its own per channel
    channels = [grpc.aio.insecure_channel(f"127.0.0.1:{server.port}", options=own) for _ in range(connections)]
    try:
        calls = [
            channel.unary_unary(
                f"/{server.service}/Score",
                request_serializer=pb.ScoreRequest.SerializeToString,
                response_deserializer=pb.ScoreResponse.FromString,
            )
            for channel in channels
        ]
        batch = requests()

        async def worker(offset: int, going: Callable[[], bool], latencies: list[float]) -> None:
            n = offset
            call = calls[offset % connections]
            while going():
                begin = time.perf_counter()
                await call(batch[n % len(batch)], timeout=30)
                latencies.append(time.perf_counter() - begin)
                n += 1

        async def work(going: Callable[[], bool], latencies: list[float]) -> int:
            await asyncio.gather(*(worker(k, going, latencies) for k in range(in_flight)))
            return len(latencies)

        return await _timed(server, work, warmup, duration)
    finally:
        for channel in channels:
            await channel.close()


def h2load(server: Server, connections: int, in_flight: int, warmup: float, duration: float, data: Path) -> Run:
    """``h2load`` for ``duration`` seconds after ``warmup``: the same request, ``in_flight`` calls spread over
    ``connections`` connections; the server's CPU time is read over the whole run and scaled to the window."""
    streams = max(1, in_flight // connections)
    command = [
        "h2load", f"--clients={connections}", f"--max-concurrent-streams={streams}", "--threads=1",
        f"--duration={round(duration * 1000)}ms", f"--warm-up-time={round(warmup * 1000)}ms", f"--data={data}",
        "-H", "content-type: application/grpc", "-H", "te: trailers",
        f"http://127.0.0.1:{server.port}/{server.service}/Score",
    ]  # fmt: skip
    before = server.cpu_seconds()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    cpu = (server.cpu_seconds() - before) * duration / (duration + warmup)
    out = done.stdout
    found = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed", out)
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", out)
    if done.returncode != 0 or found is None or mean is None or int(found.group(2)):
        raise SystemExit(f"h2load failed against {server.name}:\n{out}\n{done.stderr}")
    calls = int(found.group(1))
    latency = _seconds(mean.group(1))
    return Run(calls, duration, [latency] * min(calls, 1000), cpu)


def _seconds(text: str) -> float:
    for unit, scale in (("us", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    raise ValueError(text)


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
        f"{score.percentile(0.99):.2f} | {score.cpu_us_per_call:.0f} | {ratio:.2f} |"
    )


HEADER = (
    "| processes, scenario | echo calls/s | echo p50 / p99 ms | echo CPU µs/call | Score calls/s "
    "| Score p50 / p99 ms | Score CPU µs/call | Score / echo |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
)
H2LOAD_NOTE = "(h2load gives a mean latency only: it fills both p50 and p99)"


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


SCENARIOS = ((1, 1), (1, 8), (1, 32), (4, 4), (4, 8), (4, 32))  # (connections, calls in flight)


async def measure(args: argparse.Namespace, processes: int, echo: Server, real: Server, data: Path) -> list[str]:
    each = args.duration / args.rounds
    rows = []
    for connections, in_flight in SCENARIOS:
        label = f"{processes}: {in_flight} in flight, {connections} conn."
        if args.client == "h2load":

            async def run(s: Server, c: int = connections, k: int = in_flight) -> Run:
                return await asyncio.to_thread(h2load, s, c, k, args.warmup, each, data)

        else:

            async def run(s: Server, c: int = connections, k: int = in_flight) -> Run:
                return await unary(s, c, k, args.warmup, each)

        rows.append(await scenario(args, label, echo, real, run))
    if args.client == "python":
        rows.append(await scenario(args, f"{processes}: stream, window {args.window}", echo, real,
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
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds the duration is split into")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds before each round")
    parser.add_argument("--processes", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2])
    parser.add_argument(
        "--client", choices=("h2load", "python"), default="h2load" if shutil.which("h2load") else "python"
    )
    parser.add_argument("--window", type=int, default=64, help="stream records in flight (Python client)")
    parser.add_argument("--workers", type=int, default=WORKERS, help="RPC threads of every server process")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the in-process breakdown of a call")
    parser.add_argument("--echo-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--port-file", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.echo_server:
        return serve_echo(args.port_file, args.workers, args.port)
    client = "h2load (nghttp2's C client)" if args.client == "h2load" else "grpc.aio in this process"
    print(
        f"{os.cpu_count()} cores; client: {client}; per scenario and server {args.duration:g} s measured in "
        f"{args.rounds} alternating rounds, each after {args.warmup:g} s warm-up\n"
    )
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory(prefix="service-bench-") as scratch:
        tmp = Path(scratch)
        data = tmp / "score.grpc"
        message = requests(1)[0].SerializeToString()
        data.write_bytes(b"\x00" + struct.pack(">I", len(message)) + message)  # one gRPC frame
        for processes in args.processes:
            port = free_port()
            workers = ["--workers", str(args.workers)]
            echo_commands = [
                [sys.executable, __file__, "--echo-server", "--port", str(port),
                 "--port-file", str(tmp / f"echo{k}.port"), *workers]
                for k in range(processes)
            ]  # fmt: skip
            real_command = [sys.executable, "-m", "rubric_service.server", "--rubrics", str(ROOT / "rubrics"),
                            "--port", "0", "--port-file", str(tmp / "real.port"), "--drain-seconds", "0",
                            "--processes", str(processes), *workers]  # fmt: skip
            echo_ports = [tmp / f"echo{k}.port" for k in range(processes)]
            echo = start("echo", ECHO_SERVICE, echo_commands, echo_ports, tmp / "echo.log")
            real = start("score", REAL_SERVICE, [real_command], [tmp / "real.port"], tmp / "real.log")
            try:
                asyncio.run(measure(args, processes, echo, real, data))
            finally:
                stop(echo)
                stop(real)
                for file in (*echo_ports, tmp / "real.port"):
                    file.unlink(missing_ok=True)
    if args.client == "h2load":
        print(H2LOAD_NOTE)
    if not args.no_breakdown:
        print("\nA Score call's own work, in this process (best of 7 rounds), µs per call:\n")
        print("| part | µs |\n|---|---:|")
        print("\n".join(breakdown()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
