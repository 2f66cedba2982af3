"""`rubric sheet --rubric ID|FILE [--facts FILE] --format md|html|xlsx [-o FILE]`: the score sheet (评分表)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from rubric_cli.command import UsageProblem
from rubric_cli.common import LOOKUP_HELP, add_lang_argument, find_rubric, read_facts, require_rubrics_dir
from rubric_dsl.sheet import FORMATS, render_html, render_markdown, sheet_table, write_sheet

NAME = "sheet"
HELP = "write the score sheet (评分表) of a rubric"
DESCRIPTION: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lang_argument(parser)
    parser.add_argument("--rubric", required=True, metavar="ID|FILE")
    parser.add_argument("--facts", metavar="FILE|-", help="score these facts and fill in 得分, the total and the grade")
    parser.add_argument("--rubrics", type=Path, metavar="DIR", help=LOOKUP_HELP)
    parser.add_argument("--format", choices=FORMATS, default="md")
    parser.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="where to write (default: stdout; xlsx needs a file)"
    )


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    require_rubrics_dir(options.rubrics)
    rubric = find_rubric(options.rubric, options.rubrics)
    result = rubric.score(read_facts(options.facts)) if options.facts else None
    if options.output != "-":
        write_sheet(rubric, result, options.format, options.output)
    elif options.format == "xlsx":
        raise UsageProblem("an xlsx sheet needs a file: add -o FILE.xlsx")
    else:
        table = sheet_table(rubric, result)
        out.write(render_markdown(table) if options.format == "md" else render_html(table))
    return 0
