"""`rubric lsp`: a language server over stdio, for editors (diagnostics, hover, go to definition, formatting)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from rubric_cli.command import UsageProblem
from rubric_cli.common import PARENTS_HELP, add_lang_argument, require_rubrics_dir
from rubric_cli.help_zh import text

NAME = "lsp"
HELP: str = text("language server over stdio, for editors", "供编辑器使用的语言服务器（经标准输入输出）")
DESCRIPTION: str | None = text(
    """\
Speaks the Language Server Protocol on stdin/stdout: diagnostics as a rubric file changes, hover on
indicators, sections and inputs (label, weight, 评分标准), go to the definition of an input, a let or
the parent rubric, and whole-file formatting. Messages are in Chinese when the editor's locale (or,
without one, LANG) is zh*, unless --lang says otherwise. See "Editor support" in the README.""",
    """\
在标准输入和标准输出上以语言服务器协议（LSP）与编辑器通信：评分规则文件一改动即给出诊断信息；
悬停在指标、各级指标和输入上时显示其名称、分值和评分标准；跳转到输入、`let` 定义或所继承的评分
规则；整个文件重排格式。编辑器的语言环境（没有时看 LANG）为 zh* 时提示信息用中文，--lang 另有指定
的除外。详见 README 中的 `Editor support` 一节。""",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lang_argument(parser)
    parser.add_argument("--rubrics", type=Path, metavar="DIR", help=PARENTS_HELP)
    parser.add_argument(
        "--stdio",
        action="store_true",
        help=text(
            "accepted for editors that pass it; stdio is the only transport",
            "为传这个选项的编辑器而接受；只经标准输入输出通信",
        ),
    )


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    require_rubrics_dir(options.rubrics)
    try:  # here, so that no other command loads pygls
        from rubric_cli.lsp.server import make_server
    except ImportError as missing:
        raise UsageProblem(f"the language server needs pygls: {missing}") from missing
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("rubric-engine")
    except PackageNotFoundError:
        found = "unknown"
    server = make_server(found, options.lang, options.rubrics)
    # The protocol gets its own copies of stdin and stdout, which it closes on `exit`; meanwhile a stray
    # print goes to stderr, so that nothing but protocol messages reaches the editor.
    protocol_in = os.fdopen(os.dup(sys.stdin.fileno()), "rb")
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    saved = sys.stdout
    sys.stdout = err
    try:
        server.start_io(protocol_in, protocol_out)
    finally:
        sys.stdout = saved
        for stream in (protocol_in, protocol_out):
            if not stream.closed:
                stream.close()
    return 0
