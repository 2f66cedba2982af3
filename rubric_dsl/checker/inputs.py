"""Input check: ranges, defaults and units fit the input's kind."""

from __future__ import annotations

from collections.abc import Iterator

from rubric_dsl import ast
from rubric_dsl import diagnostics as diag
from rubric_dsl.checker.scope import Scope
from rubric_dsl.checker.types import literal_problem, words
from rubric_dsl.diagnostics import Diagnostic


def check(scope: Scope) -> Iterator[Diagnostic]:
    for item in scope.rubric.inputs:
        yield from _check_input(item)


def _check_input(item: ast.Input) -> Iterator[Diagnostic]:
    bounds = [b for b in (item.minimum, item.maximum) if b is not None]
    if bounds and item.kind in ("flag", "choice"):
        yield diag.invalid_input(f"input `{item.name}` is {words(item.kind)}; it cannot have a range", item.span)
        return
    for bound in bounds:
        if problem := literal_problem(item.kind, bound, "range end"):
            yield problem
    if item.minimum is not None and item.maximum is not None and item.minimum.value > item.maximum.value:
        yield diag.invalid_input(
            f"the range of `{item.name}` is empty: {item.minimum.text} is above {item.maximum.text}",
            item.span,
        )
    if item.kind == "choice" and len(set(item.choices)) != len(item.choices):
        yield diag.invalid_input(f"the choices of `{item.name}` repeat a value", item.span)
    if item.default is not None:
        yield from _check_default(item, item.default)


def _check_default(item: ast.Input, default: ast.Num | ast.Bool | ast.Str) -> Iterator[Diagnostic]:
    wanted = {"flag": ast.Bool, "choice": ast.Str}.get(item.kind, ast.Num)
    if not isinstance(default, wanted):
        yield diag.invalid_input(f"the default of `{item.name}` must be {words(item.kind)}", default.span)
        return
    if isinstance(default, ast.Str) and default.value not in item.choices:
        yield diag.invalid_input(
            f'the default "{default.value}" is not one of the choices of `{item.name}`', default.span
        )
    if isinstance(default, ast.Num):
        if problem := literal_problem(item.kind, default, "default"):
            yield problem
            return
        low, high = item.minimum, item.maximum
        if (low is not None and default.value < low.value) or (high is not None and default.value > high.value):
            yield diag.invalid_input(f"the default of `{item.name}` lies outside its range", default.span)
        if item.kind == "count" and (default.value < 0 or default.value != default.value.to_integral_value()):
            yield diag.invalid_input(f"the default of count `{item.name}` must be a whole number >= 0", default.span)
