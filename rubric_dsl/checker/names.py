"""Name check: every name is declared once and every use names something declared.

Inputs and lets share one namespace; sections and indicators share another. Unknown names get
a did-you-mean from the declared ones.
"""

from __future__ import annotations

from collections.abc import Iterator

from rubric_dsl import ast
from rubric_dsl.ast import walk_expr, where_names
from rubric_dsl.checker.scope import Scope, all_exprs
from rubric_dsl.diagnostics import HINTED_NAMES, Diagnostic
from rubric_dsl.diagnostics import check as diag


def check(scope: Scope) -> Iterator[Diagnostic]:
    rubric = scope.rubric
    values: dict[str, ast.Input | ast.Let] = {}
    items: list[ast.Input | ast.Let] = [*rubric.inputs, *rubric.lets]
    for item in items:
        first = values.setdefault(item.name, item)
        if first is not item:
            kind = "input" if isinstance(item, ast.Input) else "let"
            yield diag.duplicate_name(kind, item.name, item.span, first.span)
    nodes: dict[str, ast.Node] = {}
    tree: list[ast.Node] = [n for n, _ in scope.sections] + [n for n, _ in scope.indicators]
    for node in tree:
        first_node = nodes.setdefault(node.id, node)
        if first_node is not node:
            kind = "section" if isinstance(node, ast.Section) else "indicator"
            yield diag.duplicate_name(kind, node.id, node.span, first_node.span)
    known = scope.names()
    unknown = 0
    for root in all_exprs(scope):
        in_where = {id(name) for _, name in where_names(root)}  # fields or names: the records check says
        for expr in walk_expr(root):
            if isinstance(expr, ast.Name) and expr.id not in known and id(expr) not in in_where:
                unknown += 1
                yield diag.unknown_name(expr.id, expr.span, known if unknown <= HINTED_NAMES else ())
