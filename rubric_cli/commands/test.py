"""`rubric test [--coverage] [--fail-under PERCENT] [--format json] [PATH...]`: run the test cases
(*.tests.toml) beside the rubrics; exit 1 when a case fails, a rubric in scope does not compile, or
the clauses reached are below --fail-under."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from rubric_cli.command import UsageProblem
from rubric_cli.commands.check import as_json
from rubric_cli.common import DEFAULT_RUBRICS, PARENTS_HELP, add_lang_argument, require_rubrics_dir
from rubric_cli.help_zh import text
from rubric_dsl.api import Library, build_library, rubric_files, search_dirs, sources_for
from rubric_dsl.coverage import Coverage
from rubric_dsl.diagnostics import Diagnostic, Language, choose_language, has_errors
from rubric_dsl.files import read_source
from rubric_dsl.testcases import run_file, test_files

NAME = "test"
HELP: str = text("run the test cases beside rubrics (*.tests.toml)", "运行评分规则旁的测试用例（*.tests.toml）")
DESCRIPTION: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lang_argument(parser)
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        default=[str(DEFAULT_RUBRICS)],
        help=text("", "测试用例文件（*.tests.toml）或目录（默认：./rubrics）"),
    )
    parser.add_argument("--rubrics", type=Path, metavar="DIR", help=PARENTS_HELP)
    parser.add_argument(
        "--coverage",
        action="store_true",
        help=text("report the clauses no case reaches, per rubric", "逐个评分规则报告覆盖率，列出没有用例覆盖的分支"),
    )
    parser.add_argument(
        "--fail-under",
        type=float,
        metavar="PERCENT",
        help=text(
            "fail (exit 1) when the clauses reached, over all rubrics, are below PERCENT (implies --coverage)",
            "所有评分规则合计的分支覆盖率低于 PERCENT 时判为未通过（退出码为 1）；同时报告覆盖率（即 --coverage）",
        ),
    )
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
    files = test_files(options.paths)
    if not files:
        raise UsageProblem(
            "no test cases (*.tests.toml) found in " + ", ".join(options.paths),
            "在 " + "、".join(options.paths) + " 中没有找到测试用例（*.tests.toml）",
        )
    lang = choose_language(options.lang)
    text = options.format == "text"
    passed = failed = 0
    cases: list[dict[str, object]] = []
    broken: dict[str, Diagnostic] = {}  # path -> its first error: a rubric in scope that does not compile
    libraries: dict[tuple[Path, ...], Library] = {}
    coverage: dict[str, Coverage] = {}
    for file in files:
        dirs = tuple(search_dirs(_test_base(file, options.paths), options.rubrics))
        if dirs not in libraries:
            library = libraries[dirs] = build_library(sources_for({}, dirs))
            shown = [d for d in library.diagnostics if _under(d.span.path, options.paths)]  # not other regions'
            for d in [*shown, *_unreadable(dirs, options.paths)]:
                if d.severity == "error":
                    broken.setdefault(d.span.path, d)
            if has_errors(shown) and text:
                print(library.render(shown, lang), file=err)
        for outcome in run_file(file, libraries[dirs]):
            rubric = libraries[dirs].rubrics.get(outcome.rubric)
            if rubric is not None and outcome.result is not None:
                coverage.setdefault(rubric.id, Coverage(rubric)).add(outcome.result)
            cases.append(
                {
                    "file": str(outcome.file),
                    "rubric": outcome.rubric,
                    "name": outcome.name,
                    "passed": outcome.passed,
                    "failures": list(outcome.failures),
                }
            )
            if outcome.passed:
                passed += 1
                continue
            failed += 1
            if text:
                head = "未通过" if lang == "zh" else "FAIL"
                print(f"{head} {outcome.file} [{outcome.rubric}] {outcome.name}", file=out)
                for failure in outcome.texts(lang):
                    print(f"  {failure}", file=out)
    reports = sorted(coverage.values(), key=lambda r: r.rubric.id)
    share = _share(reports)
    below = options.fail_under is not None and share < options.fail_under
    if text:
        if options.coverage or options.fail_under is not None:
            print_coverage(reports, out, lang)
        for path, first in broken.items():
            if lang == "zh":
                print(f"无法编译 {path}：{first.text(lang)} [{first.code}]", file=out)
            else:
                print(f"BROKEN {path}: does not compile: {first.text(lang)} [{first.code}]", file=out)
        if below and lang == "zh":
            print(f"分支覆盖率 {share:.1f}% 低于 --fail-under {options.fail_under:g}%", file=out)
        elif below:
            print(f"coverage {share:.1f}% of clauses is below --fail-under {options.fail_under:g}%", file=out)
        print(f"{passed} 个通过，{failed} 个未通过" if lang == "zh" else f"{passed} passed, {failed} failed", file=out)
    else:
        report = {
            "passed": passed,
            "failed": failed,
            "broken": [{"path": path, "first_error": as_json(first)} for path, first in broken.items()],
            "cases": cases,
            "coverage": {"percent": round(share, 1), "rubrics": [_coverage_json(r) for r in reports]},
        }
        print(json.dumps(report, ensure_ascii=False, indent=2), file=out)
    return 1 if failed or not passed or broken or below else 0


def _unreadable(dirs: Sequence[Path], paths: Sequence[str]) -> list[Diagnostic]:
    """What reading the rubric files in scope found: a file that cannot be read or decoded is broken too."""
    found = []
    for file in {f for d in dirs for f in rubric_files(d) if _under(str(f), paths)}:
        found.extend(read_source(file)[1])
    return sorted(found, key=lambda d: d.span.path)


def _share(reports: Sequence[Coverage]) -> float:
    """The clauses reached, in percent of all clauses of every rubric tested."""
    total = sum(len(r.clauses()) for r in reports)
    missed = sum(len(r.missed()) for r in reports)
    return 100 * (total - missed) / total if total else 100.0


def _coverage_json(report: Coverage) -> dict[str, object]:
    clauses, missed = report.clauses(), report.missed()
    return {
        "rubric": report.rubric.id,
        "clauses": len(clauses),
        "reached": len(clauses) - len(missed),
        "missed": [
            {"path": c.span.path, "line": c.span.line, "column": c.span.column, "clause": c.label} for c in missed
        ],
    }


def print_coverage(reports: Iterable[Coverage], out: TextIO, lang: Language = "en") -> None:
    for report in sorted(reports, key=lambda r: r.rubric.id):
        clauses, missed = report.clauses(), report.missed()
        share = 100 * (len(clauses) - len(missed)) / len(clauses) if clauses else 100.0
        reached = len(clauses) - len(missed)
        if lang == "zh":
            print(f"覆盖率 {report.rubric.id}：{reached}/{len(clauses)} 个分支（{share:.1f}%）", file=out)
        else:
            print(f"coverage {report.rubric.id}: {reached}/{len(clauses)} clauses ({share:.1f}%)", file=out)
        for clause in missed:
            if lang == "zh":
                print(f"  未覆盖：{clause.span}：{clause.text(lang)}", file=out)
            else:
                print(f"  not reached: {clause.span}: {clause.label}", file=out)


def _test_base(file: Path, paths: Sequence[str]) -> Path:
    """The directory whose rubrics a test file's cases use: the given directory that holds it, else its own."""
    for raw in paths:
        root = Path(raw)
        if root.is_dir() and root.resolve() in file.resolve().parents:
            return root
    return file.parent


def _under(path: str, paths: Sequence[str]) -> bool:
    """Whether the file at `path` lies under one of the given directories (or beside a given file)."""
    real = Path(path).resolve()
    return any(real.is_relative_to(p if p.is_dir() else p.parent) for p in (Path(raw).resolve() for raw in paths))
