"""Rounding is the rubric's policy (default 四舍五入) and grades cut exactly at their boundaries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import compile_text, one_indicator


@pytest.mark.parametrize(
    ("rule", "inputs", "weight", "facts", "expected", "as_float"),
    [
        ("linear x from 0 to 20", 'input x number "x"', "2.5", {"x": "18"}, "2.3", 2.5 * 18 / 20),
        ("linear x from 0 to 20", 'input x number "x"', "2.5", {"x": "10"}, "1.3", 2.5 * 10 / 20),
        ("proportional rate", 'input rate percent "率"', "3", {"rate": "95"}, "2.9", 3 * 0.95),
    ],
    ids=["2.25→2.3", "1.25→1.3", "2.85→2.9"],
)
def test_half_up_where_floats_and_bankers_rounding_go_down(
    rule: str, inputs: str, weight: str, facts: dict[str, str], expected: str, as_float: float
) -> None:
    rubric = compile_text(one_indicator(rule, inputs, weight, "round indicator 0.1 half_up"))
    assert rubric.score(facts).total == Decimal(expected)
    assert round(as_float, 1) < float(expected)  # the trap is real: floats would round down


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("half_even", "2.2"), ("down", "2.2"), ("up", "2.3"), ("half_down", "2.2"), ("half_up", "2.3")],
)
def test_declared_rounding_mode_is_used(mode: str, expected: str) -> None:
    rubric = compile_text(
        one_indicator("linear x from 0 to 20", 'input x number "x"', "2.5", f"round indicator 0.1 {mode}")
    )
    assert rubric.score({"x": "18"}).total == Decimal(expected)


def test_default_rounding_is_half_up_to_hundredths() -> None:
    rubric = compile_text(one_indicator("linear x from 0 to 8", 'input x number "x"', "1"))
    assert rubric.score({"x": "1"}).total == Decimal("0.13")  # 0.125


def test_total_rounding_applies_after_the_sum() -> None:
    text = """
rubric t.total "总分取整" {
  version "1"
  total 2
  round indicator 0.01 half_up
  round total 1 half_up
  input x number "x"
  indicator a "a" 1 { linear x from 0 to 4 }
  indicator b "b" 1 { linear x from 0 to 4 }
  grades { 好 >= 1  差 otherwise }
}"""
    rubric = compile_text(text)
    result = rubric.score({"x": "1"})
    assert [i.points for i in result.indicators] == [Decimal("0.25"), Decimal("0.25")]
    assert result.total == Decimal("1")


GRADED = """
rubric t.grades "等次" {
  version "1"
  total 100
  round indicator 0.1 half_up
  input s number "得分" range 0 .. 100
  indicator all "全部" 100 { points s }
  grades { 优 >= 90  良 >= 80  中 >= 60  差 otherwise }
}"""


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", "优"),
        ("90.0", "优"),
        ("89.9", "良"),
        ("80", "良"),
        ("79.99", "良"),
        ("79.94", "中"),
        ("60.0", "中"),
        ("59.9", "差"),
        ("0", "差"),
    ],
)
def test_grade_boundaries(score: str, grade: str) -> None:
    result = compile_text(GRADED).score({"s": score})
    assert result.grade == grade
