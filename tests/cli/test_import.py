"""`rubric import`: the bundled rubrics' sheets read back to rubrics that score every bundled case the same,
the text reader on its own, and a hand-made Excel 评分表 in the field's layout (the seed's 项目支出部门评价表)."""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rubric_cli.main import main
from rubric_dsl import ast
from rubric_dsl.api import check_source, compile_source, load_library
from rubric_dsl.ast import sub_rules
from rubric_dsl.errors import InvalidFacts
from rubric_dsl.importer import build_draft, import_sheet, read_sheet
from rubric_dsl.importer.phrases import Fact, normalize, read_criteria, read_line, read_veto
from rubric_dsl.program import CompiledRubric
from rubric_dsl.testcases import TESTS_SUFFIX
from tests.cli.helpers import run_cli
from tests.conftest import RUBRICS

LIBRARY = load_library(RUBRICS)


BUNDLED = sorted(LIBRARY.rubrics)
TESTED = {
    path: tomllib.loads(path.read_text(encoding="utf-8")).get("rubric") or path.name.removesuffix(TESTS_SUFFIX)
    for path in sorted(RUBRICS.rglob(f"*{TESTS_SUFFIX}"))
}
TEST_FILES = sorted(TESTED)


def _newer(rubric: CompiledRubric) -> bool:
    """Whether the rubric uses a concept of the language issue: bonus and penalty lines, vetoes and caps, a
    final range, not-applicable items, no grades table, expert ranges chosen by a measurement, pro-rata steps."""
    tree = rubric.tree
    if tree.adjustments or tree.vetoes or tree.final_range or tree.not_applicable or tree.grades is None:
        return True
    rules = [r for i, _ in rubric.checked.scope.indicators for r in sub_rules(i.rule)]
    return any(isinstance(r, ast.JudgedBy) or (isinstance(r, ast.Steps) and r.prorata) for r in rules)


NEWER = sorted(r for r in BUNDLED if _newer(LIBRARY.rubrics[r]))


def test_the_round_trip_covers_every_bundled_test_file_and_the_newer_concepts() -> None:
    assert set(TESTED.values()) <= set(BUNDLED)
    assert len(TEST_FILES) >= 16 and len(TEST_FILES) == len(list(RUBRICS.rglob(f"*{TESTS_SUFFIX}")))
    assert {r.split(".")[0] for r in NEWER} >= {"zunyi", "guiyang", "shuili", "yueyang", "hangzhou", "luzhou"}
    assert set(NEWER) <= set(TESTED.values())  # each rubric with a newer concept has cases the round trip scores
    trees = [LIBRARY.rubrics[r].tree for r in NEWER]
    assert any(t.adjustments for t in trees) and any(t.vetoes for t in trees) and any(t.final_range for t in trees)
    assert any(t.not_applicable for t in trees) and any(t.grades is None for t in trees)


def _shape(rubric: CompiledRubric) -> tuple[Any, ...]:
    """What a sheet's rows do not show: inputs, lines, vetoes, the final range, the grades, not-applicable,
    and the sections' ids and labels as written."""
    tree = rubric.tree
    inputs = [(i.name, i.kind, i.optional, tuple(f.name for f in i.fields)) for i in tree.inputs]
    lines = [(a.id, a.kind, a.cap) for a in tree.adjustments]
    vetoes = [(v.id, v.kind, v.grade, v.at_most, v.zero) for v in tree.vetoes]
    mode = tree.not_applicable.mode if tree.not_applicable else None
    grades = [(g.label, g.minimum) for g in rubric.grades]
    sections = [(s.id, s.label, s.weight, s.parent) for s in rubric.sections]
    return inputs, lines, vetoes, (rubric.final_minimum, rubric.final_maximum), grades, mode, sections


def _outcome(rubric: CompiledRubric, facts: dict[str, Any]) -> tuple[Any, ...]:
    try:
        result = rubric.score(facts)
    except InvalidFacts as error:
        return ("refused", sorted(p.fact for p in error.problems))
    return (result.total, result.grade, dict(result.points))


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CompiledRubric]:
    """Each bundled rubric through `rubric sheet --format xlsx` and `rubric import`, as a user runs them."""
    folder = tmp_path_factory.mktemp("round_trip")
    found = {}
    for rubric_id in BUNDLED:
        sheet, draft = folder / f"{rubric_id}.xlsx", folder / f"{rubric_id}.rubric"
        assert (
            main(["sheet", "--rubric", rubric_id, "--rubrics", str(RUBRICS), "--format", "xlsx", "-o", str(sheet)]) == 0
        )
        assert main(["import", str(sheet), "-o", str(draft), "--id", f"imported.{rubric_id}"]) == 0
        found[rubric_id] = compile_source(draft.read_text(encoding="utf-8"), str(draft))
    return found


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_round_trip_scores_every_bundled_case_the_same(path: Path, imported: dict[str, CompiledRubric]):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    rubric_id = data.get("rubric") or path.name.removesuffix(TESTS_SUFFIX)
    original, back = LIBRARY.rubrics[rubric_id], imported[rubric_id]
    assert [(i.id, i.label, i.weight) for i in back.indicators] == [
        (i.id, i.label, i.weight) for i in original.indicators
    ]
    assert _shape(back) == _shape(original)
    assert data["case"]
    for case in data["case"]:
        facts = case.get("facts", {})
        assert _outcome(back, facts) == _outcome(original, facts), case.get("name")


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_a_scored_sheet_reads_back_as_its_blank_form(path: Path, tmp_path: Path):
    """A sheet scored for a case (weights shown as used where items were not applicable, vetoes marked
    已触发/未触发, the points filled in) imports to the same draft as the blank form."""
    from rubric_dsl.sheet import render_xlsx, sheet_table

    rubric = LIBRARY.rubrics[TESTED[path]]
    render_xlsx(sheet_table(rubric), tmp_path / "blank.xlsx")
    blank = import_sheet(tmp_path / "blank.xlsx", "imported.x", "d.rubric")
    assert not blank.errors
    for number, case in enumerate(tomllib.loads(path.read_text(encoding="utf-8"))["case"]):
        try:
            result = rubric.score(case.get("facts", {}))
        except InvalidFacts:
            continue
        if number and not result.vetoes and result.applied is None:
            continue  # the first case, and each that fires a veto or leaves an item out
        render_xlsx(sheet_table(rubric, result), tmp_path / "scored.xlsx")
        scored = import_sheet(tmp_path / "scored.xlsx", "imported.x", "d.rubric")
        assert scored.text.split("\n", 1)[1] == blank.text.split("\n", 1)[1], case.get("name")


EXAMPLES = Path(__file__).resolve().parents[1] / "testdata"


@pytest.mark.parametrize("folder", ["records", "adjust", "rules_more"])
def test_round_trip_holds_for_the_languages_own_examples(folder: str, tmp_path: Path):
    """The examples of the language's docs: `records` and `optional` inputs (records), a bonus with a
    `bands` rule and a final range above the total (adjust), `applicable when` with `not_applicable share`,
    `judged … by` and `prorata` (rules_more): each read back to a rubric that scores its cases the same."""
    (tests,) = (EXAMPLES / folder).glob(f"*{TESTS_SUFFIX}")
    data = tomllib.loads(tests.read_text(encoding="utf-8"))
    original = load_library(EXAMPLES / folder).rubrics[data["rubric"]]
    sheet, draft = tmp_path / "s.xlsx", tmp_path / "d.rubric"
    folder_args = ["--rubrics", str(EXAMPLES / folder)]
    assert main(["sheet", "--rubric", data["rubric"], *folder_args, "--format", "xlsx", "-o", str(sheet)]) == 0
    assert main(["import", str(sheet), "-o", str(draft), "--id", "imported.example"]) == 0
    back = compile_source(draft.read_text(encoding="utf-8"), str(draft))
    assert _shape(back) == _shape(original)
    assert data["case"]
    for case in data["case"]:
        facts = case.get("facts", {})
        assert _outcome(back, facts) == _outcome(original, facts), case.get("name")


SEED_FACTS = tomllib.loads((RUBRICS / "wuping" / "inspection.tests.toml").read_text(encoding="utf-8"))["case"][0][
    "facts"
]


def test_a_hand_edited_criteria_is_read_from_its_text(tmp_path: Path):
    from openpyxl import load_workbook

    sheet = tmp_path / "s.xlsx"
    assert (
        main(
            ["sheet", "--rubric", "wuping.inspection", "--rubrics", str(RUBRICS), "--format", "xlsx", "-o", str(sheet)]
        )
        == 0
    )
    book = load_workbook(sheet)
    body = book["评分表"]
    cell = next(c for row in body.iter_rows() for c in row if c.value and str(c.value).startswith("预算执行率95%"))
    cell.value = "预算执行率90%以上（含90%）得5分；其余不得分"
    book.save(sheet)
    draft = import_sheet(sheet, "imported.edited")
    assert not draft.errors
    assert draft.from_record == 20
    edited = next(i for i in draft.mapped if i.indicator == "预算执行率")
    assert edited.text.startswith("分档计分")
    rubric = compile_source(draft.text)
    assert [i.name for i in rubric.inputs if i.label == "预算执行率"] == ["execution_rate"]  # the same fact
    row = next(i.id for i in rubric.indicators if i.label == "预算执行率")
    assert rubric.score({**SEED_FACTS, "execution_rate": "91"}).points[row] == 5  # by the edited text


# --- the text reader alone (the record taken out): every phrasing `wording.py` prints


@pytest.mark.parametrize("rubric_id", sorted(set(BUNDLED) - set(NEWER)))
def test_the_text_alone_reads_every_bundled_rule_but_a_labelled_computation(rubric_id: str, tmp_path: Path):
    sheet = tmp_path / "s.xlsx"
    assert main(["sheet", "--rubric", rubric_id, "--rubrics", str(RUBRICS), "--format", "xlsx", "-o", str(sheet)]) == 0
    rows = read_sheet(sheet)
    rows.record = []
    draft = build_draft(rows, "imported.text")
    assert not draft.errors, [d.message for d in draft.errors]
    assert draft.weights_ok
    # 资金支出进度 is a labelled `let` over four facts: its text names it, and a person must write it
    assert {i.indicator for i in draft.needs} <= {
        "资金支出进度（按资金支出计划）",
        "时间进度与执行进度、工作完成进度相一致",
    }
    assert "# 待人工确认" in draft.text if draft.needs else "# 待人工确认" not in draft.text


def _facts() -> tuple[list[str], Any]:
    declared: list[str] = []

    def namer(fact: Fact) -> str:
        declared.append(f"{fact.kind} {fact.label} {fact.low}..{fact.high} {fact.unit}")
        return f"f{len(declared)}"

    return declared, namer


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (
            "资金到位率95%以上（含95%），得5分；90%—95%，得4分；85%—90%，得3分；80%—85%，得2分；75%—80%，得1分；其余不得分。",
            "bands f1 { [95%, inf) 5 [90%, 95%) 4 [85%, 90%) 3 [80%, 85%) 2 [75%, 80%) 1 otherwise 0 }",
        ),
        (
            "完成率 95%以上(含 95%),得 3 分; 90%-95%(含 90%),得 2 分; 85%-90%(含 85%),得 1 分, 85%以下不得分。",
            "bands f1 { [95%, inf) 3 [90%, 95%) 2 [85%, 90%) 1 (-inf, 85%) 0 }",
        ),
        (
            "成本节约率10%以上(含10%)，得2分；5%以上(含5%)，得1分；其余不得分。",
            "bands f1 { [10%, inf) 2 [5%, 10%) 1 otherwise 0 }",
        ),
        ("若有一项不符扣 1 分，若存在严重不符的情况则不得分。", "checklist f1 deduct 1 each, zero when f2"),
        ("小于等于70人得满分，每增加5人扣1分，直到扣完为止。", "steps f1 above 70 deduct 1 per 5 whole"),
        ("计划时间内完成得满分，未完成不得分。", "when f1 => points 2 otherwise => points 0"),
        ("按完成比例得分", "proportional f1"),
        ("该项指标分值*完成率", "proportional f1"),
        (
            "$A \\geq 5\\%$ 得满分; $5\\% < A < 0$ 时, 得分为此项指标满分值×(A/5%), $A \\leq 0$ 时不得分",
            "linear f1 from 0% to 5%",
        ),
        (
            "A=100%得满分；100%<A<50%时，得分为此项指标满分值×A，A≤50%时不得分。",
            "when f1 <= 50% => points 0 otherwise => proportional f1",
        ),
    ],
)
def test_the_fields_phrasings_become_rules(text: str, rule: str):
    declared, namer = _facts()
    reading = read_criteria(text, Decimal(2), "某指标", namer)
    assert reading.understood, normalize(text)
    kind = "percent" if "%" in text or "比例" in text or "率" in text else "count" if "人" in text else None
    if kind == "percent" and "不符" not in text and "计划时间" not in text:
        assert declared[0].startswith("percent"), declared
    elif kind == "count":
        assert declared[0].startswith("count") and declared[0].endswith(" 人"), declared
    assert re.sub(r"\s+", " ", " ".join(reading.lines)).replace("{ ", "{ ").strip() == rule


@pytest.mark.parametrize(
    "text", ["对照绩效目标产出数量、质量打分", "", "视情况酌情扣分", "90%—96%得4分；95%—99%得3分；其余不得分"]
)
def test_text_it_cannot_read_is_not_guessed(text: str):
    _, namer = _facts()
    assert not read_criteria(text, Decimal(3), "某指标", namer).understood


# --- a hand-made Excel 评分表 in the field's layout: the seed's 项目支出部门评价表 (2022 年定额基本业务费)

CHECK = "若有一项不符扣1分，若存在严重不符的情况则不得分。"
SEED_ROWS: list[tuple[str, str, str, str, int | float, str]] = [
    # 绩效指标, 一级指标, 二级指标, 三级指标, 参考分值, 指标评分说明 (as the seed prints them)
    ("共性绩效指标（50分）", "决策（21分）", "项目立项（8分）", "立项依据充分性", 5, CHECK),
    ("共性绩效指标（50分）", "决策（21分）", "项目立项（8分）", "立项程序规范性", 3, CHECK),
    ("共性绩效指标（50分）", "决策（21分）", "绩效目标（7分）", "绩效目标合理性", 4, CHECK),
    ("共性绩效指标（50分）", "决策（21分）", "绩效目标（7分）", "绩效指标明确性", 3, CHECK),
    ("共性绩效指标（50分）", "决策（21分）", "资金投入（6分）", "预算编制科学性", 4, CHECK),
    ("共性绩效指标（50分）", "决策（21分）", "资金投入（6分）", "资金分配合理性", 2, CHECK),
    (
        "共性绩效指标（50分）",
        "资金管理（13分）",
        "",
        "预算执行率",
        5,
        "资金到位率95%以上（含95%），得5分；90%—95%，得4分；85%—90%，得3分；80%—85%，得2分；75%—80%，得1分；其余不得分。",
    ),
    (
        "共性绩效指标（50分）",
        "资金管理（13分）",
        "",
        "资金使用合规性",
        8,
        "若有一项不符扣2分，若存在严重不符的情况则不得分。",
    ),
    ("共性绩效指标（50分）", "组织实施（6分）", "", "管理制度健全性", 2, CHECK),
    ("共性绩效指标（50分）", "组织实施（6分）", "", "制度执行有效性", 4, CHECK),
    (
        "共性绩效指标（50分）",
        "产出（10分）",
        "产出数量（3分）",
        "实际完成率",
        3,
        "完成率95%以上（含95%），得3分；90%-95%（含90%），得2分；85%-90%（含85%），得1分，85%以下不得分。",
    ),
    ("共性绩效指标（50分）", "产出（10分）", "产出质量（3分）", "质量达标率", 3, "对照绩效目标产出数量、质量打分"),
    (
        "共性绩效指标（50分）",
        "产出（10分）",
        "产出时效（3分）",
        "完成及时性",
        2,
        "计划时间内完成得满分，未完成不得分。",
    ),
    (
        "共性绩效指标（50分）",
        "产出（10分）",
        "产出成本（3分）",
        "成本节约率",
        2,
        "成本节约率10%以上(含10%)，得2分；5%以上(含5%)，得1分；其余不得分。",
    ),
    ("个性绩效指标（50分）", "产出（30分）", "产出数量（15分）", "实际完成视察单位数量", 15, "该项指标分值*完成率"),
    ("个性绩效指标（50分）", "产出（30分）", "产出质量（15分）", "实际完成视察整改单位数", 15, "该项指标分值*完成率"),
    (
        "个性绩效指标（50分）",
        "效益（10分）",
        "经济效益",
        "资金节约率",
        2.5,
        "A≥5%得满分；5%<A<0时，得分为此项指标满分值×(A/5%)，A≤0时不得分",
    ),
    (
        "个性绩效指标（50分）",
        "效益（10分）",
        "社会效益",
        "群众上访人次减少数",
        2.5,
        "A≥20得满分；20<A<0时，得分为此项指标满分值×(A/20)，A≤0时不得分。",
    ),
    (
        "个性绩效指标（50分）",
        "效益（10分）",
        "环境效益",
        "违反中央八项规定精神方面问题人次减少数",
        2.5,
        "A≥10得满分；10<A<0时，得分为此项指标满分值×(A/10)，A≤0时不得分",
    ),
    (
        "个性绩效指标（50分）",
        "效益（10分）",
        "可持续影响",
        "群众身边腐败和侵害群众利益问题人次减少数",
        2.5,
        "A≥10得满分；10<A<0时，得分为此项指标满分值×(A/10)，A≤0时不得分。",
    ),
    (
        "个性绩效指标（50分）",
        "满意度（10分）",
        "服务对象满意度",
        "公众满意度",
        10,
        "A=100%得满分；100%<A<50%时，得分为此项指标满分值×A，A≤50%时不得分。",
    ),
]
SEED_POINTS = [5, 3, 4, 3, 4, 2, 5, 8, 2, 4, 0, 3, 2, 0, 9, 15, 0, 2.3, 2, 2.5, 9.8]  # 评价分值: 总分 85.6


def _merge_runs(sheet: Any, column: int, first: int, values: list[str], right: list[str]) -> None:
    """Merge each run of equal labels down a column (and across the empty column to its right)."""
    start = 0
    for k in range(1, len(values) + 1):
        if k == len(values) or values[k] != values[start]:
            wide = right and all(not right[j] for j in range(start, k))
            if k - start > 1 or wide:
                sheet.merge_cells(
                    start_row=first + start,
                    start_column=column,
                    end_row=first + k - 1,
                    end_column=column + (1 if wide else 0),
                )
            start = k


@pytest.fixture
def seed_sheet(tmp_path: Path) -> Path:
    """The seed's 项目支出部门评价表 as a finance office keeps it in Excel: title, header block, merged
    level cells (资金管理 over 一级 and 二级), 参考分值 / 评价分值 / 指标评分说明, 总分, 自评等次."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "评价表"
    sheet.append(["项目支出部门评价表（自选项目）"])
    sheet.append(["（2022 年度）"])
    sheet.append(["项目名称", "2022 年定额基本业务费"])
    sheet.append(
        ["项目主管部门", "中国共产党武平县纪律检查委员会", None, "项目实施单位", "中国共产党武平县纪律检查委员会"]
    )
    sheet.append(["项目资金（万元）", None, "年初预算数①", "全年预算数②", "全年执行数③", "执行率③/②"])
    sheet.append([None, "年度资金总额", 286, 286, 286, "100%"])
    for r in (1, 2):
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=9)
    sheet.append(
        ["绩效指标", "一级指标", "二级指标", "三级指标", "指标解释", "参考分值", "评价分值", "指标说明", "指标评分说明"]
    )
    first = sheet.max_row + 1
    for (level0, level1, level2, name, weight, criteria), points in zip(SEED_ROWS, SEED_POINTS, strict=True):
        sheet.append([level0, level1, level2, name, f"用以反映和考核{name}情况。", weight, points, "", criteria])
    _merge_runs(sheet, 1, first, [r[0] for r in SEED_ROWS], [])
    _merge_runs(sheet, 2, first, [r[0] + r[1] for r in SEED_ROWS], [r[2] for r in SEED_ROWS])
    _merge_runs(sheet, 3, first, [r[1] + r[2] for r in SEED_ROWS], [])
    sheet.append(["总分", None, None, None, None, 100, 85.6])
    sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=5)
    sheet.append(["自评等次：优（S≥90） 良（90>S≥80） 中（80>S≥60） 差（60<S）", None, None, None, None, None, "良"])
    path = tmp_path / "项目支出部门评价表.xlsx"
    book.save(path)
    return path


def test_the_seed_sheet_imports_and_says_what_needs_a_person(seed_sheet: Path, tmp_path: Path):
    draft_path = tmp_path / "draft.rubric"
    done = run_cli("import", str(seed_sheet), "-o", str(draft_path))
    assert done.returncode == 1, done.stderr  # the seed's own 产出 weights do not add up
    report = done.stdout
    assert report.index("已识别") < report.index("mapped (")  # Chinese first, then English
    assert "第19行 质量达标率：未能识别评分标准，暂按评价组评定（0至3分），请改写为规则" in report
    assert "“产出时效”分值3，下级合计2：不符，请核对" in report
    assert "“产出成本”分值3，下级合计2：不符，请核对" in report
    assert "“产出”分值10，下级合计12：不符，请核对" in report
    text = draft_path.read_text(encoding="utf-8")
    assert "# 评分标准：对照绩效目标产出数量、质量打分" in text
    assert "# 评分标准：计划时间内完成得满分，未完成不得分。" in text
    assert '  # 待人工确认：评分表标明3分，其下各项合计2分\n      section s1_4_3 "产出时效" 3 {' in text
    # the draft fails only where the report points: the sections whose weights do not add up
    lines = text.splitlines()
    errors = [d for d in check_source(text, str(draft_path)) if d.severity == "error"]
    assert errors
    for error in errors:
        assert re.search(r"section \w+ \"(产出|产出时效|产出成本)\"", lines[error.span.line - 1]), error.message


def test_the_seed_sheet_checks_clean_and_scores_the_seed_once_a_person_fills_it_in(seed_sheet: Path):
    draft = import_sheet(seed_sheet, "imported.seed")
    assert [i.indicator for i in draft.needs if i.row] == ["质量达标率"]
    # 二级指标 printed without a weight take their indicators' sum, and the report says so
    unweighted = [i.indicator for i in draft.needs if not i.row]
    assert unweighted == ["经济效益", "社会效益", "环境效益", "可持续影响", "服务对象满意度"]
    text = draft.text
    # what the person does: the judged row gets its rule, and the two 二级 weights are the indicators' own
    rate = '  input quality_rate percent "质量达标率" range 0% .. 100%\n'
    text = text.replace("  total 100\n", "  total 100\n" + rate)
    text = re.sub(r"judged i12_score", "proportional quality_rate", text)
    text = re.sub(r"  input i12_score .*\n", "", text)
    text = text.replace('"产出时效" 3', '"产出时效" 2').replace('"产出成本" 3', '"产出成本" 2')
    assert [d for d in check_source(text) if d.severity == "error"] == []
    rubric = compile_source(text)
    named = {i.label: i.name for i in rubric.inputs}
    facts = {
        named["资金到位率"]: "100",
        named["实际完成率"]: "0",
        "quality_rate": "100",
        named["完成及时性：在计划时间内完成"]: True,
        named["成本节约率"]: "0",
        named["实际完成视察单位数量：完成率"]: "60",
        named["实际完成视察整改单位数：完成率"]: "100",
        named["资金节约率"]: "0",
        named["群众上访人次减少数"]: "18.4",
        named["违反中央八项规定精神方面问题人次减少数"]: "8",
        named["群众身边腐败和侵害群众利益问题人次减少数"]: "10",
        named["公众满意度"]: "98",
    }
    result = rubric.score(facts)
    assert [result.points[i.id] for i in rubric.indicators] == [Decimal(str(p)) for p in SEED_POINTS]
    assert (result.total, result.grade) == (Decimal("85.6"), "良")


def test_a_docx_sheet_reads_as_its_xlsx(seed_sheet: Path, tmp_path: Path):
    import docx
    from openpyxl import load_workbook

    source = load_workbook(seed_sheet)["评价表"]
    document = docx.Document()
    document.add_paragraph("项目支出部门评价表（自选项目）")
    document.add_paragraph("（2022 年度）")
    rows = [r for r in source.iter_rows(min_row=7, values_only=True)]
    table = document.add_table(rows=len(rows), cols=9)
    for r, values in enumerate(rows):
        for c, value in enumerate(values[:9]):
            table.cell(r, c).text = "" if value is None else str(value)
    for merged in source.merged_cells.ranges:
        if merged.min_row >= 7:
            a = table.cell(merged.min_row - 7, merged.min_col - 1)
            a.merge(table.cell(merged.max_row - 7, merged.max_col - 1))
    path = tmp_path / "评价表.docx"
    document.save(path)
    from_docx, from_xlsx = import_sheet(path, "imported.seed"), import_sheet(seed_sheet, "imported.seed")
    # the same draft but for the file's name and the row numbers (a Word table's rows, not the sheet's)
    same = [re.sub(r"第\d+行", "", d.text.split("\n", 3)[3]) for d in (from_docx, from_xlsx)]
    assert same[0] == same[1]
    assert [i.indicator for i in from_docx.needs if i.row] == ["质量达标率"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.xls", b"\xd0\xcf\x11\xe0", "只能导入 .xlsx 或 .docx 文件"),
        ("a.xlsx", b"not a zip", "不是有效的 .xlsx 文件"),
        ("a.docx", b"PK\x05\x06" + b"\0" * 18, "无法作为 Word 文档打开"),
    ],
)
def test_a_file_that_is_no_sheet_gets_a_message_not_a_traceback(
    tmp_path: Path, name: str, content: bytes, message: str
):
    path = tmp_path / name
    path.write_bytes(content)
    done = run_cli("import", str(path), "-o", str(tmp_path / "d.rubric"))
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_sheet_without_the_columns_is_refused(tmp_path: Path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["名称", "金额"])
    book.save(tmp_path / "x.xlsx")
    done = run_cli("import", str(tmp_path / "x.xlsx"), "-o", str(tmp_path / "d.rubric"))
    assert done.returncode == 2 and "找不到评分表的表头" in done.stderr


def test_an_existing_draft_is_not_overwritten(seed_sheet: Path, tmp_path: Path):
    target = tmp_path / "d.rubric"
    target.write_text("keep", encoding="utf-8")
    done = run_cli("import", str(seed_sheet), "-o", str(target), "--lang", "zh")
    assert done.returncode == 2 and "已存在" in done.stderr
    assert target.read_text(encoding="utf-8") == "keep"


def test_a_draft_that_cannot_be_written_is_a_message(seed_sheet: Path, tmp_path: Path):
    done = run_cli("import", str(seed_sheet), "-o", str(tmp_path / "no" / "such" / "d.rubric"))
    assert done.returncode == 2 and "cannot write" in done.stderr and "Traceback" not in done.stderr


# --- 加分/扣分 and 一票否决 rows read from their text


@pytest.mark.parametrize("rubric_id", NEWER)
def test_the_text_alone_gives_every_line_and_veto_its_place(rubric_id: str, tmp_path: Path):
    """Without the rule record, each 加分/扣分 row is a line of its kind and cap, each 一票否决/等次限制 row a
    veto or cap with a placeholder condition marked for a person; the draft checks clean."""
    original = LIBRARY.rubrics[rubric_id]
    sheet = tmp_path / "s.xlsx"
    assert main(["sheet", "--rubric", rubric_id, "--rubrics", str(RUBRICS), "--format", "xlsx", "-o", str(sheet)]) == 0
    rows = read_sheet(sheet)
    rows.record = []
    draft = build_draft(rows, "imported.text")
    assert not draft.errors, [d.message for d in draft.errors]
    assert draft.weights_ok
    back = compile_source(draft.text)
    assert [(a.kind, a.label, a.cap) for a in back.tree.adjustments] == [
        (a.kind, a.label, a.cap) for a in original.tree.adjustments
    ]
    assert [(v.kind, v.label) for v in back.tree.vetoes] == [(v.kind, v.label) for v in original.tree.vetoes]
    assert (back.tree.grades is None) == (original.tree.grades is None)
    for veto in back.tree.vetoes:
        placeholder = next(i for i in back.inputs if i.name == f"{veto.id}_holds")
        assert placeholder.label.startswith("待人工确认：") and placeholder.default == "false"
        assert f"# 待人工确认：把占位事实 {veto.id}_holds 换成" in draft.text
        assert any(i.indicator.endswith(veto.label) and "条件需人工填写" in i.text for i in draft.needs)
    if original.tree.adjustments:  # the sheet does not show the final range: 0 .. total, for a person to confirm
        assert any(i.indicator == "最终得分范围" for i in draft.needs)


def test_a_hand_edited_line_is_read_from_its_text_and_the_rest_from_the_record(tmp_path: Path):
    from openpyxl import load_workbook

    sheet = tmp_path / "s.xlsx"
    assert (
        main(
            [
                *("sheet", "--rubric", "zunyi.safety_performance", "--rubrics", str(RUBRICS)),
                *("--format", "xlsx", "-o", str(sheet)),
            ]
        )
        == 0
    )
    book = load_workbook(sheet)
    body = book["评分表"]
    cell = next(c for row in body.iter_rows() for c in row if c.value == "每1次（被上级通报批评次数）扣2分")
    cell.value = "每被通报批评一次扣3分，最多扣6分"
    book.save(sheet)
    draft = import_sheet(sheet, "imported.edited")
    assert not draft.errors, [d.message for d in draft.errors]
    assert draft.from_record == 1 + 4 + 3  # the indicator, the four other lines, the three vetoes
    rubric = compile_source(draft.text)
    edited = next(a for a in rubric.tree.adjustments if a.label == "被上级通报批评的扣2分/次")
    assert (edited.kind, edited.cap, edited.id) == ("penalty", Decimal(6), "line4")
    count = next(i.name for i in rubric.inputs if i.label == "被通报批评次数")
    facts = {"assessment_score": "90", "deaths": 0, "death_limit": 1, count: 3}
    result = rubric.score(facts)
    assert result.total == Decimal(84)  # 90 − 3 × 2 at most 6 … by the edited text: 3 each, at most 6
    assert rubric.score({**facts, "serious_accidents": 1}).grade == "不达标"  # the veto, read back from the record


HAND_ROWS: list[tuple[str, str, str, str, str]] = [
    # 一级指标, 二级指标, 三级指标, 分值, 评分标准 — as a finance office keeps 加分/扣分 and 一票否决 in one sheet
    ("决策（20分）", "项目立项（20分）", "立项依据充分性", "10", CHECK),
    ("决策（20分）", "项目立项（20分）", "立项程序规范性", "10", CHECK),
    ("产出（80分）", "产出时效（80分）", "完成及时性", "80", "计划时间内完成得满分，未完成不得分。"),
    ("加分项", "加分项", "获得表彰", "3", "获得省级表彰加2分，最多加3分"),
    ("扣分项", "扣分项", "问题整改", "", "每发现一处问题扣1分，最多扣5分"),
    ("扣分项", "扣分项", "通报批评", "", "被上级通报批评的扣2分/次"),
    ("一票否决", "一票否决", "安全事故", "", "发生重大安全责任事故的，实行一票否决，评价等级为差"),
]


@pytest.fixture
def hand_sheet(tmp_path: Path) -> Path:
    """A hand-made 评分表 with a 加分项 and a 扣分项 section and a 一票否决 row, their labels merged over the
    level columns, as the field lays them out."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "评分表"
    sheet.append(["某项目绩效评价评分表"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=5)
    sheet.append(["一级指标", "二级指标", "三级指标", "分值", "评分标准"])
    first = sheet.max_row + 1
    for row in HAND_ROWS:
        sheet.append([*row[:3], int(row[3]) if row[3] else None, row[4]])
    _merge_runs(sheet, 1, first, [r[0] for r in HAND_ROWS], [])
    _merge_runs(sheet, 2, first, [r[0] + r[1] for r in HAND_ROWS], [])
    sheet.append(["总分", None, None, 100])
    sheet.append(["评价等次：优（S≥90）良（80≤S<90）中（60≤S<80）差（S<60）"])
    path = tmp_path / "评分表.xlsx"
    book.save(path)
    return path


def test_a_hand_made_sheets_bonus_penalty_and_veto_rows_become_lines_and_a_veto(hand_sheet: Path, tmp_path: Path):
    draft_path = tmp_path / "draft.rubric"
    done = run_cli("import", str(hand_sheet), "-o", str(draft_path))
    assert done.returncode == 0, done.stdout + done.stderr  # checks clean: the veto's condition is a placeholder
    report = done.stdout
    assert "读出 3 项指标、3条加分/扣分、1条一票否决/等次限制" in report
    assert "第6行 加分项：获得表彰：加分：每次计2分" in report
    assert "第7行 扣分项：问题整改：扣分：每次计1分" in report
    assert "第8行 扣分项：通报批评：扣分：每次计2分" in report
    veto = "第9行 一票否决：发生重大安全责任事故的，实行一票否决，评价等级为差：一票否决的条件需人工填写"
    assert veto in report and "等次为“差”" in report
    assert report.index("需要人工处理") < report.index(veto) < report.index("needs a person")
    assert "3 bonus/penalty lines, 1 vetoes/grade caps" in report
    assert "veto: a person must write its condition; placeholder fact veto1_holds" in report
    assert "分值核对：全部相符" in report  # the lines are outside the weighted tree
    text = draft_path.read_text(encoding="utf-8")
    assert "# 评分标准：每发现一处问题扣1分，最多扣5分" in text
    assert "# 待人工确认：把占位事实 veto1_holds 换成一票否决的条件；等次为“差”（第9行）" in text
    rubric = compile_source(text)
    assert [(a.label, a.kind, a.cap, type(a.rule)) for a in rubric.tree.adjustments] == [
        ("获得表彰", "bonus", Decimal(3), ast.Each),  # 2 each: the cap of 3 lets it count more than once
        ("问题整改", "penalty", Decimal(5), ast.Each),
        ("通报批评", "penalty", None, ast.Each),
    ]
    named = {i.label: i.name for i in rubric.inputs}
    on_time = named["完成及时性：在计划时间内完成"]
    facts = {on_time: True, named["获得省级表彰次数"]: 2, named["发现问题处数"]: 7, named["被上级通报批评次数"]: 1}
    result = rubric.score(facts)
    assert (result.total, result.grade) == (Decimal(100 + 3 - 5 - 2), "优")  # each line within its cap
    vetoed = rubric.score({**facts, "veto1_holds": True})
    assert (vetoed.total, vetoed.grade) == (Decimal(96), "差")  # the grade fixed, the points standing


@pytest.mark.parametrize(
    ("text", "rule", "cap", "count"),
    [
        ("每发现一处问题扣1分，最多扣5分", "each f1 points 1", 5, "发现问题处数"),
        ("获得省级表彰加2分，最多加3分", "each f1 points 2", 3, "获得省级表彰次数"),
        ("获得省级表彰加2分", "when f1 => points 2 otherwise => points 0", None, None),
        ("被上级通报批评的扣2分/次", "each f1 points 2", None, "被上级通报批评次数"),
        ("每1次（本辖区、本行业较大事故起数）扣0.5分", "each f1 points 0.5", None, "本辖区、本行业较大事故起数"),
        ("每被通报批评一次扣3分，最多扣6分", "each f1 points 3", 6, "被通报批评次数"),
        ("本辖区每发生1起较大事故扣0.5分（累计最多扣2分）", "each f1 points 0.5", 2, "本辖区发生较大事故起数"),
        ("每发生1起较大事故扣0.5分", "each f1 points 0.5", None, "发生较大事故起数"),
        (
            "获奖项目数3项以上（含3项）得2分；1项以上得1分；其余不得分",
            "bands f1 { [3, inf) 2 [1, 3) 1 otherwise 0 }",
            None,
            None,
        ),
    ],
)
def test_the_fields_bonus_and_penalty_phrasings_become_lines(text: str, rule: str, cap: int | None, count: str | None):
    declared, namer = _facts()
    reading, read_cap = read_line(text, "某加减分项", None, namer)
    assert read_cap == (None if cap is None else Decimal(cap))
    assert reading.understood, normalize(text)
    assert re.sub(r"\s+", " ", " ".join(reading.lines)).strip() == rule
    if count is not None:
        assert declared[0].startswith(f"count {count} 0..None")


GRADES = ["优", "良", "中", "差"]


@pytest.mark.parametrize(
    ("text", "kind", "grades", "tail", "how"),
    [
        ("发生重大安全责任事故的，实行一票否决，评价等级为差", "veto", GRADES, "grade 差", "等次为“差”"),
        ("本区行政区域内发生重大及以上生产安全事故的，考核结果为零分", "veto", [], "zero", "总分计为零"),
        ("任一项低于70%的，至多三级", "cap", ["一级", "二级", "三级", "不达标"], "grade at most 三级", "至多"),
        ("存在严重违规问题的，不得评为优", "veto", GRADES, "grade at most 良", "至多为“良”"),
        ("发生重大以上事故的，一票否决", "veto", GRADES, "grade 差", "暂按最低等次"),
        ("发生重大以上事故的，一票否决", "veto", [], "zero", "暂按总分计为零"),
    ],
)
def test_a_veto_row_reads_its_outcome_and_leaves_its_condition_to_a_person(
    text: str, kind: str, grades: list[str], tail: str, how: str
):
    declared, namer = _facts()
    line, outcome = read_veto(text, kind, grades, namer)
    assert line == f"when f1 {tail}" and how in outcome
    assert declared == [f"flag 待人工确认：{text} None..None None"]  # the placeholder a person replaces
