"""Streaming compare: peak memory flat in the number of records, and throughput with 1 and 2 workers.

THE DATA IS SYNTHETIC: `compare_bench.synthetic_record` (武平-shaped projects, half under
`wuping.inspection`, half under `wuping.casework`, one in a hundred missing a required fact), written
once per size to a Parquet file of string columns (as a CSV would hold them), in batches.

Each run is `rubric_dsl.compare.stream.compare_file` (what `rubric compare --records-out` runs) in a
fresh Python process: the records under three schemes (A `wuping.*`, B `wuping.*.kaiping_scale`,
C `wuping.*.national_weights`), per-record results written to a Parquet file. That process reports
its wall seconds and the peak RSS of itself and of its largest worker (`getrusage`: the high-water
mark, not a sample). Every size runs with 1 worker; the largest also with 2. Printed: evaluations
(records × 3) per second, peak RSS per size, the ratio of each peak to the smallest size's, the ratio
of 2 workers' throughput to 1 worker's, all measured in this run. The per-record results of the 1-
and 2-worker runs of the largest size must be identical (compared batch by batch).

    python bench/stream_bench.py [--sizes 10000,100000,1000000] [--batch 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from compare_bench import COLUMNS, SCHEMES, synthetic_record  # noqa: E402

CHILD = """
import json, os, resource, sys, time
from rubric_dsl.compare import load_schemes
from rubric_dsl.compare.stream import compare_file
data, out, workers, batch, rubrics = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
schemes, found = load_schemes(json.loads(sys.argv[6]), rubrics, mixed=True)
start, cpu = time.perf_counter(), os.times()
comparison = compare_file(schemes, found, data, id_column="project", weight_column="funds", rubric_column="rubric",
                          records_out=out, workers=workers, batch_size=batch)
wall, after = time.perf_counter() - start, os.times()
summary = [(str(s.mean), str(s.median), str(s.weighted_mean), s.grades) for s in comparison.summaries]
print(json.dumps({"wall": wall, "cpu": sum(after[i] - cpu[i] for i in range(4)), "summary": summary,
                  "arrow_peak_kib": __import__("pyarrow").default_memory_pool().max_memory() // 1024,
                  "self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "worker_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def generate(path: Path, records: int, seed: int = 20220101) -> None:
    rng = random.Random(seed)
    schema = pa.schema([(c, pa.string()) for c in COLUMNS])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, records, 50_000):
            rows = [synthetic_record(rng, n) for n in range(start, min(records, start + 50_000))]
            writer.write_table(pa.table({c: [r.get(c) for r in rows] for c in COLUMNS}, schema=schema))


def run(data: Path, out: Path, workers: int, batch: int) -> dict[str, object]:
    schemes = json.dumps(SCHEMES)
    found = subprocess.run(
        [sys.executable, "-c", CHILD, str(data), str(out), str(workers), str(batch), str(ROOT / "rubrics"), schemes],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(found.stdout)  # type: ignore[no-any-return]


def same_results(first: Path, second: Path) -> bool:
    a, b = pq.ParquetFile(first), pq.ParquetFile(second)
    if a.metadata.num_rows != b.metadata.num_rows:
        return False
    return all(x.equals(y) for x, y in zip(a.iter_batches(100_000), b.iter_batches(100_000), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument(
        "--two-workers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the largest size with 2 workers (and compare their results with 1 worker's)",
    )
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = []
        for size in sizes:
            data = folder / f"records-{size}.parquet"
            start = time.perf_counter()
            generate(data, size)
            print(f"generated {size:,} records in {time.perf_counter() - start:.1f}s", file=sys.stderr)
            found = run(data, folder / f"out-{size}-1.parquet", 1, options.batch)
            rows.append((size, 1, found))
            print(f"{size:,} records, 1 worker: {found}", file=sys.stderr)
        largest = sizes[-1]
        one = next(r for s, w, r in rows if s == largest and w == 1)
        two: dict[str, object] | None = None
        if options.two_workers:
            data = folder / f"records-{largest}.parquet"
            two = run(data, folder / f"out-{largest}-2.parquet", 2, options.batch)
            rows.append((largest, 2, two))
            identical = same_results(folder / f"out-{largest}-1.parquet", folder / f"out-{largest}-2.parquet")
            assert one["summary"] == two["summary"], "1 and 2 workers gave different summaries"
    base = max(int(rows[0][2]["self_kib"]), int(rows[0][2]["worker_kib"]))  # type: ignore[call-overload]
    print(
        f"{'records':>12} {'workers':>7} {'evals/s':>10} {'wall s':>8} {'CPU s':>8} {'evals/CPU s':>11} "
        f"{'peak RSS MiB':>13} {'× smallest':>10}"
    )
    for size, workers, found in rows:
        peak = max(int(found["self_kib"]), int(found["worker_kib"]))  # type: ignore[call-overload]
        rate = size * len(SCHEMES) / float(found["wall"])  # type: ignore[arg-type]
        print(
            f"{size:>12,} {workers:>7} {rate:>10,.0f} {float(found['wall']):>8.1f} "  # type: ignore[arg-type]
            f"{float(found['cpu']):>8.1f} {size * len(SCHEMES) / float(found['cpu']):>11,.0f} "  # type: ignore[arg-type]
            f"{peak / 1024:>13.1f} {peak / base:>10.2f}"
        )
    if two is not None:
        ratio = float(one["wall"]) / float(two["wall"])  # type: ignore[arg-type]
        print(f"2 workers / 1 worker throughput (wall) at {largest:,} records: {ratio:.2f}×")
        print(f"per-record results of 1 and 2 workers identical: {identical}")
    print(f"load average after the runs (other processes share these cores): {os.getloadavg()}")


if __name__ == "__main__":
    main()
