"""`rubric sheet`: the score sheet (评分表) of a rubric, on stdout or in a file; the sheet itself is tested
in tests/test_sheet.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli.helpers import LANGUAGE_IDS, LANGUAGES, assert_broken_diagnostics, broken_rubric, run_cli
from tests.conftest import RUBRICS

SEED_FACTS = str(RUBRICS / "wuping" / "seed-inspection.facts.json")


def test_sheet_prints_markdown_with_the_points_of_the_facts() -> None:
    done = run_cli("sheet", "--rubric", "wuping.inspection", "--facts", SEED_FACTS)
    assert done.returncode == 0, done.stderr
    assert "| 三级指标 |" in done.stdout and "85.6" in done.stdout and "良" in done.stdout
    unscored = run_cli("sheet", "--rubric", "wuping.inspection", "--format", "html")
    assert unscored.returncode == 0 and unscored.stdout.startswith("<!DOCTYPE html>")
    assert "85.6" not in unscored.stdout


def test_an_xlsx_sheet_needs_a_file(tmp_path: Path) -> None:
    done = run_cli("sheet", "--rubric", "wuping.inspection", "--format", "xlsx")
    assert done.returncode == 2
    assert "rubric sheet: an xlsx sheet needs a file: add -o FILE.xlsx" in done.stderr
    path = tmp_path / "评分表.xlsx"
    written = run_cli(
        "sheet", "--rubric", "wuping.inspection", "--facts", SEED_FACTS, "--format", "xlsx", "-o", str(path)
    )
    assert written.returncode == 0 and written.stdout == ""
    cells = [c.value for row in load_workbook(path).active.iter_rows() for c in row]
    assert "实际完成巡察单位数量" in cells


def test_an_unknown_rubric_exits_2() -> None:
    done = run_cli("sheet", "--rubric", "wuping.inspectoin")
    assert done.returncode == 2
    assert "unknown rubric `wuping.inspectoin`" in done.stderr and "did you mean `wuping.inspection`?" in done.stderr


@pytest.mark.parametrize(("args", "lang_env", "chinese"), LANGUAGES, ids=LANGUAGE_IDS)
def test_a_broken_rubric_is_reported_in_the_chosen_language(
    tmp_path: Path, args: tuple[str, ...], lang_env: str | None, chinese: bool
) -> None:
    broken = broken_rubric(tmp_path)
    done = run_cli("sheet", *args, "--rubric", str(broken), lang_env=lang_env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"rubric sheet: {broken}:3:3: ")
    assert_broken_diagnostics(done.stderr, chinese)
