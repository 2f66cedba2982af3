"""Every leaf rule kind, scored: one table of (rule, inputs, facts) → points and explanation."""

from __future__ import annotations

from decimal import Decimal

import pytest

import rubric_dsl
from tests.conftest import compile_text, one_indicator

BANDS = """bands rate {
      [95%, ∞)   5
      [90%, 95%) 4
      [0%, 90%)  0
    }"""
RATE = 'input rate percent "执行率" range 0% .. 100%'
COUNT = 'input n count "人数"'

CASES = [
    # id, rule, inputs, weight, facts, points, explanation fragment
    ("bands-top", BANDS, RATE, "5", {"rate": "100"}, "5", "执行率 100% ∈ [95%, ∞) → 5"),
    ("bands-edge-closed", BANDS, RATE, "5", {"rate": "95"}, "5", "∈ [95%, ∞)"),
    ("bands-edge-open", BANDS, RATE, "5", {"rate": "94.99"}, "4", "∈ [90%, 95%)"),
    ("bands-bottom", BANDS, RATE, "5", {"rate": "0"}, "0", "∈ [0%, 90%)"),
    ("bands-otherwise", "bands rate { [95%, ∞) 5  otherwise 1 }", RATE, "5", {"rate": "3"}, "1", "otherwise 1"),
    ("checklist-clean", "checklist n deduct 1 each", COUNT, "5", {"n": "0"}, "5", "0 failed items → 5"),
    ("checklist-deduct", "checklist n deduct 2 each", COUNT, "8", {"n": "3"}, "2", "3 failed × 2 → 8 − 6 = 2"),
    ("checklist-floor", "checklist n deduct 2 each", COUNT, "8", {"n": "5"}, "0", "< 0 → 0"),
    (
        "checklist-serious",
        "checklist n deduct 1 each, zero when bad",
        f'{COUNT}\n input bad flag "严重"',
        "5",
        {"n": "0", "bad": "true"},
        "0",
        "serious non-compliance",
    ),
    ("steps-within", "steps n above 70 deduct 1 per 5 whole", COUNT, "15", {"n": "70"}, "15", "70 ≤ 70 → 15"),
    ("steps-whole-74", "steps n above 70 deduct 1 per 5 whole", COUNT, "15", {"n": "74"}, "15", "0 whole steps"),
    ("steps-whole-75", "steps n above 70 deduct 1 per 5 whole", COUNT, "15", {"n": "75"}, "14", "1 whole step"),
    ("steps-started-71", "steps n above 70 deduct 1 per 5 started", COUNT, "15", {"n": "71"}, "14", "1 started step"),
    ("steps-floor", "steps n above 70 deduct 1 per 5 whole", COUNT, "15", {"n": "1000"}, "0", "< 0 → 0"),
    (
        "steps-below",
        "steps rate below 95% deduct 1 per 1% started",
        RATE,
        "5",
        {"rate": "92.5"},
        "2",
        "3 started steps of 1%",
    ),
    ("proportional", "proportional rate", RATE, "3", {"rate": "50"}, "1.5", "3 × (执行率 = 50%) = 1.5"),
    ("proportional-capped", "proportional n / 10", COUNT, "15", {"n": "12"}, "15", "capped at 15"),
    ("linear-inside", "linear x from 0 to 20", 'input x number "减少数"', "2.5", {"x": "18"}, "2.3", "2.25 → 2.3"),
    ("linear-below", "linear x from 0 to 20", 'input x number "减少数"', "2.5", {"x": "-3"}, "0", "≤ 0 → 0"),
    ("linear-above", "linear x from 0 to 20", 'input x number "减少数"', "2.5", {"x": "25"}, "2.5", "≥ 20 → 2.5"),
    ("linear-falling", "linear x from 10 to 0", 'input x number "差错"', "4", {"x": "5"}, "2", "linear from 4 to 0"),
    (
        "linear-points",
        "linear rate { 50% -> 0  80% -> 6  100% -> 10 }",
        RATE,
        "10",
        {"rate": "90"},
        "8",
        "linear from 6 to 10",
    ),
    ("target-met", "target rate >= 95%", RATE, "10", {"rate": "96"}, "10", "meets target >= 95%"),
    ("target-missed", "target rate >= 95%", RATE, "10", {"rate": "60"}, "0", "misses target >= 95%"),
    ("target-proportional", "target rate >= 80% proportional", RATE, "10", {"rate": "60"}, "7.5", "10 × 60% / 80%"),
    (
        "target-lower-better",
        "target cost <= 40000 proportional",
        'input cost money "人均经费"',
        "10",
        {"cost": "50000"},
        "8",
        "10 × 40000 / 50000",
    ),
    ("target-equal", "target n == 20", COUNT, "5", {"n": "20"}, "5", "meets target == 20"),
    (
        "target-strictly-below",
        "target cost < 40000 proportional",
        'input cost money "人均经费"',
        "10",
        {"cost": "40000"},
        "10",
        "10 × 40000 / 40000",
    ),
    ("target-strictly-above", "target n > 20", COUNT, "5", {"n": "20"}, "0", "misses target > 20"),
    (
        "judged",
        "judged panel",
        'input panel number "评价组打分"',
        "5",
        {"panel": "4.5"},
        "4.5",
        "judged by the evaluation group",
    ),
    ("formula", "points 2 * n - 1", COUNT, "10", {"n": "3"}, "5", "2 * n - 1 = 5"),
    ("formula-raised", "points 2 * n - 10", COUNT, "10", {"n": "3"}, "0", "raised to 0"),
    ("formula-capped", "points 2 * n", COUNT, "10", {"n": "30"}, "10", "capped at 10"),
    (
        "conditional-when",
        "when n == 0 => points 0\n otherwise => proportional 1",
        COUNT,
        "4",
        {"n": "0"},
        "0",
        "when n == 0",
    ),
    (
        "conditional-otherwise",
        "when n == 0 => points 0\n otherwise => proportional 1",
        COUNT,
        "4",
        {"n": "2"},
        "4",
        "otherwise",
    ),
    (
        "conditional-nested",
        "when n > 5 => { when n > 10 => points 1 otherwise => points 2 }\n otherwise => points 3",
        COUNT,
        "4",
        {"n": "7"},
        "2",
        "when n > 5: otherwise",
    ),
    (
        "let-and-if",
        "points if fast and n >= 2 then half * 2 else 0",
        f'{COUNT}\n input fast flag "快"',
        "10",
        {"n": "4", "fast": "true"},
        "4",
        "= 4",
    ),
]


@pytest.mark.parametrize(
    ("rule", "inputs", "weight", "facts", "points", "explanation"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_rule(rule: str, inputs: str, weight: str, facts: dict[str, str], points: str, explanation: str) -> None:
    extra = "let half = n / 2" if "half" in rule else ""
    rubric = compile_text(one_indicator(rule, inputs, weight, extra + "\n round indicator 0.1 half_up"))
    result = rubric.score(facts)
    indicator = result.indicators[0]
    assert indicator.points == Decimal(points)
    assert explanation in indicator.explanation
    assert result.total == indicator.points


def test_every_rule_kind_is_covered_by_the_table() -> None:
    kinds = {"bands", "checklist", "steps", "proportional", "linear", "target", "judged", "formula", "conditional"}
    covered = {
        compile_text(one_indicator(c[1], c[2], c[3], "let half = n / 2" if "half" in c[1] else "")).indicators[0].rule
        for c in CASES
    }
    assert covered == kinds


def test_judged_score_outside_the_weight_is_refused() -> None:
    rubric = compile_text(one_indicator("judged panel", 'input panel number "评价组打分"', "5"))
    with pytest.raises(rubric_dsl.InvalidFacts) as refused:
        rubric.score({"panel": "6"})
    assert refused.value.problems[0].fact == "panel"
    assert "0..5" in refused.value.problems[0].message


def test_division_by_zero_names_the_indicator() -> None:
    rubric = compile_text(
        one_indicator("proportional done / planned", 'input done count "完成"\n input planned count "计划"')
    )
    with pytest.raises(rubric_dsl.EvaluationError) as failed:
        rubric.score({"done": "3", "planned": "0"})
    assert failed.value.indicator == "it"
    assert "division by zero" in str(failed.value)
    assert failed.value.text("zh") == (
        "评分规则 test.one：指标“指标”：按这些事实出现除数为零；请在评分规则中为除数为零的情形另设得分"
    )


def test_scoring_ignores_the_callers_decimal_context() -> None:
    import decimal

    rubric = compile_text(one_indicator("linear x from 0 to 3", 'input x number "x"', "10"))
    with decimal.localcontext(decimal.Context(prec=2, rounding=decimal.ROUND_FLOOR)):
        points = rubric.score({"x": "1"}).indicators[0].points
    assert points == Decimal("3.33")


TIERED = one_indicator(
    'judged q tiers q_tier {\n "达成" 80% .. 100%\n "部分达成" 60% .. 80%\n "未达成" 0% .. 60%\n }',
    'input q number "评价组打分"\n input q_tier choice("达成", "部分达成", "未达成") "达成情况"',
    "4",
)


@pytest.mark.parametrize(
    ("score", "tier", "points"), [("3.5", "达成", "3.5"), ("3.2", "部分达成", "3.2"), ("0", "未达成", "0")]
)
def test_judged_score_in_its_tier(score: str, tier: str, points: str) -> None:
    result = compile_text(TIERED).score({"q": score, "q_tier": tier})
    assert result.total == Decimal(points)
    assert f"tier {tier}" in result.indicators[0].explanation


@pytest.mark.parametrize(("score", "tier"), [("3.5", "未达成"), ("2", "部分达成"), ("3.1", "达成")])
def test_judged_score_outside_its_tier_is_refused(score: str, tier: str) -> None:
    with pytest.raises(rubric_dsl.InvalidFacts) as refused:
        compile_text(TIERED).score({"q": score, "q_tier": tier})
    (problem,) = refused.value.problems
    assert (problem.fact, problem.reason) == ("q", "constraint")
    assert "达成 3.2..4, 部分达成 2.4..3.2, 未达成 0..2.4 points" in problem.message
