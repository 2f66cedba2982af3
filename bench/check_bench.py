"""Does a client checking rubrics in a loop starve scoring? Score throughput alone and beside a CheckRubric loop.

Starts the real server (``python -m rubric_service.server --processes 1``) over the bundled rubrics. In
alternating rounds (so that whatever else the machine does hits both alike) it runs a Score loop (``--in-flight``
calls in flight, grpc.aio) alone, then the same Score loop while another client calls CheckRubric in a loop, one
call after another, with the text of a served rubric (wuping/casework.rubric, which extends wuping.common).
Prints Score calls/s in each, the ratio (the issue's target: the checking client lowers Score's throughput by at
most 20 %, a ratio of at least 0.8), and the checks answered per second with their median latency.

    python bench/check_bench.py [--seconds 3] [--rounds 4] [--in-flight 8]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb  # noqa: E402
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc  # noqa: E402

SEED = {
    "execution_rate": "100", "completion_rate": "100", "quality_rate": "100", "on_time": "true",
    "cost_saving_rate": "0", "fund_saving_rate": "0", "petition_reduction": "18",
    "eight_rules_reduction": "8", "mass_corruption_reduction": "10", "satisfaction": "98.02",
    "eight_rules_people": "62", "mass_corruption_cases": "23",
}  # fmt: skip
CHECKED = ROOT / "rubrics" / "wuping" / "casework.rubric"


def start(scratch: Path) -> tuple[subprocess.Popen[bytes], str]:
    port_file = scratch / "port"
    command = [sys.executable, "-m", "rubric_service.server", "--rubrics", str(ROOT / "rubrics"), "--port", "0",
               "--port-file", str(port_file), "--processes", "1", "--no-reload", "--drain-seconds", "0"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not port_file.exists() or not port_file.read_text().strip():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("check_bench: the server did not start")
        time.sleep(0.05)
    return proc, f"127.0.0.1:{int(port_file.read_text())}"


async def score_loop(target: str, in_flight: int, seconds: float, checking: bool) -> tuple[float, list[float]]:
    """Score calls/s over ``seconds`` (after a short warm-up), and, when ``checking``, each check's latency."""
    request = pb.ScoreRequest(rubric="wuping.casework", facts=SEED)
    check = pb.CheckRubricRequest(source=CHECKED.read_text(encoding="utf-8"), path="casework.rubric")
    check_latencies: list[float] = []
    async with grpc.aio.insecure_channel(target) as scoring, grpc.aio.insecure_channel(target) as checking_channel:
        score = pb_grpc.RubricServiceStub(scoring).Score
        check_rubric = pb_grpc.RubricServiceStub(checking_channel).CheckRubric
        warm_until = time.perf_counter() + 0.5
        end = warm_until + seconds
        counted = 0

        async def scorer() -> None:
            nonlocal counted
            while (now := time.perf_counter()) < end:
                await score(request, timeout=30)
                if now >= warm_until:
                    counted += 1

        async def checker() -> None:
            while time.perf_counter() < end:
                begin = time.perf_counter()
                try:
                    await check_rubric(check, timeout=60)
                except grpc.aio.AioRpcError as error:  # refused (too many at once): counted, not timed
                    if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                        raise
                    continue
                if begin >= warm_until:
                    check_latencies.append(time.perf_counter() - begin)

        tasks = [scorer() for _ in range(in_flight)] + ([checker()] if checking else [])
        await asyncio.gather(*tasks)
    return counted / seconds, check_latencies


async def measure(target: str, args: argparse.Namespace) -> None:
    alone: list[float] = []
    beside: list[float] = []
    checks: list[float] = []
    for n in range(args.rounds):
        for checking in (False, True) if n % 2 == 0 else (True, False):
            rate, latencies = await score_loop(target, args.in_flight, args.seconds, checking)
            (beside if checking else alone).append(rate)
            checks.extend(latencies)
    a, b = statistics.median(alone), statistics.median(beside)
    print(f"{args.rounds} alternating rounds of {args.seconds:g} s, {args.in_flight} Score calls in flight\n")
    print("| Score loop | calls/s (median round) |\n|---|---:|")
    print(f"| alone | {a:,.0f} |\n| beside a client checking in a loop | {b:,.0f} |")
    print(f"\nScore beside checking / alone: {b / a:.2f} (target: at least 0.80)")
    if checks:
        per_second = len(checks) / (args.seconds * args.rounds)
        print(f"CheckRubric: {per_second:.1f} answered/s, median {statistics.median(checks) * 1000:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per round and case")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--in-flight", type=int, default=8)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="check-bench-") as scratch:
        proc, target = start(Path(scratch))
        try:
            asyncio.run(measure(target, args))
        finally:
            proc.terminate()
            proc.wait(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
