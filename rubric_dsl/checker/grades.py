"""Grade check: cutoffs fall from best to worst, lie in 0..total, and every score gets a grade."""

from __future__ import annotations

from collections.abc import Iterator

from rubric_dsl.ast import GradeRow
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.diagnostics import check as diag


def check(scope: Scope) -> Iterator[Diagnostic]:
    rubric = scope.rubric
    if rubric.grades is None:
        if not rubric.abstract:
            yield diag.missing_grades(rubric.span)
        return
    rows = rubric.grades.rows
    misread = [row for row in rows if row.op != ">="]
    for row in misread:
        yield diag.grade_needs_at_least(row.label, row.op_span or row.span)
    if misread:
        return  # what the table means is unclear until it is written with `>=`
    previous = None
    labels: dict[str, GradeRow] = {}
    for index, row in enumerate(rows):
        if row.label in labels:
            yield diag.duplicate_name("grade", row.label, row.span, labels[row.label].span)
        labels.setdefault(row.label, row)
        if row.minimum is None:
            if index != len(rows) - 1:
                yield diag.otherwise_not_last(row.label, row.span)
            return
        if not 0 <= row.minimum <= scope.total:
            yield diag.grade_out_of_range(row.label, row.minimum, scope.total, row.span)
        if previous is not None and row.minimum >= previous:
            yield diag.grades_not_monotone(row.label, row.minimum, previous, row.span)
        previous = row.minimum
    if previous is not None and previous > 0:
        yield diag.grades_uncovered(previous, rows[-1].span)
