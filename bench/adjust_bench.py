"""What bonus/penalty lines, vetoes and caps cost a scoring call: the acceptance rubric of the tests
(3 lines, 5 vetoes/caps, a let reading points) against the same rubric without its lines, vetoes and final
range, timed in the same process, interleaved, the order alternating per round. Prints each round, the
medians and the ratio.

    .venv/bin/python bench/adjust_bench.py [--rounds 21] [--number 2000]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rubric_dsl  # noqa: E402
from tests.test_adjustments import FACTS, SOURCE  # noqa: E402


def stripped(source: str) -> str:
    """The rubric without `final range`, its lines, vetoes and caps: the table alone, graded."""
    text = re.sub(r"\n  final range [^\n]*", "", source)
    start, end = text.index("\n  bonus "), text.index("\n  grades {")
    return text[:start] + "\n" + text[end:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()
    adjusted = rubric_dsl.compile_source(SOURCE, "acceptance.rubric")
    table = rubric_dsl.compile_source(stripped(SOURCE), "table.rubric")
    a, b = adjusted.score(FACTS), table.score(FACTS)
    assert a.points == b.points and a.base_total == b.total == 80 and a.total == 78, (a.total, b.total)
    runs: dict[str, list[float]] = {"with lines and vetoes": [], "table alone": []}
    calls = {"with lines and vetoes": lambda: adjusted.score(FACTS), "table alone": lambda: table.score(FACTS)}
    for call in calls.values():
        timeit.timeit(call, number=args.number // 4)  # warm-up
    for round_number in range(args.rounds):
        order = list(calls) if round_number % 2 == 0 else list(reversed(calls))
        for name in order:
            runs[name].append(timeit.timeit(calls[name], number=args.number) / args.number * 1e6)
        print(f"round {round_number + 1}: " + "  ".join(f"{n} {runs[n][-1]:.1f} µs" for n in calls))
    medians = {name: statistics.median(times) for name, times in runs.items()}
    for name, median in medians.items():
        print(f"median {name}: {median:.1f} µs")
    print(f"ratio with/without: {medians['with lines and vetoes'] / medians['table alone']:.2f}")


if __name__ == "__main__":
    main()
