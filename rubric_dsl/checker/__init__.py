"""Check a merged rubric: every problem of the file in one run.

Takes a merged syntax tree (see `resolver.py`); gives diagnostics, sorted. Checks run in the
order of `CHECKS`, one module each; a check never stops the others. A rubric is merged with its
parent only when the parent is clean, so whatever is found in the merged tree is the child's doing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rubric_dsl import ast
from rubric_dsl.checker import bands, cycles, grades, header, inputs, names, points, types, usage, weights
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import Diagnostic, sort_diagnostics

Check = Callable[[Scope], Iterator[Diagnostic]]

CHECKS: tuple[Check, ...] = (
    header.check,
    names.check,
    cycles.check,
    inputs.check,
    types.check,
    weights.check,
    points.check,
    bands.check,
    grades.check,
    usage.check,
)


def check(rubric: ast.Rubric) -> list[Diagnostic]:
    scope = Scope.of(rubric)
    return sort_diagnostics(d for run in CHECKS for d in run(scope))
