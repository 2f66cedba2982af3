"""Records and optional facts: a list of records read and checked field by field, aggregated exactly;
an optional input tested with `given`; a fact required only where it is read on the path taken."""

from __future__ import annotations

import json
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rubric_dsl
from rubric_dsl import limits
from rubric_dsl.codegen import CONTEXT
from rubric_dsl.formatter import format_source
from rubric_dsl.wording import criteria_text
from tests.conftest import compile_text, one_indicator
from tests.test_fuzz import FUZZ, TOKEN, outcome

DEPARTMENT = Path(__file__).resolve().parent / "testdata" / "records" / "department.rubric"
PROJECTS = [
    {"funds": 100, "self_evaluated": True, "key": True, "score": 92},
    {"funds": "300", "self_evaluated": False, "key": True, "score": "85.5"},
    {"funds": 50, "self_evaluated": True, "score": 60},
    {"funds": "12.5", "self_evaluated": "true", "key": False, "score": 99},
]


@pytest.fixture(scope="module")
def department() -> rubric_dsl.CompiledRubric:
    return rubric_dsl.compile_file(DEPARTMENT)


def problems(rubric: rubric_dsl.CompiledRubric, facts: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    with pytest.raises(rubric_dsl.InvalidFacts) as error:
        rubric.score(facts)
    return {p.fact: (p.reason, p.message, p.message_zh) for p in error.value.problems}


# --- aggregates, by hand


def test_coverage_and_weighted_mean_as_computed_by_hand(department: rubric_dsl.CompiledRubric) -> None:
    result = department.score({"projects": PROJECTS, "rate_general": "96"})
    # coverage 3 of 4 → 4 × 0.75 = 3; key projects: (92×100 + 85.5×300) / 400 = 87.125 → [80, 90) → 4
    assert result.points == {"self_evaluation": Decimal("3.00"), "key_projects": Decimal(4), "execution": Decimal(5)}
    assert "87.125" in result.indicators[1].explanation


def test_records_as_json_text_score_the_same(department: rubric_dsl.CompiledRubric) -> None:
    typed = department.score({"projects": PROJECTS, "rate_all": "81"})
    text = department.score({"projects": json.dumps(PROJECTS), "rate_all": "81"})
    assert typed.points == text.points and typed.total == text.total == Decimal("11.50")  # 3 + 4 + 5 × 0.81 / 0.9


def test_json_numbers_are_read_exactly(department: rubric_dsl.CompiledRubric) -> None:
    projects = '[{"funds": 0.1, "self_evaluated": true, "key": true, "score": 80.05}]'
    assert "80.05" in department.score({"projects": projects, "rate_all": "90"}).indicators[1].explanation


def test_an_empty_list_counts_zero(department: rubric_dsl.CompiledRubric) -> None:
    result = department.score({"projects": [], "rate_all": "90"})
    assert result.points == {"self_evaluation": 0, "key_projects": 0, "execution": 5}


def test_a_weighted_mean_of_none_is_refused_naming_the_list() -> None:
    rubric = compile_text(
        one_indicator(
            "bands mean(items, score by funds where key) { [60, ∞) 10  otherwise 0 }",
            'input items records "项目" { score number "得分" range 0 .. 100  funds money "资金" range 0 ..  '
            'key flag "重点项目" }',
        )
    )
    for items in ([], [{"score": 90, "funds": 5, "key": False}], [{"score": 90, "funds": 0, "key": True}]):
        reason, message, message_zh = problems(rubric, {"items": items})["items"]
        assert reason == "empty" and "weights of its records add up to 0" in message and "权重之和为0" in message_zh
    assert rubric.score({"items": [{"score": 90, "funds": 5, "key": True}]}).total == 10


def test_unweighted_mean_of_none_says_there_are_no_records() -> None:
    rubric = compile_text(
        one_indicator(
            "bands mean(items, score) { [60, ∞) 10  otherwise 0 }",
            'input items records "项目" { score number "得分" range 0 .. 100 }',
        )
    )
    (reason, message, message_zh) = problems(rubric, {"items": []})["items"]
    assert reason == "empty" and "no records to average" in message and "没有可参与平均的记录" in message_zh


# --- each record's fields, checked like facts


def test_bad_fields_are_named_by_list_index_and_field(department: rubric_dsl.CompiledRubric) -> None:
    bad = [*PROJECTS[:3], {"funds": "-5", "self_evaluated": "maybe", "scor": 1}, "not a record"]
    found = problems(department, {"projects": bad, "rate_all": "90"})
    assert {name: reason for name, (reason, _, _) in found.items()} == {
        "projects[3].funds": "out_of_range",
        "projects[3].self_evaluated": "wrong_type",
        "projects[3].score": "missing",
        "projects[3].scor": "unknown",
        "projects[4]": "wrong_type",
    }
    assert "did you mean `score`?" in found["projects[3].scor"][1]
    assert found["projects[3].funds"][2].startswith("第4条记录的“资金”：")  # counted from 1 in Chinese
    assert "第4条记录缺少必填字段“评价得分”" in found["projects[3].score"][2]


@pytest.mark.parametrize(
    ("value", "reason"),
    [("NaN", "not_finite"), ("1e40", "out_of_range"), ("101", "out_of_range"), (True, "wrong_type")],
)
def test_a_record_field_follows_the_same_steps_as_an_input(
    department: rubric_dsl.CompiledRubric, value: Any, reason: str
) -> None:
    record = {"funds": 1, "self_evaluated": True, "score": value}
    field = problems(department, {"projects": [record], "rate_all": "90"})["projects[0].score"]
    plain = compile_text(
        one_indicator("bands score { [60, ∞) 10  otherwise 0 }", 'input score number "评价得分" range 0 .. 100')
    )
    as_input = problems(plain, {"score": value})["score"]
    assert field[:2] == as_input[:2] and field[0] == reason
    assert field[2] == f"第1条记录的“评价得分”：{as_input[2]}"


def test_the_list_length_is_bounded_before_any_record_is_read(department: rubric_dsl.CompiledRubric) -> None:
    too_many = ["not even a record"] * (limits.MAX_RECORDS + 1)
    assert problems(department, {"projects": too_many, "rate_all": "90"})["projects"][0] == "too_many"
    text = "[" + " " * limits.MAX_RECORDS_TEXT + "]"
    assert problems(department, {"projects": text, "rate_all": "90"})["projects"][0] == "too_many"


@pytest.mark.parametrize("value", ["{not json", "[" * 100_000, '{"funds": 1}', 7, {"funds": 1}])
def test_what_is_no_list_of_records_is_refused(department: rubric_dsl.CompiledRubric, value: Any) -> None:
    assert problems(department, {"projects": value, "rate_all": "90"})["projects"][0] == "wrong_type"


def test_problems_of_a_long_list_are_bounded(department: rubric_dsl.CompiledRubric) -> None:
    bad = [{"funds": -1, "self_evaluated": True, "score": 1}] * 500
    assert len(problems(department, {"projects": bad, "rate_all": "90"})) == 20


# --- optional facts and alternatives (二者择其一)


def test_the_branch_not_taken_needs_no_facts(department: rubric_dsl.CompiledRubric) -> None:
    assert department.score({"projects": PROJECTS, "rate_general": "95"}).points["execution"] == 5
    assert department.score({"projects": PROJECTS, "rate_all": "45"}).points["execution"] == Decimal("2.50")
    both = department.score({"projects": PROJECTS, "rate_general": "95", "rate_all": "0"})
    assert both.points["execution"] == 5  # given(rate_general) takes the first arm


def test_a_fact_read_on_the_path_taken_is_required_naming_it(department: rubric_dsl.CompiledRubric) -> None:
    found = problems(department, {"projects": PROJECTS})
    assert list(found) == ["rate_all"]
    reason, message, message_zh = found["rate_all"]
    assert reason == "missing" and "`execution`" in message
    assert message_zh.startswith("缺少必填事实") and "预算执行率（二者择其一）" in message_zh


def test_get_rubric_info_says_which_inputs_are_required(department: rubric_dsl.CompiledRubric) -> None:
    required = {i.name: (i.required, i.optional) for i in department.inputs}
    assert required == {"projects": (True, False), "rate_general": (False, True), "rate_all": (False, False)}
    fields = {f.name: f.required for f in department.inputs[0].fields}
    assert fields == {"funds": True, "self_evaluated": True, "key": False, "score": True}


def test_a_fact_read_on_every_path_is_still_listed_with_the_other_problems() -> None:
    rubric = compile_text(
        one_indicator(
            "when b > 5 => points a\n otherwise => points b",
            'input a number "甲" optional\n input b number "乙"',
        )
    )
    assert problems(rubric, {"c": "1"}) == {
        "b": ("missing", "required fact is missing", "缺少必填事实"),
        "c": pytest.approx(problems(rubric, {"c": "1"})["c"]),
    }
    assert rubric.score({"b": "3"}).total == 3
    assert rubric.score({"a": "4", "b": "6"}).total == 4
    assert problems(rubric, {"b": "6"})["a"][0] == "missing"


def test_an_optional_fact_read_when_absent_is_refused() -> None:
    rubric = compile_text(one_indicator("bands a { [5, ∞) 10  otherwise 0 }", 'input a number "甲" optional'))
    assert problems(rubric, {})["a"][0] == "missing"
    assert rubric.score({"a": "6"}).total == 10


@pytest.mark.parametrize(
    "rule",
    [
        "judged a",
        "bands a { (-∞, ∞) 10 }",
        "points min(a, 10)",
        "proportional a / 10",
        "checklist a deduct 1 each",
        "steps a above 1 deduct 1 per 1 whole",
        "linear a from 0 to 10",
        "target a >= 5",
    ],
)
def test_every_rule_refuses_an_absent_fact_it_reads(rule: str) -> None:
    rubric = compile_text(one_indicator(rule, 'input a number "甲" range 0 .. 10 optional'))
    assert problems(rubric, {})["a"][0] == "missing"


def test_a_constraint_on_an_absent_optional_fact_does_not_apply() -> None:
    rubric = compile_text(
        one_indicator(
            "when given(a) => points a\n otherwise => points 1",
            'input a number "甲" optional',
            extra='constraint a <= 5 "甲不超过5"',
        )
    )
    assert rubric.score({}).total == 1
    assert problems(rubric, {"a": "6"})["a"][0] == "constraint"


# --- formatter round trip


def test_the_formatter_round_trips_records_and_optional_inputs() -> None:
    text = DEPARTMENT.read_text(encoding="utf-8")
    formatted, found = format_source(text, "department.rubric")
    assert found == [] and formatted == text
    squashed = text.replace("\n    funds", " funds").replace("100% optional", "100%   optional")
    assert format_source(squashed, "department.rubric")[0] == text


# --- properties


RECORD = st.fixed_dictionaries(
    {
        "funds": st.decimals(min_value=0, max_value=10**6, places=2),
        "self_evaluated": st.booleans(),
        "key": st.booleans(),
        "score": st.decimals(min_value=0, max_value=100, places=2),
    }
)
AGGREGATES = """
  input projects records "部门项目" {
    funds money "资金" range 0 ..
    self_evaluated flag "已开展绩效自评"
    key flag "重点项目"
    score number "评价得分" range 0 .. 100
  }
  let n = count(projects)
  let evaluated = count(projects where self_evaluated and score >= 60)
  let spent = sum(projects, funds where key)
  let average = if n == 0 then 0 else mean(projects, score)
  let weighted = if sum(projects, funds) == 0 then 0 else mean(projects, score by funds)
"""


@pytest.fixture(scope="module")
def aggregates() -> dict[str, rubric_dsl.CompiledRubric]:
    rubrics = {}
    for let in ("n", "evaluated", "spent", "average", "weighted"):
        rubrics[let] = compile_text(one_indicator(f"bands {let} {{ (-∞, ∞) 1 }}", AGGREGATES, "1"))
    return rubrics


@settings(max_examples=60, deadline=None)
@given(st.lists(RECORD, max_size=12))
def test_aggregates_equal_a_plain_decimal_computation(
    aggregates: dict[str, rubric_dsl.CompiledRubric], records: list[dict[str, Any]]
) -> None:
    facts = [{k: str(v) if isinstance(v, Decimal) else v for k, v in r.items()} for r in records]
    with localcontext(CONTEXT):  # the scoring context: 40 digits; sums exact, one division at the end
        expected = _plain(records)
    for let, rubric in aggregates.items():
        fired = rubric.score({"projects": facts}).records[0]  # (clause, row, value)
        assert fired[-1] == expected[let], let


def _plain(records: list[dict[str, Any]]) -> dict[str, Decimal]:
    total_funds = sum((r["funds"] for r in records), Decimal(0))
    return {
        "n": Decimal(len(records)),
        "evaluated": Decimal(sum(1 for r in records if r["self_evaluated"] and r["score"] >= 60)),
        "spent": sum((r["funds"] for r in records if r["key"]), Decimal(0)),
        "average": sum((r["score"] for r in records), Decimal(0)) / len(records) if records else Decimal(0),
        "weighted": (
            sum((r["score"] * r["funds"] for r in records), Decimal(0)) / total_funds if total_funds else Decimal(0)
        ),
    }


BRANCHES = """
  input pick flag "取甲"
  input a number "甲"
  input b number "乙"
  input c number "丙" optional
"""


@settings(max_examples=60, deadline=None)
@given(st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_a_fact_on_an_untaken_branch_is_never_required(pick: bool, give_a: bool, give_b: bool, give_c: bool) -> None:
    rubric = _branches()
    facts = {"pick": pick} | ({"a": "3"} if give_a else {}) | ({"b": "4"} if give_b else {})
    facts |= {"c": "1"} if give_c else {}
    needed = "a" if pick else ("b" if not give_c else "c")
    taken_given = {"a": give_a, "b": give_b, "c": give_c}[needed]
    if taken_given:
        assert rubric.score(facts).total >= 0
    else:
        assert list(problems(rubric, facts)) == [needed]


_COMPILED: list[rubric_dsl.CompiledRubric] = []


def _branches() -> rubric_dsl.CompiledRubric:
    if not _COMPILED:
        rule = "when pick => points a\n otherwise => { when given(c) => points c  otherwise => points b }"
        _COMPILED.append(compile_text(one_indicator(rule, BRANCHES)))
    return _COMPILED[0]


# --- fuzzing the new syntax: whatever the mutation, a result or diagnostics, never a crash

NEW_TOKENS = ["records", "optional", "given", "(", ")", "count", "sum", "mean", "where", "by", ",", "projects", "key"]


@st.composite
def _mutated_department(draw: st.DrawFn) -> str:
    tokens = TOKEN.findall(DEPARTMENT.read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(tokens) - 1))
        action = draw(st.sampled_from(["delete", "insert", "replace", "swap"]))
        if action == "delete":
            del tokens[at]
        elif action == "swap" and at + 1 < len(tokens):
            tokens[at], tokens[at + 1] = tokens[at + 1], tokens[at]
        else:
            new = draw(st.sampled_from(NEW_TOKENS) | st.sampled_from(tokens))
            tokens[at : at + (action == "replace")] = [new]
    return " ".join(tokens)


@settings(FUZZ, max_examples=40)
@given(_mutated_department())
def test_mutated_record_rubrics_compile_or_get_diagnostics(text: str) -> None:
    outcome({"department.rubric": text}, "department.rubric")
    library = rubric_dsl.build_library({"department.rubric": text})
    for rubric in library.rubrics.values():
        try:
            rubric.score({"projects": PROJECTS, "rate_general": "96", "rate_all": "90"}, allow_extra_facts=True)
        except (rubric_dsl.InvalidFacts, rubric_dsl.EvaluationError) as refused:
            assert str(refused)


# --- explanations and the 评分表 say what was counted


def test_explanations_say_what_a_labelled_aggregate_counted(department: rubric_dsl.CompiledRubric) -> None:
    result = department.score({"projects": PROJECTS, "rate_all": "90"})
    [zh] = [i.explanation for i in result.indicators_in("zh") if i.id == "self_evaluation"]
    assert "项目绩效自评覆盖率为75%" in zh
    assert "（其中项目绩效自评覆盖率=部门项目中“已开展绩效自评”的个数÷部门项目个数）" in zh
    [en] = [i.explanation for i in result.indicators if i.id == "self_evaluation"]
    assert "(where 项目绩效自评覆盖率 = count(projects where self_evaluated) / count(projects))" in en
    [execution] = [i.explanation for i in result.indicators_in("zh") if i.id == "execution"]
    assert execution.startswith("否则：全部资金预算执行率为90%")


def test_the_sheet_words_aggregates_and_given(department: rubric_dsl.CompiledRubric) -> None:
    scope = department.checked.scope
    rules = {i.id: i.rule for i, _ in scope.indicators}
    key = criteria_text(rules["key_projects"], Decimal(6), scope)
    assert key.startswith("当部门项目中“重点项目”的个数=0时：不得分")
    assert "（其中重点项目评价得分（按资金加权平均）=部门项目中“重点项目”的评价得分（按资金加权平均））" in key
    assert criteria_text(rules["execution"], Decimal(5), scope).startswith("当已填报一般公共预算执行率时：")


def test_an_if_inside_an_expression_does_not_choose_a_path() -> None:
    rubric = compile_text(
        one_indicator(
            "points if pick then a else b", 'input pick flag "取甲"\n input a number "甲"\n input b number "乙"'
        )
    )
    assert set(problems(rubric, {"pick": True, "a": "1"})) == {"b"}  # required at once, with the others
    assert [i.required for i in rubric.inputs] == [True, True, True]
