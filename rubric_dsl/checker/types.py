"""Type check: every expression and rule gets values of the kind it needs.

Kinds: number, percent, count, money (numeric), flag, choice. Mixing a percent with a count or
money, comparing a percent with a plain number (`rate >= 95` where `95%` is meant), or using a
flag as a number is an error that names the operands and says how to write it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from rubric_dsl import ast
from rubric_dsl.checker.scope import NUMERIC, Scope, applicable_exprs
from rubric_dsl.diagnostics import Diagnostic, Phrase
from rubric_dsl.diagnostics import check as diag
from rubric_dsl.printer import format_expr
from rubric_dsl.source import Span

CONSTRAINT: Phrase = ("a constraint", "约束条件")
BANDS: Phrase = ("a band table", "区间表")
FAILED: Phrase = ("a checklist's count of failed items", "清单的不符项数")
STEPS: Phrase = ("a step deduction", "扣分规则")
BAND_END: Phrase = ("band end", "区间端点")
THRESHOLD: Phrase = ("threshold", "起扣点")
STEP: Phrase = ("step", "步长")
POINT: Phrase = ("point", "点")
RANGE_END: Phrase = ("range end", "取值范围端点")
DEFAULT: Phrase = ("default", "默认值")


def keyword(word: str) -> Phrase:
    return (f"`{word}`", f"`{word}` ")


def numeric(kind: str | None) -> bool:
    return kind is None or kind in NUMERIC or kind == "literal"


def mismatch(op: str, left: ast.Expr, left_kind: str, right: ast.Expr, right_kind: str) -> Diagnostic | None:
    """Why two numeric values may not meet in + - min max or a comparison, or None when they may."""
    pair = {left_kind, right_kind}
    span = ast_span(left, right)
    if "percent" in pair and len(pair) == 2 and "literal" in pair:
        percent, number = (left, right) if left_kind == "percent" else (right, left)
        if op in ("min", "max") and isinstance(number, ast.Num) and number.value == 1:
            return None  # `min(1, done / planned)`: 1 is the whole, 100%, whichever way it is read
        value = number.value if isinstance(number, ast.Num) else None
        return diag.percent_with_plain_number(op, format_expr(percent), format_expr(number), span, value)
    if ("percent" in pair and pair & {"count", "money"}) or pair == {"count", "money"}:
        return diag.kinds_mismatch(op, format_expr(left), left_kind, format_expr(right), right_kind, span)
    return None


def ast_span(left: ast.Expr, right: ast.Expr) -> Span:
    return Span(left.span.path, left.span.line, left.span.column, right.span.end_line, right.span.end_column)


def check(scope: Scope) -> Iterator[Diagnostic]:
    rubric = scope.rubric
    for let in rubric.lets:
        yield from expr_problems(scope, let.expr)
    for constraint in rubric.constraints:
        yield from expect(scope, constraint.expr, "flag", CONSTRAINT)
    for indicator, _ in scope.indicators:
        yield from rule_problems(scope, indicator.rule)
    for condition in applicable_exprs(scope):
        yield from expect(scope, condition, "flag", keyword("applicable when"))


def expect(scope: Scope, expr: ast.Expr, wanted: str, what: Phrase) -> Iterator[Diagnostic]:
    problems = list(expr_problems(scope, expr))
    yield from problems
    kind = scope.kind_of(expr)
    if problems or kind is None:
        return
    if wanted == "flag" and kind != "flag":
        yield diag.needs_condition(what, kind, expr.span)
    if wanted == "numeric" and not numeric(kind):
        yield diag.needs_number(what, kind, expr.span)


def literal_problem(subject: str | None, literal: ast.Num, what: Phrase) -> Diagnostic | None:
    """A table literal (band end, threshold, step) must have the subject's kind."""
    if subject is None or (literal.value == 0 and not literal.percent):
        return None
    if subject == "percent" and not literal.percent:
        return diag.literal_needs_percent(what, literal.text, literal.span, literal.value)
    if subject != "percent" and literal.percent:
        return diag.literal_not_percent(what, literal.text, subject, literal.span)
    return None


def rule_problems(scope: Scope, rule: ast.Rule) -> Iterator[Diagnostic]:
    match rule:
        case ast.Bands(subject=subject, rows=rows):
            yield from expect(scope, subject, "numeric", BANDS)
            kind = scope.kind_of(subject)
            for row in rows:
                for end in (row.low, row.high):
                    if end is not None and (problem := literal_problem(kind, end, BAND_END)):
                        yield problem
        case ast.Checklist(failed=failed, zero_when=zero_when):
            yield from expect(scope, failed, "numeric", FAILED)
            if zero_when is not None:
                yield from expect(scope, zero_when, "flag", keyword("zero when"))
        case ast.Steps(subject=subject, threshold=threshold, step=step):
            yield from expect(scope, subject, "numeric", STEPS)
            kind = scope.kind_of(subject)
            for literal, what in ((threshold, THRESHOLD), (step, STEP)):
                if problem := literal_problem(kind, literal, what):
                    yield problem
        case ast.Proportional(ratio=expr) | ast.Formula(expr=expr):
            yield from expect(
                scope, expr, "numeric", keyword("proportional" if isinstance(rule, ast.Proportional) else "points")
            )
        case ast.Linear(subject=subject, points=points):
            yield from expect(scope, subject, "numeric", keyword("linear"))
            kind = scope.kind_of(subject)
            for point in points:
                if problem := literal_problem(kind, point.at, POINT):
                    yield problem
        case ast.Target(actual=actual, op=op, target=target):
            if op not in ast.TARGET_OPS:
                yield diag.target_not_comparison(rule.span)
            else:
                yield from expr_problems(scope, ast.Compare(cast(Any, op), actual, target, rule.span))
        case ast.Judged(input=name, tier_input=tier_input, tiers=tiers):
            item = scope.inputs.get(name.id)
            if item is None or item.kind != "number":
                yield diag.judged_needs_number_input(name.id, item.kind if item else None, name.span)
            if tier_input is not None:
                yield from _tier_problems(scope, tier_input, tiers)
        case ast.JudgedBy(input=name, measure=measure, ranges=ranges):
            item = scope.inputs.get(name.id)
            if item is None or item.kind != "number":
                yield diag.judged_needs_number_input(name.id, item.kind if item else None, name.span)
            yield from expect(scope, measure, "numeric", keyword("judged … by"))
            kind = scope.kind_of(measure)
            for judged_row in ranges:
                for end in (judged_row.low, judged_row.high):
                    if end is not None and (problem := literal_problem(kind, end, BAND_END)):
                        yield problem
        case ast.Conditional(arms=arms, otherwise=otherwise):
            for arm in arms:
                yield from expect(scope, arm.condition, "flag", keyword("when"))
                yield from rule_problems(scope, arm.rule)
            yield from rule_problems(scope, otherwise)


def _tier_problems(scope: Scope, tier_input: ast.Name, tiers: tuple[ast.Tier, ...]) -> Iterator[Diagnostic]:
    """The tier input is a choice of exactly the tiers' labels; each tier is a share of the weight."""
    item = scope.inputs.get(tier_input.id)
    labels = tuple(t.label for t in tiers)
    if item is None or item.kind != "choice" or set(item.choices) != set(labels):
        yield diag.tier_input_mismatch(tier_input.id, labels, tier_input.span)
    for tier in tiers:
        ends = (tier.low, tier.high)
        shares = all(e.percent and 0 <= e.value <= 1 for e in ends)
        points = all(not e.percent and e.value >= 0 for e in ends)  # in points: the weight is checked in points.py
        if not (shares or points) or tier.low.value > tier.high.value:
            yield diag.tier_range_invalid(tier.label, tier.span)


def expr_problems(scope: Scope, expr: ast.Expr) -> Iterator[Diagnostic]:
    """Problems inside an expression; the first problem in a subtree hides those above it."""
    match expr:
        case ast.Num() | ast.Bool() | ast.Str() | ast.Name() | ast.Given():
            return
        case ast.Aggregate(where=where):
            if where is not None:
                yield from expect(scope, where, "flag", keyword("where"))
        case ast.Unary(op=op, operand=operand):
            yield from expect(scope, operand, "flag" if op == "not" else "numeric", keyword(op))
        case ast.Binary(op="and" | "or", left=left, right=right):
            yield from expect(scope, left, "flag", keyword(expr.op))
            yield from expect(scope, right, "flag", keyword(expr.op))
        case ast.Binary(op=op, left=left, right=right):
            inner = [*expect(scope, left, "numeric", keyword(op)), *expect(scope, right, "numeric", keyword(op))]
            yield from inner
            if not inner and op in ("+", "-"):
                yield from _mixed(scope, op, [left, right])
        case ast.Compare(op=op, left=left, right=right):
            yield from _comparison(scope, expr, op, left, right)
        case ast.IfElse(condition=condition, then=then, otherwise=otherwise):
            yield from expect(scope, condition, "flag", keyword("if"))
            yield from expr_problems(scope, then)
            yield from expr_problems(scope, otherwise)
        case ast.Call(func=func, args=args):
            if (func == "abs") != (len(args) == 1):
                yield diag.wrong_arity(func, expr.span)
            inner = [p for arg in args for p in expect(scope, arg, "numeric", keyword(func))]
            yield from inner
            if not inner:
                yield from _mixed(scope, func, list(args))


def _mixed(scope: Scope, op: str, operands: list[ast.Expr]) -> Iterator[Diagnostic]:
    typed = [(e, scope.kind_of(e)) for e in operands]
    known = [(e, k) for e, k in typed if k is not None and numeric(k)]
    for index, (left, left_kind) in enumerate(known):
        for right, right_kind in known[index + 1 :]:
            problem = mismatch(op, left, left_kind or "", right, right_kind or "")
            if problem:
                yield problem
                return


def _comparison(scope: Scope, expr: ast.Compare, op: str, left: ast.Expr, right: ast.Expr) -> Iterator[Diagnostic]:
    inner = [*expr_problems(scope, left), *expr_problems(scope, right)]
    yield from inner
    left_kind, right_kind = scope.kind_of(left), scope.kind_of(right)
    if inner or left_kind is None or right_kind is None:
        return
    if {left_kind, right_kind} <= {"choice", "string"} and op in ("==", "!="):
        yield from _choice_literal(scope, left, right)
    elif left_kind == right_kind == "flag" and op in ("==", "!="):
        return
    elif not (numeric(left_kind) and numeric(right_kind)):
        yield diag.compares_non_numbers(op, left_kind if not numeric(left_kind) else right_kind, expr.span)
    elif problem := mismatch(op, left, left_kind, right, right_kind):
        yield problem


def _choice_literal(scope: Scope, left: ast.Expr, right: ast.Expr) -> Iterator[Diagnostic]:
    for name, text in ((left, right), (right, left)):
        if not (isinstance(name, ast.Name) and isinstance(text, ast.Str)):
            continue
        declared = scope.fields_read.get(id(name)) or scope.inputs.get(name.id)  # a record field inside `where`
        if declared is not None:
            choices = declared.choices
            if text.value not in choices:
                yield diag.unknown_choice(text.value, name.id, choices, text.span)
