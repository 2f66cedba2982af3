"""The score sheet (评分表): 评分标准 worded from every rule kind, and the seed's 定额基本业务费 sheet.

The Markdown golden is `tests/testdata/sheet/<rubric>.md`, with the rubric's content hash written
as `<content-hash>` so that editing a comment in a rubric does not break it. After an intended
change of layout or wording, rewrite it and read the diff:

    UPDATE_GOLDENS=1 .venv/bin/pytest -q tests/test_sheet.py
"""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import rubric_dsl
from rubric_dsl.program import GradeInfo
from rubric_dsl.sheet import grade_scale, render_html, render_markdown, render_xlsx, sheet_table, write_sheet
from rubric_dsl.wording import criteria_text
from tests.conftest import SEED_INSPECTION, compile_text, one_indicator

DATA = Path(__file__).parent / "testdata" / "sheet"
UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"

RATE = 'input rate percent "执行率" range 0% .. 100%'
PEOPLE = 'input n count "人数" unit "人"'
PLAIN = 'input x number "减少数"'
UNITS = 'input done count "完成数"\n  input planned count "计划数" range 1 ..'
FLAG = 'input ok flag "按时完成"\n  input n count "人数"'

WORDING = [
    # id, rule, inputs, weight, extra declarations, 评分标准
    (
        "bands-seed",
        "bands rate { [95%, ∞) 5  [90%, 95%) 4  [85%, 90%) 3  [0%, 85%) 0 }",
        RATE,
        "5",
        "",
        "执行率95%以上（含95%）得5分；90%（含）—95%得4分；85%（含）—90%得3分；其余不得分",
    ),
    (
        "bands-open-ends",
        "bands rate { (-∞, 50%) 2  [50%, 80%] 1  (80%, ∞) 0 }",
        RATE,
        "2",
        "",
        "执行率低于50%得2分；50%（含）—80%（含）得1分；其余不得分",
    ),
    (
        "bands-units",
        "bands n { (-∞, 10] 3  (10, 20] 2  (20, 30) 1  [30, ∞) 0 }",
        PEOPLE,
        "3",
        "",
        "人数10人以下（含10人）得3分；10人—20人（含）得2分；20人—30人（均不含）得1分；其余不得分",
    ),
    ("bands-above", "bands rate { (90%, ∞) 5  otherwise 0 }", RATE, "5", "", "执行率高于90%得5分；其余不得分"),
    (
        "bands-otherwise-points",
        "bands rate { [95%, ∞) 5  otherwise 1 }",
        RATE,
        "5",
        "",
        "执行率95%以上（含95%）得5分；其余得1分",
    ),
    (
        "bands-expression",
        "bands done / planned { [1, ∞) 5  otherwise 0 }",
        UNITS,
        "5",
        "",
        "(完成数/计划数)1以上（含1）得5分；其余不得分",
    ),
    (
        "checklist-serious",
        "checklist n deduct 1 each, zero when bad",
        'input n count "不符项数"\n  input bad flag "严重不符"',
        "5",
        "",
        "若有一项不符扣1分，若存在严重不符的情况则不得分",
    ),
    ("checklist-plain", "checklist n deduct 0.5 each", 'input n count "不符项数"', "2", "", "若有一项不符扣0.5分"),
    (
        "steps-above-whole",
        "steps n above 70 deduct 1 per 5 whole",
        PEOPLE,
        "15",
        "",
        "人数小于等于70人得满分，每增加5人扣1分，直到扣完为止",
    ),
    (
        "steps-above-started",
        "steps n above 70 deduct 1 per 5 started",
        PEOPLE,
        "15",
        "",
        "人数小于等于70人得满分，每增加5人扣1分（不足5人按5人计），直到扣完为止",
    ),
    (
        "steps-below-percent",
        "steps rate below 95% deduct 1 per 1% started",
        RATE,
        "5",
        "",
        "执行率大于等于95%得满分，每减少1个百分点扣1分（不足1个百分点按1个百分点计），直到扣完为止",
    ),
    ("proportional-input", "proportional rate", RATE, "3", "", "该项指标分值×执行率"),
    (
        "proportional-expression",
        "proportional min(1, done / planned)",
        UNITS,
        "15",
        "",
        "该项指标分值×min(1, 完成数/计划数)",
    ),
    (
        "proportional-let-label",
        "proportional ratio",
        UNITS,
        "15",
        'let ratio "完成率" = done / planned',
        "该项指标分值×完成率",
    ),
    (
        "linear-seed",
        "linear x from 0 to 20",
        PLAIN,
        "2.5",
        "",
        "A≥20得满分；0<A<20时，得分为满分×(A/20)；A≤0时不得分（A为减少数）",
    ),
    (
        "linear-percent",
        "linear rate from 0% to 5%",
        RATE,
        "2.5",
        "",
        "A≥5%得满分；0<A<5%时，得分为满分×(A/5%)；A≤0时不得分（A为执行率）",
    ),
    (
        "linear-offset",
        "linear rate from 50% to 100%",
        RATE,
        "10",
        "",
        "A≥100%得满分；50%<A<100%时，得分为满分×(A-50%)/(100%-50%)；A≤50%时不得分（A为执行率）",
    ),
    (
        "linear-negative-start",
        "linear x from -5 to 20",
        PLAIN,
        "5",
        "",
        "A≥20得满分；-5<A<20时，得分为满分×(A-(-5))/(20-(-5))；A≤-5时不得分（A为减少数）",
    ),
    (
        "linear-points",
        "linear rate { 50% -> 0  80% -> 6  100% -> 10 }",
        RATE,
        "10",
        "",
        "A≤50%时不得分；50%<A<80%时，得分由0分线性增至6分；80%≤A<100%时，得分由6分线性增至10分；"
        "A≥100%时得满分（A为执行率）",
    ),
    (
        "linear-falling",
        "linear x from 10 to 0",
        PLAIN,
        "4",
        "",
        "A≤0时得满分；0<A<10时，得分由4分线性减至0分；A≥10时不得分（A为减少数）",
    ),
    ("target-met-or-zero", "target rate >= 95%", RATE, "10", "", "执行率达到目标值（≥95%）得满分，未达到不得分"),
    (
        "target-proportional",
        "target rate >= 95% proportional",
        RATE,
        "10",
        "",
        "执行率达到目标值（≥95%）得满分，未达到按完成比例得分（满分×实际值/目标值）",
    ),
    (
        "target-at-most",
        "target cost <= 40000 proportional",
        'input cost money "人均经费"',
        "10",
        "",
        "人均经费达到目标值（≤40000）得满分，未达到按完成比例得分（满分×目标值/实际值）",
    ),
    ("target-equal", "target done == planned", UNITS, "5", "", "完成数达到目标值（=计划数）得满分，未达到不得分"),
    ("judged", "judged score", 'input score number "评价组打分"', "10", "", "由评价组评定，0至10分"),
    ("formula", "points 2 * n", 'input n count "人数"', "10", "", "按公式计算：2×人数，最低0分，最高10分"),
    (
        "formula-unlabelled-let",
        "points 10 * ratio",
        UNITS,
        "10",
        "let ratio = done / planned",
        "按公式计算：10×(完成数/计划数)，最低0分，最高10分",
    ),
    ("formula-full", "points 10", RATE, "10", "", "得满分"),
    ("formula-zero", "points 0", RATE, "10", "", "不得分"),
    (
        "conditional-seed",
        "when rate <= 50% => points 0\n    otherwise => proportional rate",
        RATE,
        "10",
        "",
        "当执行率≤50%时：不得分；否则：该项指标分值×执行率",
    ),
    (
        "conditional-arms",
        "when ok => points 10\n    when not ok and n <= 3 => points 5\n    otherwise => points 0",
        FLAG,
        "10",
        "",
        "当“按时完成”时：得满分；当非“按时完成”且人数≤3时：得5分；否则：不得分",
    ),
]


@pytest.mark.parametrize(
    ("rule", "inputs", "weight", "extra", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in WORDING],
)
def test_criteria_wording(rule: str, inputs: str, weight: str, extra: str, expected: str) -> None:
    rubric = rubric_dsl.compile_source(one_indicator(rule, inputs, weight, extra), "x.rubric")
    scope = rubric.checked.scope
    (indicator, _), *_ = scope.indicators
    assert criteria_text(indicator.rule, indicator.weight, scope) == expected
    assert sheet_table(rubric).rows[0].criteria == expected


@pytest.mark.parametrize(
    ("grades", "expected"),
    [
        pytest.param(
            [("优", "90"), ("良", "80"), ("中", "60"), ("差", None)],
            "优（S≥90）良（80≤S<90）中（60≤S<80）差（S<60）",
            id="wuping",
        ),
        pytest.param(
            [("优秀", "90"), ("良好", "80"), ("中等", "70"), ("差", "0")],
            "优秀（S≥90）良好（80≤S<90）中等（70≤S<80）差（0≤S<70）",
            id="kaiping-closed-bottom",
        ),
    ],
)
def test_grade_scale(grades: list[tuple[str, str | None]], expected: str) -> None:
    infos = [GradeInfo(label, Decimal(low) if low else None) for label, low in grades]
    assert grade_scale(infos) == expected


# --- the seed's 定额基本业务费 sheet (85.6 良) --------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result]:
    rubric = rubric_dsl.load_dir(Path(__file__).parent.parent / "rubrics")["wuping.inspection"]
    return rubric, rubric.score(SEED_INSPECTION)


def test_seed_markdown_matches_golden(seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result]) -> None:
    rubric, result = seed
    text = render_markdown(sheet_table(rubric, result)).replace(rubric.content_hash, "<content-hash>")
    golden = DATA / "wuping.inspection.md"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_seed_markdown_has_the_seed_figures(seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result]) -> None:
    lines = [_cells(line) for line in render_markdown(sheet_table(*seed)).splitlines() if line.startswith("| ")]
    rows = {cells[3]: cells for cells in lines}
    # 三级指标 → (分值, 得分) as the seed's 参考分值 and 评价分值 columns print them
    assert (rows["实际完成巡察单位数量"][4], rows["实际完成巡察单位数量"][6]) == ("15", "9")
    assert (rows["群众上访人次减少数"][4], rows["群众上访人次减少数"][6]) == ("2.5", "2.3")
    assert (rows["公众满意度"][4], rows["公众满意度"][6]) == ("10", "9.8")
    assert rows["立项依据充分性"][:3] == ["共性绩效指标（50分）", "决策（21分）", "项目立项（8分）"]
    totals = {cells[0]: cells for cells in lines}
    assert (totals["总分"][4], totals["总分"][6]) == ("100", "85.6")
    scale = "自评等次：优（S≥90）良（80≤S<90）中（60≤S<80）差（S<60）"
    assert totals[scale][6] == "良"


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split(" | ")]


def test_seed_xlsx_reads_back(seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result], tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    render_xlsx(sheet_table(*seed), path)
    sheet = openpyxl.load_workbook(path).active
    rows = {row[3]: row for row in sheet.iter_rows(min_row=4, values_only=True)}
    header = next(sheet.iter_rows(min_row=3, max_row=3, values_only=True))
    assert header == ("绩效指标", "一级指标", "二级指标", "三级指标", "分值", "评分标准", "得分")
    assert sheet["A1"].value == "武平县纪委项目支出绩效评价：定额基本业务费"
    assert rows["实际完成巡察单位数量"][4:] == (15, "该项指标分值×min(1, 实际完成巡察单位数/计划巡察单位数)", 9)
    assert rows["群众上访人次减少数"][4] == 2.5
    assert rows["群众上访人次减少数"][6] == 2.3
    assert rows["公众满意度"][6] == 9.8
    total = _find(sheet, "总分")
    assert (sheet.cell(total, 5).value, sheet.cell(total, 7).value) == (100, 85.6)
    assert sheet.cell(total + 1, 7).value == "良"
    assert str(sheet.cell(total + 1, 1).value).startswith("自评等次：优（S≥90）")


def test_seed_xlsx_merges_the_hierarchy(
    seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result], tmp_path: Path
) -> None:
    path = tmp_path / "sheet.xlsx"
    render_xlsx(sheet_table(*seed), path)
    sheet = openpyxl.load_workbook(path).active
    merged = {str(r) for r in sheet.merged_cells.ranges}
    common, personal = _find(sheet, "共性绩效指标（50分）"), _find(sheet, "个性绩效指标（50分）")
    total = _find(sheet, "总分")
    assert f"A{common}:A{personal - 1}" in merged  # 共性绩效指标 spans all its 14 rows
    assert f"A{personal}:A{total - 1}" in merged
    assert personal - common == 14
    decision = _find(sheet, "决策（21分）", column=2)
    assert f"B{decision}:B{decision + 5}" in merged
    fund = _find(sheet, "资金管理（13分）", column=2)
    assert f"B{fund}:C{fund + 1}" in merged  # no 二级指标 between 资金管理 and its indicators
    assert f"A{total}:D{total}" in merged
    assert f"A{total + 1}:F{total + 1}" in merged
    assert sheet.cell(common, 6).alignment.wrap_text
    assert sheet.cell(common, 1).border.left.style == "thin"


def _find(sheet: Any, text: str, column: int = 1) -> int:
    for (cell,) in sheet.iter_rows(min_col=column, max_col=column):
        if cell.value == text:
            return int(cell.row)
    raise AssertionError(f"{text!r} not in column {column}")


def test_seed_html_prints_on_a4(seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result]) -> None:
    rubric, result = seed
    page = render_html(sheet_table(rubric, result))
    assert re.search(r"@page\s*\{\s*size:\s*A4", page)
    assert '<td class="level" rowspan="14">共性绩效指标（50分）</td>' in page
    assert '<td class="level" rowspan="2" colspan="2">资金管理（13分）</td>' in page
    assert '<td class="number">85.6</td>' in page
    assert '<td class="grade">良</td>' in page
    assert rubric.content_hash in page and "2022.1" in page
    assert not re.search(r"https?://", page)
    assert "<script" not in page and "<link" not in page


# --- the table without facts, other shapes, and the entry point -----------------------------------------


def test_unscored_sheet_has_no_points_column() -> None:
    rubric = compile_text(one_indicator("proportional rate", RATE, "10"))
    table = sheet_table(rubric)
    assert table.headers == ("一级指标", "分值", "评分标准")
    assert [f.value for f in table.footer] == [None, None]
    assert "| 总分 | 10 |  |" in render_markdown(table)


NESTED = """
rubric test.nested "两级" {
  version "1"
  total 10
  input rate percent "执行率" range 0% .. 100%
  section a "过程" 6 {
    section a1 "资金管理" 4 {
      indicator i1 "执行率" 4 { proportional rate }
    }
    indicator i2 "合规" 2 { points 2 }
  }
  indicator i3 "满意度" 4 { proportional rate }
  grades { 好 >= 6 差 otherwise }
}
"""


def test_two_levels_and_loose_indicators() -> None:
    table = sheet_table(compile_text(NESTED))
    assert table.headers == ("一级指标", "二级指标", "三级指标", "分值", "评分标准")
    assert [row.levels for row in table.rows] == [("过程（6分）", "资金管理（4分）"), ("过程（6分）", ""), ("", "")]
    assert [(m.row, m.col, m.rows, m.cols) for m in table.merges] == [(0, 0, 2, 1)]


def test_result_of_another_rubric_is_refused(seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result]) -> None:
    other = compile_text(one_indicator("proportional rate", RATE, "10"))
    with pytest.raises(ValueError, match=r"wuping\.inspection"):
        sheet_table(other, seed[1])


@pytest.mark.parametrize("sheet_format", ["md", "html", "xlsx"])
def test_write_sheet(
    seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result], tmp_path: Path, sheet_format: Any
) -> None:
    path = tmp_path / f"sheet.{sheet_format}"
    write_sheet(seed[0], seed[1], sheet_format, path)
    assert path.stat().st_size > 0
    if sheet_format != "xlsx":
        assert "85.6" in path.read_text(encoding="utf-8")


def test_write_sheet_to_stdout(
    seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result], capsys: pytest.CaptureFixture[str]
) -> None:
    write_sheet(seed[0], None, "md", "-")
    assert "| 三级指标 |" in capsys.readouterr().out
    with pytest.raises(ValueError, match="output file"):
        write_sheet(seed[0], None, "xlsx", "-")
