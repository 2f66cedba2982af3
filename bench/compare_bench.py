"""Comparison throughput: `rubric compare` on generated records, in one process and with workers.

THE DATA IS SYNTHETIC. A seeded generator writes N project records shaped like 武平县纪委's (half
定额基本业务费-like under `wuping.inspection`, half 办案费-like under `wuping.casework`), with facts
drawn at random around the seed's values: rates, counts, a few failed checklist items, and one record
in a hundred missing a required fact (so the run also reports records it cannot score). No record
is a real project.

Each record is scored under three schemes (A `wuping.*`, the baseline; B `wuping.*.kaiping_scale`;
C `wuping.*.national_weights`), routed by its `rubric` column, so one run makes N × 3 record-rubric
evaluations. The same comparison (`compare.compare`: scoring, per-record differences, statistics) runs
twice in this process: once scored here (`workers=1`), once by a pool of worker processes (one per
core; the time includes starting them). Both must give identical results. Prints evaluations per
second for each and the ratio, and the CPU seconds each side used (on a shared machine the wall time
depends on what else runs). Reading the records from a CSV file and writing the reports are timed
separately: they are not part of the comparison's throughput, but a user waits for them too.

With `--rpc` (the default), the same records are then streamed to the real server (`python -m
rubric_service.server` over the bundled rubrics, in its own process) through `Compare`, in batches of
`--batch` records, under the same schemes; its summaries must equal the in-process ones. It prints
that call's evaluations per second and its ratio to one process in-process, timed in the same run.

    python bench/compare_bench.py [--records 100000] [--workers N] [--no-rpc] [--batch 500]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rubric_dsl import compare  # noqa: E402
from rubric_dsl.compare_report import FORMATS, render, to_dict  # noqa: E402

SCHEMES = ("wuping.*", "wuping.*.kaiping_scale", "wuping.*.national_weights")
COMMON = (
    "execution_rate",
    "completion_rate",
    "quality_rate",
    "on_time",
    "cost_saving_rate",
    "fund_saving_rate",
    "petition_reduction",
    "eight_rules_reduction",
    "mass_corruption_reduction",
    "satisfaction",
)
CHECKLISTS = ("basis", "procedure", "goal_fit", "budgeting", "compliance", "enforcement")
COLUMNS = (
    "project",
    "rubric",
    "funds",
    *COMMON,
    "planned_units",
    "inspected_units",
    "rectified_units",
    "eight_rules_people",
    "mass_corruption_cases",
    *(f"{c}_failed" for c in CHECKLISTS),
)


def rate(rng: random.Random, low: float, high: float) -> str:
    return f"{rng.uniform(low, high):.2f}"


def synthetic_record(rng: random.Random, number: int) -> dict[str, str]:
    """One made-up project, facts as strings the way a CSV file holds them."""
    inspection = number % 2 == 0
    record = {
        "project": f"synthetic-{number:06d}",
        "rubric": "wuping.inspection" if inspection else "wuping.casework",
        "funds": f"{rng.uniform(1, 300):.2f}",
        "execution_rate": rate(rng, 70, 100),
        "completion_rate": rate(rng, 50, 110),
        "quality_rate": rate(rng, 80, 100),
        "on_time": rng.choice(("true", "true", "true", "false")),
        "cost_saving_rate": rate(rng, -5, 15),
        "fund_saving_rate": rate(rng, 0, 8),
        "petition_reduction": str(rng.randint(0, 25)),
        "eight_rules_reduction": str(rng.randint(0, 12)),
        "mass_corruption_reduction": str(rng.randint(0, 12)),
        "satisfaction": rate(rng, 40, 100),
    }
    if inspection:
        planned = rng.randint(10, 30)
        inspected = rng.randint(0, planned + 2)
        record |= {
            "planned_units": str(planned),
            "inspected_units": str(inspected),
            "rectified_units": str(rng.randint(0, inspected)),
        }
    else:
        record |= {"eight_rules_people": str(rng.randint(40, 110)), "mass_corruption_cases": str(rng.randint(10, 90))}
    for checklist in CHECKLISTS:
        if rng.random() < 0.1:
            record[f"{checklist}_failed"] = str(rng.randint(1, 2))
    if rng.random() < 0.01:
        del record["satisfaction"]
    return record


def synthetic_table(records: int, seed: int = 20220101) -> compare.Table:
    rng = random.Random(seed)
    rows = []
    for number in range(records):
        record = synthetic_record(rng, number)
        rows.append(tuple(record.get(c) for c in COLUMNS))
    return compare.Table("<synthetic>", COLUMNS, rows, [f"row {i + 2}" for i in range(records)])


def timed_compare(table: compare.Table, workers: int) -> tuple[float, float, compare.Comparison]:
    """Wall seconds, CPU seconds (this process and its finished workers) and the comparison."""
    schemes, rubrics = compare.load_schemes(SCHEMES, ROOT / "rubrics", mixed=True)
    start, cpu = time.perf_counter(), os.times()
    found = compare.compare(
        schemes, rubrics, table, id_column="project", weight_column="funds", rubric_column="rubric", workers=workers
    )
    wall, after = time.perf_counter() - start, os.times()
    used = sum(after[i] - cpu[i] for i in range(4))  # user, system, children's user, children's system
    return wall, used, found


def report_times(found: compare.Comparison) -> str:
    parts = []
    for form in FORMATS:
        start = time.perf_counter()
        render(found, form)
        parts.append(f"{form} {time.perf_counter() - start:.2f} s")
    return ", ".join(parts)


def csv_read_time(table: compare.Table) -> float:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "synthetic.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(table.columns)
            writer.writerows([["" if c is None else c for c in row] for row in table.rows])
        start = time.perf_counter()
        again = compare.read_table(path)
        elapsed = time.perf_counter() - start
    assert again.rows == table.rows, "the CSV file reads back differently"
    return elapsed


def summary_line(found: compare.Comparison) -> str:
    parts = []
    for index, summary in enumerate(found.summaries):
        grades = " ".join(f"{label}{count}" for label, count in summary.grades)
        parts.append(f"{'ABC'[index]}: mean {summary.mean} weighted {summary.weighted_mean} [{grades}]")
    return "; ".join(parts)


def rpc_compare(table: compare.Table, found: compare.Comparison, batch: int) -> tuple[float, float]:
    """Stream the table through the server's Compare; (wall seconds, server CPU seconds). Checks that the
    summaries equal `found`'s."""
    import grpc
    from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
    from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc

    from rubric_dsl.diagnostics import fmt

    command = [
        sys.executable,
        "-m",
        "rubric_service.server",
        "--rubrics",
        str(ROOT / "rubrics"),
        "--port",
        "0",
        "--processes",
        "1",
    ]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        events = (json.loads(line) for line in server.stdout if line.startswith("{"))
        port = next(e["port"] for e in events if e.get("event") == "serving")
        threading.Thread(target=server.stdout.read, daemon=True).start()  # keep draining its log
        setup = pb.CompareSetup(
            schemes=[
                pb.Scheme(name=s.name, rubrics=[pb.RubricRef(rubric=found.rubrics.compiled[m].id) for m in s.members])
                for s in found.schemes
            ]
        )
        index = {name: i for i, name in enumerate(table.columns)}
        facts = [c for c in table.columns if c not in ("project", "rubric", "funds")]
        records = [
            pb.CompareRecord(
                id=row[index["project"]],
                rubric=row[index["rubric"]],
                weight=row[index["funds"]],
                facts={c: row[index[c]] for c in facts if row[index[c]] is not None},
            )
            for row in table.rows
        ]
        requests = [pb.CompareRequest(records=records[i : i + batch]) for i in range(0, len(records), batch)]
        requests[0].setup.CopyFrom(setup)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.RubricServiceStub(channel)
            cpu_before = _process_cpu(server.pid)
            start = time.perf_counter()
            last = list(stub.Compare(iter(requests), timeout=600))[-1]
            wall = time.perf_counter() - start
            cpu = _process_cpu(server.pid) - cpu_before
        for got, want in zip(last.summaries, found.summaries, strict=True):
            assert (got.scored, got.mean, got.median, got.weighted_mean) == (
                want.scored,
                fmt(want.mean),
                fmt(want.median),
                fmt(want.weighted_mean),
            ), "the service's summary differs from the library's"
            assert [(g.label, g.count) for g in got.grades] == list(want.grades)
        return wall, cpu
    finally:
        server.terminate()
        server.wait(30)


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rpc", action=argparse.BooleanOptionalAction, default=True, help="also time Compare")
    parser.add_argument("--batch", type=int, default=500, help="records per Compare request")
    options = parser.parse_args(argv)
    table = synthetic_table(options.records)
    load = os.getloadavg()[0]
    evaluations = options.records * len(SCHEMES)
    print(f"SYNTHETIC DATA: {options.records:,} generated records (not real projects) × {len(SCHEMES)} schemes")
    print(f"  schemes: {', '.join(SCHEMES)}; cores: {os.cpu_count()}; Python {sys.version.split()[0]}")
    print(f"  reading them back from CSV: {csv_read_time(table):.2f} s")
    single_time, single_cpu, single = timed_compare(table, 1)
    pool_time, pool_cpu, pooled = timed_compare(table, options.workers)
    identical: dict[str, Any] = to_dict(single)
    assert identical == to_dict(pooled), "worker processes gave different results from one process"
    print(f"  {summary_line(single)}")
    print(f"  not scored (missing facts): {sum(s.unscored for s in single.summaries):,} record-scheme pairs")
    print(f"  writing the reports (not timed below): {report_times(single)}")
    print(f"  load average before the timed runs: {load:.2f} (the machine is shared; CPU seconds are per run)")
    for name, wall, cpu in (
        ("one process", single_time, single_cpu),
        (f"{options.workers} workers", pool_time, pool_cpu),
    ):
        print(f"{name:>12}: {wall:6.2f} s  {evaluations / wall:9,.0f} evaluations/s  (CPU {cpu:.2f} s)")
    print(f"ratio (workers / one process): {single_time / pool_time:.2f}×; results identical")
    cores = min(options.workers, os.cpu_count() or 1)
    print(
        f"with {cores} free cores the workers' CPU seconds would allow at most "
        f"{evaluations / (pool_cpu / cores):,.0f} evaluations/s (CPU {pool_cpu:.2f} s / {cores} cores)"
    )
    if options.rpc:
        rpc_time, rpc_cpu = rpc_compare(table, single, options.batch)
        print(
            f"{'Compare RPC':>12}: {rpc_time:6.2f} s  {evaluations / rpc_time:9,.0f} evaluations/s  "
            f"(server CPU {rpc_cpu:.2f} s; {options.batch} records per request; summaries identical)"
        )
        print(f"ratio (Compare RPC / one process in-process): {single_time / rpc_time:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
