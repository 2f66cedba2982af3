"""`rubric compare`: the same records under several rubrics, from CSV, JSONL and XLSX.

The sample is 武平县纪委's department view (tests/testdata/compare/): three projects under two
rubrics (wuping.inspection, wuping.casework), 298.34 万元, two 优 and one 良. The alternatives
are written here, beside copies of the Wuping rubrics, so that these tests do not depend on the
official alternatives under rubrics/.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import random
import re
import shutil
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from rubric_dsl import compare
from rubric_dsl.compare import BadWeight, CompareError, Scored, Unscored, pool, read_weight, records, statistics
from rubric_dsl.compare import engine as engine_module
from rubric_dsl.compare_report import render, to_dict, to_html, to_table
from rubric_dsl.diagnostics import Worded, worded_zh
from tests.conftest import ROOT, RUBRICS

DATA = ROOT / "tests" / "testdata" / "compare"
SAMPLE_CSV = DATA / "wuping.csv"
SAMPLE_JSONL = DATA / "wuping.jsonl"
PROJECTS = ["定额基本业务费", "上年办案费补助", "上年专项业务费"]
NOT_FACTS = ("project", "rubric", "funds")
CASEWORK_FACTS = json.loads((RUBRICS / "wuping" / "seed-casework.facts.json").read_text(encoding="utf-8"))

# The same rule change in both alternatives (群众上访人次减少数 now full marks at 40, not 20: the seed's
# 18 gives 1.1 instead of 2.3) and a stricter scale, so that some grades change and some do not.
ALTERNATIVES = {
    "alt_casework.rubric": """
rubric alt.casework "办案与专项业务费（试行稿）" extends wuping.casework {
  override indicator petition "群众上访人次减少数" 2.5 { linear petition_reduction from 0 to 40 }
  override grades { 优秀 >= 95  良好 >= 80  中等 >= 70  差 otherwise }
}
""",
    "alt_inspection.rubric": """
rubric alt.inspection "定额基本业务费（试行稿）" extends wuping.inspection {
  override indicator petition "群众上访人次减少数" 2.5 { linear petition_reduction from 0 to 40 }
  override grades { 优秀 >= 95  良好 >= 80  中等 >= 70  差 otherwise }
}
""",
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_library(tmp_path_factory.mktemp("rubrics"))


def write_library(directory: Path) -> Path:
    """The Wuping rubrics and the alternatives in one directory, so that `extends` finds its parents."""
    for name in ("common.rubric", "inspection.rubric", "casework.rubric"):
        shutil.copy(RUBRICS / "wuping" / name, directory / name)
    for name, text in ALTERNATIVES.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def run(
    library: Path, specs: list[str], data: Path, *, mixed: bool = True, weight: str | None = "funds", **options: Any
) -> compare.Comparison:
    schemes, rubrics = compare.load_schemes(specs, library, mixed=mixed)
    table = compare.read_table(data)
    return compare.compare(
        schemes,
        rubrics,
        table,
        id_column="project",
        weight_column=weight,
        rubric_column="rubric" if mixed else None,
        **options,
    )


def write_xlsx(path: Path, source: Path) -> Path:
    """The CSV sample as a workbook with numeric cells (floats, ints) and booleans, as Excel saves it."""
    lines = source.read_text(encoding="utf-8").splitlines()
    book = Workbook()
    sheet = book.active
    sheet.append(lines[0].split(","))
    for line in lines[1:]:
        cells: list[Any] = []
        for cell in line.split(","):
            if cell in ("true", "false"):
                cells.append(cell == "true")
            elif cell.replace(".", "", 1).isdigit():
                cells.append(float(cell) if "." in cell else int(cell))
            else:
                cells.append(cell or None)
        sheet.append(cells)
    book.save(path)
    return path


def totals(comparison: compare.Comparison, scheme: int = 0) -> list[tuple[str, str]]:
    found = []
    for record in comparison.records:
        outcome = record.outcomes[scheme]
        found.append((str(outcome.total), outcome.grade) if isinstance(outcome, Scored) else ("-", "-"))
    return found


# --- the department view -----------------------------------------------------------------------------


def test_department_view_matches_the_seed(library: Path) -> None:
    found = run(library, ["wuping.*"], SAMPLE_CSV)
    assert [r.id for r in found.records] == PROJECTS
    assert totals(found) == [("85.6", "良"), ("94.6", "优"), ("94.6", "优")]
    summary = found.summaries[0]
    assert summary.grades == (("优", 2), ("良", 1), ("中", 0), ("差", 0))
    assert (summary.scored, summary.unscored) == (3, 0)
    assert summary.weight_total == Decimal("298.34")  # 286 + 8.76 + 3.58, the seed's 财政拨款资金共计
    # (286 × 85.6 + 8.76 × 94.6 + 3.58 × 94.6) / 298.34 = 85.9722… → 85.97
    assert summary.weighted_mean == Decimal("85.97")
    assert summary.mean == Decimal("91.60")  # 274.8 / 3, shown to the cent
    assert (summary.median, summary.minimum, summary.maximum) == (Decimal("94.6"), Decimal("85.6"), Decimal("94.6"))
    assert found.warnings == []


@pytest.mark.parametrize("form", ["csv", "jsonl", "xlsx"])
def test_every_input_format_scores_alike(library: Path, tmp_path: Path, form: str) -> None:
    data = {"csv": SAMPLE_CSV, "jsonl": SAMPLE_JSONL}.get(form) or write_xlsx(tmp_path / "wuping.xlsx", SAMPLE_CSV)
    found = to_dict(run(library, ["wuping.*", "alt.*"], data))
    expected = to_dict(run(library, ["wuping.*", "alt.*"], SAMPLE_CSV))
    for report in (found, expected):
        report.pop("data")
        for record in report["records"]:
            record.pop("where")
    assert found == expected
    assert [s["total"] for s in found["records"][0]["scores"]] == ["85.6", "84.4"]


def test_alternative_shows_grade_changes_and_the_indicators_behind_them(library: Path) -> None:
    found = run(library, ["wuping.*", "alt.*"], SAMPLE_CSV)
    assert totals(found, 1) == [("84.4", "良好"), ("93.4", "良好"), ("93.4", "良好")]
    changes = [(d.delta, d.change, d.indicators) for r in found.records for d in r.differences if d]
    petition = (("petition", Decimal("-1.2")),)  # 2.3 → 1.1
    assert changes == [
        (Decimal("-1.2"), "same", petition),  # 良 → 良好: the same place in a scale of four
        (Decimal("-1.2"), "down", petition),  # 优 → 良好
        (Decimal("-1.2"), "down", petition),
    ]
    summary = found.summaries[1]
    assert summary.grades == (("优秀", 0), ("良好", 3), ("中等", 0), ("差", 0))
    lost = {item.id: item.mean for item in summary.lost}
    assert lost["petition"] == Decimal("1.40") and lost["inspection_count"] == Decimal("6.00")
    assert "eight_rules_people" in lost and "inspection_count" in lost  # both rubrics' own indicators
    table = to_table(found)
    assert "↓ 优→良好" in table and "群众上访人次减少数 −1.2" in table


def test_top_differences_rank_by_size_and_count_an_indicator_of_one_rubric_fully() -> None:
    base = tuple(map(Decimal, ("5", "3", "2", "1")))
    other = tuple(map(Decimal, ("4", "3", "0", "2.5")))

    def texts(found: compare.Top) -> tuple[tuple[str, str], ...]:
        assert all(type(d) is Decimal for _, d in found)
        return tuple((i, str(d)) for i, d in found)

    pairs = compare.align(("a", "b", "c", "d"), ("a", "b", "c", "e"))
    assert texts(compare.top(pairs, base, other)) == (("e", "2.5"), ("c", "-2"), ("a", "-1"))
    assert texts(compare.top(pairs, base, base)) == (("d", "-1"), ("e", "1"))  # only in one rubric: counts fully
    same = compare.align(("a", "b", "c", "d"), ("a", "b", "c", "d"))
    assert compare.top(same, base, base) == ()
    assert texts(compare.top(same, base, (*other[:3], Decimal("2")))) == (("c", "-2"), ("a", "-1"), ("d", "1"))
    assert texts(compare.top(compare.align(("a",), ("b",)), (Decimal(1),), (Decimal(1),))) == (("a", "-1"), ("b", "1"))


# --- records a rubric cannot score -------------------------------------------------------------------


def test_a_record_missing_facts_is_reported_for_that_rubric_only(library: Path, tmp_path: Path) -> None:
    lines = SAMPLE_CSV.read_text(encoding="utf-8").splitlines()
    casework_only = [lines[0], *lines[2:]]
    data = tmp_path / "casework.csv"
    data.write_text("\n".join(casework_only) + "\n", encoding="utf-8")
    found = run(library, ["wuping.casework", "wuping.inspection"], data, mixed=False)
    assert totals(found, 0) == [("94.6", "优"), ("94.6", "优")]
    problems = [o for r in found.records for o in r.outcomes if isinstance(o, Unscored)]
    assert len(problems) == 2
    assert all("planned_units: required fact is missing" in p.problem for p in problems)
    assert all(r.differences == (None,) for r in found.records)
    assert (found.summaries[1].scored, found.summaries[1].unscored) == (0, 2)
    assert found.summaries[1].mean is None
    assert "wuping.inspection: no record gives the required facts planned_units, inspected_units, rectified_units" in (
        found.warnings
    )
    assert "评分规则 wuping.inspection：没有记录给出必填事实 planned_units、inspected_units、rectified_units" in [
        worded_zh(w) for w in found.warnings
    ]
    assert "未评分的记录:" in to_table(found)


def test_a_column_no_rubric_declares_is_warned_about_with_a_suggestion(library: Path, tmp_path: Path) -> None:
    text = SAMPLE_CSV.read_text(encoding="utf-8").replace(",satisfaction,", ",satisfction,", 1)
    data = tmp_path / "typo.csv"
    data.write_text(text, encoding="utf-8")
    found = run(library, ["wuping.*"], data)
    warning = "column `satisfction` is not a fact of any compared rubric; did you mean `satisfaction`?"
    assert warning in found.warnings[0]
    zh = "列 `satisfction` 不是任何所比较评分规则的事实（是不是 `satisfaction`？），已忽略"
    assert worded_zh(found.warnings[0]) == zh
    outcomes = [o for r in found.records for o in r.outcomes]
    assert all(isinstance(o, Unscored) and "satisfaction: required fact is missing" in o.problem for o in outcomes)


def test_empty_cells_are_absent_facts_so_defaults_apply(library: Path, tmp_path: Path) -> None:
    lines = SAMPLE_CSV.read_text(encoding="utf-8").splitlines()
    lines[0] += ",basis_failed"
    lines[1] += ",1"  # one failed item: 立项依据充分性 5 → 4
    lines[2] += ","  # empty: the default, 0 failed
    data = tmp_path / "checklist.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert totals(run(library, ["wuping.*"], data)) == [("84.6", "良"), ("94.6", "优"), ("94.6", "优")]


def test_a_bad_weight_is_warned_about_and_the_record_scored_but_left_out_of_weighted_means(
    library: Path, tmp_path: Path
) -> None:
    data = tmp_path / "weights.csv"
    text = SAMPLE_CSV.read_text(encoding="utf-8").replace(",286,", ",n/a,").replace(",3.58,", ",,")
    data.write_text(text, encoding="utf-8")
    found = run(library, ["wuping.*"], data)
    summary = found.summaries[0]
    assert (summary.scored, summary.unscored) == (3, 0)  # every record still scored and shown
    assert totals(found) == [("85.6", "良"), ("94.6", "优"), ("94.6", "优")]
    assert (summary.weighted, summary.weight_total, summary.weighted_mean) == (1, Decimal("8.76"), Decimal("94.60"))
    assert [r.weight for r in found.records] == [None, Decimal("8.76"), None]
    # The bad weight is named; the empty cell is no weight, and no problem.
    assert found.warnings == [
        "row 2: weight 'n/a' is not a decimal ≥ 0 below 10^30 with at most 10 decimal places, e.g. \"298.34\"; "
        "the record is left out of weighted means"
    ]
    assert [worded_zh(w) for w in found.warnings] == [
        "第2行：权重 'n/a' 不是小于10^30、最多10位小数的非负数（例如“298.34”）；该记录不计入加权平均"
    ]
    assert json.loads(to_dict(found) and json.dumps(to_dict(found)))["warnings"] == found.warnings  # as English text


@pytest.mark.parametrize(
    ("raw", "weight"),
    [
        ("298.34", Decimal("298.34")),
        (" 8.76 ", Decimal("8.76")),
        ("1E+2", Decimal("100")),
        ("0", Decimal("0")),
        ("0.0000000001", Decimal("0.0000000001")),
        ("1.00000000000", Decimal("1")),  # 11 places written, 10 meant: the value is what counts
        ("99999999999999999999999999999.99", Decimal("99999999999999999999999999999.99")),
        (286, Decimal("286")),  # JSONL and XLSX numbers
        (Decimal("8.76"), Decimal("8.76")),
        (3.58, Decimal("3.58")),  # an XLSX float, through its repr
        (None, None),
        ("", None),
        ("0.00000000001", "'0.00000000001'"),  # more than 10 decimal places
        (0.1 + 0.2, "'0.30000000000000004'"),
        ("1e30", "'1e30'"),
        ("-1", "'-1'"),
        ("NaN", "'NaN'"),
        ("Infinity", "'Infinity'"),
        ("1e-999999", "'1e-999999'"),
        ("  ", "'  '"),
        ("n/a", "'n/a'"),
        (True, "'True'"),
        ("9" * 100, "'" + "9" * 64 + "…'"),
    ],
)
def test_one_weight_rule_for_tables_and_the_rpc(raw: Any, weight: Decimal | str | None) -> None:
    """`rules.read_weight` is the rule both front ends apply; a refused weight names itself."""
    found = read_weight(raw)
    if isinstance(weight, str):
        assert isinstance(found, BadWeight) and found.problem.startswith(f"{weight} is not a decimal ≥ 0 below 10^30")
    else:
        assert found == weight and not isinstance(found, BadWeight)


# --- which rubric scores which record ------------------------------------------------------------------


def test_pairs_route_records_to_rubrics_that_do_not_extend_theirs(library: Path) -> None:
    spec = "wuping.inspection=alt.casework,wuping.casework=wuping.casework"
    found = run(library, ["wuping.*", spec], SAMPLE_CSV)
    first = found.records[0].outcomes[1]
    assert isinstance(first, Unscored) and "planned_units" not in first.problem
    assert "eight_rules_people: required fact is missing" in first.problem
    assert totals(found, 1)[1:] == [("94.6", "优"), ("94.6", "优")]


def test_a_record_no_rubric_of_a_scheme_fits_is_reported(library: Path, tmp_path: Path) -> None:
    data = tmp_path / "unknown.csv"
    data.write_text(SAMPLE_CSV.read_text(encoding="utf-8").replace("wuping.inspection", "wuping.inspecton"), "utf-8")
    found = run(library, ["wuping.*", "alt.*"], data)
    first = found.records[0].outcomes
    assert isinstance(first[0], Unscored) and isinstance(first[1], Unscored)
    assert first[0].problem == (
        "no rubric of `wuping.*` is or extends `wuping.inspecton`; did you mean `wuping.inspection`?"
    )
    assert totals(found)[1:] == [("94.6", "优"), ("94.6", "优")]


def test_a_draft_file_compares_with_the_rubric_of_the_same_id_it_revises(library: Path, tmp_path: Path) -> None:
    drafts = tmp_path / "drafts"
    shutil.copytree(library, drafts)
    casework = drafts / "casework.rubric"
    revised = casework.read_text(encoding="utf-8").replace(
        "override section personal_output",
        'override indicator petition "群众上访人次减少数" 2.5 { linear petition_reduction from 0 to 40 }\n\n'
        "  override section personal_output",
    )
    assert revised != casework.read_text(encoding="utf-8")
    casework.write_text(revised, encoding="utf-8")
    lines = SAMPLE_CSV.read_text(encoding="utf-8").splitlines()
    data = tmp_path / "casework.csv"
    data.write_text("\n".join([lines[0], *lines[2:]]) + "\n", encoding="utf-8")
    found = run(library, ["wuping.casework", str(casework)], data, mixed=False)
    assert [found.rubrics.compiled[s.slots[0]].id for s in found.summaries] == ["wuping.casework"] * 2
    assert totals(found, 1) == [("93.4", "优"), ("93.4", "优")]  # the draft: 2.3 → 1.1 for 群众上访人次减少数
    pooled = run(
        library, ["wuping.casework", str(casework)], data, mixed=False, workers=2, chunk_size=1, method="spawn"
    )
    assert pooled.records == found.records


@pytest.mark.parametrize(
    ("specs", "mixed", "message"),
    [
        (["wuping.*"], False, "say which rubric scores each record with --rubric-column"),
        (["wuping.inspecton"], False, "unknown rubric `wuping.inspecton`"),
        (["nothing.*"], False, "no rubric in"),
        (["wuping.casework=wuping.casework"], False, "or pairs"),
    ],
    ids=["pattern-without-column", "typo", "pattern-matches-nothing", "pair-without-column"],
)
def test_schemes_that_cannot_work_are_refused(library: Path, specs: list[str], mixed: bool, message: str) -> None:
    with pytest.raises(CompareError, match=message.replace("(", r"\(")):
        compare.load_schemes(specs, library, mixed=mixed)


def test_an_unknown_column_option_suggests_a_name(library: Path) -> None:
    with pytest.raises(CompareError, match="did you mean `funds`"):
        run(library, ["wuping.*"], SAMPLE_CSV, weight="fund")


def test_a_worded_message_is_its_english_text_and_keeps_its_chinese_when_pickled() -> None:
    warning = Worded("row 2: weight 'x' is no number", "第2行：权重 'x' 不是数")
    assert warning == "row 2: weight 'x' is no number" and json.dumps([warning]) == json.dumps([str(warning)])
    again = pickle.loads(pickle.dumps(warning))
    assert type(again) is Worded and again.zh == "第2行：权重 'x' 不是数" and worded_zh(again) == again.zh
    assert worded_zh("plain") == "plain" and worded_zh(f"{warning}") == str(warning)  # text made from it is English


# --- reading data --------------------------------------------------------------------------------------


def test_xlsx_floats_are_read_through_their_repr_never_their_binary_value() -> None:
    assert records._xlsx_cell(98.02) == Decimal("98.02")
    assert records._xlsx_cell(0.1 + 0.2) == Decimal("0.30000000000000004")  # what the cell holds, digit for digit
    assert records._xlsx_cell(True) is True and records._xlsx_cell("  ") is None


def test_jsonl_numbers_are_decimals_and_nulls_are_absent() -> None:
    table = compare.read_table(SAMPLE_JSONL)
    satisfaction = table.columns.index("satisfaction")
    assert table.rows[0][satisfaction] == Decimal("98.02") and type(table.rows[0][satisfaction]) is Decimal
    assert table.rows[2][table.columns.index("planned_units")] is None
    assert table.where == ["line 1", "line 2", "line 4"]


@pytest.mark.parametrize(
    ("name", "text", "message", "message_zh"),
    [
        ("dup.csv", "a,b,a\n1,2,3\n", "column `a` appears twice", "表头中列 `a` 出现了两次"),
        ("wide.csv", "a,b\n1,2,3\n", "row 2 has more cells than the header", "第2行的单元格比表头的列多"),
        ("bad.jsonl", '{"a": 1}\n{"a": 1,,}\n', r"bad.jsonl:2:\d+: not valid JSON", r":2:\d+：不是有效的 JSON$"),
        ("list.jsonl", "[1, 2]\n", "expected a JSON object", "：应为 JSON 对象"),
        ("data.txt", "a\n", "expected a .csv, .jsonl or .xlsx file", "：应为 .csv、.jsonl 或 .xlsx 文件"),
        (",.csv", ",b\n1,2\n", "column 1 has no name", "表头第1列没有列名"),
    ],
)
def test_malformed_data_is_located(tmp_path: Path, name: str, text: str, message: str, message_zh: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(CompareError, match=message) as refused:
        compare.read_table(tmp_path / name)
    assert re.search(message_zh, refused.value.text("zh")) and refused.value.text("en") == str(refused.value)
    assert refused.value.text("zh").startswith(f"数据 {tmp_path / name}")


def test_a_gbk_csv_from_excel_is_read(tmp_path: Path) -> None:
    data = tmp_path / "gbk.csv"
    data.write_bytes(SAMPLE_CSV.read_text(encoding="utf-8").encode("gb18030"))
    assert compare.read_table(data).rows == compare.read_table(SAMPLE_CSV).rows


# --- worker processes ------------------------------------------------------------------------------------


def synthetic_csv(path: Path, records: int) -> Path:
    """Made-up records around the seed's values (not real projects), a few missing a fact."""
    rng = random.Random(7)
    lines = SAMPLE_CSV.read_text(encoding="utf-8").splitlines()
    header, templates = lines[0].split(","), [line.split(",") for line in lines[1:]]
    varied: dict[str, Callable[[], str]] = {
        "execution_rate": lambda: f"{rng.uniform(70, 100):.2f}",
        "completion_rate": lambda: f"{rng.uniform(50, 110):.2f}",
        "satisfaction": lambda: f"{rng.uniform(40, 100):.2f}" if rng.random() > 0.05 else "",
        "petition_reduction": lambda: str(rng.randint(0, 25)),
    }
    rows = [",".join(header)]
    for number in range(records):
        cells = list(templates[number % 3])
        cells[0] = f"synthetic-{number}"
        for name, draw in varied.items():
            cells[header.index(name)] = draw()
        if number % 37 == 5:
            cells[header.index("funds")] = "n/a"  # warned about, in record order whichever worker reads it
        rows.append(",".join(cells))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_worker_processes_give_the_same_decimals_as_one_process(library: Path, tmp_path: Path, method: str) -> None:
    data = synthetic_csv(tmp_path / "synthetic.csv", 240)
    one = run(library, ["wuping.*", "alt.*"], data, workers=1)
    pooled = run(library, ["wuping.*", "alt.*"], data, workers=2, chunk_size=50, method=method)
    assert to_dict(pooled) == to_dict(one)
    assert one.records == pooled.records and one.summaries == pooled.summaries
    assert 0 < one.summaries[0].unscored < 40  # some records lack satisfaction and are reported
    assert [w.split(":")[0] for w in pooled.warnings] == [f"row {n + 2}" for n in range(5, 240, 37)]
    assert [worded_zh(w).split("：")[0] for w in pooled.warnings] == [f"第{n + 2}行" for n in range(5, 240, 37)]


# --- the engine, records one at a time (as the Compare RPC feeds it) -------------------------------------


def test_records_one_at_a_time_give_what_the_table_gives(library: Path, tmp_path: Path) -> None:
    """`Comparer` and `compare` are one engine: the same records give the same results and summaries,
    here past FLUSH records (point sums are added on the way) and with bad weights in some rows."""
    data = synthetic_csv(tmp_path / "many.csv", 2_500)
    found = run(library, ["wuping.*", "alt.*"], data)
    schemes, rubrics = compare.load_schemes(["wuping.*", "alt.*"], library, mixed=True)
    engine = compare.Comparer(schemes, rubrics.compiled)
    table = compare.read_table(data)
    streamed = []
    for row, where in zip(table.rows, table.where, strict=True):
        cells = dict(zip(table.columns, row, strict=True))
        facts = {name: value for name, value in cells.items() if name not in NOT_FACTS and value is not None}
        streamed.append(engine.compare(cells["project"], facts, cells["rubric"], cells["funds"], where))
    assert len(streamed) > engine_module.FLUSH
    assert streamed == found.records
    assert engine.summaries() == found.summaries
    assert sum(isinstance(r.problem, BadWeight) for r in streamed) == len(range(5, 2_500, 37))


def test_the_engine_refuses_a_fact_no_compared_rubric_declares_unless_allowed(library: Path) -> None:
    schemes, rubrics = compare.load_schemes(["wuping.casework"], library, mixed=False)
    typo = CASEWORK_FACTS | {"satisfction": "98"}
    strict = compare.Comparer(schemes, rubrics.compiled)
    refused = strict.compare("typo", typo)
    assert (refused.outcomes, refused.problem) == ((), compare.UnknownFacts(("satisfction",)))
    assert strict.facts.hint("satisfction") == "; did you mean `satisfaction`?"
    weighted = strict.compare("bad weight", CASEWORK_FACTS, weight="lots")
    assert weighted.outcomes == (Scored(0, Decimal("94.6"), "优"),) and weighted.weight is None
    assert isinstance(weighted.problem, BadWeight) and weighted.problem.problem.startswith("'lots' is not a decimal")
    summary = strict.summaries()[0]
    assert (summary.scored, summary.unscored, summary.weighted) == (1, 1, 0)
    lenient = compare.Comparer(schemes, rubrics.compiled, allow_extra_facts=True)
    assert lenient.compare("typo", typo, weight="8.76") == compare.RecordComparison(
        "typo", "", Decimal("8.76"), (Scored(0, Decimal("94.6"), "优"),), ()
    )


def test_routing_says_why_in_the_front_ends_words(library: Path) -> None:
    schemes, rubrics = compare.load_schemes(["wuping.*"], library, mixed=True)
    words = compare.Wording(nameless="no `rubric`, and `{scheme}` holds several", ambiguous="pair {name}")
    for name in (None, ""):
        assert compare.Router(schemes, rubrics.compiled)(name) == ("the record names no rubric in the rubric column",)
        assert compare.Router(schemes, rubrics.compiled, words)(name) == ("no `rubric`, and `wuping.*` holds several",)
    found = compare.Router(schemes, rubrics.compiled, words)("wuping.common")
    assert isinstance(found[0], str) and found[0].endswith("; pair wuping.common")  # both Wuping rubrics extend it


def test_routing_says_why_in_chinese_too(library: Path) -> None:
    schemes, rubrics = compare.load_schemes(["wuping.*"], library, mixed=True)
    router = compare.Router(schemes, rubrics.compiled)
    why = [router(name)[0] for name in (None, "wuping.common", "wuping.inspecton")]
    assert [worded_zh(str(w)) for w in why] == why  # the English as before…
    assert [worded_zh(w) for w in why] == [  # …and the Chinese with it
        "该记录的评分规则列为空",
        "方案 `wuping.*` 中有多个评分规则继承 `wuping.common`（`wuping.casework`、`wuping.inspection`）；"
        "请在 --rubric 中写明配对：wuping.common=评分规则编号",
        "方案 `wuping.*` 中没有评分规则是或继承 `wuping.inspecton`；是不是 `wuping.inspection`？",
    ]
    words = compare.Wording(nameless="none", ambiguous="pair", nameless_zh="无：{scheme}", ambiguous_zh="配对 {name}")
    assert worded_zh(compare.Router(schemes, rubrics.compiled, words)(None)[0]) == "无：wuping.*"


# --- reports -------------------------------------------------------------------------------------------


def test_json_report_carries_scores_changes_and_the_department_view(library: Path) -> None:
    found = run(library, ["wuping.*", "alt.*"], SAMPLE_CSV)
    report = to_dict(found)
    assert json.loads(render(found, "json")) == report
    assert [s["name"] for s in report["schemes"]] == ["wuping.*", "alt.*"]
    assert [r["id"] for r in report["schemes"][1]["rubrics"]] == ["alt.casework", "alt.inspection"]
    second = report["records"][1]
    assert second["scores"][0] == {"rubric": "wuping.casework", "total": "94.6", "grade": "优"}
    assert second["differences"][0] == {
        "delta": "-1.2",
        "grade_change": "down",
        "indicators": [{"id": "petition", "label": "群众上访人次减少数", "delta": "-1.2"}],
    }
    department = report["summary"][0]
    assert department["grades"] == {"优": 2, "良": 1, "中": 0, "差": 0}
    assert (department["weighted_mean"], department["weight_total"]) == ("85.97", "298.34")
    json.dumps(report, ensure_ascii=False)  # nothing in it that JSON cannot carry


def test_html_report_is_self_contained_escaped_and_has_the_four_charts(library: Path, tmp_path: Path) -> None:
    text = SAMPLE_CSV.read_text(encoding="utf-8").replace("上年专项业务费", '专项<script>alert("x")</script>&')
    data = tmp_path / "hostile.csv"
    data.write_text(text, encoding="utf-8")
    page = to_html(run(library, ["wuping.*", "alt.*"], data))
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "专项&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in page
    assert page.count("<svg") == 4  # grades, the distribution of totals, B against A, mean points lost per indicator
    assert "@page { size: A4" in page


def test_many_records_are_binned_in_the_score_chart(library: Path, tmp_path: Path, monkeypatch: Any) -> None:
    from rubric_dsl import compare_report

    monkeypatch.setattr(compare_report, "SCATTER_POINTS", 10)
    monkeypatch.setattr(compare_report, "HTML_RECORDS", 5)
    found = run(library, ["wuping.*", "alt.*"], synthetic_csv(tmp_path / "many.csv", 60))
    page = to_html(found)
    assert "<circle" not in page and "<rect" in page
    notable = [r.id for r in found.records if compare.notable(r.outcomes, r.differences)]
    assert (
        5 < len(notable) < 60 and f"共 60 条记录；这里列出等次有变化或未能评分的 {len(notable)} 条中的前 5 条" in page
    )
    listed = [r.id for r in found.records if f"<td>{r.id}</td>" in page]
    assert listed == notable[:5]


@given(st.lists(st.decimals(min_value=0, max_value=100, places=1), min_size=1, max_size=40))
def test_the_median_from_counted_totals_is_the_exact_median(values: list[Decimal]) -> None:
    tally = Counter(values)
    ordered = sorted(values)
    middle = len(ordered) // 2
    expected = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    assert statistics._median(sorted(tally), tally, len(values)) == expected


@pytest.mark.skipif(
    not (RUBRICS / "wuping" / "inspection.kaiping_scale.rubric").exists(), reason="the official 开平-scale alternative"
)
def test_the_bundled_kaiping_scale_keeps_every_seed_project_in_its_grade() -> None:
    # 开平's scale differs from 武平's only below 70 (60 ≤ S < 70 is 中 in 武平, 差 in 开平): no seed
    # project changes grade, and the department view stays 2 优, 1 良 (2 优秀, 1 良好).
    found = run(RUBRICS, ["wuping.*", "wuping.*.kaiping_scale"], SAMPLE_CSV)
    assert totals(found, 1) == [("85.6", "良好"), ("94.6", "优秀"), ("94.6", "优秀")]
    assert [d.change for r in found.records for d in r.differences if d] == ["same", "same", "same"]
    assert [s.grades[:2] for s in found.summaries] == [(("优", 2), ("良", 1)), (("优秀", 2), ("良好", 1))]
    assert {s.weighted_mean for s in found.summaries} == {Decimal("85.97")}


def test_a_worker_that_compiles_a_different_rubric_refuses_to_score(library: Path) -> None:
    _, rubrics = compare.load_schemes(["wuping.casework"], library, mixed=False)
    ref = rubrics.refs[0]
    edited = tuple((path, text.replace("above 70", "above 75")) for path, text in ref.sources)
    assert edited != ref.sources
    plan = compare.Plan((dataclasses.replace(ref, sources=edited),), (((), ()),), ((0,),))
    try:
        pool._start_worker(plan)
        with pytest.raises(CompareError, match=r"a worker compiled different rubrics: wuping\.casework") as refused:
            pool._work([(0, ())])
    finally:
        pool._WORKER = None
    # as a worker's error reaches the parent: pickled, its Chinese with it
    again = pickle.loads(pickle.dumps(refused.value))
    assert str(again) == str(refused.value)
    assert again.text("zh").startswith("工作进程编译出的评分规则与本进程的不同：wuping.casework")
