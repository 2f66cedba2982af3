"""Diagnostics: what is wrong, where, and what to do.

Every stage reports problems as `Diagnostic(code, severity, message, span)` values instead of
raising, so one run shows all problems of a file. Codes are stable (`rubric_weight_mismatch`),
and each has a named constructor below that reads as the problem. `render` prints the cel-go
layout: `path:line:col: error: message`, the source line, a caret.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from rubric_dsl.source import Span

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span

    def render(self, source_text: str | None = None) -> str:
        head = f"{self.span}: {self.severity}: {self.message} [{self.code}]"
        if source_text is None:
            return head
        lines = source_text.splitlines()
        if not 0 < self.span.line <= len(lines):
            return head
        text = lines[self.span.line - 1]
        width = self.span.end_column - self.span.column if self.span.end_line == self.span.line else len(text)
        width = max(1, min(width, len(text) - self.span.column + 1))
        caret = " " * (self.span.column - 1) + "^" * width
        return f"{head}\n  {text}\n  {caret}"


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    unique = dict.fromkeys(diagnostics)
    return sorted(unique, key=lambda d: (d.span.path, d.span.line, d.span.column, d.code))


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def fmt(value: Decimal) -> str:
    """A decimal as people write it: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _error(code: str, message: str, span: Span) -> Diagnostic:
    return Diagnostic(code, "error", message, span)


# --- syntax ---------------------------------------------------------------------------------


def syntax_error(message: str, span: Span) -> Diagnostic:
    return _error("rubric_syntax_error", message, span)


# --- names ----------------------------------------------------------------------------------


def duplicate_name(kind: str, name: str, span: Span, first: Span) -> Diagnostic:
    return _error(
        "rubric_duplicate_name",
        f"{kind} `{name}` is already defined at {first.line}:{first.column}; "
        "give it another name, or write `override` to replace the inherited one",
        span,
    )


def unknown_name(name: str, span: Span, candidates: Iterable[str]) -> Diagnostic:
    return _error(
        "rubric_unknown_name",
        f"`{name}` is not a declared input or let value{did_you_mean(name, candidates)}",
        span,
    )


def unknown_parent(name: str, span: Span, candidates: Iterable[str]) -> Diagnostic:
    return _error(
        "rubric_unknown_parent",
        f"rubric `{name}` to extend was not found next to this file{did_you_mean(name, candidates)}",
        span,
    )


def parent_has_errors(name: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_parent_has_errors",
        f"rubric `{name}` that this one extends has errors; fix them first (run `rubric check` on it)",
        span,
    )


def extends_cycle(chain: list[str], span: Span) -> Diagnostic:
    return _error(
        "rubric_extends_cycle",
        f"rubrics extend each other in a cycle: {' → '.join(chain)}; one of them must not extend the other",
        span,
    )


def let_cycle(chain: list[str], span: Span) -> Diagnostic:
    return _error(
        "rubric_let_cycle",
        f"let values depend on each other in a cycle: {' → '.join(chain)}",
        span,
    )


def override_missing(kind: str, name: str, span: Span, candidates: Iterable[str]) -> Diagnostic:
    return _error(
        "rubric_override_missing",
        f"`override {kind} {name}` replaces nothing: the parent has no {kind} `{name}`{did_you_mean(name, candidates)}",
        span,
    )


def override_without_parent(span: Span) -> Diagnostic:
    return _error(
        "rubric_override_missing",
        "`override` needs a parent rubric: add `extends <id>` after the title, or remove `override`",
        span,
    )


def abstract_not_overridden(section: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_abstract_not_overridden",
        f"section `{section}` is abstract in the parent rubric; "
        f"write `override section {section} ... {{ ... }}` with its indicators",
        span,
    )


def abstract_in_concrete(section: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_abstract_not_overridden",
        f"section `{section}` is abstract but the rubric is not; "
        "give the section indicators, or declare the rubric `abstract rubric`",
        span,
    )


# --- header ---------------------------------------------------------------------------------


def missing_header(field: str, example: str, span: Span) -> Diagnostic:
    return _error("rubric_missing_header", f"the rubric has no `{field}`; add e.g. `{example}`", span)


def duplicate_header(field: str, span: Span) -> Diagnostic:
    return _error("rubric_duplicate_header", f"`{field}` is given twice; keep one", span)


def invalid_rounding(message: str, span: Span) -> Diagnostic:
    return _error("rubric_invalid_rounding", message, span)


# --- weights and points ---------------------------------------------------------------------


def weights_do_not_add_up(section: str, declared: Decimal, actual: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_weight_mismatch",
        f"section `{section}` declares {fmt(declared)} points but its children add up to {fmt(actual)}; "
        "change the declared weight or the children's weights",
        span,
    )


def total_mismatch(declared: Decimal, actual: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_total_mismatch",
        f"the rubric declares `total {fmt(declared)}` but its top-level sections add up to {fmt(actual)}",
        span,
    )


def points_exceed_weight(indicator: str, points: Decimal, weight: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_points_exceed_weight",
        f"indicator `{indicator}` can award {fmt(points)} points but weighs only {fmt(weight)}; "
        "lower the points or raise the weight",
        span,
    )


def negative_points(indicator: str, points: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_points_exceed_weight",
        f"indicator `{indicator}` awards {fmt(points)} points; points must lie in 0..weight",
        span,
    )


# --- bands ----------------------------------------------------------------------------------


def band_gap(indicator: str, interval: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_band_gap",
        f"the bands of `{indicator}` do not cover {interval}; add a row for it, or an `otherwise` row",
        span,
    )


def band_overlap(indicator: str, interval: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_band_overlap",
        f"the bands of `{indicator}` cover {interval} twice; make one of the ends open, e.g. `[90%, 95%)`",
        span,
    )


def band_empty(indicator: str, interval: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_band_empty",
        f"band {interval} of `{indicator}` contains no value; write the lower end first",
        span,
    )


# --- grades ---------------------------------------------------------------------------------


def grades_not_monotone(label: str, minimum: Decimal, previous: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_grades_not_monotone",
        f"grade `{label}` starts at {fmt(minimum)}, not below the grade above it ({fmt(previous)}); "
        "list grades from best to worst with falling cutoffs",
        span,
    )


def otherwise_not_last(label: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_grades_not_monotone",
        f"grade `{label} otherwise` takes every lower score, so it must be the last grade; move it to the end",
        span,
    )


def grades_uncovered(low: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_grades_uncovered",
        f"no grade covers scores below {fmt(low)}; end the grades with a row like `差 otherwise`",
        span,
    )


def grade_out_of_range(label: str, minimum: Decimal, total: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_grade_out_of_range",
        f"grade `{label}` starts at {fmt(minimum)}, outside 0..{fmt(total)}",
        span,
    )


def missing_grades(span: Span) -> Diagnostic:
    return _error(
        "rubric_missing_grades",
        "the rubric has no `grades { ... }`; add e.g. `grades { 优 >= 90  良 >= 80  中 >= 60  差 otherwise }`",
        span,
    )


# --- types and rules ------------------------------------------------------------------------


def type_error(message: str, span: Span) -> Diagnostic:
    return _error("rubric_type_error", message, span)


def invalid_rule(message: str, span: Span) -> Diagnostic:
    return _error("rubric_invalid_rule", message, span)


def invalid_input(message: str, span: Span) -> Diagnostic:
    return _error("rubric_invalid_input", message, span)


def unused_input(name: str, span: Span) -> Diagnostic:
    return Diagnostic(
        "rubric_unused_input",
        "warning",
        f"input `{name}` is declared but no rule, let or constraint uses it; remove it or use it",
        span,
    )
