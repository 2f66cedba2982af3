"""Shared helpers: small rubrics written inline, compiled through the front door."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rubric_dsl

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics"

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
