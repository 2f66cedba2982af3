"""Not-applicable checks: an `applicable when` condition needs the rubric's `not_applicable` policy, and
beside a policy, `points(ID)` is read only where the weights used are known (lines, vetoes and caps), never by
a rule or a let scored before the weights are shared out."""

from __future__ import annotations

from collections.abc import Iterator

from rubric_dsl import ast
from rubric_dsl.ast import rule_exprs, walk_expr
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.diagnostics import check as diag


def check(scope: Scope) -> Iterator[Diagnostic]:
    if scope.rubric.not_applicable is not None:
        roots = [*(let.expr for let in scope.lets.values())]
        roots += [e for indicator, _ in scope.indicators for e in rule_exprs(indicator.rule)]
        for root in roots:
            for part in walk_expr(root):
                if isinstance(part, ast.PointsOf):
                    yield diag.points_before_reweighing(part.id, part.span)
        return
    nodes: list[ast.Node] = [*(s for s, _ in scope.sections), *(i for i, _ in scope.indicators)]
    for node in nodes:
        if node.applicable is not None:
            yield diag.not_applicable_policy_missing(node.id, node.applicable.span)
