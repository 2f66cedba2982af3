"""`rubric score`: the seed sheets as JSON and as the 评分表 table; bad facts and unknown rubrics exit 2."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.helpers import LANGUAGE_IDS, LANGUAGES, assert_broken_diagnostics, broken_rubric, run_cli
from tests.conftest import ROOT, RUBRICS, SEED_CASEWORK, SEED_INSPECTION
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


def test_a_broken_rubric_asked_for_by_id_is_reported_as_broken(tmp_path: Path) -> None:
    root = tmp_path / "rubrics"
    root.mkdir()
    (root / "broken.rubric").write_text('rubric broken.x "坏" {\n  version "1"\n', encoding="utf-8")
    done = run_cli("score", "--rubric", "broken.x", "--rubrics", str(root), "--facts", "-", stdin="{}")
    assert done.returncode == 2 and "unknown rubric" not in done.stderr
    assert "rubric `broken.x`" in done.stderr and "has 1 error(s) and cannot be used" in done.stderr
    assert f"{root / 'broken.rubric'}:3:1: error:" in done.stderr or "broken.rubric:" in done.stderr


def test_ctrl_c_and_a_reader_that_goes_away_end_quietly() -> None:
    waiting = subprocess.Popen(
        [sys.executable, "-m", "rubric_cli", "score", "--rubric", "wuping.casework", "--facts", "-"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(1.5)  # until it waits for the facts on stdin (only bounds when the signal comes)
    waiting.send_signal(signal.SIGINT)
    _, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 130 and "interrupted" in err and "Traceback" not in err
    closed = subprocess.Popen(
        [sys.executable, "-m", "rubric_cli", "check", str(RUBRICS)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert closed.stdout is not None
    closed.stdout.close()  # like `| head` that has read what it wanted
    _, err = closed.communicate(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err
