"""Not-applicable check: an `applicable when` condition needs the rubric's `not_applicable` policy."""

from __future__ import annotations

from collections.abc import Iterator

from rubric_dsl import ast
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.diagnostics import check as diag


def check(scope: Scope) -> Iterator[Diagnostic]:
    if scope.rubric.not_applicable is not None:
        return
    nodes: list[ast.Node] = [*(s for s, _ in scope.sections), *(i for i, _ in scope.indicators)]
    for node in nodes:
        if node.applicable is not None:
            yield diag.not_applicable_policy_missing(node.id, node.applicable.span)
