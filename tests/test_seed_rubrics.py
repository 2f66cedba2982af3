"""The rubrics written from seeds 000 (开平), 003 (乐亭) and the national frame, the Wuping alternatives,
and the sample datasets: scored through the front door against totals computed by hand."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import rubric_dsl
from tests.conftest import RUBRICS, SEED_CASEWORK, SEED_INSPECTION

SAMPLES = RUBRICS / "samples"
META_COLUMNS = ("project", "funds", "rubric")

CASEWORK_FUNDS = {  # 乐亭 办案工作经费, illustrative (the second case of casework_funds.tests.toml)
    "execution_rate": "96",
    "satisfaction": "97",
    "spent_by_march": "20",
    "spent_by_june": "50",
    "spent_by_october": "72",
    "clue_disposal_rate": "100",
    "closure_on_time_rate": "90",
    "work_on_time_rate": "95",
    "efficiency_score": "8.5",
    "efficiency_tier": "达成",
    "public_safety_score": "7",
    "public_safety_tier": "部分达成",
    "conservation_score": "5",
    "conservation_tier": "未达成",
}
INFORMATIZATION = {
    "execution_rate": "95",
    "satisfaction": "93",
    "spent_by_march": "25",
    "spent_by_june": "45",
    "spent_by_october": "75",
    "clue_disposal_rate": "98",
    "construction_rate": "100",
    "on_time_score": "6",
    "on_time_tier": "部分达成",
    "efficiency_score": "7",
    "efficiency_tier": "部分达成",
    "public_safety_score": "8",
    "public_safety_tier": "达成",
    "influence_score": "5.5",
    "influence_tier": "未达成",
}
INSPECTION_TOURS = {
    "execution_rate": "98",
    "satisfaction": "96",
    "spent_by_march": "25",
    "spent_by_june": "60",
    "spent_by_october": "75",
    "units_inspected": "18",
    "villages_inspected": "126",
    "fund_compliance_rate": "100",
    "cost_per_person": "50000",
    "violations_score": "5",
    "violations_tier": "部分达成",
    "stability_score": "6",
    "stability_tier": "达成",
    "harmony_score": "4.5",
    "harmony_tier": "部分达成",
    "follow_up_score": "3",
    "follow_up_tier": "未达成",
}
KAIPING_PROJECT = {
    "execution_rate": "92",
    "satisfaction": "94",
    "output_rate": "110",
    "quality_rate": "96",
    "on_schedule": "true",
    "cost_ratio": "105",
    "economic_score": "5",
    "economic_tier": "部分达成",
    "social_score": "6",
    "social_tier": "达成",
    "ecological_score": "4.5",
    "ecological_tier": "部分达成",
    "sustainable_score": "6",
    "sustainable_tier": "达成",
}

# (rubric, facts, total, grade, some indicators' points), each worked out by hand:
HAND_COMPUTED = [
    # 9.60 + 16.67 + 16.67 × 0.9 → 15.00 + 8.33 + 8.33 × (0.8 + 1 + 0.96 + 0.96) / 4 → 7.75 + 20.5 + 10
    ("leting.casework_funds", CASEWORK_FUNDS, "87.85", "良", {"closure_on_time": "15", "spending_schedule": "7.75"}),
    # 9.5 + 16.67 × 0.98 → 16.34 + 16.67 + 6 + 8.33 × 0.9625 → 8.02 + 20.5 + 10 × 93/95 → 9.79
    ("leting.informatization", INFORMATIZATION, "86.82", "良", {"clue_disposal": "16.34", "satisfaction": "9.79"}),
    # 9.8 + 6.25 × 18/20 → 5.63 + 6.25 + 12.5 + 12.5 × 0.945 → 11.81 + 12.5 × 40000/50000 + 18.5 + 9.6
    ("leting.inspection_tours", INSPECTION_TOURS, "84.09", "良", {"units": "5.63", "cost_per_person": "10"}),
    # 9.2 + 12.5 + 12.5 × 0.96 + 12.5 + 12.5 × 100/105 → 11.90 + 21.5 + 10 × 94/95 → 9.89
    ("kaiping.project", KAIPING_PROJECT, "89.49", "良好", {"cost": "11.9", "output_completion": "12.5"}),
    # the seed sheets, graded on 开平's scale
    ("wuping.inspection.kaiping_scale", SEED_INSPECTION, "85.6", "良好", {"inspection_count": "9"}),
    ("wuping.casework.kaiping_scale", SEED_CASEWORK, "94.6", "优秀", {"petition": "2.3"}),
    # 10 + 0 + 6 + 4 + 0 + 9 + 15 + 0 + 7.5 × 18/20 → 6.8 + 6 + 7.5 + 9.8
    ("wuping.inspection.national_weights", SEED_INSPECTION, "74.1", "中", {"execution": "10", "petition": "6.8"}),
    # 10 + 6 + 6 + 4 + 0 + 15 + 15 + 0 + 6.8 + 6 + 7.5 + 9.8
    ("wuping.casework.national_weights", SEED_CASEWORK, "86.1", "良", {"completion": "6", "eight_rules": "6"}),
]


@pytest.mark.parametrize(
    ("rubric_id", "facts", "total", "grade", "points"), HAND_COMPUTED, ids=[c[0] for c in HAND_COMPUTED]
)
def test_hand_computed_case(
    bundled: dict[str, rubric_dsl.CompiledRubric],
    rubric_id: str,
    facts: dict[str, str],
    total: str,
    grade: str,
    points: dict[str, str],
) -> None:
    result = bundled[rubric_id].score(facts)
    assert (result.total, result.grade) == (Decimal(total), grade)
    by_id = {i.id: i.points for i in result.indicators}
    assert {k: by_id[k] for k in points} == {k: Decimal(v) for k, v in points.items()}
    assert sum(i.points for i in result.indicators) == result.total


@pytest.mark.parametrize(
    ("rubric_id", "facts", "score", "tier", "value"),
    [
        ("leting.casework_funds", CASEWORK_FUNDS, "public_safety_score", "部分达成", "8.5"),  # 部分达成 is 6..8
        ("leting.informatization", INFORMATIZATION, "on_time_score", "未达成", "7"),  # 未达成 is 0..4.998
        ("leting.inspection_tours", INSPECTION_TOURS, "stability_score", "部分达成", "7"),  # 4.5..6
        ("kaiping.project", KAIPING_PROJECT, "economic_score", "达成", "5"),  # 达成 is 6..7.5
    ],
    ids=["casework_funds", "informatization", "inspection_tours", "kaiping.project"],
)
def test_tiers_refuse_a_score_outside_the_tier_named(
    bundled: dict[str, rubric_dsl.CompiledRubric],
    rubric_id: str,
    facts: dict[str, str],
    score: str,
    tier: str,
    value: str,
) -> None:
    tier_fact = score.removesuffix("_score") + "_tier"
    with pytest.raises(rubric_dsl.InvalidFacts) as refused:
        bundled[rubric_id].score({**facts, score: value, tier_fact: tier})
    assert [p.fact for p in refused.value.problems] == [score]


def test_tier_bounds_are_shared_by_neighbouring_tiers(bundled: dict[str, rubric_dsl.CompiledRubric]) -> None:
    rubric = bundled["leting.casework_funds"]
    for tier in ("达成", "部分达成"):  # 8 of 10 is both the floor of 达成 and the top of 部分达成
        result = rubric.score({**CASEWORK_FUNDS, "efficiency_score": "8", "efficiency_tier": tier})
        assert {i.id: i.points for i in result.indicators}["efficiency"] == Decimal(8)


def test_the_spending_plan_of_inspection_tours_is_75_percent_by_june(
    bundled: dict[str, rubric_dsl.CompiledRubric],
) -> None:
    spending = {"spent_by_march": "25", "spent_by_june": "60", "spent_by_october": "75", "execution_rate": "100"}
    casework = bundled["leting.casework_funds"].score({**CASEWORK_FUNDS, **spending})
    tours = bundled["leting.inspection_tours"].score({**INSPECTION_TOURS, **spending})
    assert {i.id: i.points for i in casework.indicators}["spending_schedule"] == Decimal("8.33")  # 60% ≥ 50%: on plan
    assert {i.id: i.points for i in tours.indicators}["schedule"] == Decimal("11.88")  # 12.5 × (1 + 0.8 + 1 + 1) / 4


def test_cumulative_spending_cannot_fall(bundled: dict[str, rubric_dsl.CompiledRubric]) -> None:
    with pytest.raises(rubric_dsl.InvalidFacts) as refused:
        bundled["leting.informatization"].score({**INFORMATIZATION, "spent_by_march": "50", "spent_by_june": "45"})
    assert [p.fact for p in refused.value.problems] == ["spent_by_june"]


FRAME_WEIGHTS = {"budget_execution": Decimal(10), "output": Decimal(50), "benefit": Decimal(30)}
ON_THE_FRAME = ["leting.casework_funds", "leting.informatization", "leting.inspection_tours", "kaiping.project"]


@pytest.mark.parametrize("rubric_id", ON_THE_FRAME)
def test_the_frame_keeps_its_first_level_weights(bundled: dict[str, rubric_dsl.CompiledRubric], rubric_id: str) -> None:
    rubric = bundled[rubric_id]
    top = {s.id: s.weight for s in rubric.sections if s.parent is None}
    top |= {i.id: i.weight for i in rubric.indicators if i.section is None}
    assert top == {**FRAME_WEIGHTS, "satisfaction_level": Decimal(10)}
    assert rubric.total == 100
    assert "national.self_evaluation" not in bundled  # abstract: a frame to extend, not to score


@pytest.mark.parametrize(
    ("rubric_id", "grades"),
    [
        ("leting.casework_funds", [("优", 90), ("良", 80), ("中", 60), ("差", None)]),
        ("kaiping.project", [("优秀", 90), ("良好", 80), ("中等", 70), ("差", None)]),
        ("wuping.inspection.kaiping_scale", [("优秀", 90), ("良好", 80), ("中等", 70), ("差", None)]),
        ("wuping.casework.kaiping_scale", [("优秀", 90), ("良好", 80), ("中等", 70), ("差", None)]),
    ],
)
def test_grade_scales(
    bundled: dict[str, rubric_dsl.CompiledRubric], rubric_id: str, grades: list[tuple[str, int | None]]
) -> None:
    assert [(g.label, g.minimum) for g in bundled[rubric_id].grades] == grades


@pytest.mark.parametrize(
    ("base", "facts"),
    [("wuping.inspection", SEED_INSPECTION), ("wuping.casework", SEED_CASEWORK)],
    ids=["定额", "办案"],
)
def test_kaiping_scale_changes_only_the_grade(
    bundled: dict[str, rubric_dsl.CompiledRubric], base: str, facts: dict[str, str]
) -> None:
    original = bundled[base].score(facts)
    alternative = bundled[f"{base}.kaiping_scale"].score(facts)
    assert [(i.id, i.points) for i in alternative.indicators] == [(i.id, i.points) for i in original.indicators]
    assert (original.grade, alternative.grade) in {("良", "良好"), ("优", "优秀")}


@pytest.mark.parametrize(
    ("total", "wuping", "kaiping"),
    [("94.6", "优", "优秀"), ("85.6", "良", "良好"), ("79.6", "中", "中等"), ("67", "中", "差")],
)
def test_the_same_total_under_both_scales(
    bundled: dict[str, rubric_dsl.CompiledRubric], total: str, wuping: str, kaiping: str
) -> None:
    def grade(rubric: rubric_dsl.CompiledRubric, score: Decimal) -> str:
        return next(g.label for g in rubric.grades if g.minimum is None or score >= g.minimum)

    assert grade(bundled["wuping.casework"], Decimal(total)) == wuping
    assert grade(bundled["wuping.casework.kaiping_scale"], Decimal(total)) == kaiping


def test_national_weights_drop_decision_and_process(bundled: dict[str, rubric_dsl.CompiledRubric]) -> None:
    rubric = bundled["wuping.inspection.national_weights"]
    ids = {i.id for i in rubric.indicators}
    assert not ids & {"basis", "procedure", "compliance", "regulations", "enforcement"}
    weights = {s.id: s.weight for s in rubric.sections}
    assert (weights["common_output"] + weights["personal_output"], weights["benefit"]) == (50, 30)
    assert {i.id: i.weight for i in rubric.indicators}["execution"] == 10


# --- samples -----------------------------------------------------------------------------------------


def sample_rows(name: str) -> list[dict[str, str]]:
    with (SAMPLES / f"{name}.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def facts_of(row: dict[str, str]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in META_COLUMNS and v != ""}


@pytest.mark.parametrize("name", ["wuping", "kaiping", "leting"])
def test_sample_columns_are_facts_of_the_rubric_named(bundled: dict[str, rubric_dsl.CompiledRubric], name: str) -> None:
    rows = sample_rows(name)
    assert rows
    for row in rows:
        declared = {i.name for i in bundled[row["rubric"]].inputs}
        assert set(facts_of(row)) <= declared, row["project"]
        assert bundled[row["rubric"]].score(facts_of(row)).total > 0


@pytest.mark.parametrize(
    ("name", "funds", "count"), [("wuping", "298.34", 3), ("kaiping", "312.6", 8), ("leting", "154.5", 3)]
)
def test_sample_funds_add_up_to_the_seed(name: str, funds: str, count: int) -> None:
    rows = sample_rows(name)
    assert (sum(Decimal(r["funds"]) for r in rows), len(rows)) == (Decimal(funds), count)


def test_wuping_samples_reproduce_the_seed_sheets(bundled: dict[str, rubric_dsl.CompiledRubric]) -> None:
    scored = [(r["funds"], bundled[r["rubric"]].score(facts_of(r))) for r in sample_rows("wuping")]
    assert [(funds, str(result.total), result.grade) for funds, result in scored] == [
        ("286", "85.6", "良"),
        ("8.76", "94.6", "优"),
        ("3.58", "94.6", "优"),
    ]


def test_kaiping_samples_agree_with_the_report(bundled: dict[str, rubric_dsl.CompiledRubric]) -> None:
    # "2020年项目绩效考核都在在100%-90%": every item 优秀 on 开平's scale (totals in samples/README.md)
    totals = [bundled[r["rubric"]].score(facts_of(r)) for r in sample_rows("kaiping")]
    assert [str(t.total) for t in totals] == ["97.50", "96.00", "96.50", "94.89", "96.50", "95.75", "97.00", "96.50"]
    assert {t.grade for t in totals} == {"优秀"}


def test_leting_samples_are_the_hand_computed_cases(bundled: dict[str, rubric_dsl.CompiledRubric]) -> None:
    rows = sample_rows("leting")
    assert [facts_of(r) for r in rows] == [CASEWORK_FUNDS, INFORMATIZATION, INSPECTION_TOURS]
    assert [str(bundled[r["rubric"]].score(facts_of(r)).total) for r in rows] == ["87.85", "86.82", "84.09"]


def test_samples_readme_marks_illustrative_facts() -> None:
    text = Path(SAMPLES / "README.md").read_text(encoding="utf-8")
    assert text.count("**illustrative facts**") == 2
