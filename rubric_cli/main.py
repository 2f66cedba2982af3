"""The `rubric` command: check, test and score rubrics; serve them over gRPC; call the service.

Exit codes: 0 success; 1 a rubric has errors or a test failed; 2 bad usage, bad facts, an
unknown rubric, or a scoring error. Problems go to stderr as `path:line:col: error: message`
with the source line and a caret.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from rubric_dsl.api import (
    Library,
    build_library,
    compile_file,
    load_library,
    read_files,
    rubric_files,
    search_dirs,
    sources_for,
)
from rubric_dsl.coverage import Coverage
from rubric_dsl.diagnostics import Diagnostic, choose_language, did_you_mean, fmt, has_errors
from rubric_dsl.errors import RubricDslError, RubricError
from rubric_dsl.formatter import format_source
from rubric_dsl.program import CompiledRubric
from rubric_dsl.results import Result
from rubric_dsl.sheet import FORMATS as SHEET_FORMATS
from rubric_dsl.sheet import write_sheet
from rubric_dsl.testcases import run_file, test_files

DEFAULT_RUBRICS = Path("rubrics")
LOOKUP_HELP = (
    "where rubric ids are looked up (default: ./rubrics); for a rubric FILE, where its parents (extends) "
    "are looked up after its own directory (default: the nearest directory named `rubrics` that holds it)"
)
PARENTS_HELP = (
    "where the parents (extends) of the rubrics are looked up after their own directory (default: the "
    "nearest directory named `rubrics` that holds the path, so rubrics/leting finds rubrics/national)"
)


class UsageProblem(Exception):
    """A problem with what the user asked for; printed as one line, exit 2."""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "serve":
        from rubric_service.server import serve_main

        return serve_main(args[1:])
    if args and args[0] == "call":
        from rubric_service.client import client_main

        return client_main(args[1:])
    parser = _parser()
    options = parser.parse_args(args)
    try:
        rubrics = getattr(options, "rubrics", None)
        if rubrics is not None and not rubrics.is_dir():
            raise UsageProblem(f"--rubrics {rubrics}: no such directory")
        return int(options.run(options))
    except (UsageProblem, RubricDslError) as problem:
        print(f"rubric {options.command}: {problem}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rubric", description=__doc__.split("\n")[0] if __doc__ else None)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--lang", choices=("en", "zh"), help="language of messages (default: zh when LANG is zh*, else en)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check", parents=[common], help="report every problem of rubric files (exit 1 on errors)"
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="rubric files or directories")
    check.add_argument("--rubrics", type=Path, metavar="DIR", help=PARENTS_HELP)
    check.set_defaults(run=run_check)
    test = commands.add_parser("test", parents=[common], help="run the test cases beside rubrics (*.tests.toml)")
    test.add_argument("paths", nargs="*", metavar="PATH", default=[str(DEFAULT_RUBRICS)])
    test.add_argument("--rubrics", type=Path, metavar="DIR", help=PARENTS_HELP)
    test.add_argument("--coverage", action="store_true", help="report the clauses no case reaches, per rubric")
    test.set_defaults(run=run_test)
    fmt_command = commands.add_parser("fmt", parents=[common], help="rewrite rubric files in the canonical layout")
    fmt_command.add_argument("paths", nargs="+", metavar="PATH", help="rubric files or directories")
    fmt_command.add_argument("--check", action="store_true", help="change nothing; show a diff, exit 1 if any")
    fmt_command.set_defaults(run=run_fmt)
    score = commands.add_parser("score", parents=[common], help="score facts under a rubric")
    score.add_argument("--rubric", required=True, metavar="ID|FILE", help="a rubric id, or a .rubric file")
    score.add_argument("--facts", required=True, metavar="FILE|-", help="a JSON object of facts, or - for stdin")
    score.add_argument("--rubrics", type=Path, metavar="DIR", help=LOOKUP_HELP)
    score.add_argument("--format", choices=("table", "json"), default="table")
    score.add_argument("--explain", action="store_true", help="show how each indicator's points came about")
    score.add_argument("--allow-extra-facts", action="store_true", help="ignore facts the rubric does not declare")
    score.set_defaults(run=run_score)
    sheet = commands.add_parser("sheet", parents=[common], help="write the score sheet (评分表) of a rubric")
    sheet.add_argument("--rubric", required=True, metavar="ID|FILE")
    sheet.add_argument("--facts", metavar="FILE|-", help="score these facts and fill in 得分, the total and the grade")
    sheet.add_argument("--rubrics", type=Path, metavar="DIR", help=LOOKUP_HELP)
    sheet.add_argument("--format", choices=SHEET_FORMATS, default="md")
    sheet.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="where to write (default: stdout; xlsx needs a file)"
    )
    sheet.set_defaults(run=run_sheet)
    from rubric_dsl import compare_report

    compare = commands.add_parser(
        "compare",
        parents=[common],
        help="score the same records under several rubrics and compare them",
        description=compare_report.HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare_report.add_arguments(compare)
    compare.set_defaults(run=run_compare)
    commands.add_parser("serve", help="serve the rubrics over gRPC (see `rubric serve --help`)")
    commands.add_parser("call", help="call a running service (see `rubric call --help`)")
    return parser


# --- check ------------------------------------------------------------------------------------------


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
            raise UsageProblem(f"{raw}: no such file or directory")
        group = groups.setdefault(tuple(search_dirs(path, search_dir)), [])
        for file in files:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                group.append(str(file))
    return groups


def run_check(options: argparse.Namespace) -> int:
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
        raise UsageProblem("no .rubric files found in " + ", ".join(options.paths))
    if found:
        print(Library(sources=sources).render(found, choose_language(options.lang)), file=sys.stderr)
    errors = sum(d.severity == "error" for d in found)
    warnings = len(found) - errors
    print(f"{checked} files checked: {errors} errors, {warnings} warnings")
    return 1 if errors else 0


# --- fmt --------------------------------------------------------------------------------------------


def run_fmt(options: argparse.Namespace) -> int:
    files: list[Path] = []
    for raw in options.paths:
        path = Path(raw)
        if not path.exists():
            raise UsageProblem(f"{raw}: no such file or directory")
        files.extend(rubric_files(path) if path.is_dir() else [path])
    changed = failed = 0
    for file in files:
        text = file.read_text(encoding="utf-8")
        formatted, problems = format_source(text, str(file))
        if formatted is None:
            failed += 1
            print("\n".join(d.render(text, choose_language(options.lang)) for d in problems), file=sys.stderr)
            continue
        if formatted == text:
            continue
        changed += 1
        if options.check:
            sys.stdout.writelines(
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
    print(f"{len(files)} files: {verb} {changed}, {failed} with syntax errors", file=sys.stderr)
    return 1 if failed or (options.check and changed) else 0


# --- test -------------------------------------------------------------------------------------------


def run_test(options: argparse.Namespace) -> int:
    files = test_files(options.paths)
    if not files:
        raise UsageProblem("no test cases (*.tests.toml) found in " + ", ".join(options.paths))
    passed = failed = 0
    libraries: dict[tuple[Path, ...], Library] = {}
    coverage: dict[str, Coverage] = {}
    for file in files:
        dirs = tuple(search_dirs(_test_base(file, options.paths), options.rubrics))
        if dirs not in libraries:
            library = libraries[dirs] = build_library(sources_for({}, dirs))
            shown = [d for d in library.diagnostics if _under(d.span.path, options.paths)]  # not other regions'
            if has_errors(shown):
                print(library.render(shown, choose_language(options.lang)), file=sys.stderr)
        for outcome in run_file(file, libraries[dirs]):
            rubric = libraries[dirs].rubrics.get(outcome.rubric)
            if rubric is not None and outcome.result is not None:
                coverage.setdefault(rubric.id, Coverage(rubric)).add(outcome.result)
            if outcome.passed:
                passed += 1
                continue
            failed += 1
            print(f"FAIL {outcome.file} [{outcome.rubric}] {outcome.name}")
            for failure in outcome.failures:
                print(f"  {failure}")
    if options.coverage:
        print_coverage(coverage.values())
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


def print_coverage(reports: Iterable[Coverage]) -> None:
    for report in sorted(reports, key=lambda r: r.rubric.id):
        clauses, missed = report.clauses(), report.missed()
        share = 100 * (len(clauses) - len(missed)) / len(clauses) if clauses else 100.0
        print(f"coverage {report.rubric.id}: {len(clauses) - len(missed)}/{len(clauses)} clauses ({share:.1f}%)")
        for clause in missed:
            print(f"  not reached: {clause.span}: {clause.label}")


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


# --- score ------------------------------------------------------------------------------------------


def run_score(options: argparse.Namespace) -> int:
    rubric = _find_rubric(options.rubric, options.rubrics)
    facts = _read_facts(options.facts)
    result = rubric.score(facts, allow_extra_facts=options.allow_extra_facts)
    if options.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_table(rubric, result, options.explain, sys.stdout)
    return 0


def _find_rubric(name: str, rubrics: Path | None) -> CompiledRubric:
    if name.endswith(".rubric") or Path(name).is_file():
        if not Path(name).is_file():
            raise UsageProblem(f"{name}: no such file")
        return compile_file(name, rubrics)
    directory = rubrics or DEFAULT_RUBRICS
    if not directory.is_dir():
        raise UsageProblem(f"rubric directory {directory} does not exist; name one with --rubrics DIR")
    library = load_library(directory)
    if name in library.rubrics:
        return library.rubrics[name]
    broken = [path for path, rubric_id in library.ids.items() if rubric_id == name]
    if broken:
        raise RubricError([d for d in library.files[broken[0]] if d.severity == "error"], library.sources)
    known = sorted(library.rubrics)
    raise UsageProblem(
        f"unknown rubric `{name}` in {directory}{did_you_mean(name, known)} (available: {', '.join(known) or 'none'})"
    )


def _read_facts(spec: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if spec == "-" else Path(spec).read_text(encoding="utf-8")
    except OSError as error:
        raise UsageProblem(f"cannot read facts: {error}") from None
    try:
        facts = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise UsageProblem(f"facts {spec}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from None
    if not isinstance(facts, dict):
        raise UsageProblem(f"facts {spec}: expected a JSON object of fact name to value")
    return facts


# --- compare ----------------------------------------------------------------------------------------


def run_compare(options: argparse.Namespace) -> int:
    from rubric_dsl.compare_report import run_command

    return run_command(options)


# --- sheet ------------------------------------------------------------------------------------------


def run_sheet(options: argparse.Namespace) -> int:
    rubric = _find_rubric(options.rubric, options.rubrics)
    result = rubric.score(_read_facts(options.facts)) if options.facts else None
    if options.format == "xlsx" and options.output == "-":
        raise UsageProblem("an xlsx sheet needs a file: add -o FILE.xlsx")
    write_sheet(rubric, result, options.format, options.output)
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


def print_table(rubric: CompiledRubric, result: Result, explain: bool, out: TextIO) -> None:
    header, rows = sheet_rows(rubric, result)
    print(f"{rubric.title}  [{rubric.id} {rubric.version}]", file=out)
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print("  ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip(), file=out)
    for row, indicator in zip(rows, result.indicators, strict=True):
        print("  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out)
        if explain:
            print(" " * (sum(widths[:-3]) + 2 * (len(widths) - 3)) + "↳ " + indicator.explanation, file=out)
    print(f"总分 {fmt(result.total)} / {fmt(rubric.total)}    等次 {result.grade}", file=out)
    if explain and result.lost:
        print("失分（从大到小）:", file=out)
        for item in result.lost:
            print(f"  {item}", file=out)


if __name__ == "__main__":
    raise SystemExit(main())
