"""Grade check: cutoffs fall from best to worst, lie in the final range (0..total unless `final range` says
otherwise), and every score gets a grade. The table is optional: without it no grade is reported."""

from __future__ import annotations

from collections.abc import Iterator

from rubric_dsl.ast import GradeRow
from rubric_dsl.checker.adjustments import final_bounds
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import Diagnostic, adjust
from rubric_dsl.diagnostics import check as diag


def check(scope: Scope) -> Iterator[Diagnostic]:
    rubric = scope.rubric
    if rubric.grades is None:
        return
    low, high = final_bounds(scope)
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
        if scope.rubric.final_range is None and not 0 <= row.minimum <= scope.total:
            yield diag.grade_out_of_range(row.label, row.minimum, scope.total, row.span)
        elif not low <= row.minimum <= high:
            yield adjust.grade_cutoff_outside_range(row.label, row.minimum, low, high, row.span)
        if previous is not None and row.minimum >= previous:
            yield diag.grades_not_monotone(row.label, row.minimum, previous, row.span)
        previous = row.minimum
    if previous is not None and previous > low:
        yield diag.grades_uncovered(previous, rows[-1].span)
