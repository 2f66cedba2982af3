"""What a request at each documented bound costs the server: CPU time, measured from the outside.

Starts the real server (``python -m rubric_service.server`` on 127.0.0.1, port 0) over the bundled
rubrics, then sends, one kind at a time, requests that sit at a bound of README's limits table
(the hostile ones of the reliability review: a did-you-mean over many names, long band tables,
`when` chains and grade tables, chained lets, a megabyte of rubric, ten thousand unknown facts,
a Compare of empty records under 16 schemes, a ScoreStream record whose error would pass 4 MiB).
For each it reads the server's CPU time and its children's (``/proc/PID/stat``, user + system) before and after and
prints the CPU milliseconds per request and the reply's status, beside a plain Score as the
baseline timed in the same run. The target: every kind well under a few hundred milliseconds.

    python bench/bounds_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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
TICKS = os.sysconf("SC_CLK_TCK")
BASELINE_CALLS = 500


def _rubric(body: str, total: str = "1", grades: str = "好 otherwise") -> str:
    return f'rubric bench.bound "界" {{\n  version "1"\n  total {total}\n{body}\n  grades {{ {grades} }}\n}}\n'


def did_you_mean_text() -> str:
    """About 109 KB: 2,000 declared inputs and 1,000 uses of names that are almost theirs."""
    inputs = "\n".join(f'  input declared_value_{k} number "值{k}"' for k in range(2000))
    uses = " + ".join(f"declared_valeu_{k}" for k in range(1000))
    return _rubric(f'{inputs}\n  indicator i "指标" 1 {{ points min(1, {uses}) }}')


def bands_text(rows: int = 3000) -> str:
    table = "\n".join(f"      [{k}, {k + 1}) 1" for k in range(rows))
    return _rubric(
        f'  input x number "x"\n  indicator a "a" 1 {{\n    bands x {{\n{table}\n      otherwise 0\n    }}\n  }}'
    )


def when_text(arms: int = 3000) -> str:
    chain = "\n".join(f"    when x == {k} => points 1" for k in range(arms))
    return _rubric(f'  input x number "x"\n  indicator a "a" 1 {{\n{chain}\n    otherwise => points 0\n  }}')


def grades_text(rows: int = 5000) -> str:
    cutoffs = "  ".join(f"g{k} >= {100 - (k + 1) * 100 / rows:.2f}" for k in range(rows - 1))
    return _rubric(
        '  input x number "x" range 0 .. 100\n  indicator a "a" 100 { points x }', "100", cutoffs + "  末 otherwise"
    )


def lets_text(count: int = 40) -> str:
    lets = "\n".join(f"  let v{k} = v{k - 1} + v{k - 1}" for k in range(1, count + 1))
    return _rubric(f'  input x number "x"\n  let v0 = x\n{lets}\n  indicator a "a" 1 {{ points min(1, v{count}) }}')


def megabyte_text() -> str:
    comment = "# " + "注" * 300 + "\n"
    body = _rubric('  input x number "x"\n  indicator a "a" 1 { points min(1, x) }')
    return body + comment * ((999_000 - len(body.encode())) // len(comment.encode()))


class Server:
    def __init__(self, workdir: Path) -> None:
        port_file = workdir / "port"
        command = [
            sys.executable, "-m", "rubric_service.server", "--rubrics", str(ROOT / "rubrics"),
            "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file), "--no-reload",
            "--processes", "1",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("bounds_bench: the server did not start")
            time.sleep(0.05)
        self.target = f"127.0.0.1:{int(port_file.read_text())}"

    def cpu_seconds(self) -> float:
        """The server's CPU time and its children's (CheckRubric's work runs in a child, the check worker)."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat.parent.name == str(self.proc.pid) or fields[1] == str(self.proc.pid):  # itself, or a child
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / TICKS

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


def _status(call: Callable[[], Any]) -> str:
    try:
        call()
    except grpc.RpcError as error:
        return error.code().name
    return "OK"


def cases(stub: Any) -> Iterator[tuple[str, Callable[[], Any]]]:
    score = pb.ScoreRequest(rubric="wuping.casework", facts=SEED)

    def scores() -> None:  # a Score costs under a tick of /proc's clock: time many, give one's share
        for _ in range(BASELINE_CALLS):
            stub.Score(score, timeout=60)

    yield "Score (baseline, one call)", scores
    for name, text in (
        ("CheckRubric: did-you-mean, 2,000 names x 1,000 uses (109 KB)", did_you_mean_text()),
        ("CheckRubric: 3,000 band rows", bands_text()),
        ("CheckRubric: 3,000 when arms", when_text()),
        ("CheckRubric: 5,000 grades", grades_text()),
        ("CheckRubric: 40 chained lets", lets_text()),
        ("CheckRubric: 1 MB of rubric", megabyte_text()),
    ):
        request = pb.CheckRubricRequest(source=text, path="bound.rubric")
        yield name, lambda request=request: stub.CheckRubric(request, timeout=120)
    unknown = pb.ScoreRequest(
        rubric="wuping.casework", facts={**SEED, **{f"satisfactio{k}": "1" for k in range(9_987)}}
    )
    yield "Score: 10,000 facts, 9,988 unknown", lambda: stub.Score(unknown, timeout=60)
    long_texts = pb.ScoreRequest(rubric="wuping.casework", facts={k: "9" * 200 for k in SEED})
    yield "Score: every fact 200 characters", lambda: stub.Score(long_texts, timeout=60)
    schemes = [pb.Scheme(name=f"s{k}", rubrics=[pb.RubricRef(rubric="wuping.casework")]) for k in range(16)]
    empty = [pb.CompareRecord(id=str(k)) for k in range(10_000)]
    compare = [pb.CompareRequest(setup=pb.CompareSetup(schemes=schemes), records=empty)]
    yield "Compare: 10,000 empty records x 16 schemes", lambda: list(stub.Compare(iter(compare), timeout=120))
    huge = pb.ScoreRequest(rubric="x" * 2_500_000, facts={f"f{k}": "1" for k in range(9_000)})
    yield "ScoreStream: a record with a 2.5 MB rubric id", lambda: list(stub.ScoreStream(iter([huge]), timeout=60))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="requests of each kind (the median is shown)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        server = Server(Path(scratch))
        try:
            options = [("grpc.max_send_message_length", 8 << 20), ("grpc.max_receive_message_length", 64 << 20)]
            with grpc.insecure_channel(server.target, options=options) as channel:
                stub = pb_grpc.RubricServiceStub(channel)
                rows = []
                for name, call in cases(stub):
                    costs, status = [], ""
                    for _ in range(args.repeat):
                        before = server.cpu_seconds()
                        status = _status(call)
                        time.sleep(0.05)  # let the server finish writing its log line
                        calls = BASELINE_CALLS if name.startswith("Score (baseline") else 1
                        costs.append((server.cpu_seconds() - before) / calls)
                    rows.append((name, sorted(costs)[len(costs) // 2] * 1000, status))
        finally:
            server.stop()
    baseline = rows[0][1] or 1000 / TICKS / BASELINE_CALLS
    width = max(len(name) for name, _, _ in rows)
    print(f"{'request':<{width}}  server CPU ms  x Score  status")
    for name, ms, status in rows:
        print(f"{name:<{width}}  {ms:13.2f}  {ms / baseline:7.0f}  {status}")
    print(f"(CPU time from /proc in {1000 / TICKS:.0f} ms ticks, median of {args.repeat}; the same run's Score is 1x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
