"""Input check: ranges, defaults and choices fit the input's kind."""

from __future__ import annotations

from collections.abc import Iterator

from rubric_dsl import ast
from rubric_dsl.checker.scope import Scope
from rubric_dsl.checker.types import DEFAULT, RANGE_END, literal_problem
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.diagnostics import check as diag
from rubric_dsl.printer import format_expr


def check(scope: Scope) -> Iterator[Diagnostic]:
    for item in scope.rubric.inputs:
        if item.kind != "records":  # a list's own options and its fields: the records check
            yield from check_input(item)


def check_input(item: ast.Input) -> Iterator[Diagnostic]:
    """One input's (or one record field's) range, default and choices."""
    bounds = [b for b in (item.minimum, item.maximum) if b is not None]
    if bounds and item.kind in ("flag", "choice"):
        yield diag.range_not_allowed(item.name, item.kind, item.span)
        return
    for bound in bounds:
        if problem := literal_problem(item.kind, bound, RANGE_END):
            yield problem
    if item.minimum is not None and item.maximum is not None and item.minimum.value > item.maximum.value:
        yield diag.empty_range(item.name, item.minimum.text, item.maximum.text, item.span)
    repeated = [c for i, c in enumerate(item.choices) if c in item.choices[:i]]
    if repeated:
        yield diag.repeated_choice(item.name, repeated[0], item.span)
    if item.default is not None:
        yield from _check_default(item, item.default)


def _check_default(item: ast.Input, default: ast.Num | ast.Bool | ast.Str) -> Iterator[Diagnostic]:
    wanted = {"flag": ast.Bool, "choice": ast.Str}.get(item.kind, ast.Num)
    if not isinstance(default, wanted):
        yield diag.default_wrong_kind(item.name, item.kind, default.span)
        return
    if isinstance(default, ast.Str) and default.value not in item.choices:
        yield diag.default_not_a_choice(item.name, default.value, default.span)
    if not isinstance(default, ast.Num):
        return
    if problem := literal_problem(item.kind, default, DEFAULT):
        yield problem
        return
    low, high = item.minimum, item.maximum
    if (low is not None and default.value < low.value) or (high is not None and default.value > high.value):
        yield diag.default_out_of_range(
            item.name, format_expr(default), low.text if low else "-∞", high.text if high else "∞", default.span
        )
    if item.kind == "count" and (default.value < 0 or default.value != default.value.to_integral_value()):
        yield diag.default_not_whole(item.name, default.span)
