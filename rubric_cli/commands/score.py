"""`rubric score --rubric ID|FILE --facts FILE|-`: score facts, as the 评分表 layout or as JSON."""

from __future__ import annotations

import argparse
import json
import unicodedata
from pathlib import Path
from typing import TextIO

from rubric_cli.command import UsageProblem
from rubric_cli.common import LOOKUP_HELP, add_lang_argument, find_rubric, read_facts, require_rubrics_dir
from rubric_cli.help_zh import text
from rubric_dsl.diagnostics import Language, choose_language, fmt
from rubric_dsl.program import CompiledRubric
from rubric_dsl.results import Result

NAME = "score"
HELP: str = text("score facts, or a file of records, under a rubric", "按评分规则为一组事实或一个记录文件评分")
DESCRIPTION: str | None = text(
    """\
Score one record's facts (--facts FILE, a JSON object, or - for stdin) and show the 评分表, or score a
file of records in batches (--data FILE --records-out FILE): CSV, JSONL, XLSX or Parquet in, each
record's total, grade and points (exact decimals) out to Parquet, CSV or JSONL as they are scored;
memory stays flat however many records. A record that cannot be scored gets its error and the run
goes on; a summary line says how many were scored.
""",
    """\
为一条记录的事实评分并显示评分表（--facts FILE：一个 JSON 对象，- 表示从标准输入读取）；或分批为
一个记录文件评分（--data FILE --records-out FILE）：读入 CSV、JSONL、XLSX 或 Parquet，把每条记录的
总分、等次和各项得分（精确小数）随评随写入 Parquet、CSV 或 JSONL 文件；记录再多，内存占用也不增加。
无法评分的记录给出其错误，其余照常评分；最后一行汇总评了多少条。
""",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lang_argument(parser)
    parser.add_argument(
        "--rubric",
        required=True,
        metavar="ID|FILE",
        help=text("a rubric id, or a .rubric file", "评分规则编号，或 .rubric 文件"),
    )
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument(
        "--facts",
        metavar="FILE|-",
        help=text("a JSON object of facts, or - for stdin", "事实：一个 JSON 对象的文件，- 表示从标准输入读取"),
    )
    given.add_argument(
        "--data",
        metavar="FILE",
        help=text(
            "records to score in batches: .csv, .jsonl, .xlsx or .parquet",
            "分批评分的记录文件：.csv、.jsonl、.xlsx 或 .parquet",
        ),
    )
    parser.add_argument(
        "--records-out",
        metavar="FILE",
        help=text(
            "with --data: per-record results (.parquet, .csv, .jsonl)",
            "配合 --data：逐条记录的评分结果写入此文件（.parquet、.csv、.jsonl）",
        ),
    )
    parser.add_argument(
        "--id-column",
        metavar="C",
        help=text("with --data: the column that names each record", "配合 --data：标明每条记录名称的列"),
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help=text("with --data: worker processes", "配合 --data：工作进程数"),
    )
    parser.add_argument("--rubrics", type=Path, metavar="DIR", help=LOOKUP_HELP)
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help=text("", "输出格式：table 评分表，json 供程序读取（默认：table）"),
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help=text("show how each indicator's points came about", "逐项说明每个指标的得分是怎么来的"),
    )
    parser.add_argument(
        "--allow-extra-facts",
        action="store_true",
        help=text("ignore facts the rubric does not declare", "忽略评分规则没有声明的事实"),
    )


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    require_rubrics_dir(options.rubrics)
    if options.data is not None:
        return _batch(options, out, err)
    if options.records_out is not None:
        raise UsageProblem("--records-out needs --data FILE", "--records-out 需要与 --data FILE 一起使用")
    rubric = find_rubric(options.rubric, options.rubrics)
    facts = read_facts(options.facts)
    result = rubric.score(facts, allow_extra_facts=options.allow_extra_facts)
    lang = choose_language(options.lang)
    if options.format == "json":
        print(json.dumps(result.to_dict(lang), ensure_ascii=False, indent=2), file=out)
    else:
        print_table(rubric, result, options.explain, out, lang)
    return 0


def _batch(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """A file of records scored in batches under the one rubric, results streamed to --records-out."""
    from rubric_dsl.compare import load_schemes
    from rubric_dsl.compare.stream import compare_file

    if options.records_out is None:
        raise UsageProblem("--data needs --records-out FILE", "--data 需要与 --records-out FILE 一起使用")
    schemes, rubrics = load_schemes([options.rubric], options.rubrics, mixed=False)
    found = compare_file(
        schemes,
        rubrics,
        options.data,
        id_column=options.id_column,
        records_out=options.records_out,
        workers=max(1, options.workers),
    )
    for warning in found.warnings:
        print(f"rubric score: warning: {warning}", file=err)
    summary = found.summaries[0]
    grades = "  ".join(f"{label} {count}" for label, count in summary.grades)
    print(
        f"{rubrics.compiled[0].id}: {found.record_count} 条记录, {summary.scored} 条已评分, "
        f"{summary.unscored} 条未评分; 等次 {grades}; 逐条结果见 {options.records_out}",
        file=out,
    )
    return 0


# --- the score sheet as a table ----------------------------------------------------------------------

# Column names of the section levels, as the seed sheets name them.
SHEET_LEVELS = {0: [], 1: ["一级指标"], 2: ["一级指标", "二级指标"], 3: ["绩效", "一级指标", "二级指标"]}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def sheet_rows(rubric: CompiledRubric, result: Result) -> tuple[list[str], list[list[str]]]:
    """The 评分表 layout: one column per section level, then 三级指标, 分值, 得分; a section's
    label is shown only on its first row, as in the seed's merged cells."""
    sections = {s.id: s for s in rubric.sections}
    points = {s.id: s.points for s in result.sections}
    depth = max((s.depth for s in rubric.sections), default=-1) + 1
    levels = SHEET_LEVELS.get(depth) or [f"第{i + 1}层" for i in range(depth)]
    header = [*levels, "三级指标", "分值", "得分"]
    rows: list[list[str]] = []
    previous: list[str | None] = [None] * depth
    for indicator in result.indicators:
        chain: list[str] = []
        section = indicator.section
        while section is not None:
            chain.insert(0, section)
            section = sections[section].parent
        cells = []
        for level in range(depth):
            sid = chain[level] if level < len(chain) else None
            shown = sid is not None and (previous[level] != sid)
            info = sections[sid] if sid is not None else None
            cells.append(f"{info.label}({fmt(info.weight)}/{fmt(points[info.id])})" if shown and info else "")
            previous[level] = sid
        rows.append([*cells, indicator.label, fmt(indicator.max_points), fmt(indicator.points)])
    return header, rows


def print_table(rubric: CompiledRubric, result: Result, explain: bool, out: TextIO, lang: Language = "en") -> None:
    header, rows = sheet_rows(rubric, result)
    print(f"{rubric.title}  [{rubric.id} {rubric.version}]", file=out)
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print("  ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip(), file=out)
    for row, indicator in zip(rows, result.indicators_in(lang), strict=True):
        print("  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out)
        if explain:
            print(" " * (sum(widths[:-3]) + 2 * (len(widths) - 3)) + "↳ " + indicator.explanation, file=out)
    for line in result.adjustments_in(lang):
        word = "加分项" if line.sign > 0 else "扣分项"
        print(f"{word} {line.label}  {line.signed}", file=out)
        if explain:
            print(f"  ↳ {line.explanation}", file=out)
    if rubric.adjustment_lines or rubric.veto_rules:
        print(f"{'总分计算' if lang == 'zh' else 'total'}: {result.total_explanation(lang)}", file=out)
    grade = f"    等次 {result.grade}" if result.grade else ""
    print(f"总分 {fmt(result.total)} / {fmt(rubric.total)}{grade}", file=out)
    for veto in result.vetoes_in(lang):  # never silent, with or without --explain; `why` opens with its kind
        named = veto.why.replace("：", f"：{veto.label}：", 1) if lang == "zh" else f"{veto.why} ({veto.label})"
        print(named, file=out)
    lost = result.lost_in(lang) if explain else []
    if lost:
        print("失分（从大到小）：" if lang == "zh" else "失分（从大到小）:", file=out)
        for item in lost:
            print(f"  {item.text(lang)}", file=out)
