"""Band check: the rows of a band table neither leave gaps nor overlap, and each contains a value.

Each interval end becomes an ordered key `(rank, value, side)`: rank 0 is -∞, 2 is +∞; side -1
is "just below value", 0 "at value", +1 "just above". A row covers every point whose key lies
between its start and end keys, so a sweep over rows sorted by start finds every gap and overlap.
The domain is the subject input's declared range, or the whole line. Counts take whole values,
so for them `[0, 70]` and `[71, ∞)` leave no gap. With an `otherwise` row, gaps are allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from rubric_dsl import ast
from rubric_dsl.ast import sub_rules
from rubric_dsl.checker.scope import Scope
from rubric_dsl.checker.types import BAND_END, literal_problem
from rubric_dsl.diagnostics import Diagnostic, fmt
from rubric_dsl.diagnostics import check as diag

Key = tuple[int, Decimal, int]
LOWEST: Key = (0, Decimal(0), 0)
HIGHEST: Key = (2, Decimal(0), 0)


def start_key(value: Decimal | None, closed: bool, whole: bool) -> Key:
    if value is None:
        return LOWEST
    if whole:
        first = value.to_integral_value("ROUND_CEILING")
        return (1, first + 1 if first == value and not closed else first, 0)
    return (1, value, 0 if closed else 1)


def end_key(value: Decimal | None, closed: bool, whole: bool) -> Key:
    if value is None:
        return HIGHEST
    if whole:
        last = value.to_integral_value("ROUND_FLOOR")
        return (1, last - 1 if last == value and not closed else last, 0)
    return (1, value, 0 if closed else -1)


def succ(key: Key, whole: bool) -> Key:
    """The first key after everything up to `key` is covered."""
    rank, value, side = key
    if rank != 1:
        return key
    return (1, value + 1, 0) if whole else (1, value, side + 1)


def pred(key: Key, whole: bool) -> Key:
    rank, value, side = key
    if rank != 1:
        return key
    return (1, value - 1, 0) if whole else (1, value, side - 1)


def show(start: Key, end: Key, percent: bool) -> str:
    def number(value: Decimal) -> str:
        return f"{fmt(value * 100)}%" if percent else fmt(value)

    left = "(-∞" if start[0] == 0 else ("[" if start[2] == 0 else "(") + number(start[1])
    right = "∞)" if end[0] == 2 else number(end[1]) + ("]" if end[2] == 0 else ")")
    return f"{left}, {right}"


def check(scope: Scope) -> Iterator[Diagnostic]:
    for indicator, _ in scope.indicators:
        for rule in sub_rules(indicator.rule):
            if isinstance(rule, ast.Bands):
                yield from _check_bands(scope, indicator, rule)
            elif isinstance(rule, ast.JudgedBy):  # its rows cover the measure as a band table's do
                yield from _check_bands(scope, indicator, _as_bands(rule))


def _as_bands(rule: ast.JudgedBy) -> ast.Bands:
    rows = tuple(
        ast.BandRow(r.low, r.low_closed, r.high, r.high_closed, r.most.value, r.span)
        for r in rule.ranges
        if not r.otherwise
    )
    rest = [r for r in rule.ranges if r.otherwise]
    return ast.Bands(
        rule.measure, rows, rest[0].most.value if rest else None, rest[0].span if rest else None, rule.span
    )


def _domain(scope: Scope, subject: ast.Expr) -> tuple[Key, Key, bool, bool]:
    percent = scope.kind_of(subject) == "percent"
    if isinstance(subject, ast.Name) and subject.id in scope.inputs:
        item = scope.inputs[subject.id]
        whole = item.kind == "count"
        low = item.minimum.value if item.minimum else (Decimal(0) if whole else None)
        high = item.maximum.value if item.maximum else None
        return start_key(low, True, whole), end_key(high, True, whole), percent, whole
    return LOWEST, HIGHEST, percent, False


def _check_bands(scope: Scope, indicator: ast.Indicator, rule: ast.Bands) -> Iterator[Diagnostic]:
    low, high, percent, whole = _domain(scope, rule.subject)
    if _mistyped(scope, rule):
        return  # the type check reported the band ends; coverage would only repeat the mistake
    rows: list[tuple[Key, Key, ast.BandRow]] = []
    for row in rule.rows:
        start = start_key(row.low.value if row.low else None, row.low_closed, whole)
        end = end_key(row.high.value if row.high else None, row.high_closed, whole)
        if start > end:
            yield diag.band_empty(indicator.id, _written(row, percent), row.span)
            continue
        rows.append((max(start, low), min(end, high), row))
    rows.sort(key=lambda r: r[0])
    reach: Key | None = pred(low, whole) if low != LOWEST else None  # covered up to here, inclusive
    reached_by: ast.BandRow | None = None
    for start, end, row in rows:
        if start > end:
            continue  # lies wholly outside the domain
        gap_start = succ(reach, whole) if reach is not None else LOWEST
        if start > gap_start and rule.otherwise is None:
            yield diag.band_gap(indicator.id, show(gap_start, pred(start, whole), percent), row.span)
        elif reach is not None and start <= reach and reached_by is not None:
            both = (_written(reached_by, percent), _written(row, percent))
            yield diag.band_overlap(indicator.id, show(start, min(reach, end), percent), both, row.span)
        if reach is None or end > reach:
            reach, reached_by = end, row
    if rule.otherwise is None and (reach is None or reach < high):
        gap_start = succ(reach, whole) if reach is not None else low
        yield diag.band_gap(indicator.id, show(gap_start, high, percent), (reached_by or rule).span)


def _written(row: ast.BandRow, percent: bool) -> str:
    """A row's interval as written (ends not snapped to whole numbers)."""
    return show(
        start_key(row.low.value if row.low else None, row.low_closed, False),
        end_key(row.high.value if row.high else None, row.high_closed, False),
        percent,
    )


def _mistyped(scope: Scope, rule: ast.Bands) -> bool:
    kind = scope.kind_of(rule.subject)
    ends = [end for row in rule.rows for end in (row.low, row.high) if end is not None]
    return any(literal_problem(kind, end, BAND_END) for end in ends)


check_bands = _check_bands  # also checks the band tables of adjustment lines (checker/adjustments.py)
