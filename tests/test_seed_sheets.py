"""Acceptance: the Wuping seed score sheets reproduce to the indicator, through the API and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import rubric_dsl
from tests.conftest import ROOT, RUBRICS, SEED_CASEWORK, SEED_INSPECTION

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


@pytest.mark.parametrize(("rubric_id", "facts", "total", "grade", "points"), SHEETS, ids=["定额基本业务费", "办案费"])
def test_cli_json(
    rubric_id: str, facts: dict[str, str], total: str, grade: str, points: dict[str, str], tmp_path: Path
) -> None:
    facts_file = tmp_path / "facts.json"
    facts_file.write_text(json.dumps(facts), encoding="utf-8")
    done = run_cli("score", "--rubric", rubric_id, "--facts", str(facts_file), "--format", "json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert (printed["total"], printed["grade"], printed["rubric"]) == (total, grade, rubric_id)
    assert {i["id"]: i["points"] for i in printed["indicators"]} == points
    assert printed["content_hash"].startswith("sha256:")
    assert set(printed["indicators"][0]) == {"id", "label", "points", "max_points", "explanation"}
    assert {s["id"] for s in printed["sections"]} >= {"common", "personal", "personal_output"}


def test_cli_table_shows_the_sheet_layout(tmp_path: Path) -> None:
    facts_file = tmp_path / "facts.json"
    facts_file.write_text(json.dumps(SEED_INSPECTION), encoding="utf-8")
    done = run_cli("score", "--rubric", "wuping.inspection", "--facts", str(facts_file), "--explain")
    assert done.returncode == 0, done.stderr
    assert "一级指标" in done.stdout and "三级指标" in done.stdout
    assert "总分 85.6 / 100    等次 良" in done.stdout
    assert "预算执行率 100% ∈ [95%, ∞) → 5" in done.stdout
    assert "2.25 → 2.3" in done.stdout


def test_bundled_rubrics_check_clean_and_their_cases_pass() -> None:
    checked = run_cli("check", "rubrics")
    assert checked.returncode == 0, checked.stderr
    assert "0 errors, 0 warnings" in checked.stdout
    tested = run_cli("test", "rubrics")
    assert tested.returncode == 0, tested.stdout
    assert tested.stdout.strip().endswith(" 0 failed")


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rubric_cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )


def test_bundled_rubrics_reach_full_clause_coverage() -> None:
    done = run_cli("test", "--coverage", "rubrics")
    assert done.returncode == 0, done.stdout
    lines = [line for line in done.stdout.splitlines() if line.startswith("coverage ")]
    assert len(lines) >= 10 and all(line.endswith("(100.0%)") for line in lines), done.stdout


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
