"""Shared helpers: small rubrics written inline, compiled through the front door."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

import rubric_dsl
from rubric_dsl.codegen import MODES

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics"

# An English word in a text meant to be Chinese: the check of every Chinese output (the CLI's explanations and
# reports, the service's messages), each test first taking out what a person must see as typed (ids, options).
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")

# The seed's facts, as the README's command scores them (seed 004: 85.6 良 and 94.6 优).
SEED_INSPECTION = json.loads((RUBRICS / "wuping" / "seed-inspection.facts.json").read_text(encoding="utf-8"))
SEED_CASEWORK = json.loads((RUBRICS / "wuping" / "seed-casework.facts.json").read_text(encoding="utf-8"))


def one_indicator(rule: str, inputs: str, weight: str = "10", extra: str = "") -> str:
    """A rubric with one indicator of the given weight and rule, so tests state only what matters."""
    return f"""
rubric test.one "一项" {{
  version "1"
  total {weight}
  {inputs}
  {extra}
  indicator it "指标" {weight} {{
    {rule}
  }}
  grades {{ 好 >= {weight} 差 otherwise }}
}}
"""


def assert_adds_up(rubric: rubric_dsl.CompiledRubric, result: rubric_dsl.Result) -> None:
    """What every scored result holds: points within their rows' maxima, the table's total (base) their sum,
    the total the base plus the signed lines within the final range (0 when a veto zeroes it; `round total`
    may round the sum first), and a grade from the rubric's table (none without one)."""
    assert all(Decimal(0) <= i.points <= i.max_points for i in result.indicators), result
    assert all(Decimal(0) <= s.points <= s.max_points for s in result.sections), result
    table = sum(i.points for i in result.indicators)
    for rounding in (r for r in rubric.tree.rounding if r.scope == "total"):  # `round total` rounds the table's sum
        table = table.quantize(rounding.step, MODES[rounding.mode])
    assert result.base_total == table
    assert rubric.final_minimum <= result.total <= rubric.final_maximum
    if any(v.zeroed for v in result.vetoes):
        assert result.total == 0
    elif not any(r.scope == "total" for r in rubric.tree.rounding):
        signed = result.base_total + sum(a.sign * a.amount for a in result.adjustments)
        assert result.total == min(max(signed, rubric.final_minimum), rubric.final_maximum)
    if not (rubric.tree.adjustments or rubric.tree.vetoes or rubric.tree.final_range):
        assert result.total == result.base_total
    assert result.grade in ({g.label for g in rubric.grades} if rubric.grades else {""})


def compile_text(text: str) -> rubric_dsl.CompiledRubric:
    return rubric_dsl.compile_source(text, "test.rubric")


@pytest.fixture(scope="session")
def bundled() -> dict[str, rubric_dsl.CompiledRubric]:
    return rubric_dsl.load_dir(RUBRICS)


def _hypothesis_profiles() -> None:
    import os

    from hypothesis import settings

    settings.register_profile("dev", deadline=None, max_examples=100)
    settings.register_profile("ci", deadline=None, print_blob=True, max_examples=400)
    settings.register_profile("campaign", deadline=None, print_blob=True, max_examples=30_000)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


_hypothesis_profiles()
