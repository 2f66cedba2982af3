"""`rubric score`: the seed sheets as JSON and as the 评分表 table; bad facts and unknown rubrics exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import LANGUAGE_IDS, LANGUAGES, assert_broken_diagnostics, broken_rubric, run_cli
from tests.conftest import SEED_CASEWORK, SEED_INSPECTION
from tests.test_seed_sheets import SHEETS


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


def test_bad_facts_name_every_fact_and_exit_2() -> None:
    done = run_cli(
        "score",
        "--rubric",
        "wuping.casework",
        "--facts",
        "-",
        stdin=json.dumps({**SEED_CASEWORK, "satisfaction": "9802", "on_tim": True}),
    )
    assert done.returncode == 2
    assert "satisfaction: '9802' is outside 0%..100%" in done.stderr
    assert "on_tim: this rubric declares no such fact; did you mean `on_time`?" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_rubric_suggests_a_name() -> None:
    done = run_cli("score", "--rubric", "wuping.casewrk", "--facts", "-", stdin="{}")
    assert done.returncode == 2
    assert "did you mean `wuping.casework`?" in done.stderr


def test_facts_that_are_not_json_are_located() -> None:
    done = run_cli("score", "--rubric", "wuping.casework", "--facts", "-", stdin='{"a": 1,,}')
    assert done.returncode == 2
    assert "facts -:1:" in done.stderr and "not valid JSON" in done.stderr


@pytest.mark.parametrize(("args", "lang_env", "chinese"), LANGUAGES, ids=LANGUAGE_IDS)
def test_a_broken_rubric_is_reported_in_the_chosen_language(
    tmp_path: Path, args: tuple[str, ...], lang_env: str | None, chinese: bool
) -> None:
    broken = broken_rubric(tmp_path)
    by_file = run_cli("score", *args, "--rubric", str(broken), "--facts", "-", stdin="{}", lang_env=lang_env)
    assert by_file.returncode == 2
    assert by_file.stderr.startswith(f"rubric score: {broken}:3:3: ")
    assert_broken_diagnostics(by_file.stderr, chinese)
    by_id_args = ["--rubrics", str(broken.parent), "--rubric", "t.t", "--facts", "-"]
    by_id = run_cli("score", *args, *by_id_args, stdin="{}", lang_env=lang_env)
    assert by_id.returncode == 2
    assert_broken_diagnostics(by_id.stderr, chinese)


@pytest.mark.parametrize(("args", "lang_env", "chinese"), LANGUAGES, ids=LANGUAGE_IDS)
def test_an_unknown_rubric_is_reported_in_the_chosen_language(
    args: tuple[str, ...], lang_env: str | None, chinese: bool
) -> None:
    done = run_cli("score", *args, "--rubric", "wuping.casewrk", "--facts", "-", stdin="{}", lang_env=lang_env)
    assert done.returncode == 2
    assert ("rubrics 中没有评分规则 `wuping.casewrk`；是不是 `wuping.casework`？（可用的有：" in done.stderr) == chinese
    assert ("unknown rubric `wuping.casewrk` in rubrics; did you mean `wuping.casework`?" in done.stderr) == (
        not chinese
    )
