"""Usage check (warnings): inputs that no rule, let or constraint reads."""

from __future__ import annotations

from collections.abc import Iterator

from rubric_dsl import ast
from rubric_dsl.ast import walk_expr
from rubric_dsl.checker.scope import Scope, all_exprs
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.diagnostics import check as diag


def check(scope: Scope) -> Iterator[Diagnostic]:
    used = {e.id for root in all_exprs(scope) for e in walk_expr(root) if isinstance(e, ast.Name)}
    for item in scope.rubric.inputs:
        if item.name not in used and item.span.path == scope.rubric.span.path and not scope.rubric.abstract:
            yield diag.unused_input(item.name, item.span)
