"""Cycle check: `let` values may not depend on themselves, directly or through others."""

from __future__ import annotations

from collections.abc import Iterator

from rubric_dsl import ast
from rubric_dsl.ast import walk_expr
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.diagnostics import check as diag


def let_dependencies(scope: Scope, let: ast.Let) -> list[str]:
    return [
        e.id for e in walk_expr(let.expr) if isinstance(e, ast.Name) and e.id in scope.lets and e.id not in scope.inputs
    ]


def check(scope: Scope) -> Iterator[Diagnostic]:
    done: set[str] = set()
    reported: set[frozenset[str]] = set()

    def visit(name: str, path: list[str]) -> Iterator[Diagnostic]:
        if name in path:
            cycle = path[path.index(name) :]
            key = frozenset(cycle)
            if key not in reported:
                reported.add(key)
                yield diag.let_cycle([*cycle, name], scope.lets[cycle[0]].span)
            return
        if name in done:
            return
        for dependency in let_dependencies(scope, scope.lets[name]):
            yield from visit(dependency, [*path, name])
        done.add(name)

    for name in scope.lets:
        yield from visit(name, [])
