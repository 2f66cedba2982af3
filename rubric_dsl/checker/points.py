"""Points check: no rule can award more than its indicator's weight, or less than 0."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal

from rubric_dsl import ast
from rubric_dsl.ast import sub_rules
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.diagnostics import check as diag
from rubric_dsl.printer import format_expr
from rubric_dsl.source import Span


def awarded(rule: ast.Rule) -> Iterator[tuple[Decimal, Span]]:
    """The fixed points a rule's table can award."""
    match rule:
        case ast.Bands(rows=rows, otherwise=otherwise, otherwise_span=otherwise_span):
            for row in rows:
                yield row.points, row.span
            if otherwise is not None and otherwise_span is not None:
                yield otherwise, otherwise_span
        case ast.Linear(points=points):
            for point in points:
                if point.points is not None:
                    yield point.points, point.span


def check(scope: Scope) -> Iterator[Diagnostic]:
    for indicator, _ in scope.indicators:
        for rule in sub_rules(indicator.rule):
            for points, span in awarded(rule):
                if points > indicator.weight:
                    yield diag.points_exceed_weight(indicator.id, points, indicator.weight, span)
            yield from _rule_shape(indicator, rule)


def _rule_shape(indicator: ast.Indicator, rule: ast.Rule) -> Iterator[Diagnostic]:
    match rule:
        case ast.Steps(step=step, deduct=deduct):
            if step.value <= 0:
                yield diag.steps_not_positive(indicator.id, "step", step.span)
            if deduct <= 0:
                yield diag.steps_not_positive(indicator.id, "deduction", rule.span)
            if deduct > indicator.weight:
                yield diag.deduction_exceeds_weight(indicator.id, deduct, indicator.weight, rule.span)
        case ast.Checklist(deduct=deduct):
            if deduct <= 0 or deduct > indicator.weight:
                yield diag.checklist_deduction(indicator.id, deduct, indicator.weight, rule.span)
        case ast.Target(op="==", proportional=True):
            yield diag.target_equal_proportional(rule.span)
        case ast.Target(op=op, actual=actual, target=ast.Num(value=value) as target, proportional=True) if value <= 0:
            yield diag.target_not_positive(op, format_expr(actual), target.text, value, indicator.weight, target.span)
        case ast.Linear(points=points):
            yield from _linear_shape(indicator, rule, points)
        case ast.Judged(tiers=tiers):
            for tier in tiers:
                if not tier.low.percent and not tier.high.percent and tier.high.value > indicator.weight:
                    yield diag.judged_range_invalid(
                        indicator.id, tier.low.text, tier.high.text, indicator.weight, tier.span
                    )
        case ast.JudgedBy(ranges=ranges):
            for row in ranges:
                if not _range_valid(row.least, row.most, indicator.weight):
                    yield diag.judged_range_invalid(
                        indicator.id, row.least.text, row.most.text, indicator.weight, row.span
                    )


def _range_valid(least: ast.Num, most: ast.Num, weight: Decimal) -> bool:
    if least.percent != most.percent or least.value > most.value or least.value < 0:
        return False
    return most.value <= (1 if most.percent else weight)


rule_shape = _rule_shape  # also checks the rules of capped adjustment lines (checker/adjustments.py)


def _linear_shape(
    indicator: ast.Indicator, rule: ast.Linear, points: tuple[ast.LinearPoint, ...]
) -> Iterator[Diagnostic]:
    if len(points) < 2:
        yield diag.linear_too_few_points(indicator.id, rule.span)
        return
    from_to = len(points) == 2 and points[1].points is None
    if from_to:
        if points[0].at.value == points[1].at.value:
            yield diag.linear_same_ends(indicator.id, points[0].at.text, rule.span)
        return
    for previous, point in itertools.pairwise(points):
        if point.at.value <= previous.at.value:
            yield diag.linear_not_rising(indicator.id, point.at.text, previous.at.text, point.span)
            return
