"""Test-case files (`*.tests.toml`): the schema keeps every bundled file valid, and a malformed
file or case gets failures that name the file, the case and the bad key, never a traceback."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

import rubric_dsl
from rubric_dsl import testcases
from tests.conftest import RUBRICS

RUBRIC = """
rubric t.one "一" {
  version "1"
  total 5
  input x number "x"
  indicator a "甲" 5 { linear x from 0 to 10 }
  grades { 好 >= 4  差 otherwise }
}
"""
GOOD = '[[case]]\nname = "half"\nfacts = { x = 5 }\nexpect = { total = "2.5", grade = "差", points = { a = 2.5 } }\n'


def run(tmp_path: Path, text: str) -> list[testcases.CaseOutcome]:
    """The outcomes of a test file beside a rubric that compiles, through `rubric test`'s reader."""
    (tmp_path / "one.rubric").write_text(RUBRIC, encoding="utf-8")
    tests = tmp_path / "one.tests.toml"
    tests.write_text(text, encoding="utf-8")
    return testcases.run_file(tests, rubric_dsl.load_library(tmp_path))


BUNDLED_TESTS = sorted(RUBRICS.rglob("*.tests.toml"))


@pytest.mark.parametrize("path", BUNDLED_TESTS, ids=lambda p: p.name)
def test_every_bundled_test_file_fits_the_schema(path: Path) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    cases = testcases.TestFile.model_validate(data).case
    assert cases
    for case in cases:
        read = testcases.Case.model_validate(case)
        assert read.name and (read.expect.total is not None or read.expect.invalid_facts)


def test_numbers_may_be_strings_integers_or_toml_floats(tmp_path: Path) -> None:
    outcomes = run(
        tmp_path,
        GOOD
        + '[[case]]\nname = 7\nfacts = { x = 10 }\nexpect = { total = 5.0, grade = "好", points = { a = 5 } }\n'
        + '[[case]]\nname = "refused"\nfacts = {}\nexpect = { invalid_facts = ["x"] }\n',
    )
    assert [(o.name, o.failures) for o in outcomes] == [("half", ()), ("7", ()), ("refused", ())]


def test_a_bad_value_names_the_file_the_case_and_the_key(tmp_path: Path) -> None:
    text = (
        GOOD
        + '[[case]]\nname = "bad"\nfacts = { x = 5 }\n'
        + 'expect = { total = "2.5.1", grade = true, points = { a = [1] }, invalid_facts = "x" }\n'
        + GOOD
    )
    first, bad, last = run(tmp_path, text)
    assert first.passed and last.passed  # the other cases still run
    where = f'{tmp_path / "one.tests.toml"}: case 2 ("bad")'
    assert (bad.name, bad.rubric) == ("bad", "t.one")
    assert bad.failures == (
        f"{where}: expect.total: not a decimal",
        f"{where}: expect.grade: not a text",
        f"{where}: expect.points.a: not a decimal",
        f"{where}: expect.invalid_facts: not an array",
    )


def test_a_misspelt_key_is_refused_not_ignored(tmp_path: Path) -> None:
    """`expected` for `expect` would make a case that checks nothing and always passes."""
    text = (
        '[[case]]\nfacts = { x = 5 }\nallow_extra_facts = "yes"\nexpected = { total = 1 }\n'
        '[[case]]\nname = "typo"\nfacts = { x = 5 }\nexpect = { totl = "2.5", invalid_facts = [1] }\n'
    )
    unnamed, typo = run(tmp_path, text)
    path = tmp_path / "one.tests.toml"
    assert unnamed.name == "case 1" and unnamed.failures == (
        f"{path}: case 1: allow_extra_facts: not true or false",
        f"{path}: case 1: expected: unknown key; known: name, facts, expect, allow_extra_facts",
    )
    assert typo.failures == (
        f'{path}: case 2 ("typo"): expect.invalid_facts[0]: not a text',
        f'{path}: case 2 ("typo"): expect.totl: unknown key; known: total, grade, points, invalid_facts',
    )


def test_a_file_of_the_wrong_shape_is_one_failure_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "one.tests.toml"
    (outcome,) = run(tmp_path, 'rubric = 3\n[case]\nname = "x"\n')  # [case] is one table, not [[case]]
    assert (outcome.name, outcome.rubric) == ("(file)", "?")
    assert outcome.failures == (
        f"{path}: rubric: not a text",
        f"{path}: case: not an array of tables; write each case as a [[case]] table",
    )
    one, two = run(tmp_path, 'case = [1, "x"]\n')
    assert one.failures == (f"{path}: case 1: not a table",) and two.failures == (f"{path}: case 2: not a table",)
    (empty,) = run(tmp_path, 'rubric = "t.one"\n')
    assert empty.failures == ("the file has no [[case]]",)
    (broken,) = run(tmp_path, "[[case]\n")
    assert broken.failures[0].startswith("not valid TOML: ")
