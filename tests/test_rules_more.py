"""The rules of issue 11 (docs/rules-more.md): expert ranges chosen by a measurement (`judged … by`),
judged tiers in points, pro-rata steps, ratios of two amounts, targets at or below 0, readable numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rubric_dsl
from rubric_dsl.coverage import Coverage
from rubric_dsl.errors import InvalidFacts
from rubric_dsl.formatter import format_source
from rubric_dsl.wording import readable
from tests.conftest import compile_text, one_indicator

RATE = 'input rate percent "完成率" range 0% .. 100%'

# --- judged … by: the measure picks the range -------------------------------------------------------

JUDGED_BY = """judged quality_score by rate {
      [90%, ∞)   16 .. 20
      [70%, 90%) 10 .. 15
      otherwise  0 .. 9
    }"""
JUDGED_INPUTS = f'{RATE}\n  input quality_score number "质量评分"'
RANGES = [
    ((Decimal("0.9"), None), (16, 20)),
    ((Decimal("0.7"), Decimal("0.9")), (10, 15)),
    ((None, Decimal("0.7")), (0, 9)),
]


def _expected_range(rate: Decimal) -> tuple[int, int]:
    for (low, high), points in RANGES:
        if (low is None or rate >= low) and (high is None or rate < high):
            return points
    raise AssertionError(rate)


@pytest.fixture(scope="module")
def judged_by() -> rubric_dsl.CompiledRubric:
    return compile_text(one_indicator(JUDGED_BY, JUDGED_INPUTS, "20"))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 1000), st.integers(0, 80))
def test_judged_by_accepts_exactly_the_scores_inside_the_picked_range(rate_tenths: int, score_quarters: int) -> None:
    rubric = compile_text(one_indicator(JUDGED_BY, JUDGED_INPUTS, "20"))
    rate, score = Decimal(rate_tenths) / 10, Decimal(score_quarters) / 4
    low, high = _expected_range(rate / 100)
    facts = {"rate": str(rate), "quality_score": str(score)}
    if low <= score <= high:
        result = rubric.score(facts)
        assert result.total == score  # the judged score stands as given (rounded to the cent, as every score)
    else:
        with pytest.raises(InvalidFacts) as refused:
            rubric.score(facts)
        [problem] = refused.value.problems
        assert problem.fact == "quality_score" and problem.reason == "constraint"
        assert f"`quality_score` = {rubric_dsl.diagnostics.fmt(score)}" in problem.message
        assert f"rate = {rubric_dsl.diagnostics.fmt(rate)}%" in problem.message
        assert f"{low}..{high} points" in problem.message
        assert "完成率" in problem.message_zh and f"{low}—{high}分" in problem.message_zh


def test_judged_by_explains_the_range_and_the_score(judged_by: rubric_dsl.CompiledRubric) -> None:
    result = judged_by.score({"rate": "80", "quality_score": "12"})
    [indicator] = result.indicators
    assert indicator.explanation == (
        "完成率 80% ∈ [70%, 90%) → judged by the evaluation group (质量评分) within 10..15 → 12"
    )
    [zh] = result.indicators_in("zh")
    assert zh.explanation == "完成率为80%，属“70%（含）—90%”档，由评价组在10—15分内评定（质量评分），得12分"
    [lost] = result.lost_in("zh")
    assert lost.reason == zh.explanation
    coverage = Coverage(judged_by)
    for facts in ({"rate": "95", "quality_score": "20"}, {"rate": "80", "quality_score": "10"}):
        coverage.add(judged_by.score(facts))
    assert [c.label for c in coverage.missed()] == ["judged by: otherwise"]
    coverage.add(judged_by.score({"rate": "10", "quality_score": "0"}))
    assert coverage.missed() == []


def test_judged_by_refuses_a_score_past_the_weight_before_the_range(judged_by: rubric_dsl.CompiledRubric) -> None:
    with pytest.raises(InvalidFacts) as refused:
        judged_by.score({"rate": "95", "quality_score": "21"})
    assert [p.reason for p in refused.value.problems] == ["out_of_range"]


def test_tiers_may_be_written_in_points() -> None:
    rule = 'judged s tiers tier { "优" 16 .. 20  "良" 12 .. 15  "差" 0 .. 11 }'
    inputs = 'input s number "评分"\n  input tier choice("优", "良", "差") "档次"'
    rubric = compile_text(one_indicator(rule, inputs, "20"))
    assert rubric.score({"s": "13", "tier": "良"}).total == 13
    with pytest.raises(InvalidFacts, match=r"良 12\.\.15"):
        rubric.score({"s": "16", "tier": "良"})


# --- steps … prorata ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10000), st.sampled_from(["0.5", "1", "2", "3"]), st.sampled_from(["0.5", "1", "2"]))
def test_prorata_steps_equal_the_exact_formula(rate_hundredths: int, step: str, deduct: str) -> None:
    rule = f"steps rate below 100% deduct {deduct} per {step}% prorata"
    rubric = compile_text(one_indicator(rule, RATE, "10"))
    rate = Decimal(rate_hundredths) / 100
    exact = Decimal(10) - (Decimal(100) - rate) * Decimal(deduct) / Decimal(step)
    expected = max(exact, Decimal(0)).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    assert rubric.score({"rate": str(rate)}).total == expected


def test_prorata_reads_as_written_and_round_trips() -> None:
    text = one_indicator("steps rate below 100% deduct 1 per 1% prorata", RATE)
    rubric = compile_text(text)
    result = rubric.score({"rate": "99.5"})
    assert result.total == Decimal("9.5")
    assert result.indicators[0].explanation == "完成率 99.5% < 100%: 0.5 steps of 1% pro rata × 1 → 10 − 0.5 = 9.5"
    formatted, problems = format_source(text)
    assert problems == [] and formatted is not None and "per 1% prorata" in formatted
    assert format_source(formatted)[0] == formatted


# --- ratios of two amounts --------------------------------------------------------------------------

MONEY = 'input expense money "支出" unit "万元"\n  input budget money "预算" unit "万元"'


def test_a_ratio_of_two_amounts_compares_with_percents_as_written() -> None:
    rule = "bands expense / budget { [95%, 100%] 5  otherwise 0 }"
    rubric = compile_text(one_indicator(rule, MONEY, "5"))
    assert rubric.score({"expense": "96", "budget": "100"}).total == 5
    assert rubric.score({"expense": "130", "budget": "100"}).total == 0  # 130% is above 100%, not 1.3 ≤ 100
    explanation = rubric.score({"expense": "102", "budget": "99"}).indicators[0].explanation
    assert "103.03%" in explanation


@pytest.mark.parametrize(
    ("rule", "wanted"),
    [
        ("bands expense / budget { [95, ∞) 5  otherwise 0 }", "e.g. `95%`"),
        ("bands expense / budget { [0.95, ∞) 5  otherwise 0 }", "`95%` if the share 0.95 is meant"),
        ("points if expense / budget >= 1.2 then 5 else 0", "write the number as a percent, e.g. `1.2%`"),
    ],
)
def test_a_ratio_compared_with_a_plain_number_is_refused_with_readings_that_are_right(rule: str, wanted: str) -> None:
    messages = [d.message for d in rubric_dsl.check_source(one_indicator(rule, MONEY, "5"), "r.rubric")]
    assert any(wanted in m for m in messages), messages
    assert not any("remove the `%`" in m for m in messages)


def test_min_of_one_and_a_ratio_is_the_whole() -> None:
    rubric = compile_text(one_indicator("proportional min(1, expense / budget)", MONEY, "5"))
    assert rubric.score({"expense": "120", "budget": "100"}).total == 5


def test_numbers_are_shown_at_a_readable_precision() -> None:
    assert readable(Decimal("8.017625")) == "8.017625"
    assert readable(Decimal(1) / 3) == "0.3333"
    assert readable(Decimal(10300) / 99, 2) == "104.04"


# --- targets at or below 0 ------------------------------------------------------------------------------


def test_a_literal_target_at_or_below_zero_with_proportional_credit_is_refused_with_the_rule_to_write() -> None:
    inputs = 'input change percent "三公经费变动率" range -100% .. 100%'
    found = rubric_dsl.check_source(one_indicator("target change <= -30% proportional", inputs, "4"), "r.rubric")
    assert [d.code for d in found] == ["rubric_target_not_positive"]
    fixed = one_indicator("linear change { -30% -> 4  0% -> 0 }", inputs, "4")
    rubric = compile_text(fixed)
    assert [rubric.score({"change": c}).total for c in ("-40", "-30", "-15", "0", "20")] == [4, 4, 2, 0, 0]


@pytest.mark.parametrize("op", ["<=", ">="])
def test_a_target_known_at_scoring_time_never_divides_by_zero(op: str) -> None:
    inputs = 'input actual number "实际"\n  input goal number "目标"'
    rubric = compile_text(one_indicator(f"target actual {op} goal proportional", inputs, "4"))
    for actual, goal in (("0", "-1"), ("1", "0"), ("0", "0"), ("-2", "-1"), ("3", "-5")):
        result = rubric.score({"actual": actual, "goal": goal})
        met = Decimal(actual) <= Decimal(goal) if op == "<=" else Decimal(actual) >= Decimal(goal)
        assert result.total == (4 if met else 0)


# --- not applicable (不适用) --------------------------------------------------------------------------------

NA_TREE = """not_applicable {mode}
  input a_on flag "甲适用"
  input b_on flag "乙适用"
  input s_on flag "部分适用"
  input a percent "甲" range 0% .. 100%
  input b percent "乙" range 0% .. 100%
  input c percent "丙" range 0% .. 100%
  input d percent "丁" range 0% .. 100%
  section part "部分" {part} applicable when s_on {{
    indicator ia "甲" {wa} applicable when a_on {{ proportional a }}
    indicator ib "乙" {wb} applicable when b_on {{ proportional b }}
    indicator ic "丙" {wc} {{ proportional c }}
  }}
  indicator id "丁" {wd} {{ proportional d }}"""


def na_rubric(mode: str, weights: tuple[int, int, int, int], step: str = "0.01") -> str:
    wa, wb, wc, wd = weights
    total = wa + wb + wc + wd
    body = NA_TREE.format(mode=mode, part=wa + wb + wc, wa=wa, wb=wb, wc=wc, wd=wd)
    return f"""rubric test.na "不适用" {{
  version "1"
  total {total}
  round indicator {step} half_up
  {body}
  grades {{ 好 >= {total} 差 otherwise }}
}}"""


@settings(max_examples=120, deadline=None)
@given(
    st.sampled_from(["share", "rescale", "full"]),
    st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9), st.integers(1, 9)),
    st.tuples(st.booleans(), st.booleans(), st.booleans()),
    st.lists(st.integers(0, 10000), min_size=4, max_size=4),
    st.sampled_from(["0.01", "0.1", "1"]),
)
def test_reweighted_parts_add_up(
    mode: str, weights: tuple[int, int, int, int], flags: tuple[bool, bool, bool], rates: list[int], step: str
) -> None:
    rubric = compile_text(na_rubric(mode, weights, step))
    a_on, b_on, s_on = flags
    facts = {"a_on": a_on, "b_on": b_on, "s_on": s_on, "d": str(Decimal(rates[3]) / 100)}
    for name, on, rate in (("a", a_on and s_on, rates[0]), ("b", b_on and s_on, rates[1]), ("c", s_on, rates[2])):
        if on:  # a fact read only by an item that does not apply may be left out
            facts[name] = str(Decimal(rate) / 100)
    result = rubric.score(facts)
    indicators, [part] = result.indicators, result.sections
    total = sum(weights)
    assert sum(i.max_points for i in indicators) == total  # the weights used add up to the total
    assert part.points == sum(i.points for i in indicators[:3])  # a section is the sum of its parts
    assert result.total == sum(i.points for i in indicators)
    assert part.max_points == sum(i.max_points for i in indicators[:3])
    for indicator in indicators:
        assert 0 <= indicator.points <= indicator.max_points
        assert indicator.points == indicator.points.quantize(Decimal(step))  # rounded by the rubric's policy
        if not indicator.applicable:
            assert indicator.max_points == (indicator.weight if mode == "full" else 0)
    if mode == "share" and s_on:
        assert result.sections[0].max_points == weights[0] + weights[1] + weights[2]  # shared within the section
    if all(i.applicable for i in indicators):
        assert [i.max_points for i in indicators] == list(weights)


def test_a_fact_read_by_an_applicable_item_is_still_required() -> None:
    rubric = compile_text(na_rubric("share", (2, 3, 5, 10)))
    facts = {"a_on": True, "b_on": False, "s_on": True, "c": "50", "d": "50"}
    with pytest.raises(InvalidFacts) as refused:
        rubric.score(facts)
    assert [(p.fact, p.reason) for p in refused.value.problems] == [("a", "missing")]
    assert "甲" in refused.value.problems[0].message_zh  # names the item that reads it, as it applies


def test_share_explains_the_weight_used_and_the_json_shows_it() -> None:
    rubric = compile_text(na_rubric("share", (2, 3, 5, 10)))
    result = rubric.score({"a_on": False, "b_on": True, "s_on": True, "b": "100", "c": "100", "d": "50"})
    ia, ib, ic, _ = result.indicators
    assert (ia.max_points, ib.max_points, ic.max_points) == (Decimal(0), Decimal("3.75"), Decimal("6.25"))
    assert ia.explanation == "not applicable: its weight 2 is shared among its siblings"
    assert "re-weighted 3 → 3.75" in ib.explanation
    zh = result.indicators_in("zh")
    assert zh[0].explanation == "不适用，其分值按比例分摊到同级其他指标"
    assert "本项分值由3分按比例分摊为3.75分" in zh[1].explanation
    data = result.to_dict()
    assert data["indicators"][0] | {"explanation": ""} == {
        "id": "ia",
        "label": "甲",
        "points": "0",
        "max_points": "0",
        "explanation": "",
        "applicable": False,
        "weight": "2",
    }


def test_nothing_applicable_is_refused_not_scored_out_of_nothing() -> None:
    text = one_indicator("proportional a", 'input on flag "适用"\n  input a percent "甲"', "5", "not_applicable share")
    text = text.replace('indicator it "指标" 5 {', 'indicator it "指标" 5 applicable when on {')
    rubric = compile_text(text)
    with pytest.raises(rubric_dsl.errors.EvaluationError, match="no indicator is applicable"):
        rubric.score({"on": False})


def test_not_applicable_round_trips_and_covers(tmp_path: object) -> None:
    from pathlib import Path

    source = (Path(__file__).parent / "testdata" / "rules_more" / "procurement.rubric").read_text(encoding="utf-8")
    formatted, problems = format_source(source)
    assert problems == [] and formatted == source
    rubric = compile_text(source)
    coverage = Coverage(rubric)
    base = {"expense": "99", "budget": "100", "completion_rate": "95", "quality_score": "18"}
    coverage.add(rubric.score({**base, "involves_procurement": False}))
    missed = {c.label for c in coverage.missed()}
    assert "procurement not applicable" not in missed and "proportional" in missed
    coverage.add(rubric.score({**base, "involves_procurement": True, "procurement_rate": "80"}))
    assert "proportional" not in {c.label for c in coverage.missed()}


# --- the 评分表 of a rubric with items that do not apply ---------------------------------------------------


def test_the_sheet_shows_the_weights_used_and_what_does_not_apply(tmp_path: object) -> None:
    from pathlib import Path

    import openpyxl

    from rubric_dsl.sheet import render_html, render_markdown, render_xlsx, sheet_table

    source = (Path(__file__).parent / "testdata" / "rules_more" / "procurement.rubric").read_text(encoding="utf-8")
    rubric = compile_text(source)
    facts = {
        "involves_procurement": False,
        "expense": "98.5",
        "budget": "100",
        "completion_rate": "80",
        "quality_score": "12",
    }
    table = sheet_table(rubric, rubric.score(facts))
    rows = {row.indicator: row for row in table.rows}
    procurement, execution = rows["政府采购执行率"], rows["预算执行率"]
    assert (procurement.weight, procurement.points, procurement.reason) == (0, 0, "不适用")
    assert "适用条件：“是否涉及政府采购”；不适用时该项分值按比例分摊到同级其他指标" in procurement.criteria
    assert (execution.weight, execution.points) == (20, 18)
    assert execution.reason.startswith("扣2分：") and execution.reason.endswith("（分值按不适用项调整为20分）")
    markdown = render_markdown(table)
    assert "| 过程（20分） | 政府采购执行率 | 0 |" in markdown
    assert "不适用" in render_html(table)
    path = Path(str(tmp_path)) / "sheet.xlsx"
    render_xlsx(table, path)
    values = openpyxl.load_workbook(path, data_only=True).active
    cells = [tuple(c.value for c in row) for row in values.iter_rows()]
    assert any(r[1] == "政府采购执行率" and r[2] == 0 and r[5] == "不适用" for r in cells)
    assert any(r[0] == "总分" and r[4] == 30 for r in cells)
    blank = sheet_table(rubric)  # a blank form: nominal weights, the condition in the criteria
    assert {row.indicator: row.weight for row in blank.rows}["政府采购执行率"] == 5
    # rescaled: 15 and 20 of the 35 applicable points become 17.14 and 22.86 of 40 (largest remainder)
    rescaled = compile_text(source.replace("not_applicable share", "not_applicable rescale"))
    markdown = render_markdown(sheet_table(rescaled, rescaled.score(facts)))
    assert "| 过程（17.14分） | 政府采购执行率 | 0 |" in markdown and "| 预算执行率 | 17.14 |" in markdown
    assert "不适用时总分按适用指标的分值折算为满分" in markdown
    assert "| 产出质量" in markdown and "| 22.86 |" in markdown


def test_the_example_scheme_passes_its_cases_at_full_coverage() -> None:
    from pathlib import Path

    from rubric_dsl.api import load_library
    from rubric_dsl.testcases import run_file

    folder = Path(__file__).parent / "testdata" / "rules_more"
    library = load_library(folder)
    outcomes = run_file(folder / "procurement.tests.toml", library)
    assert [o.failures for o in outcomes] == [()] * 4
    rubric = library.rubrics["demo.rules_more"]
    coverage = Coverage(rubric)
    for outcome in outcomes:
        assert outcome.result is not None
        coverage.add(outcome.result)
    assert coverage.missed() == []


def test_a_judged_score_of_an_item_that_does_not_apply_is_not_required() -> None:
    rule = 'judged s tiers tier { "优" 4 .. 5  "差" 0 .. 3 }'
    inputs = (
        'input on flag "适用"\n  input s number "评分"\n  input tier choice("优", "差") "档次"\n  input x percent "乙"'
    )
    text = one_indicator(rule, inputs, "5", "not_applicable share")
    text = text.replace('indicator it "指标" 5 {', 'indicator it "指标" 5 applicable when on {')
    text = text.replace("total 5", "total 10").replace("好 >= 5", "好 >= 9")
    text = text.replace("\n}\n", '\n  indicator other "乙" 5 { proportional x }\n}\n')
    rubric = compile_text(text)
    assert rubric.score({"on": False, "x": "80"}).total == 8  # 5 × 80% shared up to 10 × 80%
    with pytest.raises(InvalidFacts, match=r"优 4\.\.5"):
        rubric.score({"on": True, "s": "2", "tier": "优", "x": "80"})
