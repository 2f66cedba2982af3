"""`rubric fmt [--check] PATH...`: rewrite rubric files in the canonical layout, comments kept."""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path
from typing import TextIO

from rubric_cli.command import UsageProblem
from rubric_cli.common import add_lang_argument
from rubric_cli.help_zh import text
from rubric_dsl.api import rubric_files
from rubric_dsl.diagnostics import choose_language
from rubric_dsl.files import read_source
from rubric_dsl.formatter import format_source

NAME = "fmt"
HELP: str = text("rewrite rubric files in the canonical layout", "按统一格式重排评分规则文件")
DESCRIPTION: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lang_argument(parser)
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help=text("rubric files or directories", "评分规则文件或目录")
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help=text("change nothing; show a diff, exit 1 if any", "不改动文件，只显示差异；有差异时退出码为 1"),
    )


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    files: list[Path] = []
    for raw in options.paths:
        path = Path(raw)
        if not path.exists():
            raise UsageProblem(f"{raw}: no such file or directory", f"{raw}：没有这个文件或目录")
        files.extend(rubric_files(path) if path.is_dir() else [path])
    changed = failed = 0
    lang = choose_language(options.lang)
    for file in files:
        text, read = read_source(file)  # a file saved as GBK or UTF-16 is written back as UTF-8
        if read:
            print("\n".join(d.render(text, lang) for d in read), file=err)
        if text is None:
            failed += 1
            continue
        formatted, problems = format_source(text, str(file))
        if formatted is None:
            failed += 1
            print("\n".join(d.render(text, lang) for d in problems), file=err)
            continue
        if formatted == text and not read:
            continue
        changed += 1
        if options.check:
            out.writelines(
                difflib.unified_diff(
                    text.splitlines(keepends=True),
                    formatted.splitlines(keepends=True),
                    str(file),
                    f"{file} (formatted)",
                )
            )
        else:
            file.write_text(formatted, encoding="utf-8")
    verb = "would reformat" if options.check else "reformatted"
    print(f"{len(files)} files: {verb} {changed}, {failed} with syntax errors", file=err)
    return 1 if failed or (options.check and changed) else 0
