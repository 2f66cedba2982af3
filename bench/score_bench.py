"""Scoring speed: the compiled `wuping.casework` rubric against a hand-written Python function.

Both score the seed facts of 武平县纪委 上年办案费补助 (94.6 优), given as strings the way a
service receives them. The hand-written baseline applies the same rules with `Decimal` in
straight-line code and validates nothing; the compiled `score()` also validates every fact
(types, ranges, unknown names), scores in its own decimal context whatever the caller's, and
keeps what each explanation needs; a ratio at or below 1.0 means all that costs nothing net.

Start-up checks: both sides give 94.6 优 and the same points; other spellings of the same facts
score the same; bad facts are all named; a hostile caller context (1 digit, no traps) changes
nothing. Then both run in one process, interleaved in every round (the order alternates), each
for a fixed number of calls after a warm-up; the medians over the rounds give the ratio.

    python bench/score_bench.py [--rounds N] [--number N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit
from collections.abc import Callable, Mapping
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, getcontext, localcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rubric_dsl  # noqa: E402

SEED_FACTS = {
    "execution_rate": "100",
    "completion_rate": "100",
    "quality_rate": "100",
    "on_time": "true",
    "cost_saving_rate": "0",
    "fund_saving_rate": "0",
    "petition_reduction": "18",
    "eight_rules_reduction": "8",
    "mass_corruption_reduction": "10",
    "satisfaction": "98.02",
    "eight_rules_people": "62",
    "mass_corruption_cases": "23",
}
EXPECTED_TOTAL, EXPECTED_GRADE = Decimal("94.6"), "优"

# --- the hand-written baseline ----------------------------------------------------------------
# What a careful programmer would write for this one rubric, for speed: module constants, one
# straight line per rule, no helper calls, Decimal throughout, each indicator rounded 0.1 half-up.
# An omitted checklist fact means its default (nothing failed, nothing serious). No validation.

TENTH, HALF_UP = Decimal("0.1"), ROUND_HALF_UP
HUNDREDTH = Decimal("0.01")  # percent points → ratio: `x * HUNDREDTH` is exactly `x / 100`, cheaper
D0, D1, D2, D3, D4, D5, D8, D10, D15 = map(Decimal, (0, 1, 2, 3, 4, 5, 8, 10, 15))
D2_5, D20, D60, D70 = Decimal("2.5"), Decimal(20), Decimal(60), Decimal(70)
P5, P10, P50, P75, P80, P85, P90, P95 = (Decimal(p) / 100 for p in (5, 10, 50, 75, 80, 85, 90, 95))
ORDER = (  # indicator ids in rubric order, as the compiled rubric reports them
    "basis", "procedure", "goal_fit", "goal_clarity", "budgeting", "allocation", "execution", "compliance",
    "regulations", "enforcement", "completion", "quality", "timeliness", "cost_saving", "eight_rules_people",
    "mass_corruption_cases", "fund_saving", "petition", "eight_rules", "mass_corruption", "public_satisfaction",
)  # fmt: skip


def handwritten(facts: Mapping[str, str]) -> tuple[Decimal, str, dict[str, Decimal]]:
    """The casework rubric by hand: same rules, same rounding, no validation."""
    get = facts.get
    execution = Decimal(facts["execution_rate"]) * HUNDREDTH
    completion = Decimal(facts["completion_rate"]) * HUNDREDTH
    quality = Decimal(facts["quality_rate"]) * HUNDREDTH
    cost = Decimal(facts["cost_saving_rate"]) * HUNDREDTH
    fund = Decimal(facts["fund_saving_rate"]) * HUNDREDTH
    satisfaction = Decimal(facts["satisfaction"]) * HUNDREDTH
    petition = Decimal(facts["petition_reduction"])
    eight_rules = Decimal(facts["eight_rules_reduction"])
    mass_corruption = Decimal(facts["mass_corruption_reduction"])
    people_over = Decimal(facts["eight_rules_people"]) - D70  # steps: 1 point off per whole 5 above
    cases_over = Decimal(facts["mass_corruption_cases"]) - D60
    raw = (
        D0 if get("basis_serious") == "true" else
        D5 if (n := get("basis_failed")) is None else max(D0, D5 - Decimal(n)),
        D0 if get("procedure_serious") == "true" else
        D3 if (n := get("procedure_failed")) is None else max(D0, D3 - Decimal(n)),
        D0 if get("goal_fit_serious") == "true" else
        D4 if (n := get("goal_fit_failed")) is None else max(D0, D4 - Decimal(n)),
        D0 if get("goal_clarity_serious") == "true" else
        D3 if (n := get("goal_clarity_failed")) is None else max(D0, D3 - Decimal(n)),
        D0 if get("budgeting_serious") == "true" else
        D4 if (n := get("budgeting_failed")) is None else max(D0, D4 - Decimal(n)),
        D0 if get("allocation_serious") == "true" else
        D2 if (n := get("allocation_failed")) is None else max(D0, D2 - Decimal(n)),
        D5 if execution >= P95 else D4 if execution >= P90 else D3 if execution >= P85 else
        D2 if execution >= P80 else D1 if execution >= P75 else D0,
        D0 if get("compliance_serious") == "true" else
        D8 if (n := get("compliance_failed")) is None else max(D0, D8 - D2 * Decimal(n)),
        D0 if get("regulations_serious") == "true" else
        D2 if (n := get("regulations_failed")) is None else max(D0, D2 - Decimal(n)),
        D0 if get("enforcement_serious") == "true" else
        D4 if (n := get("enforcement_failed")) is None else max(D0, D4 - Decimal(n)),
        D3 if completion >= P95 else D2 if completion >= P90 else D1 if completion >= P85 else D0,
        min(D3, max(D0, D3 * quality)),
        D2 if facts["on_time"] == "true" else D0,
        D2 if cost >= P10 else D1 if cost >= P5 else D0,
        D15 if people_over <= D0 else max(D0, D15 - people_over // D5),
        D15 if cases_over <= D0 else max(D0, D15 - cases_over // D5),
        D0 if fund <= D0 else D2_5 if fund >= P5 else D2_5 * fund / P5,
        D0 if petition <= D0 else D2_5 if petition >= D20 else D2_5 * petition / D20,
        D0 if eight_rules <= D0 else D2_5 if eight_rules >= D10 else D2_5 * eight_rules / D10,
        D0 if mass_corruption <= D0 else D2_5 if mass_corruption >= D10 else D2_5 * mass_corruption / D10,
        D0 if satisfaction <= P50 else min(D10, max(D0, D10 * satisfaction)),
    )  # fmt: skip
    rounded = [p.quantize(TENTH, HALF_UP) for p in raw]
    total = sum(rounded, D0)
    grade = "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"
    return total, grade, dict(zip(ORDER, rounded, strict=True))


# --- checks at start-up -------------------------------------------------------------------------


def compiled_scorer() -> Callable[[Mapping[str, Any]], Any]:
    return rubric_dsl.load_dir(ROOT / "rubrics")["wuping.casework"].score


def check_agreement(score: Callable[[Mapping[str, Any]], Any]) -> None:
    """Both sides give 94.6 优 and the same points, so the baseline cannot drift from the rubric."""
    total, grade, points = handwritten(SEED_FACTS)
    result = score(SEED_FACTS)
    assert (total, grade) == (EXPECTED_TOTAL, EXPECTED_GRADE), (total, grade)
    assert (result.total, result.grade) == (EXPECTED_TOTAL, EXPECTED_GRADE), (result.total, result.grade)
    assert result.points == points, (result.points, points)
    assert tuple(result.points) == ORDER
    # the same facts spelled otherwise take the validator's path, and must score the same
    spelled = {**SEED_FACTS, "satisfaction": "98.02%", "on_time": True, "eight_rules_people": 62, "basis_failed": "0"}
    assert score(spelled).points == points


BAD_FACTS = {**SEED_FACTS, "satisfaction": "9802", "petition_reduction": "many", "on_time": "maybe", "colour": "red"}
del BAD_FACTS["mass_corruption_cases"]
BAD_FACTS_PROBLEMS = {
    ("satisfaction", "out_of_range"),
    ("petition_reduction", "wrong_type"),
    ("on_time", "wrong_type"),
    ("mass_corruption_cases", "missing"),
    ("colour", "unknown"),
}


def problems(score: Callable[[Mapping[str, Any]], Any], facts: Mapping[str, Any]) -> set[tuple[str, str]]:
    try:
        score(facts)
    except rubric_dsl.InvalidFacts as error:
        return {(p.fact, p.reason) for p in error.problems}
    raise AssertionError("bad facts were scored")


def check_bad_facts(score: Callable[[Mapping[str, Any]], Any]) -> None:
    """Every bad fact is named, each with its reason."""
    assert problems(score, BAD_FACTS) == BAD_FACTS_PROBLEMS, problems(score, BAD_FACTS)


def check_caller_context(score: Callable[[Mapping[str, Any]], Any]) -> None:
    """A caller's thread context (1 digit, rounding down, no traps) changes nothing, and is left as it was."""
    expected = score(SEED_FACTS).points
    with localcontext() as caller:
        caller.prec, caller.rounding, caller.traps = 1, ROUND_DOWN, dict.fromkeys(caller.traps, False)
        before = (caller.prec, caller.rounding, dict(caller.traps), dict(caller.flags))
        result = score(SEED_FACTS)
        bad = problems(score, BAD_FACTS)
        after = (caller.prec, caller.rounding, dict(caller.traps), dict(caller.flags))
        assert after == before and getcontext() is caller, "scoring changed the caller's context"
    assert (result.total, result.grade, result.points) == (EXPECTED_TOTAL, EXPECTED_GRADE, expected), result.total
    assert bad == BAD_FACTS_PROBLEMS, bad


# --- timing -------------------------------------------------------------------------------------


def measure(rounds: int, number: int, score: Callable[[Mapping[str, Any]], Any]) -> None:
    facts = dict(SEED_FACTS)
    sides = {"compiled": lambda: score(facts), "handwritten": lambda: handwritten(facts)}
    times: dict[str, list[float]] = {name: [] for name in sides}
    for side in sides.values():
        timeit.timeit(side, number=number)  # warm-up
    print(f"Python {sys.version.split()[0]}; {rounds} rounds × {number} calls each; µs per call")
    print(f"{'round':>5}  {'compiled':>9}  {'handwritten':>11}  {'ratio':>6}")
    for r in range(rounds):
        order = list(sides) if r % 2 == 0 else list(reversed(sides))
        for name in order:
            times[name].append(timeit.timeit(sides[name], number=number) / number * 1e6)
        ours, theirs = times["compiled"][-1], times["handwritten"][-1]
        print(f"{r + 1:>5}  {ours:>9.2f}  {theirs:>11.2f}  {ours / theirs:>6.3f}")
    ours, theirs = statistics.median(times["compiled"]), statistics.median(times["handwritten"])
    ratios = [c / h for c, h in zip(times["compiled"], times["handwritten"], strict=True)]
    print(f"median  {ours:>9.2f}  {theirs:>11.2f}")
    per_round = statistics.median(ratios)
    print(f"ratio compiled/handwritten: {ours / theirs:.3f} (of the medians; median per-round ratio {per_round:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="timed rounds (default 21)")
    parser.add_argument("--number", type=int, default=1000, help="calls per side per round (default 1000)")
    args = parser.parse_args()
    score = compiled_scorer()
    check_agreement(score)
    check_bad_facts(score)
    check_caller_context(score)
    print("start-up checks passed: 94.6 优 on both sides, same points; bad facts named; caller context ignored")
    measure(args.rounds, args.number, score)


if __name__ == "__main__":
    main()
