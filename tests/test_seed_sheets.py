"""Acceptance: the Wuping seed score sheets reproduce to the indicator through the API (and through the CLI in
tests/cli/test_score.py)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import rubric_dsl
from tests.conftest import RUBRICS, SEED_CASEWORK, SEED_INSPECTION

INSPECTION_POINTS = {
    "basis": "5",
    "procedure": "3",
    "goal_fit": "4",
    "goal_clarity": "3",
    "budgeting": "4",
    "allocation": "2",
    "execution": "5",
    "compliance": "8",
    "regulations": "2",
    "enforcement": "4",
    "completion": "0",
    "quality": "3",
    "timeliness": "2",
    "cost_saving": "0",
    "inspection_count": "9",
    "rectification_count": "15",
    "fund_saving": "0",
    "petition": "2.3",
    "eight_rules": "2",
    "mass_corruption": "2.5",
    "public_satisfaction": "9.8",
}
CASEWORK_POINTS = {
    **{k: v for k, v in INSPECTION_POINTS.items() if k not in ("inspection_count", "rectification_count")},
    "completion": "3",
    "eight_rules_people": "15",
    "mass_corruption_cases": "15",
}
SHEETS = [
    ("wuping.inspection", SEED_INSPECTION, "85.6", "良", INSPECTION_POINTS),
    ("wuping.casework", SEED_CASEWORK, "94.6", "优", CASEWORK_POINTS),
]


@pytest.mark.parametrize(("rubric_id", "facts", "total", "grade", "points"), SHEETS, ids=["定额基本业务费", "办案费"])
def test_python_api(rubric_id: str, facts: dict[str, str], total: str, grade: str, points: dict[str, str]) -> None:
    result = rubric_dsl.load_dir("rubrics" if Path("rubrics").is_dir() else RUBRICS)[rubric_id].score(facts)
    assert (result.total, result.grade) == (Decimal(total), grade)
    assert {i.id: i.points for i in result.indicators} == {k: Decimal(v) for k, v in points.items()}
    assert sum(i.points for i in result.indicators) == result.total


def test_points_lost_are_listed_largest_first(bundled: dict[str, rubric_dsl.CompiledRubric]) -> None:
    result = bundled["wuping.inspection"].score(SEED_INSPECTION)
    lost = [(item.id, str(item.lost)) for item in result.lost]
    assert lost == [
        ("inspection_count", "6.0"),
        ("completion", "3.0"),
        ("fund_saving", "2.5"),
        ("cost_saving", "2.0"),
        ("eight_rules", "0.5"),
        ("petition", "0.2"),
        ("public_satisfaction", "0.2"),
    ]
    assert sum(item.lost for item in result.lost) == 100 - result.total
    assert str(result.lost[1]) == "实际完成率 −3: 实际完成率 60% ∈ [0%, 85%) → 0"
    assert result.to_dict()["lost"][0] == {
        "id": "inspection_count",
        "label": "实际完成巡察单位数量",
        "lost": "6",
        "reason": result.lost[0].reason,
    }
