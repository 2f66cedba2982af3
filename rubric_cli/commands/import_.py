"""`rubric import 评分表.xlsx|.docx -o draft.rubric`: an existing score sheet read into a draft rubric."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TextIO

from rubric_cli.command import UsageProblem
from rubric_cli.help_zh import text
from rubric_dsl.diagnostics import os_reason_zh

NAME = "import"
HELP: str = text(
    "read an existing 评分表 (.xlsx or .docx) into a draft rubric", "把现有的评分表（.xlsx 或 .docx）读成评分规则草稿"
)
DESCRIPTION: str | None = text(
    """\
Read an existing score sheet (评分表) from Excel (.xlsx) or Word (.docx) into a draft rubric:
the section tree with its weights from the level columns (一级/二级/三级指标, merged cells), one
indicator per row with its 分值, and a rule read from its 评分标准 (band tables, 逐项扣分, 每增加…扣…,
按完成比例, 按期完成, linear A≥…). 加分/扣分 rows become bonus and penalty lines ("每发现一处问题扣1分，
最多扣5分"); 一票否决 rows become vetoes whose condition is a placeholder fact marked for a person. Each
original 评分标准 is kept as a comment beside its rule; text that cannot be read becomes a judged score
marked `# 待人工确认`. A sheet written by `rubric sheet --format xlsx` is read back exactly (its lines,
vetoes, final range, not-applicable policy, grades and inputs from its hidden rule record). Prints what
was mapped, what needs a person, the weight checks and the draft's `rubric check` result (Chinese, then
English; --lang for one only).
Exit 0 when the draft checks clean, 1 when it has errors (the draft is written all the same).""",
    """\
把 Excel（.xlsx）或 Word（.docx）中现有的评分表读成评分规则草稿：由各级指标列（一级/二级/三级指标，
含合并单元格）得出指标层级及其分值，每行一个指标及其分值，并从其评分标准读出评分规则（分档表、
逐项扣分、每增加…扣…、按完成比例、按期完成、线性 A≥…）。加分/扣分行成为加分项和扣分项（“每发现一处
问题扣1分，最多扣5分”）；一票否决行成为否决项，其条件是一个待人工确认的占位事实。每条原评分标准作为
注释保留在其规则旁；读不懂的文字成为人工评分项，标注 `# 待人工确认`。由 `rubric sheet --format xlsx`
生成的评分表按其隐藏的规则记录原样读回（加分/扣分项、否决项、总分范围、不适用的处理、等次和输入）。
报告已读出的内容、需要人工处理的内容、分值核对结果，以及草稿的 `rubric check` 结果（先中文后英文；
用 --lang 只要一种语言）。
草稿检查无误时退出码为 0，有错误时为 1（草稿照样写出）。""",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sheet", type=Path, metavar="评分表.xlsx|.docx", help=text("", "要读入的评分表"))
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="FILE",
        help=text("the draft rubric to write", "要写出的评分规则草稿"),
    )
    parser.add_argument(
        "--id",
        dest="rubric_id",
        metavar="ID",
        help=text("the draft's rubric id (default: from the file name)", "草稿的评分规则编号（默认：由文件名得出）"),
    )
    parser.add_argument("--force", action="store_true", help=text("overwrite FILE if it exists", "FILE 已存在时覆盖它"))
    parser.add_argument(
        "--lang",
        choices=("en", "zh"),
        help=text(
            "the report in this language only (default: Chinese, then English)",
            "报告只用这一种语言：zh 中文，en 英文（默认：先中文后英文）",
        ),
    )


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rubric_dsl.diagnostics import Diagnostic, Language
    from rubric_dsl.importer import import_sheet, report_text

    output: Path = options.output
    if output.exists() and not options.force:
        raise UsageProblem(f"{output} exists; use --force to overwrite it", f"{output} 已存在；如要覆盖请加 --force")
    rubric_id = options.rubric_id or _default_id(output)
    if not re.fullmatch(r"[^\W\d]\w*(\.[^\W\d]\w*)*", rubric_id):
        raise UsageProblem(
            f"--id {rubric_id}: not a rubric id (letters, digits, _ and .)", f"--id {rubric_id}：不是规则编号"
        )
    draft = import_sheet(options.sheet, rubric_id, str(output))
    try:
        output.write_text(draft.text, encoding="utf-8")
    except OSError as error:
        raise UsageProblem(
            f"{output}: cannot write ({error.strerror})", f"{output}：无法写入（{os_reason_zh(error, '写入')}）"
        ) from None
    langs: list[Language] = [options.lang] if options.lang else ["zh", "en"]
    print("\n\n".join(report_text(draft, str(options.sheet), str(output), lang) for lang in langs), file=out)
    if draft.diagnostics:
        shown: list[Diagnostic] = draft.diagnostics
        print("\n".join(d.render(draft.text, langs[0]) for d in shown), file=err)
    return 1 if draft.errors else 0


def _default_id(output: Path) -> str:
    stem = output.name.removesuffix(".rubric")
    return f"imported.{stem}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", stem) else "imported.draft"
