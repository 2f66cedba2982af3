"""Reuse: a rubric extends another and overrides sections, indicators, inputs and grades."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import rubric_dsl

BASE = """
abstract rubric base.frame "框架" {
  version "1"
  total 10
  round indicator 0.1 half_up
  input rate percent "执行率" range 0% .. 100%
  section common "共性" 5 {
    indicator execution "预算执行率" 5 { proportional rate }
  }
  section personal "个性" 5 abstract
  grades { 优 >= 9  差 otherwise }
}
"""
CHILD = """
rubric region.one "某县" extends base.frame {
  version "2"
  input n count "人数"
  override section personal "个性" 5 {
    indicator people "人数" 5 { steps n above 10 deduct 1 per 1 whole }
  }
}
"""


def library(**files: str) -> rubric_dsl.Library:
    return rubric_dsl.build_library({f"{name}.rubric": text for name, text in files.items()})


def test_child_gets_the_parents_indicators_and_its_own() -> None:
    lib = library(base=BASE, child=CHILD)
    assert lib.diagnostics == []
    rubric = lib.rubrics["region.one"]
    assert [i.id for i in rubric.indicators] == ["execution", "people"]
    assert rubric.version == "2"
    assert rubric.score({"rate": "90", "n": "12"}).total == Decimal("7.5")


def test_abstract_rubric_is_checked_but_not_scorable() -> None:
    lib = library(base=BASE)
    assert lib.diagnostics == []
    assert "base.frame" not in lib.rubrics


def test_override_of_grades_and_an_inherited_indicator() -> None:
    grandchild = """
rubric region.two "另一县" extends region.one {
  override indicator execution "预算执行率" 5 { bands rate { [90%, ∞) 5  otherwise 0 } }
  override grades { 优秀 >= 9.5  合格 otherwise }
}
"""
    lib = library(base=BASE, child=CHILD, grandchild=grandchild)
    assert lib.diagnostics == []
    result = lib.rubrics["region.two"].score({"rate": "90", "n": "10"})
    assert (result.total, result.grade) == (Decimal(10), "优秀")
    assert lib.rubrics["region.one"].score({"rate": "90", "n": "10"}).grade == "优"


def test_content_hash_covers_the_parent() -> None:
    before = library(base=BASE, child=CHILD).rubrics["region.one"].content_hash
    after = library(base=BASE.replace("优 >= 9", "优 >= 8"), child=CHILD).rubrics["region.one"].content_hash
    assert before != after and before.startswith("sha256:")


@pytest.mark.parametrize(
    ("child", "code"),
    [
        (CHILD.replace("override section personal", "section personal"), "rubric_duplicate_name"),
        (CHILD.replace("override section personal", "override section personnel"), "rubric_override_missing"),
        (CHILD.replace("override section personal", "section extra"), "rubric_abstract_not_overridden"),
        (CHILD.replace("extends base.frame", "extends base.fram"), "rubric_unknown_parent"),
        (CHILD.replace('input n count "人数"', 'input rate count "人数"'), "rubric_duplicate_name"),
    ],
    ids=["redefine-without-override", "override-nothing", "abstract-left", "unknown-parent", "input-clash"],
)
def test_merge_problems_are_reported_on_the_child(child: str, code: str) -> None:
    lib = library(base=BASE, child=child)
    codes = {d.code for d in lib.files["child.rubric"]}
    assert code in codes
    assert "region.one" not in lib.rubrics
    assert lib.files["base.rubric"] == []


def test_extends_cycle_is_reported() -> None:
    a = 'rubric a.a "A" extends b.b { version "1" total 1 indicator x "x" 1 { points 1 } grades { 好 otherwise } }'
    b = 'rubric b.b "B" extends a.a { version "1" }'
    lib = library(a=a, b=b)
    assert {d.code for d in lib.diagnostics} == {"rubric_extends_cycle"}
    assert "a.a → b.b → a.a" in lib.render() or "b.b → a.a → b.b" in lib.render()


def test_a_broken_parent_is_named_on_the_child() -> None:
    lib = library(base=BASE.replace("total 10", "total 11"), child=CHILD)
    assert [d.code for d in lib.files["child.rubric"]] == ["rubric_parent_has_errors"]


def test_an_abstract_rubric_cannot_be_compiled_for_scoring(tmp_path: Path) -> None:
    (tmp_path / "base.rubric").write_text(BASE, encoding="utf-8")
    with pytest.raises(rubric_dsl.RubricError) as refused:
        rubric_dsl.compile_file(tmp_path / "base.rubric")
    (problem,) = refused.value.diagnostics
    assert problem.code == "rubric_abstract_not_overridden"
    assert "is abstract; score a rubric that extends it" in problem.message


def test_checked_text_stands_in_for_the_rubric_of_the_same_id(tmp_path: Path) -> None:
    (tmp_path / "base.rubric").write_text(BASE, encoding="utf-8")
    (tmp_path / "child.rubric").write_text(CHILD, encoding="utf-8")
    edited = CHILD.replace('version "2"', 'version "3"')
    assert rubric_dsl.check_source(edited, "<edited>", search_dir=tmp_path) == []
    assert rubric_dsl.compile_source(edited, "<edited>", search_dir=tmp_path).version == "3"
