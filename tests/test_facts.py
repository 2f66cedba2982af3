"""Fact validation: every bad fact is named, all at once, before any scoring."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import rubric_dsl
from tests.conftest import compile_text, one_indicator

INPUTS = """
  input rate percent "执行率" range 0% .. 100%
  input saving percent "节约率"
  input n count "人数" default 0
  input inspected count "已巡察"
  input rectified count "已整改"
  input ok flag "及时"
  input level choice("A", "B") "等级" default "A"
  input cost money "经费" unit "万元"
  constraint rectified <= inspected "整改单位数不能多于已巡察单位数"
"""
RULE = 'points if ok and level == "A" then rate * 4 + saving * 1 + (n + rectified + inspected) * 0 + cost * 0 else 0'
GOOD = {"rate": "98.02", "saving": "-3", "inspected": 3, "rectified": 2, "ok": True, "cost": "12.5"}


@pytest.fixture(scope="module")
def rubric() -> rubric_dsl.CompiledRubric:
    return compile_text(one_indicator(RULE, INPUTS, "10"))


def refused(rubric: rubric_dsl.CompiledRubric, facts: dict[str, Any], **options: bool) -> dict[str, str]:
    with pytest.raises(rubric_dsl.InvalidFacts) as error:
        rubric.score(facts, **options)
    return {p.fact: p.reason for p in error.value.problems}


@pytest.mark.parametrize(
    "value",
    ["98.02", "98.02%", " 98.02 ", 98.02, Decimal("98.02")],
    ids=["str", "str-percent", "spaces", "float", "decimal"],
)
def test_percent_facts_are_percent_points(rubric: rubric_dsl.CompiledRubric, value: Any) -> None:
    result = rubric.score({**GOOD, "rate": value, "saving": "0", "inspected": 0, "rectified": 0})
    assert result.indicators[0].points == Decimal("3.92")  # 4 × 0.9802, rounded to 0.01


@pytest.mark.parametrize(("value", "expected"), [(True, "3.92"), ("true", "3.92"), ("FALSE", "0"), (False, "0")])
def test_flags_accept_booleans_and_their_names(rubric: rubric_dsl.CompiledRubric, value: Any, expected: str) -> None:
    facts = {**GOOD, "ok": value, "saving": "0", "inspected": 0, "rectified": 0}
    assert rubric.score(facts).total == Decimal(expected)


@pytest.mark.parametrize(
    ("fact", "value", "reason"),
    [
        ("rate", "9802", "out_of_range"),
        ("rate", "-1", "out_of_range"),
        ("rate", "NaN", "not_finite"),
        ("rate", "Infinity", "not_finite"),
        ("rate", "ninety", "wrong_type"),
        ("rate", True, "wrong_type"),
        ("saving", "9802", "out_of_range"),  # no declared range, but no percent can mean 9802 %
        ("n", "1.5", "wrong_type"),
        ("n", "-1", "out_of_range"),
        ("ok", "yes", "wrong_type"),
        ("ok", 1, "wrong_type"),
        ("level", "C", "wrong_type"),
        ("cost", [1], "wrong_type"),
    ],
)
def test_bad_values_are_named(rubric: rubric_dsl.CompiledRubric, fact: str, value: Any, reason: str) -> None:
    assert refused(rubric, {**GOOD, fact: value}) == {fact: reason}


def test_every_problem_is_listed_at_once(rubric: rubric_dsl.CompiledRubric) -> None:
    problems = refused(rubric, {"rate": "101", "ok": "maybe", "rat": "1", "cost": "1"})
    assert problems == {
        "rate": "out_of_range",
        "saving": "missing",
        "inspected": "missing",
        "rectified": "missing",
        "ok": "wrong_type",
        "rat": "unknown",
    }


def test_unknown_fact_gets_a_did_you_mean(rubric: rubric_dsl.CompiledRubric) -> None:
    with pytest.raises(rubric_dsl.InvalidFacts) as error:
        rubric.score({**GOOD, "savings": "1"})
    assert "did you mean `saving`?" in str(error.value)


def test_extra_facts_are_allowed_on_request(rubric: rubric_dsl.CompiledRubric) -> None:
    assert rubric.score({**GOOD, "project": "办案费"}, allow_extra_facts=True).total > 0


def test_broken_constraint_names_its_fact_and_message(rubric: rubric_dsl.CompiledRubric) -> None:
    with pytest.raises(rubric_dsl.InvalidFacts) as error:
        rubric.score({**GOOD, "inspected": 2, "rectified": 3})
    (problem,) = error.value.problems
    assert (problem.fact, problem.reason) == ("rectified", "constraint")
    assert problem.message == "整改单位数不能多于已巡察单位数"


def test_defaults_fill_in_omitted_facts(rubric: rubric_dsl.CompiledRubric) -> None:
    with_defaults = rubric.score(GOOD).total
    assert with_defaults == rubric.score({**GOOD, "n": 0, "level": "A"}).total
