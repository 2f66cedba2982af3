"""Points check: no rule can award more than its indicator's weight, or less than 0."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal

from rubric_dsl import ast
from rubric_dsl import diagnostics as diag
from rubric_dsl.checker.scope import Scope, sub_rules
from rubric_dsl.diagnostics import Diagnostic
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
                yield diag.invalid_rule(f"the step of `{indicator.id}` must be above 0", step.span)
            if deduct <= 0:
                yield diag.invalid_rule(f"`{indicator.id}` must deduct more than 0 per step", rule.span)
            if deduct > indicator.weight:
                yield diag.points_exceed_weight(indicator.id, deduct, indicator.weight, rule.span)
        case ast.Checklist(deduct=deduct):
            if deduct <= 0 or deduct > indicator.weight:
                yield diag.invalid_rule(
                    f"`{indicator.id}` deducts {deduct} per failed item; use a value in (0, {indicator.weight}]",
                    rule.span,
                )
        case ast.Linear(points=points):
            ats = [p.at.value for p in points]
            if len(points) < 2:
                yield diag.invalid_rule(f"`linear` in `{indicator.id}` needs at least two points", rule.span)
            elif not (all(a < b for a, b in itertools.pairwise(ats)) or (len(points) == 2 and ats[0] > ats[1])):
                yield diag.invalid_rule(
                    f"the points of `linear` in `{indicator.id}` must have rising values "
                    "(or, for `from a to b`, two different values)",
                    rule.span,
                )
