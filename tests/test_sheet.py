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
from rubric_dsl.sheet import (
    SheetError,
    SheetTable,
    grade_scale,
    render_html,
    render_markdown,
    render_xlsx,
    render_xlsx_book,
    sheet_header,
    sheet_names,
    sheet_table,
    split_facts,
    write_sheet,
)
from rubric_dsl.wording import criteria_text
from tests.conftest import RUBRICS, SEED_INSPECTION, compile_text, one_indicator

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
        "bands done / planned { [100%, ∞) 5  otherwise 0 }",  # a count by a count is a ratio: a percent
        UNITS,
        "5",
        "",
        "(完成数÷计划数)100%以上（含100%）得5分；其余不得分",
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
        "该项指标分值×完成数÷计划数（最多按100%计）",
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
        "A≥5%得满分；0%<A<5%时，得分为满分×(A/5%)；A≤0%时不得分（A为执行率）",
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
        "按公式计算：10×(完成数÷计划数)，最低0分，最高10分",
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
    (
        "bands-percent-zero",
        "bands change { (-∞, 0%] 5  (0%, ∞) 0 }",
        'input change percent "变动率"',
        "5",
        "",
        "变动率0%以下（含0%）得5分；其余不得分",
    ),
    (
        "formula-max-bound",
        "points max(0, 10 - n)",
        'input n count "人数"',
        "10",
        "",
        "按公式计算：10-人数（最少按0计），最低0分，最高10分",
    ),
    ("formula-abs", "points 10 - abs(x)", PLAIN, "10", "", "按公式计算：10-减少数的绝对值，最低0分，最高10分"),
    (
        "formula-min-of-names",
        "points min(done, planned)",
        UNITS,
        "10",
        "",
        "按公式计算：完成数、计划数中的较小值，最低0分，最高10分",
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


# --- 扣分原因: why points were lost, worded from the clause that fired ---------------------------------

REASONS = [
    # id, rule, inputs, weight, facts, 扣分原因
    (
        "bands",
        "bands rate { [95%, ∞) 5  [90%, 95%) 4  [0%, 90%) 0 }",
        RATE,
        "5",
        {"rate": "92"},
        "扣1分：执行率为92%，属“90%（含）—95%”档，得4分",
    ),
    (
        "checklist",
        "checklist n deduct 1 each, zero when bad",
        'input n count "不符项数"\n  input bad flag "严重不符"',
        "5",
        {"n": "2", "bad": "false"},
        "扣2分：有2项不符，每项扣1分，得3分",
    ),
    (
        "checklist-serious",
        "checklist n deduct 1 each, zero when bad",
        'input n count "不符项数"\n  input bad flag "严重不符"',
        "5",
        {"n": "0", "bad": "true"},
        "扣5分：存在严重不符的情况（“严重不符”），不得分",
    ),
    (
        "steps",
        "steps n above 70 deduct 1 per 5 whole",
        PEOPLE,
        "15",
        {"n": "81"},
        "扣2分：人数为81人，超过70人，每增加5人扣1分，计2次，得13分",
    ),
    (
        "proportional-bounded",
        "proportional min(1, done / planned)",
        UNITS,
        "15",
        {"done": "15", "planned": "25"},
        "扣6分：完成数÷计划数（最多按100%计）为60%，得分为15×60%=9分",
    ),
    (
        "linear-rounded",
        "linear x from 0 to 20",
        PLAIN,
        "2.5",
        {"x": "18"},
        "扣0.25分：减少数为18，介于0与20之间，按比例得2.25分",
    ),
    ("linear-below", "linear x from 0 to 20", PLAIN, "2.5", {"x": "-3"}, "扣2.5分：减少数为-3，不高于0，不得分"),
    (
        "target-proportional",
        "target rate >= 95% proportional",
        RATE,
        "10",
        {"rate": "76"},
        "扣2分：执行率为76%，未达到目标值（≥95%），按完成比例得8分",
    ),
    ("judged", "judged score", 'input score number "评价组打分"', "10", {"score": "7"}, "扣3分：评价组评定得7分"),
    (
        "conditional-arm",
        "when rate <= 50% => points 0\n    otherwise => proportional rate",
        RATE,
        "10",
        {"rate": "40"},
        "扣10分：因执行率≤50%，不得分",
    ),
    ("full-points", "proportional rate", RATE, "10", {"rate": "100"}, ""),
]


@pytest.mark.parametrize(
    ("rule", "inputs", "weight", "facts", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in REASONS],
)
def test_lost_points_reason(rule: str, inputs: str, weight: str, facts: dict[str, str], expected: str) -> None:
    rubric = compile_text(one_indicator(rule, inputs, weight))
    (row,) = sheet_table(rubric, rubric.score(facts)).rows
    assert row.reason == expected
    assert "_" not in row.reason  # labels, never fact ids


# --- the seed's 定额基本业务费 sheet (85.6 良), with the seed's header block ------------------------------

SEED_HEADER = {
    "project_name": "2022年定额基本业务费",
    "department": "中国共产党武平县纪律检查委员会",
    "unit": "中国共产党武平县纪律检查委员会",
    "budget_initial": "286",
    "budget_full_year": "286",
    "spent": "286",
    "evaluation_date": "2023年5月",
}


@pytest.fixture(scope="module")
def seed() -> tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result]:
    rubric = rubric_dsl.load_dir(Path(__file__).parent.parent / "rubrics")["wuping.inspection"]
    return rubric, rubric.score(SEED_INSPECTION)


@pytest.fixture(scope="module")
def seed_table(seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result]) -> SheetTable:
    return sheet_table(*seed, SEED_HEADER)


def test_seed_markdown_matches_golden(seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result]) -> None:
    rubric, result = seed
    text = render_markdown(sheet_table(rubric, result, SEED_HEADER)).replace(rubric.content_hash, "<content-hash>")
    golden = DATA / "wuping.inspection.md"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def _md_rows(text: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        for line in text.splitlines()
        if line.startswith("| ")
    ]


def test_seed_markdown_has_the_seed_layout_and_figures(seed_table: SheetTable) -> None:
    text = render_markdown(seed_table)
    lines = _md_rows(text)
    # the seed's header block: 项目名称, 主管部门 / 实施单位, 项目资金 (年初预算数 ① 全年预算数 ② 全年执行数 ③ 执行率)
    info = {cells[0]: cells[1:] for cells in lines}
    assert info["项目名称"] == ["2022年定额基本业务费"]
    assert info["项目主管部门"] == ["中国共产党武平县纪律检查委员会"]
    assert info["项目实施单位"] == ["中国共产党武平县纪律检查委员会"]
    assert info["项目资金（万元）"] == ["年初预算数①", "全年预算数②", "全年执行数③", "执行率③/②"]
    assert info["年度资金总额"] == ["286", "286", "286", "100%"]
    assert info["评价时间"] == ["2023年5月"]
    header = next(cells for cells in lines if cells[0] == "绩效指标")
    assert header == ["绩效指标", "一级指标", "二级指标", "三级指标", "分值", "评分标准", "得分", "扣分原因"]
    rows = {cells[3]: cells for cells in lines if len(cells) == 8}
    # 三级指标 → (分值, 得分) as the seed's 参考分值 and 评价分值 columns print them
    assert (rows["实际完成巡察单位数量"][4], rows["实际完成巡察单位数量"][6]) == ("15", "9")
    assert (rows["群众上访人次减少数"][4], rows["群众上访人次减少数"][6]) == ("2.5", "2.3")
    assert (rows["公众满意度"][4], rows["公众满意度"][6]) == ("10", "9.8")
    assert rows["立项依据充分性"][:3] == ["共性绩效指标（50分）", "决策（21分）", "项目立项（8分）"]
    assert rows["立项依据充分性"][7] == ""  # no point lost, no reason
    assert rows["实际完成率"][7] == "扣3分：实际完成率为60%，属“0%（含）—85%”档，不得分"
    assert "min(" not in text and "_units" not in text
    totals = {cells[0]: cells for cells in lines}
    assert (totals["总分"][4], totals["总分"][6]) == ("100", "85.6")
    scale = "自评等次：优（S≥90）良（80≤S<90）中（60≤S<80）差（S<60）"
    assert totals[scale][6] == "良"
    assert (totals["小计：共性绩效指标"][6], totals["小计：个性绩效指标"][6]) == ("45", "40.6")
    assert "评价人：" in text and "复核人：" in text and "日期：" in text


def test_execution_rate_is_exact() -> None:
    header = sheet_header({"budget_full_year": "3", "spent": "2", "budget_initial": "1,000.50"})
    assert header.rate is not None and header.rate_text == "66.67%"
    assert header.rate * 3 == 200
    assert header.budget_initial == Decimal("1000.50")
    assert sheet_header({"全年预算": "0", "执行数": "1"}).rate_text == ""
    with pytest.raises(SheetError, match="全年执行数") as refused:
        sheet_header({"spent": "二百"})
    assert refused.value.text("zh") == "全年执行数（二百）：不是金额（万元）"
    with pytest.raises(SheetError, match="unknown header field") as refused:
        sheet_header({"budget": "1"})
    assert refused.value.text("zh").startswith("没有表头项 `budget`（可用：project_name, ")


def test_header_facts_are_not_scored(seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result]) -> None:
    rubric, result = seed
    facts, header = split_facts(rubric, {**SEED_INSPECTION, "project": "X", "spent": "286"})
    assert facts == SEED_INSPECTION and header == {"project_name": "X", "spent": "286"}
    assert rubric.score(facts).total == result.total == Decimal("85.6")


# --- XLSX, read back ---------------------------------------------------------------------------------


def _find(sheet: Any, text: str, column: int = 1) -> int:
    for (cell,) in sheet.iter_rows(min_col=column, max_col=column):
        if isinstance(cell.value, str) and cell.value.replace("\n", "") == text:
            return int(cell.row)
    raise AssertionError(f"{text!r} not in column {column}")


def _ranges(sheet: Any) -> set[str]:
    return {str(r) for r in sheet.merged_cells.ranges}


def test_seed_xlsx_reads_back(seed_table: SheetTable, tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    render_xlsx(seed_table, path)
    sheet = openpyxl.load_workbook(path).active
    header_row = _find(sheet, "绩效指标")
    header = next(sheet.iter_rows(min_row=header_row, max_row=header_row, values_only=True))
    assert header == ("绩效指标", "一级指标", "二级指标", "三级指标", "分值", "评分标准", "得分", "扣分原因")
    assert sheet["A1"].value == "武平县纪委项目支出绩效评价：定额基本业务费"
    rows = {row[3]: row for row in sheet.iter_rows(min_row=header_row + 1, values_only=True)}
    criteria = "该项指标分值×实际完成巡察单位数÷计划巡察单位数（最多按100%计）"
    assert rows["实际完成巡察单位数量"][4:7] == (15, criteria, 9)
    assert str(rows["实际完成巡察单位数量"][7]).startswith("扣6分：")
    assert rows["立项依据充分性"][7] is None
    assert (rows["群众上访人次减少数"][4], rows["群众上访人次减少数"][6]) == (2.5, 2.3)
    # the header block: values beside their labels, 执行率 a formula of the amounts
    project = _find(sheet, "项目名称")
    assert "2022年定额基本业务费" in [c.value for c in sheet[project]]
    assert "中国共产党武平县纪律检查委员会" in [c.value for c in sheet[_find(sheet, "项目主管部门")]]
    money = _find(sheet, "项目资金（万元）")
    titles = [c.value.replace("\n", "") for c in sheet[money] if c.value]
    assert titles == ["项目资金（万元）", "年初预算数①", "全年预算数②", "全年执行数③", "执行率③/②"]
    amounts = [c for c in sheet[money + 1] if c.value is not None]
    assert [c.value for c in amounts[:3]] == [286, 286, 286]
    assert str(amounts[3].value).startswith("=IF(") and amounts[3].number_format == "0.00%"


def test_seed_xlsx_totals_are_formulas_with_cached_values(seed_table: SheetTable, tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    render_xlsx(seed_table, path)
    book = openpyxl.load_workbook(path)
    sheet, values = book.active, openpyxl.load_workbook(path, data_only=True).active
    first, total = _find(sheet, "绩效指标") + 1, _find(sheet, "总分")
    assert sheet.cell(total, 7).value == f'=IF(COUNT(G{first}:G{total - 1})=0,"",SUM(G{first}:G{total - 1}))'
    assert values.cell(total, 7).value == 85.6 and sheet.cell(total, 5).value == 100
    grade = sheet.cell(total + 1, 7).value
    assert grade.startswith(f'=IF(G{total}="",""') and '>=80,"良"' in grade
    assert values.cell(total + 1, 7).value == "良"
    common = _find(sheet, "小计：共性绩效指标")
    assert str(sheet.cell(common, 7).value).startswith(f"=IF(COUNT(G{first}:G{first + 13})=0")
    assert values.cell(common, 7).value == 45
    assert values.cell(_find(sheet, "　小计：决策"), 7).value == 21
    assert book.calculation.fullCalcOnLoad
    money = _find(sheet, "项目资金（万元）") + 1
    assert 1 in [c.value for c in values[money]]  # 执行率 100%, cached as the ratio


def test_seed_xlsx_merges_fonts_and_page_setup(seed_table: SheetTable, tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    render_xlsx(seed_table, path)
    book = openpyxl.load_workbook(path)
    sheet = book.active
    merged = _ranges(sheet)
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
    money = _find(sheet, "项目资金（万元）")
    assert any(r.startswith(f"A{money}:") and r.endswith(str(money + 1)) for r in merged)  # spans two rows
    cell = sheet.cell(common, 6)
    assert cell.alignment.wrap_text and cell.font.name == "宋体"
    assert sheet.cell(common, 1).border.left.style == "thin"
    assert sheet.cell(total, 7).font.name == "宋体" and sheet.cell(total, 7).font.bold
    header_row = _find(sheet, "绩效指标")
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    assert sheet.print_area == f"'评分表'!$A$1:$H${sheet.max_row}"
    setup = sheet.page_setup
    assert (setup.paperSize, setup.orientation, setup.fitToWidth, setup.fitToHeight) == (9, "portrait", 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    widths = [sheet.column_dimensions[c].width for c in "ABCDEFGH"]
    assert min(widths) >= 6 and sum(widths) <= 115  # fits A4 portrait at a readable scale
    # provenance out of the body: in the footer and the document properties, not in any cell
    rubric_hash = seed_table.provenance[2][1]
    assert rubric_hash in sheet.oddFooter.left.text
    assert not any(rubric_hash in str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    props = {p.name: p.value for p in book.custom_doc_props.props}
    assert props == {
        "rubric:rubric": "wuping.inspection",
        "rubric:version": "2022.1",
        "rubric:content_hash": rubric_hash,
    }
    assert rubric_hash in book.properties.keywords
    # lines to sign under the table
    signed = [str(c.value) for c in sheet[sheet.max_row] if c.value]
    assert [s.split("：")[0] for s in signed] == ["评价人", "复核人", "日期"]


def test_blank_xlsx_form(seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result], tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    render_xlsx(sheet_table(seed[0]), path)
    sheet = openpyxl.load_workbook(path).active
    values = openpyxl.load_workbook(path, data_only=True).active
    header_row = _find(sheet, "绩效指标")
    assert sheet.cell(header_row, 7).value == "得分" and sheet.cell(header_row, 8).value == "扣分原因"
    total = _find(sheet, "总分")
    assert all(sheet.cell(r, 7).value is None for r in range(header_row + 1, total))
    assert all(sheet.cell(r, 8).value is None for r in range(header_row + 1, total + 2))
    assert str(sheet.cell(total, 7).value).startswith("=IF(COUNT(")
    assert values.cell(total, 7).value is None and values.cell(total + 1, 7).value is None
    assert sheet.cell(_find(sheet, "项目名称"), 3).value is None


def test_batch_workbook_names_sheets_after_projects(
    seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result], tmp_path: Path
) -> None:
    names = ["2022年定额基本业务费", "a/b:c*d?[e]", "x" * 40, "X" * 40, ""]
    assert sheet_names(names) == ["2022年定额基本业务费", "a_b_c_d__e_", "x" * 31, "X" * 28 + "(2)", "评分表5"]
    path = tmp_path / "book.xlsx"
    tables = [(name, sheet_table(seed[0], seed[1], {"project_name": name})) for name in ("甲", "乙")]
    render_xlsx_book(tables, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["甲", "乙", "规则记录"]  # the rule record `rubric import` reads, hidden
    assert [s.sheet_state for s in book.worksheets] == ["visible", "visible", "hidden"]
    assert "乙" in [c.value for c in book["乙"][3]]
    assert openpyxl.load_workbook(path, data_only=True)["乙"].cell(_find(book["乙"], "总分"), 7).value == 85.6


# --- HTML ---------------------------------------------------------------------------------------------


def test_seed_html_prints_on_a4(seed_table: SheetTable) -> None:
    page = render_html(seed_table)
    assert re.search(r"@page\s*\{\s*size:\s*A4 portrait", page) and "@media print" in page
    assert 'font-family: "SimSun", "宋体", "Songti SC", "Noto Serif CJK SC", serif' in page
    assert '<td class="level" rowspan="14">共性绩效指标<span class="w">（50分）</span></td>' in page
    assert '<td class="level" rowspan="2" colspan="2">资金管理<span class="w">（13分）</span></td>' in page
    assert '<td class="footer">85.6</td>' in page
    assert '<td class="grade">良</td>' in page
    assert not re.search(r"https?://", page)
    assert "<script" not in page and "<link" not in page


def test_seed_html_header_reasons_signatures_and_footer(seed_table: SheetTable) -> None:
    page = render_html(seed_table)
    info = page[page.index('<table class="info">') : page.index('<table class="sheet">')]
    assert '<th>项目名称</th><td class="value" colspan="4">2022年定额基本业务费</td>' in info
    assert "<th>项目主管部门</th>" in info and "<th>项目实施单位</th>" in info
    assert "<th>年初预算数①</th><th>全年预算数②</th><th>全年执行数③</th><th>执行率③/②</th>" in info
    assert '<td class="number">286</td><td class="number">286</td><td class="number">286</td>' in info
    assert '<td class="number">100%</td>' in info and "2023年5月" in info
    assert "<th>扣分原因</th>" in page
    assert '<td class="reason">扣3分：实际完成率为60%，属“0%（含）—85%”档，不得分</td>' in page
    sign = page[page.index('<div class="sign">') :]
    assert sign.index("评价人：") < sign.index("复核人：") < sign.index("日期：")
    footer = page[page.index('<footer class="audit">') :]
    assert seed_table.provenance[2][1] in footer and "2022.1" in footer
    assert page.count(seed_table.provenance[2][1]) == 1  # only in the footer, not in the body


def test_blank_html_form(seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result]) -> None:
    page = render_html(sheet_table(seed[0]))
    assert "<th>得分</th><th>扣分原因</th>" in page
    assert '<td class="grade"></td>' in page and '<td class="reason">扣' not in page
    assert '<th>项目名称</th><td class="value" colspan="4"></td>' in page
    assert "评价人：" in page


# --- blank forms of every bundled rubric; other shapes; the entry point ----------------------------------


@pytest.mark.parametrize("rubric_id", sorted(rubric_dsl.load_dir(RUBRICS)))
def test_blank_form_of_every_bundled_rubric(bundled: dict[str, rubric_dsl.CompiledRubric], rubric_id: str) -> None:
    table = sheet_table(bundled[rubric_id])
    assert table.headers[-2:] == ("得分", "扣分原因") and not table.scored
    assert all(row.points is None and row.reason == "" for row in table.rows)
    assert [f.value for f in table.footer] == [None, None]
    text = render_markdown(table)
    assert "min(" not in text and "max(" not in text  # worded, never raw calls
    assert "评价人：" in text and "| 项目名称 |  |" in text
    for line in text.splitlines():
        if line.startswith("| 总分 |"):
            assert line.endswith("|  |  |")  # 得分 and 扣分原因 empty
    assert "<td" in render_html(table)


def test_unscored_sheet_is_a_blank_form() -> None:
    rubric = compile_text(one_indicator("proportional rate", RATE, "10"))
    table = sheet_table(rubric)
    assert table.headers == ("一级指标", "分值", "评分标准", "得分", "扣分原因")
    assert [f.value for f in table.footer] == [None, None]
    assert "| 总分 | 10 |  |  |  |" in render_markdown(table)


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
    assert table.headers == ("一级指标", "二级指标", "三级指标", "分值", "评分标准", "得分", "扣分原因")
    assert [row.levels for row in table.rows] == [("过程（6分）", "资金管理（4分）"), ("过程（6分）", ""), ("", "")]
    assert [(m.row, m.col, m.rows, m.cols) for m in table.merges] == [(0, 0, 2, 1)]
    assert [(s.label, s.first, s.last) for s in table.subtotals] == [("过程", 0, 1), ("资金管理", 0, 0)]


def test_result_of_another_rubric_is_refused(seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result]) -> None:
    other = compile_text(one_indicator("proportional rate", RATE, "10"))
    with pytest.raises(ValueError, match=r"wuping\.inspection"):
        sheet_table(other, seed[1])


@pytest.mark.parametrize("sheet_format", ["md", "html", "xlsx"])
def test_write_sheet(
    seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result], tmp_path: Path, sheet_format: Any
) -> None:
    path = tmp_path / f"sheet.{sheet_format}"
    write_sheet(seed[0], seed[1], sheet_format, path, SEED_HEADER)
    assert path.stat().st_size > 0
    if sheet_format != "xlsx":
        text = path.read_text(encoding="utf-8")
        assert "85.6" in text and "2022年定额基本业务费" in text


def test_write_sheet_to_stdout(
    seed: tuple[rubric_dsl.CompiledRubric, rubric_dsl.Result], capsys: pytest.CaptureFixture[str]
) -> None:
    write_sheet(seed[0], None, "md", "-")
    assert "| 三级指标 |" in capsys.readouterr().out
    with pytest.raises(ValueError, match="output file"):
        write_sheet(seed[0], None, "xlsx", "-")
