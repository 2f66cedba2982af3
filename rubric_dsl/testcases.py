"""Test cases that live beside a rubric: `inspection.tests.toml` next to `inspection.rubric`.

Takes test files (TOML, numbers read as decimals, never floats) and a library of compiled
rubrics; gives one outcome per case: passed, or the differences (total, grade, each indicator
that differs, with its explanation). A test file looks like:

    rubric = "wuping.inspection"          # optional: else the rubric file with the same stem

    [[case]]
    name = "定额基本业务费 (seed 004)"
    facts = { execution_rate = "100", on_time = true, planned_units = 25 }
    expect = { total = "85.6", grade = "良", points = { completion = "0", petition = "2.3" } }

    [[case]]
    name = "a missing fact is refused"
    facts = { execution_rate = "100" }
    expect = { invalid_facts = ["on_time", "planned_units"] }
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rubric_dsl.api import Library
from rubric_dsl.diagnostics import fmt
from rubric_dsl.errors import EvaluationError, InvalidFacts
from rubric_dsl.results import Result

TESTS_SUFFIX = ".tests.toml"


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    file: str
    rubric: str
    name: str
    failures: tuple[str, ...] = field(default=())
    result: Result | None = field(default=None, compare=False)  # for coverage

    @property
    def passed(self) -> bool:
        return not self.failures


def test_files(paths: Iterable[str | Path]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(path.rglob(f"*{TESTS_SUFFIX}")))
        elif path.name.endswith(TESTS_SUFFIX):
            found.append(path)
        elif path.suffix == ".rubric" and path.with_name(path.stem + TESTS_SUFFIX).exists():
            found.append(path.with_name(path.stem + TESTS_SUFFIX))
    return list(dict.fromkeys(found))


def run_file(path: Path, library: Library) -> list[CaseOutcome]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        return [CaseOutcome(str(path), "?", "(file)", (f"not valid TOML: {error}",))]
    rubric_id = data.get("rubric") or library.ids.get(
        str(path.with_name(path.name.removesuffix(TESTS_SUFFIX) + ".rubric")), "?"
    )
    cases = data.get("case", [])
    if not cases:
        return [CaseOutcome(str(path), rubric_id, "(file)", ("the file has no [[case]]",))]
    rubric = library.rubrics.get(rubric_id)
    outcomes = []
    for index, case in enumerate(cases):
        name = str(case.get("name", f"case {index + 1}"))
        if rubric is None:
            outcomes.append(CaseOutcome(str(path), rubric_id, name, (f"rubric `{rubric_id}` did not compile",)))
            continue
        failures, result = run_case(rubric.score, case)
        outcomes.append(CaseOutcome(str(path), rubric_id, name, tuple(failures), result))
    return outcomes


def run_case(score: Any, case: Mapping[str, Any]) -> tuple[list[str], Result | None]:
    """The case's failures (none when it passed) and its result, if the facts scored."""
    facts = case.get("facts", {})
    expect = case.get("expect", {})
    try:
        result: Result = score(facts, allow_extra_facts=bool(case.get("allow_extra_facts", False)))
    except InvalidFacts as error:
        wanted = set(expect.get("invalid_facts", []))
        got = {p.fact for p in error.problems}
        if wanted and wanted == got:
            return [], None
        return [f"facts refused: {'; '.join(f'{p.fact}: {p.message}' for p in error.problems)}"], None
    except EvaluationError as error:
        return [f"evaluation failed: {error}"], None
    if "invalid_facts" in expect:
        refused = sorted(expect["invalid_facts"])
        return [f"expected the facts {refused} to be refused, but they scored {fmt(result.total)}"], result
    return compare(result, expect), result


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def compare(result: Result, expect: Mapping[str, Any]) -> list[str]:
    failures = []
    if "total" in expect and _decimal(expect["total"]) != result.total:
        failures.append(f"total: expected {expect['total']}, got {fmt(result.total)}")
    if "grade" in expect and str(expect["grade"]) != result.grade:
        failures.append(f"grade: expected {expect['grade']}, got {result.grade}")
    points = expect.get("points", {})
    if points:
        by_id = {i.id: i for i in result.indicators}
        for indicator_id, wanted in points.items():
            got = by_id.get(indicator_id)
            if got is None:
                failures.append(f"indicator `{indicator_id}`: no such indicator in the rubric")
            elif _decimal(wanted) != got.points:
                failures.append(
                    f"{got.label} ({indicator_id}): expected {wanted}, got {fmt(got.points)} — {got.explanation}"
                )
    return failures
