"""`rubric test [--coverage] [PATH...]`: run the test cases (*.tests.toml) beside the rubrics."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from rubric_cli.command import UsageProblem
from rubric_cli.common import DEFAULT_RUBRICS, PARENTS_HELP, add_lang_argument, require_rubrics_dir
from rubric_dsl.api import Library, build_library, search_dirs, sources_for
from rubric_dsl.coverage import Coverage
from rubric_dsl.diagnostics import choose_language, has_errors
from rubric_dsl.testcases import run_file, test_files

NAME = "test"
HELP = "run the test cases beside rubrics (*.tests.toml)"
DESCRIPTION: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lang_argument(parser)
    parser.add_argument("paths", nargs="*", metavar="PATH", default=[str(DEFAULT_RUBRICS)])
    parser.add_argument("--rubrics", type=Path, metavar="DIR", help=PARENTS_HELP)
    parser.add_argument("--coverage", action="store_true", help="report the clauses no case reaches, per rubric")


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    require_rubrics_dir(options.rubrics)
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
                print(library.render(shown, choose_language(options.lang)), file=err)
        for outcome in run_file(file, libraries[dirs]):
            rubric = libraries[dirs].rubrics.get(outcome.rubric)
            if rubric is not None and outcome.result is not None:
                coverage.setdefault(rubric.id, Coverage(rubric)).add(outcome.result)
            if outcome.passed:
                passed += 1
                continue
            failed += 1
            print(f"FAIL {outcome.file} [{outcome.rubric}] {outcome.name}", file=out)
            for failure in outcome.failures:
                print(f"  {failure}", file=out)
    if options.coverage:
        print_coverage(coverage.values(), out)
    print(f"{passed} passed, {failed} failed", file=out)
    return 1 if failed or not passed else 0


def print_coverage(reports: Iterable[Coverage], out: TextIO) -> None:
    for report in sorted(reports, key=lambda r: r.rubric.id):
        clauses, missed = report.clauses(), report.missed()
        share = 100 * (len(clauses) - len(missed)) / len(clauses) if clauses else 100.0
        print(
            f"coverage {report.rubric.id}: {len(clauses) - len(missed)}/{len(clauses)} clauses ({share:.1f}%)", file=out
        )
        for clause in missed:
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
