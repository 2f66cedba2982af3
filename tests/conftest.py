"""Shared helpers: small rubrics written inline, compiled through the front door."""

from __future__ import annotations

from pathlib import Path

import pytest

import rubric_dsl

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics"

SEED_COMMON = {
    "execution_rate": "100",
    "completion_rate": "60",
    "quality_rate": "100",
    "on_time": "true",
    "cost_saving_rate": "0",
    "fund_saving_rate": "0",
    "petition_reduction": "18",
    "eight_rules_reduction": "8",
    "mass_corruption_reduction": "10",
    "satisfaction": "98.02",
}
SEED_INSPECTION = {**SEED_COMMON, "planned_units": "25", "inspected_units": "15", "rectified_units": "15"}
SEED_CASEWORK = {**SEED_COMMON, "completion_rate": "100", "eight_rules_people": "62", "mass_corruption_cases": "23"}


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
    settings.register_profile("campaign", deadline=None, print_blob=True, max_examples=20_000)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


_hypothesis_profiles()
