"""Check a merged rubric: every problem of the file in one run.

Takes a merged syntax tree (see `inherit.py`); gives its diagnostics, sorted, and, when none is
an error, the `CheckedRubric`: the tree with its scope (names, sections, indicators, kinds), which
is what every later stage takes (`codegen`, `program`, `explain`, the 评分表). Checks run in the
order of `CHECKS`, one module each; a check never stops the others. Checking generates no code.
A rubric is merged with its parent only when the parent is clean, so whatever is found in the
merged tree is the child's doing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rubric_dsl import ast
from rubric_dsl.checker import (
    adjustments,
    applicable,
    bands,
    cycles,
    grades,
    header,
    inputs,
    names,
    points,
    records,
    types,
    usage,
    weights,
)
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import Diagnostic, has_errors, sort_diagnostics

Check = Callable[[Scope], Iterator[Diagnostic]]

CHECKS: tuple[Check, ...] = (
    header.check,
    names.check,
    cycles.check,
    inputs.check,
    records.check,
    types.check,
    weights.check,
    points.check,
    bands.check,
    grades.check,
    usage.check,
    adjustments.check,
    applicable.check,
)


@dataclass(frozen=True, slots=True)
class CheckedRubric:
    """A merged rubric that passed every check, and its scope."""

    rubric: ast.Rubric
    scope: Scope


def check(rubric: ast.Rubric) -> tuple[list[Diagnostic], CheckedRubric | None]:
    """The rubric's diagnostics, and the checked rubric unless one of them is an error."""
    scope = Scope.of(rubric)
    found = sort_diagnostics(d for run in CHECKS for d in run(scope))
    return found, None if has_errors(found) else CheckedRubric(rubric, scope)
