"""`rubric diff OLD NEW [--data FILE]`: what changed between two rubrics, and which records it moves.

The diff itself is `rubric_dsl.rubric_diff`; with --data the records are scored under both by the
comparison engine (`rubric_dsl.compare`), OLD as the baseline.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from rubric_cli.common import LOOKUP_HELP, add_lang_argument, find_rubric, require_rubrics_dir
from rubric_cli.help_zh import text

NAME = "diff"
HELP: str = text(
    "what changed between two rubrics; --data: the records it moves", "比较两版评分规则的改动；--data：改动影响哪些记录"
)
DESCRIPTION: str | None = text(
    """\
What changed between two rubrics, in the policy reader's terms: sections and indicators added,
removed or re-weighted, each changed rule with its old and new 评分标准, the grade scale and the
rounding. OLD and NEW are rubric ids (looked up in --rubrics DIR) or .rubric files.

With --data FILE (CSV, JSONL or XLSX, one record per row, columns are facts), the records are scored
under both: which change total or grade, by how much, and which changes caused it.

example:
  rubric diff wuping.inspection wuping.inspection.national_weights --data rubrics/samples/wuping.csv \\
      --rubric-column rubric --id-column project --format html -o diff.html
""",
    """\
以政策人员的用语列出两版评分规则之间的改动：新增、删除或调整了分值的各级指标，每条改动了的规则
及其新旧评分标准，等次划分和取舍规则。OLD 和 NEW 为评分规则编号（在 --rubrics DIR 中查找）或
.rubric 文件。

给出 --data FILE（CSV、JSONL 或 XLSX，每行一条记录，各列为事实）时，按新旧两版分别为记录评分：
哪些记录的总分或等次有变化，变化多少，由哪些改动引起。

示例：
  rubric diff wuping.inspection wuping.inspection.national_weights --data rubrics/samples/wuping.csv \\
      --rubric-column rubric --id-column project --format html -o diff.html
""",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lang_argument(parser)
    parser.add_argument(
        "old",
        metavar="OLD",
        help=text("the rubric replaced: an id or a .rubric file", "原评分规则：编号或 .rubric 文件"),
    )
    parser.add_argument(
        "new",
        metavar="NEW",
        help=text("the rubric replacing it: an id or a .rubric file", "新评分规则：编号或 .rubric 文件"),
    )
    parser.add_argument("--rubrics", type=Path, metavar="DIR", help=LOOKUP_HELP)
    parser.add_argument(
        "--data",
        metavar="FILE",
        help=text("records to score under both, to show the impact", "按新旧两版分别评分的记录，以显示改动的影响"),
    )
    parser.add_argument(
        "--id-column",
        metavar="C",
        help=text("the column that names each record (default: its row)", "标明每条记录名称的列（默认：按行号）"),
    )
    parser.add_argument(
        "--rubric-column",
        metavar="C",
        help=text(
            "score only the records whose rubric (in this column) is OLD (default: every record)",
            "只评此列所写评分规则为 OLD 的记录（默认：全部记录）",
        ),
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "html"),
        default="text",
        help=text("", "报告格式：text 文字，json 供程序读取，html 网页（默认：text）"),
    )
    parser.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE",
        help=text("where to write (default: stdout)", "输出文件（默认：标准输出）"),
    )


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rubric_dsl.rubric_diff import diff, impact, render

    require_rubrics_dir(options.rubrics)
    old = find_rubric(options.old, options.rubrics)
    new = find_rubric(options.new, options.rubrics)
    found = diff(old, new)
    if options.data:
        found = impact(found, _compare(options, old.id))
    text = render(found, options.format)
    if options.output == "-":
        out.write(text)
    else:
        Path(options.output).write_text(text, encoding="utf-8")
    return 0


def _compare(options: argparse.Namespace, old_id: str):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from rubric_dsl.compare import Table, compare, load_schemes, read_table

    table = read_table(options.data)
    if options.rubric_column:
        if options.rubric_column not in table.columns:
            from rubric_cli.command import UsageProblem

            raise UsageProblem(
                f"--rubric-column `{options.rubric_column}`: the data has no such column",
                f"--rubric-column `{options.rubric_column}`：数据中没有这一列",
            )
        column = table.columns.index(options.rubric_column)
        keep = [i for i, row in enumerate(table.rows) if str(row[column] or "").strip() == old_id]
        table = Table(table.path, table.columns, [table.rows[i] for i in keep], [table.where[i] for i in keep])
    schemes, rubrics = load_schemes([options.old, options.new], options.rubrics, mixed=False)
    found = compare(schemes, rubrics, table, id_column=options.id_column, workers=1)
    return replace(found)
