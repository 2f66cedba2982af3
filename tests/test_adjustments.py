"""Bonus and penalty lines, the final range, vetoes and grade caps, and `points(ID)` (issue 11, section A).

The rubric is tests/testdata/adjust/acceptance.rubric (a small 考核表 in the shapes of the issue's sources);
every expected number below is worked out by hand from its text, in the comment beside it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

import rubric_dsl
from rubric_dsl.api import build_library, check_source
from rubric_dsl.coverage import Coverage
from rubric_dsl.errors import EvaluationError
from rubric_dsl.formatter import format_source
from rubric_dsl.sheet import render_html, render_markdown, render_xlsx, sheet_table
from tests.conftest import compile_text

DATA = Path(__file__).parent / "testdata" / "adjust"
SOURCE = (DATA / "acceptance.rubric").read_text(encoding="utf-8")

# 产出 40 × 90% = 36; 效益 20; 效益得分率 20/30 ≥ 50% so 满意度 30 × 80% = 24; base 80.
# Lines: recognition 2 → +3; 2 major accidents × 1 → −2; no photos → −3. Total 78 → 中.
FACTS: dict[str, Any] = {
    "completion_rate": "90",
    "satisfaction": "80",
    "benefit_score": "20",
    "recognition": "2",
    "major_accidents": "2",
    "serious_accidents": "0",
    "photos_provided": False,
    "false_material": False,
    "serious_violation": False,
}


@pytest.fixture(scope="module")
def rubric() -> rubric_dsl.CompiledRubric:
    return rubric_dsl.compile_source(SOURCE, "acceptance.rubric")


def score(rubric: rubric_dsl.CompiledRubric, **changes: Any) -> rubric_dsl.Result:
    return rubric.score({**FACTS, **changes})


def test_the_rubric_checks_clean_and_is_canonical() -> None:
    assert check_source(SOURCE, "acceptance.rubric") == []
    formatted, problems = format_source(SOURCE, "acceptance.rubric")
    assert problems == [] and formatted == SOURCE


def test_total_is_base_plus_signed_lines(rubric: rubric_dsl.CompiledRubric) -> None:
    result = score(rubric)
    assert result.points == {"output": Decimal(36), "benefit": Decimal(20), "satisfied": Decimal(24)}
    assert result.base_total == 80
    assert [(a.id, a.sign, a.amount, a.signed) for a in result.adjustments] == [
        ("innovation", 1, 3, "+3"),
        ("accidents", -1, 2, "−2"),
        ("photos", -1, 3, "−3"),
    ]
    assert (result.total, result.grade, result.vetoes) == (78, "中", [])


def test_the_final_range_limits_the_total_both_ways(rubric: rubric_dsl.CompiledRubric) -> None:
    full = {"completion_rate": "100", "satisfaction": "100", "benefit_score": "30"}
    # 100 + 5 (national recognition) − 0 = 105 = the range's top; the 5 is the line's cap
    top = score(rubric, **full, recognition="3", major_accidents="0", photos_provided=True)
    assert (top.base_total, top.total, top.grade) == (100, 105, "优")
    # 0 + 0 − 10 − 3 = −13, raised to the range's bottom 0; `each` has no cap: 10 accidents take 10
    bottom = score(
        rubric, completion_rate="0", satisfaction="0", benefit_score="0", recognition="0", major_accidents="10"
    )
    assert bottom.adjustments[1].amount == 10
    assert (bottom.base_total, bottom.total) == (0, 0)


def test_a_veto_fixes_the_grade_and_every_point_stands(rubric: rubric_dsl.CompiledRubric) -> None:
    plain, vetoed = score(rubric), score(rubric, serious_accidents="1")
    assert (vetoed.points, vetoed.total, vetoed.base_total) == (plain.points, plain.total, plain.base_total)
    assert vetoed.grade == "不达标"
    [veto] = vetoed.vetoes
    assert (veto.id, veto.kind, veto.grade, veto.at_most, veto.zeroed) == (
        "major_accident",
        "veto",
        "不达标",
        False,
        False,
    )
    assert "serious_accidents > 0" in veto.why and "points stand" in veto.why
    # never silent: it is among the reasons, in both languages
    assert any(item.id == "major_accident" and item.lost == 0 for item in vetoed.lost)
    zh = vetoed.to_dict("zh")
    assert (
        zh["vetoes"][0]["why"]
        == "一票否决：重大以上事故次数为1，重大以上事故次数>0成立，等次定为“不达标”，各项得分不变"
    )
    assert veto.why == "veto: serious_accidents = 1; serious_accidents > 0 holds; grade 不达标; points stand"
    assert any(item["id"] == "major_accident" for item in zh["lost"])


def test_zero_is_explicit_and_zeroes_only_the_total(rubric: rubric_dsl.CompiledRubric) -> None:
    result = score(rubric, false_material=True)
    assert result.points == score(rubric).points and result.base_total == 80
    assert (result.total, result.grade) == (0, "不达标")
    [veto] = result.vetoes
    assert veto.zeroed and "total zeroed" in veto.why
    lost = next(item for item in result.lost if item.id == "false_material")
    assert lost.lost == 78  # what the zero took: 80 + 3 − 2 − 3
    full = {"completion_rate": "100", "satisfaction": "100", "benefit_score": "30", "recognition": "3"}
    top = score(rubric, **full, major_accidents="0", photos_provided=True, false_material=True)
    assert next(item.lost for item in top.lost if item.id == "false_material") == 105  # 100 + 5, in 0 .. 105


def test_a_cap_only_lowers_the_grade(rubric: rubric_dsl.CompiledRubric) -> None:
    full = {"completion_rate": "100", "satisfaction": "100", "benefit_score": "30", "recognition": "3"}
    capped = score(rubric, **full, major_accidents="0", photos_provided=True, serious_violation=True)
    assert (capped.total, capped.grade) == (105, "良")
    assert [(v.id, v.at_most) for v in capped.vetoes] == [("serious_violation", True)]
    # a cap never raises: 78 is 中, below 良, and stays 中
    assert score(rubric, serious_violation=True).grade == "中"


def test_points_of_indicators_and_sections_are_read_after_rounding(rubric: rubric_dsl.CompiledRubric) -> None:
    # 效益 10 → 效益得分率 1/3 < 50% → 满意度 0 (a let reading points, used by a rule);
    # 第一部分 36 + 10 = 46 < 56 → not passed (a cap with a fixed grade); 效益 10 < 60% × 30 → at most 良.
    result = score(rubric, benefit_score="10")
    assert result.points["satisfied"] == 0
    assert {v.id for v in result.vetoes} == {"weak_benefit", "part_one_low"}
    assert "points(part_one) = 46; points(part_one) < 56 holds" in result.vetoes[1].why
    assert "“第一部分 产出与效益”得分为46" in result.vetoes_in("zh")[1].why
    assert result.grade == "不达标"  # the worst of a fixed grade and a cap wins
    assert (result.base_total, result.total) == (46, 44)  # 46 + 3 − 2 − 3


def test_explanations_name_each_line_with_its_sign(rubric: rubric_dsl.CompiledRubric) -> None:
    en = {a.id: a.explanation for a in score(rubric).adjustments_in("en")}
    zh = {a.id: a.explanation for a in score(rubric).adjustments_in("zh")}
    assert en["accidents"] == "较大事故次数 2 × 1 = 2 → −2"
    assert zh["accidents"].endswith("扣2分") and "较大事故次数为2" in zh["accidents"]
    assert zh["innovation"].endswith("加3分")


def test_json_has_base_total_lines_and_vetoes(rubric: rubric_dsl.CompiledRubric) -> None:
    data = score(rubric, serious_violation=True).to_dict()
    assert data["base_total"] == "80" and data["total"] == "78"
    assert [(a["id"], a["signed"], a["max_amount"]) for a in data["adjustments"]] == [
        ("innovation", "+3", "5"),
        ("accidents", "−2", None),
        ("photos", "−3", "3"),
    ]
    assert [v["id"] for v in data["vetoes"]] == ["serious_violation"]
    # a rubric without lines keeps its JSON as it was
    plain = compile_text(NO_GRADES.replace("veto low", "# veto low"))
    assert "adjustments" not in plain.score({"rate": "50"}).to_dict()


NO_GRADES = """
rubric test.no_grades "只计总分" {
  version "1"
  total 10
  input rate percent "执行率" range 0% .. 100%
  indicator it "执行率" 10 {
    proportional rate
  }
  veto low "执行率低于10%的，得分为0" when rate < 10% zero
}
"""


def test_without_a_grades_table_no_grade_is_reported() -> None:
    rubric = compile_text(NO_GRADES)
    result = rubric.score({"rate": "50"})
    assert (result.total, result.grade, result.to_dict()["grade"]) == (5, "", None)
    low = rubric.score({"rate": "5"})
    assert (low.points["it"], low.total, low.grade) == (Decimal("0.5"), 0, "")


def test_a_failing_line_names_itself() -> None:
    text = NO_GRADES.replace(
        "  veto low",
        '  input n count "次数" range 0 .. 10\n'
        '  penalty bad "坏" max 2 { points 1 / n }\n'
        "  final range 0 .. 10\n"
        "  veto low",
    )
    with pytest.raises(EvaluationError) as caught:
        compile_text(text).score({"rate": "50", "n": "0"})
    assert "penalty `bad`: division by zero" in str(caught.value)


CHILD = """
rubric tests.acceptance_child "示例：派生的验收考核表" extends tests.acceptance {
  version "2026.2"
  override penalty photos "未提供影像资料扣2分" max 2 {
    points if photos_provided then 0 else 2
  }
  override veto major_accident "发生重大以上事故的，不得评为良以上" when serious_accidents > 0 grade at most "中"
  bonus model "被评为示范项目加1分" max 1 {
    points 1
  }
}
"""


def test_extends_overrides_lines_and_vetoes_by_id() -> None:
    library = build_library({"acceptance.rubric": SOURCE, "child.rubric": CHILD})
    assert [d for d in library.diagnostics if d.severity == "error"] == []
    child = library.rubrics["tests.acceptance_child"]
    result = child.score({**FACTS, "serious_accidents": "1"})
    # 80 + 3 + 1 − 2 − 2 = 80 → 良, capped at 中 by the overriding veto
    assert [a.id for a in result.adjustments] == ["innovation", "accidents", "photos", "model"]
    assert (result.total, result.grade) == (80, "中")


def test_override_of_a_missing_line_is_refused() -> None:
    child = CHILD.replace("override penalty photos", "override penalty phots")
    library = build_library({"acceptance.rubric": SOURCE, "child.rubric": child})
    [problem] = [d for d in library.diagnostics if d.severity == "error"]
    assert "phots" in problem.message and "did you mean `photos`" in problem.message


def test_coverage_counts_each_line_and_veto_fired_and_not(rubric: rubric_dsl.CompiledRubric) -> None:
    coverage = Coverage(rubric)
    coverage.add(score(rubric))
    missed = {c.key for c in coverage.missed()}
    assert ("veto", "major_accident", True) in missed and ("veto", "major_accident", False) not in missed
    assert ("line", "accidents", False) in missed and ("line", "accidents", True) not in missed
    coverage.add(score(rubric, serious_accidents="1", major_accidents="0"))
    missed = {c.key for c in coverage.missed()}
    assert ("veto", "major_accident", True) not in missed and ("line", "accidents", False) not in missed


def test_the_sheet_shows_signed_rows_and_the_vetoes(rubric: rubric_dsl.CompiledRubric, tmp_path: Path) -> None:
    table = sheet_table(rubric, score(rubric, serious_accidents="1"))
    md = render_markdown(table)
    assert "| 加分项：创新做法" in md and "| +3 |" in md and "| −2 |" in md and "| −3 |" in md
    assert "一票否决：发生重大以上事故的" in md and "已触发" in md and "（未触发）" in md
    page = render_html(table)
    assert '<td class="veto" colspan="6">' in page and "+3" in page
    blank = render_markdown(sheet_table(rubric))
    assert "已触发" not in blank and "未触发" not in blank and "扣分项：每发生一起较大事故扣1分" in blank


def test_the_xlsx_total_adds_the_signed_rows_within_the_range(
    rubric: rubric_dsl.CompiledRubric, tmp_path: Path
) -> None:
    path = tmp_path / "sheet.xlsx"
    render_xlsx(sheet_table(rubric, score(rubric)), path)
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    cells = {c.coordinate: c.value for row in sheet.iter_rows() for c in row if c.value is not None}
    total = next(v for v in cells.values() if isinstance(v, str) and "MIN(105,MAX(0," in v)
    assert total.startswith("=IF(COUNT(") and "+SUM(" in total
    assert {3, -2, -3} <= {v for v in cells.values() if isinstance(v, int | float)}
    # a veto that fixed the grade: the values as scored, not formulas that cannot see the facts
    render_xlsx(sheet_table(rubric, score(rubric, false_material=True)), path)
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "不达标" in values and not any(isinstance(v, str) and "MIN(105" in v for v in values)


# --- properties (hypothesis) -----------------------------------------------------------------------

facts_strategy = st.fixed_dictionaries(
    {
        "completion_rate": st.integers(0, 200).map(str),
        "satisfaction": st.integers(0, 100).map(str),
        "benefit_score": st.decimals(0, 30, places=1).map(str),
        "recognition": st.integers(0, 3).map(str),
        "major_accidents": st.integers(0, 120).map(str),
        "serious_accidents": st.integers(0, 3).map(str),
        "photos_provided": st.booleans(),
        "false_material": st.booleans(),
        "serious_violation": st.booleans(),
    }
)
COMPILED = rubric_dsl.compile_source(SOURCE, "acceptance.rubric")
LOW, HIGH = COMPILED.final_minimum, COMPILED.final_maximum


@settings(max_examples=200, deadline=None)
@given(facts_strategy)
def test_total_is_base_plus_signed_adjustments_within_the_range(facts: dict[str, Any]) -> None:
    result = COMPILED.score(facts)
    assert result.base_total == sum(result.points.values())
    signed = sum((a.sign * a.amount for a in result.adjustments), Decimal(0))
    for line in result.adjustments:
        assert line.amount >= 0 and (line.max_amount is None or line.amount <= line.max_amount)
    expected = min(max(result.base_total + signed, LOW), HIGH)
    zeroed = any(v.zeroed for v in result.vetoes)
    assert result.total == (0 if zeroed else expected)
    assert zeroed == (facts["false_material"] is True)


@settings(max_examples=200, deadline=None)
@given(facts_strategy)
def test_a_veto_never_changes_points_unless_zero_is_declared(facts: dict[str, Any]) -> None:
    quiet = {**facts, "serious_accidents": "0", "serious_violation": False, "false_material": False}
    loud = {**quiet, "serious_accidents": "1", "serious_violation": True}
    a, b = COMPILED.score(quiet), COMPILED.score(loud)
    assert (a.points, a.section_points, a.base_total, a.total) == (b.points, b.section_points, b.base_total, b.total)
    assert b.grade == "不达标" and {"major_accident", "serious_violation"} <= {v.id for v in b.vetoes}
    zeroed = COMPILED.score({**quiet, "false_material": True})
    assert zeroed.points == a.points and zeroed.total == 0


@settings(max_examples=200, deadline=None)
@given(st.decimals(-20, 120, places=2))
def test_grades_cover_the_final_range(total: Decimal) -> None:
    grades = COMPILED.grades
    inside = min(max(total, LOW), HIGH)
    matched = [g for g in grades if g.minimum is None or inside >= g.minimum]
    assert matched, f"no grade for {inside}"
    # the checker refuses a cutoff outside the range: every cutoff lies in it
    assert all(g.minimum is None or LOW <= g.minimum <= HIGH for g in grades)


def test_a_sheet_without_grades_says_so(tmp_path: Path) -> None:
    rubric = compile_text(NO_GRADES)
    table = sheet_table(rubric, rubric.score({"rate": "5"}))
    md = render_markdown(table)
    assert "自评等次：本表不评等次" in md and "一票否决：执行率低于10%的，得分为0（已触发：" in md
    path = tmp_path / "sheet.xlsx"
    render_xlsx(table, path)
    values = [c.value for row in load_workbook(path).active.iter_rows() for c in row]
    assert 0 in values and not any(isinstance(v, str) and v.startswith("=IF(") and "优" in v for v in values)


def test_the_html_sheet_renders_in_headless_chromium(rubric: rubric_dsl.CompiledRubric, tmp_path: Path) -> None:
    """The page as a browser lays it out: the signed rows and the veto line are in the rendered DOM."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("no chromium on this machine")
    page = tmp_path / "sheet.html"
    page.write_text(render_html(sheet_table(rubric, score(rubric, serious_accidents="1"))), encoding="utf-8")
    shot = tmp_path / "sheet.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    subprocess.run(
        [chromium, *flags, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert "扣分项：每发生一起较大事故扣1分" in dom and ">−2<" in dom and ">+3<" in dom
    assert "一票否决：发生重大以上事故的" in dom and "已触发" in dom
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_the_editor_finds_what_points_and_a_veto_read(tmp_path: Path) -> None:
    from rubric_cli.lsp.analysis import analyse, definition

    path = tmp_path / "acceptance.rubric"
    path.write_text(SOURCE, encoding="utf-8")
    analysis = analyse(SOURCE, str(path))
    lines = SOURCE.splitlines()
    row = next(i for i, text in enumerate(lines, 1) if text.strip().startswith("cap weak_benefit"))
    column = lines[row - 1].index("points(benefit)") + len("points(") + 2
    target = definition(analysis, row, column)
    benefit = next(i for i, text in enumerate(lines, 1) if 'indicator benefit "效益"' in text)
    assert target is not None and (target.line, lines[benefit - 1][target.column - 1 : target.end_column - 1]) == (
        benefit,
        "benefit",
    )
    veto = next(i for i, text in enumerate(lines, 1) if text.strip().startswith("veto major_accident"))
    column = lines[veto - 1].index("serious_accidents") + 3
    found = definition(analysis, veto, column)
    declared = next(i for i, text in enumerate(lines, 1) if "input serious_accidents" in text)
    assert found is not None and found.line == declared


def test_a_judged_line_lies_within_its_cap() -> None:
    text = NO_GRADES.replace(
        "  veto low",
        '  input expert number "专家加分"\n  bonus judged_bonus "专家评定加分，最高3分" max 3 { judged expert }\n'
        "  final range 0 .. 13\n  veto low",
    )
    rubric = compile_text(text)
    assert rubric.score({"rate": "50", "expert": "2.5"}).total == Decimal("7.5")
    with pytest.raises(rubric_dsl.InvalidFacts) as caught:
        rubric.score({"rate": "50", "expert": "4"})
    assert "expert" in str(caught.value)


def test_rubric_test_reaches_every_line_and_veto_clause() -> None:
    from tests.cli.helpers import run_cli

    done = run_cli("test", "--coverage", "--fail-under", "100", str(DATA))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "29/29 clauses (100.0%)" in done.stdout and "6 passed, 0 failed" in done.stdout


def test_libreoffice_recomputes_the_xlsx_total_as_the_engine_does(
    rubric: rubric_dsl.CompiledRubric, tmp_path: Path
) -> None:
    """The 总分 formula, recalculated by a real spreadsheet (LibreOffice, headless), gives the engine's total,
    also where the final range limits the sum (0 − 10 − 3 → 0)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("no LibreOffice on this machine")
    cases = {
        "plain": {},
        "floored": {"completion_rate": "0", "satisfaction": "0", "benefit_score": "0", "major_accidents": "10"},
        "recognised": {"recognition": "3", "major_accidents": "0", "photos_provided": True},
    }
    for name, changes in cases.items():
        render_xlsx(sheet_table(rubric, score(rubric, **changes)), tmp_path / f"{name}.xlsx")
    convert = [soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}"]
    convert += ["--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path)]
    convert += [str(tmp_path / f"{name}.xlsx") for name in cases]
    subprocess.run(convert, capture_output=True, timeout=300, check=True)
    for name, changes in cases.items():
        rows = (tmp_path / f"{name}.csv").read_text(encoding="utf-8").splitlines()
        total_row = next(row for row in rows if row.startswith("总分,"))
        assert Decimal(total_row.split(",")[4]) == score(rubric, **changes).total, name


def test_a_fact_named_points_still_reads_as_a_name() -> None:
    """`points(ID)` made `points` a keyword of expressions; a rubric whose fact is called `points` stays valid."""
    text = """
rubric test.points_fact "得分作为事实" {
  version "1"
  total 10
  input points number "自评得分" range 0 .. 10
  let half = points / 2
  indicator it "指标" 10 {
    points points - half
  }
  grades { 好 >= 5 差 otherwise }
}
"""
    assert check_source(text, "t.rubric") == []
    assert compile_text(text).score({"points": "8"}).total == 4
    formatted, _ = format_source(text, "t.rubric")
    assert formatted is not None and "points points - half" in formatted


lines_strategy = st.lists(
    st.tuples(
        st.sampled_from(["bonus", "penalty"]),
        st.one_of(st.none(), st.integers(1, 20)),  # max
        st.integers(1, 5),  # amount per count
        st.integers(0, 12),  # the count given
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(lines_strategy, st.integers(0, 10), st.integers(0, 30), st.integers(0, 30), st.decimals(0, 1, places=3))
def test_random_lines_add_up_within_a_random_range(
    lines: list[tuple[str, int | None, int, int]], below: int, above: int, pad: int, rate: Decimal
) -> None:
    """For any lines (capped or not, `each`), any final range holding 0..total: total = clamp(base ± lines)."""
    low, high = -below, 10 + above
    declared = [f"  final range {low} .. {high}"] if below or above else []
    body = [f'  input n{k} count "次数{k}" range 0 .. 100' for k in range(len(lines))]
    for k, (kind, cap, amount, _) in enumerate(lines):
        cap_text = f" max {cap}" if cap is not None else ""
        body.append(f'  {kind} line{k} "第{k}项"{cap_text} {{ each n{k} points {amount} }}')
    text = "\n".join(
        [
            'rubric test.random_lines "随机调整项" {',
            '  version "1"',
            "  total 10",
            *declared,
            '  input rate percent "执行率" range 0% .. 100%',
            *body,
            '  indicator it "执行率" 10 {',
            "    proportional rate",
            "  }",
            "}",
        ]
    )
    rubric = compile_text(text)
    facts: dict[str, Any] = {"rate": str(rate * 100)} | {f"n{k}": str(line[3]) for k, line in enumerate(lines)}
    result = rubric.score(facts)
    expected_lines = []
    for kind, cap, amount, count in lines:
        value = Decimal(amount * count)
        value = min(value, cap) if cap is not None else value
        expected_lines.append(value if kind == "bonus" else -value)
    assert [a.sign * a.amount for a in result.adjustments] == expected_lines
    base = (10 * rate).quantize(Decimal("0.01"))
    bounds = (low, high) if declared else (0, 10)
    assert result.base_total == base
    assert result.total == min(max(base + sum(expected_lines, Decimal(0)), bounds[0]), bounds[1])


def test_an_uncapped_formula_line_is_worded_without_a_highest_score() -> None:
    text = NO_GRADES.replace(
        '  veto low "执行率低于10%的，得分为0" when rate < 10% zero\n',
        '  input awards count "获奖次数" range 0 .. 20\n'
        "  final range 0 .. 30\n"
        '  bonus award "获奖加分" {\n    points awards * 0.5\n  }\n',
    )
    table = sheet_table(compile_text(text))
    md = render_markdown(table)
    row = next(line for line in md.splitlines() if "获奖加分" in line)
    assert "按公式计算：获奖次数×0.5，最低0分" in row and "最高" not in row, row
