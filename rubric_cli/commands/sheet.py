"""`rubric sheet --rubric ID|FILE [--facts FILE | --data FILE] [--header KEY=VALUE ...] --format md|html|xlsx
[-o FILE|DIR]`: the score sheet (评分表), a blank form without facts, or one sheet per record of a data file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from rubric_cli.command import UsageProblem
from rubric_cli.common import LOOKUP_HELP, add_lang_argument, find_rubric, read_facts, require_rubrics_dir
from rubric_cli.help_zh import text
from rubric_dsl.diagnostics import choose_language
from rubric_dsl.errors import RubricDslError
from rubric_dsl.program import CompiledRubric
from rubric_dsl.sheet import (
    FORMATS,
    HEADER_FIELDS,
    SheetTable,
    header_key,
    render_text,
    render_xlsx_book,
    sheet_names,
    sheet_table,
    split_facts,
    write_sheet,
)

NAME = "sheet"
HELP: str = text("write the score sheet (评分表) of a rubric", "生成评分规则的评分表")
_FIELDS_ZH = "".join(f"  {f.key}：{f.label}\n" for f in HEADER_FIELDS)
DESCRIPTION: str | None = text(
    f"""\
Write the score sheet (评分表) of a rubric: a header block (项目名称, 主管部门, 实施单位, 项目资金, 评价时间),
one row per indicator with 分值, 评分标准, 得分 and 扣分原因, 总分 and 等次, and lines to sign.
Without --facts or --data it is a blank form to fill in by hand.

The header block takes these well-known names from the facts (or the data's columns) when they are
there; they are not scored unless the rubric declares them as inputs. --header KEY=VALUE adds or
overrides one (KEY as below or its Chinese label):
  {", ".join(f"{f.key} ({f.label})" for f in HEADER_FIELDS)}
Amounts are in 万元; 执行率 = spent / budget_full_year.

--data FILE.csv|.xlsx writes one sheet per record: with -o FILE.xlsx a workbook of one worksheet
per project (named after project_name), with --format md|html and -o DIR/ one file per project.
Records whose `rubric` column names another rubric are skipped.""",
    f"""\
生成评分规则的评分表：表头（项目名称、主管部门、实施单位、项目资金、评价时间），每个指标一行，
列出分值、评分标准、得分和扣分原因，以及总分、等次和签字栏。不给 --facts 或 --data 时生成空白表，
供手工填写。

表头从事实（或数据的列）中取下列通用名称的值；除非评分规则把它们声明为输入，否则不参与评分。
--header KEY=VALUE 增加或改写其中一项（KEY 为下列名称或其中文名）：
{_FIELDS_ZH}金额单位为万元；执行率 = spent / budget_full_year。

--data FILE.csv|.xlsx 为每条记录生成一张评分表：配合 -o FILE.xlsx 写成一个工作簿，每个项目一张
工作表（以 project_name 命名）；配合 --format md|html 和 -o DIR/，每个项目写一个文件。
`rubric` 列写的是其他评分规则的记录，跳过不评。""",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lang_argument(parser)
    parser.add_argument("--rubric", required=True, metavar="ID|FILE", help=text("", "评分规则编号，或 .rubric 文件"))
    given = parser.add_mutually_exclusive_group()
    given.add_argument(
        "--facts",
        metavar="FILE|-",
        help=text(
            "score these facts and fill in 得分, 扣分原因, 总分 and 等次",
            "按这些事实评分，填入得分、扣分原因、总分和等次（- 表示从标准输入读取）",
        ),
    )
    given.add_argument(
        "--data",
        type=Path,
        metavar="FILE",
        help=text(
            "one sheet per record of this .csv or .xlsx file", "为此 .csv 或 .xlsx 文件的每条记录各生成一张评分表"
        ),
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=text(
            "a value of the header block, e.g. --header project_name=2022年定额基本业务费 (repeatable)",
            "表头的一项，如 --header project_name=2022年定额基本业务费（可多次给出）",
        ),
    )
    parser.add_argument("--rubrics", type=Path, metavar="DIR", help=LOOKUP_HELP)
    parser.add_argument(
        "--format", choices=FORMATS, default="md", help=text("", "评分表的格式：md、html（可打印）或 xlsx（默认：md）")
    )
    parser.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE|DIR",
        help=text(
            "where to write (default: stdout; xlsx needs a file; --data with md or html needs a directory)",
            "输出到哪里（默认：标准输出；xlsx 须给出文件；--data 配合 md 或 html 时须给出目录）",
        ),
    )


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    require_rubrics_dir(options.rubrics)
    overrides = _header_options(options.header)
    rubric = find_rubric(options.rubric, options.rubrics)
    if options.data is not None:
        return _batch(options, rubric, overrides, err)
    facts, header = split_facts(rubric, read_facts(options.facts)) if options.facts else ({}, {})
    result = rubric.score(facts) if options.facts else None
    header.update(overrides)
    if options.output != "-":
        write_sheet(rubric, result, options.format, options.output, header)
    elif options.format == "xlsx":
        raise UsageProblem("an xlsx sheet needs a file: add -o FILE.xlsx", "xlsx 评分表需要输出文件：加上 -o 文件.xlsx")
    else:
        out.write(render_text(sheet_table(rubric, result, header), options.format))
    return 0


def _header_options(pairs: list[str]) -> dict[str, str]:
    header: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        known = header_key(key)
        if not sep or known is None:
            names = ", ".join(f.key for f in HEADER_FIELDS)
            raise UsageProblem(
                f"--header {pair}: expected KEY=VALUE with KEY one of {names} (or its Chinese label)",
                f"--header {pair}：应为 KEY=VALUE，KEY 为 {names} 之一（或其中文名称）",
            )
        header[known] = value
    return header


def _batch(options: argparse.Namespace, rubric: CompiledRubric, overrides: dict[str, str], err: TextIO) -> int:
    from rubric_dsl.compare import read_table
    from rubric_dsl.compare_report import where_text

    data = read_table(options.data)
    if data.path.endswith((".jsonl", ".ndjson")):
        raise UsageProblem(
            f"--data {options.data}: expected a .csv or .xlsx file", f"--data {options.data}：应为 .csv 或 .xlsx 文件"
        )
    inputs = {i.name for i in rubric.inputs}
    chooser = data.columns.index("rubric") if "rubric" in data.columns and "rubric" not in inputs else None
    ignored = [c for c in data.columns if c not in inputs and header_key(c) is None and c != "rubric"]
    if ignored:
        if choose_language(options.lang) == "zh":
            err.write(f"rubric sheet: 以下列既不是 {rubric.id} 的事实也不是表头项，已忽略：{'、'.join(ignored)}\n")
        else:
            err.write(
                f"rubric sheet: columns neither facts of {rubric.id} nor header fields, ignored: {', '.join(ignored)}\n"
            )
    sheets: list[tuple[str, SheetTable]] = []
    for row, where in zip(data.rows, data.where, strict=True):
        if chooser is not None and row[chooser] is not None and str(row[chooser]) != rubric.id:
            continue
        record: dict[str, Any] = {c: v for c, v in zip(data.columns, row, strict=True) if v is not None}
        facts, header = split_facts(rubric, record)
        facts = {name: value for name, value in facts.items() if name in inputs}
        header.update(overrides)
        try:
            result = rubric.score(facts)
            table = sheet_table(rubric, result, header)
        except RubricDslError as problem:  # bad facts or header values: name the record
            raise UsageProblem(
                f"data {data.path}: {where}: {problem}",
                f"数据 {data.path}：{where_text(where, 'zh')}：{problem.text('zh')}",
            ) from None
        sheets.append((table.header.project_name or f"{where}", table))
    if not sheets:
        raise UsageProblem(
            f"data {data.path}: no records for {rubric.id}", f"数据 {data.path} 中没有 {rubric.id} 的记录"
        )
    _write_batch(options, sheets)
    return 0


def _write_batch(options: argparse.Namespace, sheets: list[tuple[str, SheetTable]]) -> None:
    if options.format == "xlsx":
        if options.output == "-" or not str(options.output).lower().endswith(".xlsx"):
            raise UsageProblem(
                "--data with xlsx writes one workbook: add -o FILE.xlsx",
                "--data 与 xlsx 一起时写成一个工作簿：请加 -o 文件.xlsx",
            )
        render_xlsx_book(sheets, options.output)
        return
    directory = Path(options.output)
    if options.output == "-" or (directory.exists() and not directory.is_dir()):
        raise UsageProblem(
            f"--data with {options.format} writes one file per record: add -o DIR/",
            f"--data 与 {options.format} 一起时每条记录写一个文件：请加 -o 目录/",
        )
    directory.mkdir(parents=True, exist_ok=True)
    for name, (_, table) in zip(sheet_names(n for n, _ in sheets), sheets, strict=True):
        (directory / f"{name}.{options.format}").write_text(render_text(table, options.format), encoding="utf-8")
