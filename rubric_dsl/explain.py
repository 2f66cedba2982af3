"""Explanations: the sentence that says how an indicator got its points.

Takes, per indicator, the record of the clause that fired (see `clauses`) with the values it
used; gives text such as `预算执行率 100% ∈ [95%, ∞) → 5`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from rubric_dsl.diagnostics import fmt


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
