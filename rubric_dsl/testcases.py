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

import re
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
_MESSAGES_ZH = {
    "string_type": "应为文本",
    "dict_type": "应为表",
    "model_type": "应为表",
    "list_type": "应为数组",
    "bool_type": "应为 true 或 false",
    "not a decimal": "不是数值",
    "not a text": "应为文本",
}
Pair = tuple[str, str]  # a failure in English and in Chinese
# The keys a case and its `expect` take, by where they are in a case (for "unknown key").
_KEYS = {(): ", ".join(Case.model_fields), ("expect",): ", ".join(Expect.model_fields)}
_HINTS = {("case",): "not an array of tables; write each case as a [[case]] table"}
_HINTS_ZH = {("case",): "应为表数组；每个用例写成一个 [[case]] 表"}


def schema_problems(error: ValidationError) -> list[str]:
    """Each problem pydantic found, as `key.path: what is wrong`."""
    return [en for en, _ in schema_pairs(error)]


def schema_pairs(error: ValidationError) -> list[Pair]:
    """Each problem pydantic found, as `key.path: what is wrong`, in English and in Chinese."""
    problems = []
    for found in error.errors():
        loc = tuple(str(part) for part in found["loc"])
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in found["loc"]).lstrip(".")
        if loc in _HINTS:
            what, what_zh = _HINTS[loc], _HINTS_ZH[loc]
        elif found["type"] == "extra_forbidden":
            known = _KEYS.get(loc[:-1], "")
            what, what_zh = f"unknown key; known: {known}", f"未知的键；可用的键：{known}"
        elif found["type"] == "value_error":
            what = str(found["ctx"]["error"])
            what_zh = _MESSAGES_ZH.get(what, "格式有误")
        else:
            what = _MESSAGES.get(found["type"], found["msg"])
            what_zh = _MESSAGES_ZH.get(found["type"], "格式有误")
        problems.append((f"{where}: {what}", f"{where}：{what_zh}") if where else (what, what_zh))
    return problems


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    file: str
    rubric: str
    name: str
    failures: tuple[str, ...] = field(default=())
    result: Result | None = field(default=None, compare=False)  # for coverage
    failures_zh: tuple[str, ...] = field(default=(), compare=False)  # the same in Chinese

    @property
    def passed(self) -> bool:
        return not self.failures

    def texts(self, lang: str = "en") -> tuple[str, ...]:
        """The failures in `lang`."""
        return self.failures_zh if lang == "zh" and self.failures_zh else self.failures


def _outcome(path: Path, rubric: str, name: str, pairs: Iterable[Pair], result: Result | None = None) -> CaseOutcome:
    listed = list(pairs)
    return CaseOutcome(str(path), rubric, name, tuple(en for en, _ in listed), result, tuple(zh for _, zh in listed))


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
        at = re.search(r"line (\d+), column (\d+)", str(error))
        where = f"（第{at[1]}行第{at[2]}列）" if at else ""
        return [_outcome(path, "?", "(file)", [(f"not valid TOML: {error}", f"测试文件不是有效的 TOML{where}")])]
    try:
        test_file = TestFile.model_validate(data)
    except ValidationError as error:
        pairs = [(f"{path}: {en}", f"{path}：{zh}") for en, zh in schema_pairs(error)]
        return [_outcome(path, "?", "(file)", pairs)]
    rubric_id = test_file.rubric or library.ids.get(
        str(path.with_name(path.name.removesuffix(TESTS_SUFFIX) + ".rubric")), "?"
    )
    if not test_file.case:
        return [_outcome(path, rubric_id, "(file)", [("the file has no [[case]]", "文件中没有 [[case]] 用例")])]
    rubric = library.rubrics.get(rubric_id)
    outcomes = []
    for index, raw in enumerate(test_file.case):
        given = raw.get("name") if isinstance(raw, dict) else None
        name = given if isinstance(given, str) and given else f"case {index + 1}"
        try:
            case = Case.model_validate(raw)
        except ValidationError as error:
            where = f"{path}: case {index + 1}" + (f' ("{given}")' if isinstance(given, str) else "")
            where_zh = f"{path}：第{index + 1}个用例" + (f"（“{given}”）" if isinstance(given, str) else "")
            pairs = [(f"{where}: {en}", f"{where_zh}：{zh}") for en, zh in schema_pairs(error)]
            outcomes.append(_outcome(path, rubric_id, name, pairs))
            continue
        name = case.name if case.name is not None else f"case {index + 1}"
        if rubric is None:
            failed = (f"rubric `{rubric_id}` did not compile", f"评分规则 `{rubric_id}` 无法编译")
            outcomes.append(_outcome(path, rubric_id, name, [failed]))
            continue
        failures, result = run_case(rubric.score, case)
        outcomes.append(_outcome(path, rubric_id, name, failures, result))
    return outcomes


def run_case(score: Any, case: Case) -> tuple[list[Pair], Result | None]:
    """The case's failures in English and Chinese (none when it passed) and its result, if the facts scored."""
    expect = case.expect
    try:
        result: Result = score(case.facts, allow_extra_facts=case.allow_extra_facts)
    except InvalidFacts as error:
        wanted = set(expect.invalid_facts or ())
        got = {p.fact for p in error.problems}
        if wanted and wanted == got:
            return [], None
        en = f"facts refused: {'; '.join(f'{p.fact}: {p.message}' for p in error.problems)}"
        zh = "事实被拒绝：" + "；".join(f"{p.fact}：{p.text('zh')}" for p in error.problems)
        return [(en, zh)], None
    except EvaluationError as error:
        return [(f"evaluation failed: {error}", f"计分失败：{error.text('zh')}")], None
    if expect.invalid_facts is not None:
        refused = sorted(expect.invalid_facts)
        en = f"expected the facts {refused} to be refused, but they scored {fmt(result.total)}"
        return [(en, f"事实 {'、'.join(refused)} 应被拒绝，但计得 {fmt(result.total)} 分")], result
    return compare(result, expect), result


def compare(result: Result, expect: Expect) -> list[Pair]:
    """How `result` differs from `expect`, in English and in Chinese (the indicator's explanation too)."""
    failures = []
    if expect.total is not None and expect.total != result.total:
        total = fmt(result.total)
        failures.append((f"total: expected {expect.total}, got {total}", f"总分：应为 {expect.total}，实得 {total}"))
    if expect.grade is not None and expect.grade != result.grade:
        grade = result.grade
        failures.append((f"grade: expected {expect.grade}, got {grade}", f"等次：应为 {expect.grade}，实得 {grade}"))
    if expect.points:
        by_id = {i.id: i for i in result.indicators}
        by_id_zh = {i.id: i for i in result.indicators_in("zh")}
        for indicator_id, wanted in expect.points.items():
            got = by_id.get(indicator_id)
            if got is None:
                en = f"indicator `{indicator_id}`: no such indicator in the rubric"
                failures.append((en, f"指标 `{indicator_id}`：评分规则中没有这个指标"))
            elif wanted != got.points:
                points, why = fmt(got.points), by_id_zh[indicator_id].explanation
                failures.append(
                    (
                        f"{got.label} ({indicator_id}): expected {wanted}, got {points} — {got.explanation}",
                        f"{got.label}（{indicator_id}）：应为 {wanted}，实得 {points} — {why}",
                    )
                )
    return failures
