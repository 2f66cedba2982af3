"""Header check: version and total are present, fields are not repeated, rounding steps make sense."""

from __future__ import annotations

from collections.abc import Iterator

from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.diagnostics import check as diag


def check(scope: Scope) -> Iterator[Diagnostic]:
    rubric = scope.rubric
    own = [f for f in rubric.header if f.span.path == rubric.span.path]
    seen: set[str] = set()
    for field in own:
        if field.key in seen:
            yield diag.duplicate_header(field.key, field.span)
        seen.add(field.key)
    keys = {f.key for f in rubric.header}
    if "version" not in keys:
        yield diag.missing_header("version", 'version "2022.1"', rubric.span)
    if "total" not in keys:
        yield diag.missing_header("total", "total 100", rubric.span)
    for rounding in rubric.rounding:
        if rounding.step <= 0:
            yield diag.invalid_rounding(rounding.step, rounding.span)
