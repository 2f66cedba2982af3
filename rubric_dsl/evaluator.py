"""Results and explanations of a scoring run.

The compiled scoring function (see `compiler.py`) returns, per indicator, its points, the
points before rounding, and a small record of the clause that fired with the values it used.
This module turns those into a `Result`: total, grade, section points, and per indicator an
explanation such as `预算执行率 100% ∈ [95%, ∞) → 5`. Explanations are formatted only when
someone reads them, so scoring without `explain` pays nothing for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from rubric_dsl.diagnostics import fmt


class RubricDslError(Exception):
    """Base of every error the front door raises."""


class EvaluationError(RubricDslError):
    """Scoring failed inside one indicator (e.g. a division by zero the facts led to)."""

    def __init__(self, rubric: str, indicator: str, message: str) -> None:
        super().__init__(f"{rubric}: indicator `{indicator}`: {message}")
        self.rubric = rubric
        self.indicator = indicator
        self.message = message


def show(value: Any, percent: bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{fmt(value * 100)}%" if percent else fmt(value)
    return str(value)


class Explainer(Protocol):
    def explain(self, record: tuple[Any, ...]) -> str: ...


@dataclass(frozen=True, slots=True)
class BandsExplainer:
    subject: str
    percent: bool
    intervals: tuple[str, ...]
    points: tuple[Decimal, ...]
    otherwise: Decimal | None

    def explain(self, record: tuple[Any, ...]) -> str:
        row, value = record
        shown = f"{self.subject} {show(value, self.percent)}"
        if row == len(self.intervals):
            return f"{shown} matches no band → otherwise {fmt(self.otherwise or Decimal(0))}"
        return f"{shown} ∈ {self.intervals[row]} → {fmt(self.points[row])}"


@dataclass(frozen=True, slots=True)
class ChecklistExplainer:
    failed: str
    deduct: Decimal
    weight: Decimal
    zero_when: str | None

    def explain(self, record: tuple[Any, ...]) -> str:
        clause, failed, raw = record
        if clause == 3:
            return f"{self.zero_when} (serious non-compliance) → 0"
        if clause == 0:
            return f"{self.failed} = 0 failed items → {fmt(self.weight)}"
        lost = failed * self.deduct
        result = f"{self.failed} = {fmt(failed)} failed × {fmt(self.deduct)} → {fmt(self.weight)} − {fmt(lost)}"
        return f"{result} = {fmt(raw)}" if clause == 1 else f"{result} < 0 → 0"


@dataclass(frozen=True, slots=True)
class StepsExplainer:
    subject: str
    percent: bool
    above: bool
    threshold: Decimal
    step: Decimal
    deduct: Decimal
    weight: Decimal
    whole: bool

    def explain(self, record: tuple[Any, ...]) -> str:
        clause, value, steps = record
        shown = f"{self.subject} {show(value, self.percent)}"
        limit = show(self.threshold, self.percent)
        if clause == 0:
            return f"{shown} {'≤' if self.above else '≥'} {limit} → {fmt(self.weight)}"
        kind = "whole" if self.whole else "started"
        plural = "step" if steps == 1 else "steps"
        lost = steps * self.deduct
        head = (
            f"{shown} {'>' if self.above else '<'} {limit}: {fmt(steps)} {kind} {plural} of "
            f"{show(self.step, self.percent)} × {fmt(self.deduct)} → {fmt(self.weight)} − {fmt(lost)}"
        )
        return f"{head} = {fmt(self.weight - lost)}" if clause == 1 else f"{head} < 0 → 0"


def _clamped(text: str, clause: int, weight: Decimal) -> str:
    if clause == 1:
        return f"{text}, raised to 0"
    if clause == 2:
        return f"{text}, capped at {fmt(weight)}"
    return text


@dataclass(frozen=True, slots=True)
class ProportionalExplainer:
    ratio: str
    percent: bool
    weight: Decimal

    def explain(self, record: tuple[Any, ...]) -> str:
        clause, ratio, raw = record
        text = f"{fmt(self.weight)} × ({self.ratio} = {show(ratio, self.percent)}) = {fmt(raw)}"
        return _clamped(text, clause, self.weight)


@dataclass(frozen=True, slots=True)
class LinearExplainer:
    subject: str
    percent: bool
    ats: tuple[Decimal, ...]
    points: tuple[Decimal, ...]

    def explain(self, record: tuple[Any, ...]) -> str:
        segment, value, raw = record
        shown = f"{self.subject} {show(value, self.percent)}"
        if segment == 0:
            return f"{shown} ≤ {show(self.ats[0], self.percent)} → {fmt(self.points[0])}"
        if segment == len(self.ats):
            return f"{shown} ≥ {show(self.ats[-1], self.percent)} → {fmt(self.points[-1])}"
        x0, x1 = self.ats[segment - 1], self.ats[segment]
        p0, p1 = self.points[segment - 1], self.points[segment]
        between = f"between {show(x0, self.percent)} and {show(x1, self.percent)}"
        if p0 == 0:
            return (
                f"{shown} {between} → {fmt(p1)} × ({show(value, self.percent)} − {show(x0, self.percent)}) / "
                f"({show(x1, self.percent)} − {show(x0, self.percent)}) = {fmt(raw)}"
            )
        return f"{shown} {between} → {fmt(raw)} (linear from {fmt(p0)} to {fmt(p1)})"


@dataclass(frozen=True, slots=True)
class TargetExplainer:
    actual: str
    op: str
    target: str
    percent: bool
    weight: Decimal
    proportional: bool

    def explain(self, record: tuple[Any, ...]) -> str:
        clause, actual, target = record
        shown = f"{self.actual} {show(actual, self.percent)}"
        goal = f"target {self.op} {show(target, self.percent)}"
        if clause == 0:
            return f"{shown} meets {goal} → {fmt(self.weight)}"
        if clause == 2:
            return f"{shown} misses {goal} → 0"
        num, den = (actual, target) if self.op in (">=", ">") else (target, actual)
        return f"{shown} misses {goal} → {fmt(self.weight)} × {show(num, self.percent)} / {show(den, self.percent)}"


@dataclass(frozen=True, slots=True)
class JudgedExplainer:
    input: str
    tiers: tuple[str, ...] = ()

    def explain(self, record: tuple[Any, ...]) -> str:
        tier = f", tier {self.tiers[record[0]]}" if self.tiers else ""
        return f"judged by the evaluation group ({self.input}{tier}) → {fmt(record[1])}"


@dataclass(frozen=True, slots=True)
class FormulaExplainer:
    expr: str
    weight: Decimal

    def explain(self, record: tuple[Any, ...]) -> str:
        clause, raw = record
        text = f"→ {fmt(raw)}" if self.expr == fmt(raw) else f"{self.expr} = {fmt(raw)}"
        return _clamped(text, clause, self.weight)


@dataclass(frozen=True, slots=True)
class ConditionalExplainer:
    conditions: tuple[str, ...]
    rules: tuple[Explainer, ...]  # one per arm, then the `otherwise` rule

    def explain(self, record: tuple[Any, ...]) -> str:
        arm, inner = record
        head = f"when {self.conditions[arm]}" if arm < len(self.conditions) else "otherwise"
        return f"{head}: {self.rules[arm].explain(inner)}"


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    id: str
    label: str
    points: Decimal
    max_points: Decimal
    explanation: str
    section: str | None


@dataclass(frozen=True, slots=True)
class LostPoints:
    """Where points were lost: the scorecard's adverse reason (e.g. 实际完成率 −3: 60% ∈ [0%, 85%) → 0)."""

    id: str
    label: str
    lost: Decimal
    reason: str

    def __str__(self) -> str:
        return f"{self.label} −{fmt(self.lost)}: {self.reason}"


@dataclass(frozen=True, slots=True)
class SectionResult:
    id: str
    label: str
    points: Decimal
    max_points: Decimal
    parent: str | None


@dataclass(frozen=True, slots=True)
class Plan:
    """What a result needs to know about its rubric; built once by the compiler."""

    rubric: str
    version: str
    content_hash: str
    indicator_ids: tuple[str, ...]
    indicator_labels: tuple[str, ...]
    indicator_weights: tuple[Decimal, ...]
    indicator_sections: tuple[str | None, ...]
    explainers: tuple[Explainer, ...]
    section_ids: tuple[str, ...]
    section_labels: tuple[str, ...]
    section_weights: tuple[Decimal, ...]
    section_parents: tuple[str | None, ...]
    grade_labels: tuple[str, ...]
    rounding: str


class Result:
    """The score of one set of facts under one rubric."""

    __slots__ = ("_indicators", "_plan", "_points", "_raws", "_records", "_sections", "grade", "total")

    def __init__(
        self,
        plan: Plan,
        points: Sequence[Decimal],
        raws: Sequence[Decimal],
        records: Sequence[tuple[Any, ...]],
        sections: Sequence[Decimal],
        total: Decimal,
        grade: int,
    ) -> None:
        self._plan = plan
        self._points = points
        self._raws = raws
        self._records = records
        self._sections = sections
        self._indicators: list[IndicatorResult] | None = None
        self.total = total
        self.grade = plan.grade_labels[grade]

    @property
    def rubric(self) -> str:
        return self._plan.rubric

    @property
    def version(self) -> str:
        return self._plan.version

    @property
    def content_hash(self) -> str:
        return self._plan.content_hash

    @property
    def records(self) -> Sequence[tuple[Any, ...]]:
        """Per indicator, which clause fired and the values it used (for coverage tools)."""
        return self._records

    @property
    def section_points(self) -> Sequence[Decimal]:
        """Points per section in the rubric's section order, without building `SectionResult`s."""
        return self._sections

    @property
    def points(self) -> dict[str, Decimal]:
        """Points by indicator id, without explanations."""
        return dict(zip(self._plan.indicator_ids, self._points, strict=True))

    @property
    def sections(self) -> list[SectionResult]:
        plan = self._plan
        return [
            SectionResult(*fields)
            for fields in zip(
                plan.section_ids,
                plan.section_labels,
                self._sections,
                plan.section_weights,
                plan.section_parents,
                strict=True,
            )
        ]

    @property
    def indicators(self) -> list[IndicatorResult]:
        if self._indicators is None:
            plan = self._plan
            self._indicators = [
                IndicatorResult(
                    plan.indicator_ids[i],
                    plan.indicator_labels[i],
                    points,
                    plan.indicator_weights[i],
                    self._explain(i),
                    plan.indicator_sections[i],
                )
                for i, points in enumerate(self._points)
            ]
        return self._indicators

    @property
    def lost(self) -> list[LostPoints]:
        """Indicators that scored below their maximum, the largest loss first (ties in rubric order)."""
        lost = [
            LostPoints(i.id, i.label, i.max_points - i.points, i.explanation)
            for i in self.indicators
            if i.points < i.max_points
        ]
        return sorted(lost, key=lambda item: -item.lost)

    def _explain(self, index: int) -> str:
        text = self._plan.explainers[index].explain(self._records[index])
        points, raw = self._points[index], self._raws[index]
        if points != raw:
            text += f" → {fmt(points)} ({self._plan.rounding})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The CLI's `--format json` and the service's response, decimals as strings."""
        return {
            "rubric": self.rubric,
            "version": self.version,
            "content_hash": self.content_hash,
            "total": fmt(self.total),
            "grade": self.grade,
            "sections": [
                {"id": s.id, "label": s.label, "points": fmt(s.points), "max_points": fmt(s.max_points)}
                for s in self.sections
            ],
            "indicators": [
                {
                    "id": i.id,
                    "label": i.label,
                    "points": fmt(i.points),
                    "max_points": fmt(i.max_points),
                    "explanation": i.explanation,
                }
                for i in self.indicators
            ],
            "lost": [
                {"id": item.id, "label": item.label, "lost": fmt(item.lost), "reason": item.reason}
                for item in self.lost
            ],
        }
