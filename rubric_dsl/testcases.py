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

The schema is the pydantic models below (`TestFile`, `Case`, `Expect`; docs/tests-toml.md): a
file or case that does not fit gets a failure naming the file, the case and the bad key, e.g.
`casework.tests.toml: case 3 ("late"): expect.total: not a decimal`, and the other cases still run.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr, ValidationError

from rubric_dsl.api import Library
from rubric_dsl.diagnostics import fmt
from rubric_dsl.errors import EvaluationError, InvalidFacts
from rubric_dsl.results import Result

TESTS_SUFFIX = ".tests.toml"


def _decimal(value: object) -> Decimal:
    """An expected number as a test file writes it: a string ("85.6"), an integer, or a TOML float
    (read as a decimal, never a binary float)."""
    if isinstance(value, str | int | Decimal) and not isinstance(value, bool):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            pass
        else:
            if number.is_finite():
                return number
    raise ValueError("not a decimal")


def _text(value: object) -> str:
    """A name or a grade label: a string, or a number written without quotes."""
    if isinstance(value, str | int | Decimal) and not isinstance(value, bool):
        return str(value)
    raise ValueError("not a text")


DecimalValue = Annotated[Decimal, BeforeValidator(_decimal)]
Text = Annotated[str, BeforeValidator(_text)]


class Expect(BaseModel):
    """`expect`: what the case's result must be; each key is checked only when given."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # a misspelt key would be an expectation never checked

    total: DecimalValue | None = None
    grade: Text | None = None
    points: dict[StrictStr, DecimalValue] = Field(default_factory=dict)  # indicator id -> points
    invalid_facts: list[StrictStr] | None = None  # the facts that must be refused, instead of a result


class Case(BaseModel):
    """One `[[case]]`: facts to score and what to expect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Text | None = None
    facts: dict[StrictStr, Any] = Field(default_factory=dict)  # any TOML value: scoring says what it refuses
    expect: Expect = Field(default_factory=Expect)
    allow_extra_facts: StrictBool = False


class TestFile(BaseModel):
    """A `*.tests.toml` file; each case is read on its own (`Case`), so one bad case spoils no other."""

    __test__ = False  # not a pytest class
    model_config = ConfigDict(extra="ignore", frozen=True)

    rubric: StrictStr | None = None  # else the rubric file with the same stem
    case: list[Any] = Field(default_factory=list)


_MESSAGES = {  # pydantic's error types, in the words of a TOML file
    "string_type": "not a text",
    "dict_type": "not a table",
    "model_type": "not a table",
    "list_type": "not an array",
    "bool_type": "not true or false",
}
# The keys a case and its `expect` take, by where they are in a case (for "unknown key").
_KEYS = {(): ", ".join(Case.model_fields), ("expect",): ", ".join(Expect.model_fields)}
_HINTS = {("case",): "not an array of tables; write each case as a [[case]] table"}


def schema_problems(error: ValidationError) -> list[str]:
    """Each problem pydantic found, as `key.path: what is wrong`."""
    problems = []
    for found in error.errors():
        loc = tuple(str(part) for part in found["loc"])
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in found["loc"]).lstrip(".")
        if loc in _HINTS:
            what = _HINTS[loc]
        elif found["type"] == "extra_forbidden":
            what = f"unknown key; known: {_KEYS.get(loc[:-1], '')}"
        elif found["type"] == "value_error":
            what = str(found["ctx"]["error"])
        else:
            what = _MESSAGES.get(found["type"], found["msg"])
        problems.append(f"{where}: {what}" if where else what)
    return problems


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
    try:
        test_file = TestFile.model_validate(data)
    except ValidationError as error:
        return [CaseOutcome(str(path), "?", "(file)", tuple(f"{path}: {p}" for p in schema_problems(error)))]
    rubric_id = test_file.rubric or library.ids.get(
        str(path.with_name(path.name.removesuffix(TESTS_SUFFIX) + ".rubric")), "?"
    )
    if not test_file.case:
        return [CaseOutcome(str(path), rubric_id, "(file)", ("the file has no [[case]]",))]
    rubric = library.rubrics.get(rubric_id)
    outcomes = []
    for index, raw in enumerate(test_file.case):
        given = raw.get("name") if isinstance(raw, dict) else None
        name = given if isinstance(given, str) and given else f"case {index + 1}"
        try:
            case = Case.model_validate(raw)
        except ValidationError as error:
            where = f"{path}: case {index + 1}" + (f' ("{given}")' if isinstance(given, str) else "")
            problems = tuple(f"{where}: {problem}" for problem in schema_problems(error))
            outcomes.append(CaseOutcome(str(path), rubric_id, name, problems))
            continue
        name = case.name if case.name is not None else f"case {index + 1}"
        if rubric is None:
            outcomes.append(CaseOutcome(str(path), rubric_id, name, (f"rubric `{rubric_id}` did not compile",)))
            continue
        failures, result = run_case(rubric.score, case)
        outcomes.append(CaseOutcome(str(path), rubric_id, name, tuple(failures), result))
    return outcomes


def run_case(score: Any, case: Case) -> tuple[list[str], Result | None]:
    """The case's failures (none when it passed) and its result, if the facts scored."""
    expect = case.expect
    try:
        result: Result = score(case.facts, allow_extra_facts=case.allow_extra_facts)
    except InvalidFacts as error:
        wanted = set(expect.invalid_facts or ())
        got = {p.fact for p in error.problems}
        if wanted and wanted == got:
            return [], None
        return [f"facts refused: {'; '.join(f'{p.fact}: {p.message}' for p in error.problems)}"], None
    except EvaluationError as error:
        return [f"evaluation failed: {error}"], None
    if expect.invalid_facts is not None:
        refused = sorted(expect.invalid_facts)
        return [f"expected the facts {refused} to be refused, but they scored {fmt(result.total)}"], result
    return compare(result, expect), result


def compare(result: Result, expect: Expect) -> list[str]:
    failures = []
    if expect.total is not None and expect.total != result.total:
        failures.append(f"total: expected {expect.total}, got {fmt(result.total)}")
    if expect.grade is not None and expect.grade != result.grade:
        failures.append(f"grade: expected {expect.grade}, got {result.grade}")
    if expect.points:
        by_id = {i.id: i for i in result.indicators}
        for indicator_id, wanted in expect.points.items():
            got = by_id.get(indicator_id)
            if got is None:
                failures.append(f"indicator `{indicator_id}`: no such indicator in the rubric")
            elif wanted != got.points:
                failures.append(
                    f"{got.label} ({indicator_id}): expected {wanted}, got {fmt(got.points)} — {got.explanation}"
                )
    return failures
