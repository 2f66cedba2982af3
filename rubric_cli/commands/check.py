"""`rubric check PATH...`: every problem of the rubric files, located with a caret; exit 1 on errors."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from rubric_cli.command import UsageProblem
from rubric_cli.common import PARENTS_HELP, add_lang_argument, require_rubrics_dir
from rubric_cli.help_zh import text
from rubric_dsl.api import Library, build_library, read_files, rubric_files, search_dirs, sources_for
from rubric_dsl.diagnostics import Diagnostic, choose_language

NAME = "check"
HELP: str = text(
    "report every problem of rubric files (exit 1 on errors)", "检查评分规则文件，列出每个问题（有错误时退出码为 1）"
)
DESCRIPTION: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lang_argument(parser)
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help=text("rubric files or directories", "评分规则文件或目录")
    )
    parser.add_argument("--rubrics", type=Path, metavar="DIR", help=PARENTS_HELP)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help=text(
            "json: one object on stdout, for editors and CI",
            "json：在标准输出上给出一个 JSON 对象，供编辑器和持续集成使用",
        ),
    )


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    require_rubrics_dir(options.rubrics)
    found: list[Diagnostic] = []
    sources: dict[str, str] = {}
    checked = 0
    for dirs, wanted in _groups(options.paths, options.rubrics).items():
        texts, problems = read_files(map(Path, wanted))
        library = build_library(sources_for(texts, dirs), problems=problems)
        found.extend(d for path in wanted for d in library.files[path])
        sources.update(library.sources)
        checked += len(wanted)
    if not checked:
        raise UsageProblem(
            "no .rubric files found in " + ", ".join(options.paths),
            "在 " + "、".join(options.paths) + " 中没有找到 .rubric 文件",
        )
    errors = sum(d.severity == "error" for d in found)
    warnings = len(found) - errors
    if options.format == "json":
        report = {"files": checked, "errors": errors, "warnings": warnings, "diagnostics": [as_json(d) for d in found]}
        print(json.dumps(report, ensure_ascii=False, indent=2), file=out)
        return 1 if errors else 0
    if found:
        print(Library(sources=sources).render(found, choose_language(options.lang)), file=err)
    print(f"{checked} files checked: {errors} errors, {warnings} warnings", file=out)
    return 1 if errors else 0


def as_json(d: Diagnostic) -> dict[str, object]:
    """A diagnostic as `--format json` gives it: where (lines and columns from 1), what, in both languages."""
    span = d.span
    return {
        "path": span.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
        "severity": d.severity,
        "code": d.code,
        "message": d.message,
        "message_zh": d.message_zh,
    }


def _groups(paths: Sequence[str], search_dir: Path | None) -> dict[tuple[Path, ...], list[str]]:
    """The given rubric files, grouped by where their parents are looked up (each path beside itself
    first); a file named twice, in any spelling, is checked once."""
    groups: dict[tuple[Path, ...], list[str]] = {}
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = rubric_files(path)
        elif path.is_file():
            files = [path]
        else:
            raise UsageProblem(f"{raw}: no such file or directory", f"{raw}：没有这个文件或目录")
        group = groups.setdefault(tuple(search_dirs(path, search_dir)), [])
        for file in files:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                group.append(str(file))
    return groups
