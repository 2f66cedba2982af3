"""What a list of records costs: scoring `demo.department` (tests/testdata/records) at the documented
bound of 2,000 projects, against a plain Python computation of the same aggregates timed in the same run.

Three ways, interleaved in every round (the order alternates):

- **typed**: `score({"projects": [dict, …], "rate_all": "90"})`, the list as a facts JSON file or
  `typed_facts` gives it: every field of every record read and checked (kind, range, unknown names);
- **json text**: the same list as one JSON string (as string `facts` give it): parsed, then read the same way;
- **plain**: a hand-written loop over the same dicts computing count, count where, and the funds-weighted
  mean of the key projects with `Decimal`, validating nothing: the floor the engine is measured against.

At start-up it checks that the three agree on the aggregates (so the baseline cannot drift) and prints
the medians in milliseconds and the ratios to plain.

    python bench/records_bench.py [--rounds 11] [--records 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rubric_dsl  # noqa: E402
from rubric_dsl.codegen import CONTEXT  # noqa: E402

RUBRIC = ROOT / "tests" / "testdata" / "records" / "department.rubric"


def projects(n: int) -> list[dict[str, Any]]:
    return [
        {
            "funds": f"{(i * 37) % 1000 + 0.5}",
            "self_evaluated": i % 3 != 0,
            "key": i % 4 == 0,
            "score": f"{60 + i % 40}.5",
        }
        for i in range(n)
    ]


def plain(records: list[dict[str, Any]]) -> tuple[Decimal, Decimal]:
    """Coverage and the key projects' weighted mean, validating nothing."""
    with localcontext(CONTEXT):
        n = evaluated = 0
        total = weights = Decimal(0)
        for r in records:
            n += 1
            evaluated += bool(r["self_evaluated"])
            if r.get("key"):
                funds = Decimal(r["funds"])
                total += Decimal(r["score"]) * funds
                weights += funds
        return Decimal(evaluated) / Decimal(n), total / weights


def timed(call: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - start) / number * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--number", type=int, default=5)
    args = parser.parse_args()
    rubric = rubric_dsl.compile_file(RUBRIC)
    records = projects(args.records)
    text = json.dumps(records)
    coverage, weighted = plain(records)
    for facts in ({"projects": records, "rate_all": "90"}, {"projects": text, "rate_all": "90"}):
        result = rubric.score(facts)
        shown = [i.explanation for i in result.indicators]
        assert result.records[0][-1][1] == coverage, (result.records[0], coverage)  # (clause, ratio, raw)
        assert result.records[1][-1][-1] == weighted, (result.records[1], weighted)  # (clause, row, value)
        assert shown
    ways: dict[str, Callable[[], Any]] = {
        "typed": lambda: rubric.score({"projects": records, "rate_all": "90"}),
        "json text": lambda: rubric.score({"projects": text, "rate_all": "90"}),
        "plain": lambda: plain(records),
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    for k in range(args.rounds):
        order = list(ways) if k % 2 == 0 else list(reversed(ways))
        row = {name: timed(ways[name], args.number) for name in order}
        for name, ms in row.items():
            times[name].append(ms)
        print(f"round {k + 1:2}: " + "  ".join(f"{name} {ms:7.2f} ms" for name, ms in row.items()))
    medians = {name: statistics.median(ms) for name, ms in times.items()}
    print(f"\n{args.records} records, medians of {args.rounds} rounds:")
    for name, ms in medians.items():
        print(f"  {name:10} {ms:8.2f} ms   ratio to plain {ms / medians['plain']:5.2f}")


if __name__ == "__main__":
    main()
