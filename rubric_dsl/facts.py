"""Fact validation: turn a request's facts into checked values before any scoring.

Takes a mapping of fact name to str / int / bool / Decimal (or a float, read through its
shortest repr, never its binary value); gives one value per declared input, in input order:
`Decimal` for numbers (a percent as its ratio: "98.02" → 0.9802), `bool` for flags, `str` for
choices, a tuple of records (each a tuple of its fields' values) for a list of records. Every
problem of the request is collected and raised together as `InvalidFacts`, naming each fact:
missing, unknown (with a did-you-mean), wrong type, not finite, out of range, or a broken
constraint; a bad field of a record is named by its place (`projects[3].funds`). An input the
request may leave out and does is an `Absent`, which refuses the request only where it is read.

This module is the one definition of what a fact accepts. Each kind has two readings, side by
side: its converter (here, used by `FactValidator`, any spelling, every problem named) and its
fast reading (`FactSpec.fast_lines`, written by `codegen` into the scoring function, the usual
spelling only: a number as a plain string, a flag as true/false). A number's checks after reading
(finite, not too large, the percent scale, whole, in range) are one list of `Step`s per
`NumberRule`, from which both readings are made, so they cannot drift apart. The fast reading
accepts a subset of what the converter accepts and returns None for anything else, which the
validator then reads or refuses, so this module alone decides what an error says.
Run validation inside the scoring context (`CompiledRubric.score` does): numbers are read with
the context's traps on, and constraints are arithmetic.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from rubric_dsl import limits
from rubric_dsl.diagnostics import HINTED_NAMES, did_you_mean, did_you_mean_zh, fmt
from rubric_dsl.errors import FactProblem, InvalidFacts

# A percent fact without a declared range must still be one that can be meant: within ±1000 %.
PERCENT_SANITY = Decimal(10)
INFINITY = Decimal("Infinity")
HUNDREDTH = Decimal("0.01")  # `x * HUNDREDTH` is `x.scaleb(-2)`, digit for digit, at a third of the cost


class _Bad:
    """A conversion's failure: the reason and message, before the fact's name is known; a list of records
    has one problem per bad record or field, each with the place it names (`[3].funds`) in `problems`."""

    __slots__ = ("message", "message_zh", "problems", "reason")

    def __init__(
        self, reason: str, message: str, message_zh: str = "", problems: Sequence[tuple[str, _Bad]] = ()
    ) -> None:
        self.reason = reason
        self.message = message
        self.message_zh = message_zh
        self.problems = problems


class FactAbsent(ArithmeticError):
    """Raised where a fact the request left out is read on the path its facts take (see `Absent`)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class Absent:
    """The value of an input the request may leave out (`optional`, or read only on some paths) and did:
    `given(NAME)` tests for it, and any other use raises `FactAbsent` naming the input, so the request is
    refused exactly when the path its facts take reads it."""

    __slots__ = ("error", "name")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, name: str) -> None:
        self.name = name
        self.error = FactAbsent(name)

    def __repr__(self) -> str:
        return f"Absent({self.name!r})"

    def _raise(self, *_: object) -> Any:
        raise self.error

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _raise
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _raise
    __neg__ = __pos__ = __abs__ = __bool__ = __len__ = __iter__ = _raise
    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _raise


Converter = Callable[[Any], Any]


class _Missing:
    """The value of a fact the request does not give (a sentinel with a name, so listings read the same)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True)
class NumberRule:
    """What a numeric fact must be: finite, whole for a count, and within lowest..highest
    (for a percent, as a ratio: 98.02 percent points are 0.9802)."""

    percent: bool
    whole: bool
    lowest: Decimal  # -Infinity when there is no lower end
    highest: Decimal  # Infinity when there is no upper end
    range_text: str  # the range as the rubric's author wrote it, for messages
    why: str  # said after an out-of-range message, when the range is not the declared one
    why_zh: str = ""  # the same in Chinese


def number_rule(
    kind: str, minimum: Decimal | None, maximum: Decimal | None, why: str = "", why_zh: str = ""
) -> NumberRule:
    percent = kind == "percent"
    whole = kind == "count"
    if whole and (minimum is None or minimum < 0):
        minimum = Decimal(0)
    if percent and minimum is None and maximum is None:
        minimum, maximum = -PERCENT_SANITY, PERCENT_SANITY
        why = " (a percent is given in percent points: 98.02 means 98.02%)"
        why_zh = "（百分比按百分点填写：98.02 即 98.02%）"
    low = _show(minimum, percent) if minimum is not None else "-∞"
    high = _show(maximum, percent) if maximum is not None else "∞"
    return NumberRule(
        percent,
        whole,
        -INFINITY if minimum is None else minimum,
        INFINITY if maximum is None else maximum,
        f"{low}..{high}",
        why,
        why_zh,
    )


def _show(value: Decimal, percent: bool) -> str:
    return f"{fmt(value * 100)}%" if percent else fmt(value)


SHOWN = 60  # characters of a bad value echoed in its problem: a long value must not make a long reply


def _shown(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def _read(raw: Any, percent: bool) -> Decimal | _Bad:
    """Any accepted spelling of a number, as written (a percent still in percent points)."""
    kind = type(raw)
    if kind is str:
        if len(raw) > limits.MAX_FACT_TEXT:
            return _Bad(
                "wrong_type",
                f"the text has {len(raw)} characters, more than the {limits.MAX_FACT_TEXT} allowed",
                f"文字有{len(raw)}个字符，超过允许的{limits.MAX_FACT_TEXT}个",
            )
        text = raw.strip()
        if percent and text.endswith(("%", "％")):
            text = text[:-1]
        try:
            return Decimal(text)
        except InvalidOperation:
            return _Bad("wrong_type", f"{_shown(raw)} is not a number", f"{_shown(raw)} 不是数字")
    if kind is Decimal:
        return raw  # type: ignore[no-any-return]
    if kind is int:
        return Decimal(raw)
    if kind is float:
        return Decimal(repr(raw))
    return _Bad(
        "wrong_type", f"expected a number, got {type(raw).__name__} {_shown(raw)}", f"应为数字，实为 {_shown(raw)}"
    )


@dataclass(frozen=True, slots=True)
class Step:
    """One step a read number goes through: a check (`reason` set) that must hold, or a change of `{v}`.

    `source` is a Python expression over `{v}` and the constants `{c0}`, `{c1}`, … (`values`);
    `message` names the problem, `{shown}` standing for the value as given."""

    source: str
    values: tuple[Any, ...] = ()
    reason: str | None = None
    message: str = ""
    message_zh: str = ""

    def written(self, v: str, const: Callable[[Any], str]) -> str:
        return self.source.format(v=v, **{f"c{i}": const(value) for i, value in enumerate(self.values)})

    def compiled(self) -> Callable[..., Any]:
        names = ", ".join(f"c{i}" for i in range(len(self.values)))
        source = self.source.format(v="v", **{f"c{i}": f"c{i}" for i in range(len(self.values))})
        function: Callable[..., Any] = eval(f"lambda v, {names}: {source}" if names else f"lambda v: {source}")
        return function


def number_steps(rule: NumberRule) -> tuple[Step, ...]:
    """What a number goes through once read, in order: the one definition both readings follow."""
    steps = [
        Step("{v}.is_finite()", (), "not_finite", "{shown} is not a finite number", "{shown} 不是有限数"),
        Step(
            "{v}.adjusted() <= {c0}",
            (limits.MAX_MAGNITUDE,),
            "out_of_range",
            "{shown} is too large to be meant",
            "{shown} 过大，不可能是实际取值",
        ),
    ]
    if rule.percent:
        steps.append(Step("{v} * {c0}", (HUNDREDTH,)))
    if rule.whole:
        message = "{shown} is not a whole number; a count is 0, 1, 2, …"
        message_zh = "{shown} 不是整数；计数为0、1、2……"
        steps.append(Step("{v} == {v}.to_integral_value()", (), "wrong_type", message, message_zh))
    bounds = [("{c0} <= {v}", rule.lowest), ("{v} <= {c0}", rule.highest)]
    for source, end in bounds:
        if end.is_finite():
            message = "{shown} is outside " + rule.range_text + rule.why
            message_zh = "{shown} 超出允许范围 " + rule.range_text + rule.why_zh
            steps.append(Step(source, (end,), "out_of_range", message, message_zh))
    return tuple(steps)


def number_converter(rule: NumberRule) -> Converter:
    steps = [(step.compiled(), step.values, step.reason, step.message, step.message_zh) for step in number_steps(rule)]

    def convert(raw: Any) -> Decimal | _Bad:
        value = _read(raw, rule.percent)
        if isinstance(value, _Bad):
            return value
        for test, values, reason, message, message_zh in steps:
            if reason is None:
                value = test(value, *values)
            elif not test(value, *values):
                shown = _shown(raw)
                return _Bad(reason, message.replace("{shown}", shown), message_zh.replace("{shown}", shown))
        return value

    return convert


def number_fast_lines(rule: NumberRule, x: str, a: str, const: Callable[[Any], str]) -> list[str]:
    """The fast reading of a number into `a`: a plain string, then the same steps as `number_converter`."""
    lines = [
        f"if {x}.__class__ is not {const(str)} or {x}.__len__() > {limits.MAX_FACT_TEXT}:",
        "    return None",
        f"{a} = {const(Decimal)}({x})",
    ]
    for step in number_steps(rule):
        if step.reason is None:
            lines.append(f"{a} = {step.written(a, const)}")
        else:
            lines.extend([f"if not ({step.written(a, const)}):", "    return None"])
    return lines


def flag_converter(raw: Any) -> bool | _Bad:
    if raw is True or raw is False:
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return _Bad(
        "wrong_type", f"expected true or false, got {_shown(raw)}", f"应为 true 或 false（是/否），实为 {_shown(raw)}"
    )


def flag_fast_lines(x: str, a: str, const: Callable[[Any], str]) -> list[str]:
    """The fast reading of a flag: a bool, or exactly `true` or `false`."""
    return [
        f"if {x} is True or {x} is False:",
        f"    {a} = {x}",
        f"elif {x} == {const('true')}:",
        f"    {a} = True",
        f"elif {x} == {const('false')}:",
        f"    {a} = False",
        "else:",
        "    return None",
    ]


def choice_converter(choices: tuple[str, ...]) -> Converter:
    options = ", ".join(f'"{c}"' for c in choices)
    options_zh = "、".join(f"“{c}”" for c in choices)

    def convert(raw: Any) -> str | _Bad:
        if isinstance(raw, str) and raw in choices:
            return raw
        return _Bad(
            "wrong_type", f"{_shown(raw)} is not one of {options}", f"{_shown(raw)} 不是可选项（{options_zh}）之一"
        )

    return convert


def choice_fast_lines(choices: tuple[str, ...], x: str, a: str, const: Callable[[Any], str]) -> list[str]:
    """The fast reading of a choice: one of the choices, as a plain string."""
    return [
        f"if {x}.__class__ is not {const(str)} or {x} not in {const(choices)}:",
        "    return None",
        f"{a} = {x}",
    ]


RECORD_PROBLEMS = 20  # problems named in one list of records; reading stops there (the rest are not listed)


def records_converter(fields: Sequence[FactSpec], labels: Sequence[str]) -> Converter:
    """A list of records: a list of objects, or its JSON text; each record's fields read by their own specs
    (the same converters and steps as inputs), each problem named by its place (`[3].funds`, counted from 0)."""
    names = frozenset(f.name for f in fields)
    specs = [(f.name, f.convert, f.default, label) for f, label in zip(fields, labels, strict=True)]
    listed, listed_zh = ", ".join(f.name for f in fields), "、".join(f.name for f in fields)

    def convert(raw: Any) -> tuple[tuple[Any, ...], ...] | _Bad:
        if type(raw) is str:
            if len(raw) > limits.MAX_RECORDS_TEXT:
                return _Bad(
                    "too_many",
                    f"the JSON text has {len(raw)} characters, more than the {limits.MAX_RECORDS_TEXT} allowed",
                    f"JSON 文本有{len(raw)}个字符，超过允许的{limits.MAX_RECORDS_TEXT}个",
                )
            try:
                raw = json.loads(raw, parse_float=Decimal)
            except (ValueError, RecursionError):
                return _Bad(
                    "wrong_type",
                    "expected a list of records as JSON, e.g. [{...}, {...}]; the text is not JSON",
                    "应为 JSON 格式的记录列表，如 [{…}, {…}]；所给文字不是有效的 JSON",
                )
        if not isinstance(raw, list | tuple):
            return _Bad(
                "wrong_type",
                f"expected a list of records, got {type(raw).__name__} {_shown(raw)}",
                f"应为记录列表，实为 {_shown(raw)}",
            )
        if len(raw) > limits.MAX_RECORDS:
            return _Bad(
                "too_many",
                f"the list has {len(raw)} records, more than the {limits.MAX_RECORDS} allowed",
                f"列表有{len(raw)}条记录，超过允许的{limits.MAX_RECORDS}条",
            )
        rows: list[tuple[Any, ...]] = []
        problems: list[tuple[str, _Bad]] = []
        for index, record in enumerate(raw):
            if len(problems) >= RECORD_PROBLEMS:
                break
            if not isinstance(record, Mapping):
                problems.append(
                    (
                        f"[{index}]",
                        _Bad(
                            "wrong_type",
                            f"expected a record (an object with the fields {listed}), got {_shown(record)}",
                            f"第{index + 1}条记录应为含字段（{listed_zh}）的对象，实为 {_shown(record)}",
                        ),
                    )
                )
                continue
            row, found = [], 0
            for name, field_convert, default, label in specs:
                value = record.get(name, MISSING)
                if value is MISSING:
                    if default is MISSING:
                        problems.append(
                            (
                                f"[{index}].{name}",
                                _Bad(
                                    "missing", "required field is missing", f"第{index + 1}条记录缺少必填字段“{label}”"
                                ),
                            )
                        )
                    row.append(default)
                    continue
                found += 1
                value = field_convert(value)
                if type(value) is _Bad:
                    value.message_zh = f"第{index + 1}条记录的“{label}”：{value.message_zh}"
                    problems.append((f"[{index}].{name}", value))
                row.append(value)
            if found != len(record):
                for key in itertools.islice((str(k) for k in record if k not in names), 3):
                    problems.append(
                        (
                            f"[{index}].{key}",
                            _Bad(
                                "unknown",
                                "the records declare no such field" + did_you_mean(key, names),
                                f"第{index + 1}条记录：没有声明此字段" + did_you_mean_zh(key, names),
                            ),
                        )
                    )
            rows.append(tuple(row))
        if problems:
            return _Bad("wrong_type", "", "", problems[:RECORD_PROBLEMS])
        return tuple(rows)

    return convert


def records_fast_lines(convert: Converter, x: str, a: str, const: Callable[[Any], str]) -> list[str]:
    """The fast reading of a list of records: its converter, or None for the validator to say why."""
    return [f"{a} = {const(convert)}({x})", f"if {a}.__class__ is {const(_Bad)}:", "    return None"]


def records_spec(name: str, fields: Sequence[FactSpec], labels: Sequence[str], default: Any) -> FactSpec:
    """The spec of a `records` input from its fields' specs (in declared order: a record is read into a
    tuple of their values, in that order)."""
    convert = records_converter(fields, labels)
    return FactSpec(name, convert, default, partial(records_fast_lines, convert))


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One input as the readers see it: its converter and its fast reading, made from one definition."""

    name: str
    convert: Converter
    default: Any  # MISSING when the fact is required
    fast: Callable[[str, str, Callable[[Any], str]], list[str]]  # (x, a, const) -> lines reading x into a

    def fast_lines(self, x: str, a: str, const: Callable[[Any], str]) -> list[str]:
        return self.fast(x, a, const)


def fact_spec(name: str, kind: str, rule: NumberRule | None, choices: tuple[str, ...], default: Any) -> FactSpec:
    """The spec of an input of `kind` (a number kind needs its `rule`)."""
    if kind == "flag":
        return FactSpec(name, flag_converter, default, flag_fast_lines)
    if kind == "choice":
        return FactSpec(name, choice_converter(choices), default, partial(choice_fast_lines, choices))
    assert rule is not None
    return FactSpec(name, number_converter(rule), default, partial(number_fast_lines, rule))


Constraints = Callable[[Sequence[Any]], list[int]]


class FactValidator:
    """Validates facts against a rubric's inputs and constraints, all problems at once."""

    __slots__ = (
        "_constraint_facts",
        "_constraint_messages",
        "_constraint_messages_zh",
        "_constraints",
        "_names",
        "_rubric",
        "_specs",
    )

    def __init__(
        self,
        rubric: str,
        specs: Sequence[FactSpec],
        constraints: Constraints,
        constraint_messages: Sequence[str | Callable[[Sequence[Any]], str]],
        constraint_facts: Sequence[str],
        constraint_messages_zh: Sequence[str | Callable[[Sequence[Any]], str]] = (),
    ) -> None:
        self._rubric = rubric
        self._specs = tuple((s.name, s.convert, s.default) for s in specs)
        self._names = frozenset(s.name for s in specs)
        self._constraints = constraints
        self._constraint_messages = tuple(constraint_messages)
        self._constraint_facts = tuple(constraint_facts)
        self._constraint_messages_zh = tuple(constraint_messages_zh) or self._constraint_messages

    def validate(self, facts: Mapping[str, Any], allow_extra: bool = False) -> list[Any]:
        if len(facts) > limits.MAX_FACTS:
            message = f"the request has {len(facts)} facts, more than the {limits.MAX_FACTS} allowed"
            message_zh = f"请求有{len(facts)}项事实，超过允许的{limits.MAX_FACTS}项"
            raise InvalidFacts(self._rubric, [FactProblem("facts", "too_many", message, message_zh)])
        values: list[Any] = []
        problems: list[FactProblem] = []
        found = 0
        get = facts.get
        for name, convert, default in self._specs:
            raw = get(name, MISSING)
            if raw is MISSING:
                if default is MISSING:
                    problems.append(FactProblem(name, "missing", "required fact is missing", "缺少必填事实"))
                values.append(default)
                continue
            found += 1
            value = convert(raw)
            if type(value) is _Bad:
                if value.problems:  # a list of records: each bad record or field, by its place
                    problems.extend(
                        FactProblem(name + place, bad.reason, bad.message, bad.message_zh)
                        for place, bad in value.problems
                    )
                else:
                    problems.append(FactProblem(name, value.reason, value.message, value.message_zh))
            values.append(value)
        if found != len(facts) and not allow_extra:
            problems.extend(self._unknown(facts))
        if problems:
            raise InvalidFacts(self._rubric, problems)
        broken = self._constraints(values)
        if broken:
            raise InvalidFacts(
                self._rubric,
                [
                    FactProblem(
                        self._constraint_facts[i],
                        "constraint",
                        _worded(self._constraint_messages[i], values),
                        _worded(self._constraint_messages_zh[i], values),
                    )
                    for i in broken
                ],
            )
        return values

    def _unknown(self, facts: Mapping[str, Any]) -> list[FactProblem]:
        unknown = [str(name) for name in facts if name not in self._names]
        return [
            FactProblem(
                name,
                "unknown",
                "this rubric declares no such fact" + (did_you_mean(name, self._names) if k < HINTED_NAMES else ""),
                "本评价表没有声明此事实" + (did_you_mean_zh(name, self._names) if k < HINTED_NAMES else ""),
            )
            for k, name in enumerate(unknown)
        ]


def _worded(message: str | Callable[[Sequence[Any]], str], values: Sequence[Any]) -> str:
    """A constraint's message: as written, or worded from the values given (it names them)."""
    return message if isinstance(message, str) else message(values)
