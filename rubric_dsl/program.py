"""The compiled rubric: the object that scores facts, built from a checked rubric by `codegen`.

Takes a merged, checked syntax tree and its scope; gives a `CompiledRubric`, immutable and safe
to share between threads, whose `score(facts)` reads the facts and runs the generated function.
Scoring runs in a private decimal context (40 digits, traps on), so the caller's thread context
(its precision, rounding or traps) never changes a score.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation, getcontext, setcontext
from typing import Any

from rubric_dsl import ast
from rubric_dsl.applicable import NothingApplicable
from rubric_dsl.checker import CheckedRubric
from rubric_dsl.checker.adjustments import final_bounds
from rubric_dsl.codegen import CONTEXT, DEFAULT_ROUNDING, UNCAPPED, EmptyMean, Failed, NoBand, generate
from rubric_dsl.errors import WHAT_ZH, EvaluationError, FactProblem, InvalidFacts
from rubric_dsl.explain import condition_text, explainer, line_explainer, veto_reads
from rubric_dsl.facts import FactAbsent
from rubric_dsl.printer import format_expr
from rubric_dsl.reader import fact_reader
from rubric_dsl.results import LinePlan, Plan, Result, VetoPlan


class _ThreadContext(threading.local):
    """Each thread's own copy of CONTEXT, made once: switching to it per call is cheaper than
    `localcontext(CONTEXT)`, which copies the context every time."""

    def __init__(self) -> None:
        self.context = CONTEXT.copy()


_THREAD = _ThreadContext()


@dataclass(frozen=True, slots=True)
class InputInfo:
    name: str
    kind: str
    label: str
    minimum: Decimal | None
    maximum: Decimal | None
    default: str | None
    unit: str | None
    choices: tuple[str, ...]
    required: bool
    optional: bool = False  # declared `optional`: `given(NAME)` tests it
    fields: tuple[InputInfo, ...] = ()  # a `records` input's fields


@dataclass(frozen=True, slots=True)
class SectionInfo:
    id: str
    label: str
    weight: Decimal
    parent: str | None
    depth: int
    applicable: str | None = None  # the `applicable when` condition as written


@dataclass(frozen=True, slots=True)
class IndicatorInfo:
    id: str
    label: str
    weight: Decimal
    section: str | None
    rule: str
    applicable: str | None = None  # the `applicable when` condition as written


@dataclass(frozen=True, slots=True)
class GradeInfo:
    label: str
    minimum: Decimal | None


class CompiledRubric:
    """A rubric ready to score; immutable, safe to share between threads."""

    def __init__(
        self,
        checked: CheckedRubric,
        *,
        content_hash: str,
        source_text: str,
        path: str,
        ancestors: tuple[str, ...] = (),
    ) -> None:
        rubric, scope = checked.rubric, checked.scope
        header = {f.key: f.value for f in rubric.header}
        self.checked = checked  # the checked model: the merged tree and its scope, for tools (sheet, fmt)
        self.id = rubric.id
        self.title = rubric.title
        self.tree = rubric
        self.version = header.get("version", "")
        self.content_hash = content_hash
        self.source_text = source_text
        self.path = path
        self.ancestors = ancestors  # the ids it `extends`, nearest first
        self.metadata: dict[str, str] = {k: header[k] for k in ("source", "region", "year") if k in header}
        self.total = scope.total
        rounding = {r.scope: r for r in rubric.rounding}
        indicator_rounding = rounding.get("indicator", DEFAULT_ROUNDING)
        total_rounding = rounding.get("total")
        self.rounding = "; ".join(
            f"round {r.scope} {r.step} {r.mode}" for r in (indicator_rounding, total_rounding) if r
        )
        reader = fact_reader(checked)
        required = {spec.name for spec in reader.required}
        self.inputs = [_input_info(i, i.name in required) for i in rubric.inputs]
        depth: dict[str | None, int] = {None: -1}
        self.sections = []
        for section, parent in scope.sections:
            parent_id = parent.id if parent else None
            depth[section.id] = depth[parent_id] + 1
            self.sections.append(
                SectionInfo(
                    section.id, section.label, section.weight, parent_id, depth[section.id], _condition(section)
                )
            )
        self.indicators = [
            IndicatorInfo(i.id, i.label, i.weight, p.id if p else None, type(i.rule).__name__.lower(), _condition(i))
            for i, p in scope.indicators
        ]
        self.not_applicable = rubric.not_applicable.mode if rubric.not_applicable else None
        self.grades = [GradeInfo(r.label, r.minimum) for r in rubric.grades.rows] if rubric.grades else []
        self._program = generate(checked, reader)
        self._validator = reader.validator(scope, self._program.constraints)
        self._score_values = self._program.score_values
        self._score_facts = self._program.score_facts
        self._plan = Plan(
            rubric=self.id,
            version=self.version,
            content_hash=content_hash,
            indicator_ids=tuple(i.id for i in self.indicators),
            indicator_labels=tuple(i.label for i in self.indicators),
            indicator_weights=tuple(i.weight for i in self.indicators),
            indicator_sections=tuple(i.section for i in self.indicators),
            explainers=tuple(explainer(scope, i.rule, i.weight) for i, _ in scope.indicators),
            section_ids=tuple(s.id for s in self.sections),
            section_labels=tuple(s.label for s in self.sections),
            section_weights=tuple(s.weight for s in self.sections),
            section_parents=tuple(s.parent for s in self.sections),
            grade_labels=tuple(g.label for g in self.grades),
            rounding=f"round {indicator_rounding.step} {indicator_rounding.mode}",
            lines=tuple(
                LinePlan(a.id, a.label, a.kind, a.cap, line_explainer(scope, a, a.cap if a.cap else UNCAPPED))
                for a in rubric.adjustments
            ),
            final_range=final_bounds(scope),
            final_declared=rubric.final_range is not None,
            vetoes=tuple(
                VetoPlan(
                    v.id, v.label, v.kind, v.grade, v.at_most, v.zero, condition_text(scope, v), veto_reads(scope, v)
                )
                for v in rubric.vetoes
            ),
            not_applicable=rubric.not_applicable.mode if rubric.not_applicable else None,
        )
        self.adjustment_lines = rubric.adjustments  # the bonus and penalty lines, as written
        self.veto_rules = rubric.vetoes  # the vetoes and caps, as written
        self.final_minimum, self.final_maximum = final_bounds(scope)
        # what a failure names: an indicator, a line or a veto (the generated code's `_i`)
        self._failing = (*(("indicator", i.id) for i in self.indicators), *((a.kind, a.id) for a in rubric.adjustments))
        self._failing += tuple((v.kind, v.id) for v in rubric.vetoes)

    @property
    def generated_source(self) -> str:
        """The Python this rubric was compiled to: generated names, operators, constants' names, and
        one comment per indicator with its id and `file:line`."""
        return self._program.source

    def listing(self) -> str:
        """The generated source and, after it, every constant it was built with, for an audit."""
        constants = [f"#   {name} = {value!r}" for name, value in self._program.constants]
        return "\n".join([self._program.source, "", "# constants:", *constants])

    def __repr__(self) -> str:
        return f"<CompiledRubric {self.id} {self.version} {self.content_hash[:15]}>"

    def score(self, facts: Mapping[str, Any], *, allow_extra_facts: bool = False) -> Result:
        caller = getcontext()
        setcontext(_THREAD.context)
        try:
            scored = None if allow_extra_facts else self._score_facts(facts)
            if scored is None:  # not the usual spellings, or not good: the validator reads them or says why
                scored = self._score_values(self._validator.validate(facts, allow_extra_facts))
        except Failed as failure:
            if isinstance(failure.cause, FactAbsent | EmptyMean):
                raise InvalidFacts(self.id, [self._fact_problem(failure)]) from None
            what, failing = self._failing[failure.indicator]
            message, message_zh = _cause(failure.cause)
            label = self._labels().get(failing, "")
            raise EvaluationError(self.id, failing, message, what, message_zh, label) from None
        finally:
            setcontext(caller)
        return Result(self._plan, *scored)

    def _labels(self) -> dict[str, str]:
        """The label of each indicator, bonus or penalty line, veto and cap, by id: what a failure names."""
        labels = {i.id: i.label for i in self.indicators} | {a.id: a.label for a in self.tree.adjustments}
        return labels | {v.id: v.label for v in self.tree.vetoes}

    def _fact_problem(self, failure: Failed) -> FactProblem:
        """A fact left out but read on the path the facts take, or a mean over no records: the request is
        refused naming the fact (the list) and the indicator that read it."""
        what, failing = self._failing[failure.indicator]
        indicator = _Named(failing, self._labels().get(failing, failing), what)
        cause = failure.cause
        if isinstance(cause, FactAbsent):
            return FactProblem(
                cause.name,
                "missing",
                f"required fact is missing: with these facts, {indicator.what} `{indicator.id}` reads it",
                f"缺少必填事实：按所给事实，{indicator.what_zh}“{indicator.label}”需要用到它",
            )
        assert isinstance(cause, EmptyMean)
        what = "the weights of its records add up to 0" if cause.weighted else "it has no records to average"
        what_zh = "参与平均的记录权重之和为0" if cause.weighted else "没有可参与平均的记录"
        return FactProblem(
            cause.records,
            "empty",
            f"{indicator.what} `{indicator.id}` takes a mean over this list, but {what} (none given, or none where "
            "its condition holds)",
            f"{indicator.what_zh}“{indicator.label}”需要对该列表求平均，但{what_zh}（未给出记录，或没有符合条件的记录）",
        )


@dataclass(frozen=True)
class _Named:
    """What a failure names: an indicator, a bonus or penalty line, a veto or a cap."""

    id: str
    label: str
    what: str

    @property
    def what_zh(self) -> str:
        return WHAT_ZH.get(self.what, self.what)


def _cause(error: BaseException) -> tuple[str, str]:
    """Why an indicator's arithmetic failed, in English and in Chinese."""
    if isinstance(error, DivisionByZero | ZeroDivisionError) or (
        isinstance(error, InvalidOperation) and "division" in repr(error.args).lower()
    ):
        return (
            "division by zero with these facts; guard it, e.g. `when x == 0 => points 0`",
            "按这些事实出现除数为零；请在评分规则中为除数为零的情形另设得分",
        )
    if isinstance(error, NoBand):
        return f"value {error.args[0]} matches no band", f"数值 {error.args[0]} 不在任何一档内"
    if isinstance(error, NothingApplicable):
        return (
            "no indicator is applicable with these facts: there is no weight to score",
            "按这些事实没有适用的指标：没有可计分的分值",
        )
    return f"arithmetic failed ({type(error).__name__}) with these facts", "按这些事实计算出错"


def _condition(node: ast.Node) -> str | None:
    return format_expr(node.applicable) if node.applicable is not None else None


def _input_info(item: ast.Input, required: bool) -> InputInfo:
    default = None
    if item.default is not None:
        default = format_expr(item.default) if not isinstance(item.default, ast.Str) else item.default.value
    return InputInfo(
        item.name,
        item.kind,
        item.label,
        item.minimum.value if item.minimum else None,
        item.maximum.value if item.maximum else None,
        default,
        item.unit,
        item.choices,
        required,
        item.optional,
        tuple(_input_info(field, field.default is None) for field in item.fields),
    )
