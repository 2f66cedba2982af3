"""`rubric sheet`: the score sheet (评分表) of a rubric, on stdout or in a file; the sheet itself is tested
in tests/test_sheet.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli.helpers import LANGUAGE_IDS, LANGUAGES, assert_broken_diagnostics, broken_rubric, run_cli
from tests.conftest import RUBRICS

SEED_FACTS = str(RUBRICS / "wuping" / "seed-inspection.facts.json")
SHEETS_CSV = RUBRICS / "samples" / "wuping.sheets.csv"


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


SEED_HEADER = [
    "--header",
    "project_name=2022年定额基本业务费",
    "--header",
    "主管部门=中国共产党武平县纪律检查委员会",
    "--header",
    "budget_full_year=286",
    "--header",
    "spent=286",
]


def test_header_options_and_header_facts_fill_the_header_block(tmp_path: Path) -> None:
    done = run_cli("sheet", "--rubric", "wuping.inspection", "--facts", SEED_FACTS, *SEED_HEADER)
    assert done.returncode == 0, done.stderr
    assert "| 项目名称 | 2022年定额基本业务费 |" in done.stdout
    assert "| 项目主管部门 | 中国共产党武平县纪律检查委员会 |" in done.stdout
    assert "| 年度资金总额 |  | 286 | 286 | 100% |" in done.stdout and "85.6" in done.stdout
    facts = json.loads(Path(SEED_FACTS).read_text(encoding="utf-8"))
    with_header = tmp_path / "facts.json"
    with_header.write_text(json.dumps({**facts, "project_name": "甲项目", "unit": "乙单位"}), encoding="utf-8")
    done = run_cli("sheet", "--rubric", "wuping.inspection", "--facts", str(with_header), "--format", "html")
    assert done.returncode == 0, done.stderr  # header facts are taken out before scoring
    assert "甲项目" in done.stdout and "乙单位" in done.stdout and '<td class="footer">85.6</td>' in done.stdout


def test_a_bad_header_option_exits_2() -> None:
    done = run_cli("sheet", "--rubric", "wuping.inspection", "--header", "budget=1")
    assert done.returncode == 2 and "--header budget=1: expected KEY=VALUE" in done.stderr
    done = run_cli("sheet", "--rubric", "wuping.inspection", "--header", "spent=二百")
    assert done.returncode == 2 and "全年执行数" in done.stderr


def test_blank_form_without_facts(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    done = run_cli("sheet", "--rubric", "wuping.casework", "--format", "xlsx", "-o", str(path))
    assert done.returncode == 0, done.stderr
    sheet = load_workbook(path).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert "得分" in cells and "扣分原因" in cells and any(str(c).startswith("=IF(COUNT(") for c in cells)


def test_data_file_writes_one_worksheet_per_project(tmp_path: Path) -> None:
    path = tmp_path / "评分表.xlsx"
    done = run_cli(
        "sheet", "--rubric", "wuping.casework", "--data", str(SHEETS_CSV), "--format", "xlsx", "-o", str(path)
    )
    assert done.returncode == 0, done.stderr
    book = load_workbook(path)
    assert book.sheetnames == [
        "2021年办案费补助年终结转结余",
        "2021年专项业务费年终结转结余",
        "规则记录",  # hidden: the rule record `rubric import` reads back
    ]  # the inspection row skipped
    values = load_workbook(path, data_only=True)
    for name in book.sheetnames[:-1]:
        cells = [c.value for row in values[name].iter_rows() for c in row]
        assert name in cells and 94.6 in cells and "优" in cells


def test_data_file_writes_one_html_file_per_project(tmp_path: Path) -> None:
    out = tmp_path / "sheets"
    done = run_cli(
        "sheet", "--rubric", "wuping.inspection", "--data", str(SHEETS_CSV), "--format", "html", "-o", f"{out}/"
    )
    assert done.returncode == 0, done.stderr
    (page,) = out.iterdir()
    assert page.name == "2022年定额基本业务费.html"
    text = page.read_text(encoding="utf-8")
    assert '<td class="footer">85.6</td>' in text and "中国共产党武平县纪律检查委员会" in text
    refused = run_cli("sheet", "--rubric", "wuping.inspection", "--data", str(SHEETS_CSV), "--format", "md")
    assert refused.returncode == 2 and "add -o DIR/" in refused.stderr


def test_a_bad_record_is_named(tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("project_name,execution_rate\n甲,abc\n", encoding="utf-8")
    done = run_cli(
        "sheet",
        "--rubric",
        "wuping.inspection",
        "--data",
        str(data),
        "--format",
        "xlsx",
        "-o",
        str(tmp_path / "x.xlsx"),
    )
    assert done.returncode == 2 and f"data {data}: row 2:" in done.stderr
