"""Clause coverage: every clause kind is named, and a missed one is reported with its place."""

from __future__ import annotations

from rubric_dsl.coverage import Coverage
from tests.conftest import compile_text

TEXT = """
rubric cov.demo "覆盖" {
  version "1"
  total 10
  input rate percent "率" range 0% .. 100%
  input n count "数"
  input bad flag "严重" default false
  indicator a "甲" 4 {
    bands rate {
      [90%, ∞) 4
      [0%, 90%) 1
    }
  }
  indicator b "乙" 3 {
    when n == 0 => points 0
    otherwise => steps n above 5 deduct 1 per 1 whole
  }
  indicator c "丙" 3 { checklist n deduct 1 each, zero when bad }
  grades { 好 >= 8  差 otherwise }
}
"""


def test_missed_clauses_are_named_with_their_place() -> None:
    rubric = compile_text(TEXT)
    coverage = Coverage(rubric)
    coverage.add(rubric.score({"rate": "95", "n": "1"}))  # 4 + 3 + 2 = 9: 好
    missed = {(c.label, c.span.line) for c in coverage.missed()}
    assert ("band [0%, 90%)", 11) in missed
    assert ("steps: above 5, points deducted", 16) in missed
    assert ("steps: not above 5", 16) not in missed
    assert ("checklist: zero when bad", 18) in missed
    assert ("grade 好", 19) not in missed and ("grade 差", 19) in missed
    assert ("band [90%, ∞)", 10) not in missed


def test_every_clause_can_be_reached() -> None:
    rubric = compile_text(TEXT)
    coverage = Coverage(rubric)
    for facts in [
        {"rate": "95", "n": "1"},
        {"rate": "95", "n": "0"},
        {"rate": "50", "n": "3"},
        {"rate": "50", "n": "7"},
        {"rate": "50", "n": "9"},
        {"rate": "50", "n": "1", "bad": "true"},
    ]:
        coverage.add(rubric.score(facts))
    assert [c.label for c in coverage.missed()] == []
    assert len(coverage.clauses()) == 2 + 3 + 1 + 4 + 2
