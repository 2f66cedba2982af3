"""Weight check: children add up to their section's weight and the top level to `total`."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from rubric_dsl import ast
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.diagnostics import check as diag


def check(scope: Scope) -> Iterator[Diagnostic]:
    rubric = scope.rubric
    tree: list[ast.Node] = [n for n, _ in scope.sections] + [n for n, _ in scope.indicators]
    for node in tree:
        if node.weight <= 0:
            yield diag.zero_weight(node.id, node.weight, node.span)
    step = next((r.step for r in rubric.rounding if r.scope == "indicator"), ast.DEFAULT_INDICATOR_STEP)
    for indicator, _ in scope.indicators:
        if step > 0 and indicator.weight % step != 0:
            yield diag.weight_not_a_step_multiple(indicator.id, indicator.weight, step, indicator.span)
    for section, _ in scope.sections:
        if section.abstract:
            if not rubric.abstract:
                yield diag.abstract_in_concrete(section.id, section.span)
            continue
        actual = sum((child.weight for child in section.children), Decimal(0))
        if actual != section.weight:
            yield diag.weights_do_not_add_up(section.id, section.weight, actual, section.span)
    top = sum((node.weight for node in rubric.body), Decimal(0))
    if rubric.body and top != scope.total:
        total = [f for f in rubric.header if f.key == "total"]
        yield diag.total_mismatch(scope.total, top, total[-1].span if total else rubric.span)
    if not rubric.abstract and not rubric.body:
        yield diag.no_indicators(rubric.span)
