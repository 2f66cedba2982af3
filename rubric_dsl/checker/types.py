"""Type check: every expression and rule gets values of the kind it needs.

Kinds: number, percent, count, money (numeric), flag, choice. Mixing a percent with a count or
money, comparing a percent with a bare number (`rate >= 95` where `95%` is meant), or using a
flag as a number is an error that says which operand is wrong and how to write it.
"""

from __future__ import annotations

from collections.abc import Iterator

from rubric_dsl import ast
from rubric_dsl import diagnostics as diag
from rubric_dsl.checker.scope import NUMERIC, Scope
from rubric_dsl.diagnostics import Diagnostic

_WORDS = {
    "number": "a number",
    "literal": "a number",
    "percent": "a percent",
    "count": "a count",
    "money": "an amount of money",
    "flag": "a flag (true/false)",
    "choice": "a choice",
    "string": "a text",
}


def words(kind: str) -> str:
    return _WORDS.get(kind, kind)


def _numeric(kind: str | None) -> bool:
    return kind is None or kind in NUMERIC or kind == "literal"


def compatible(left: str, right: str) -> str | None:
    """Why two numeric kinds may not meet in + - or a comparison, or None when they may."""
    pair = {left, right}
    if "percent" in pair and len(pair) == 2:
        other = (pair - {"percent"}).pop()
        if other == "literal":
            return "a percent meets a bare number: write the number as a percent, e.g. `95%`"
        if other in ("count", "money"):
            return f"{words('percent')} cannot meet {words(other)}"
    if pair == {"count", "money"}:
        return "a count cannot meet an amount of money"
    return None


def check(scope: Scope) -> Iterator[Diagnostic]:
    rubric = scope.rubric
    for let in rubric.lets:
        yield from expr_problems(scope, let.expr)
    for constraint in rubric.constraints:
        yield from expect(scope, constraint.expr, "flag", "a constraint")
    for indicator, _ in scope.indicators:
        yield from rule_problems(scope, indicator.rule)


def expect(scope: Scope, expr: ast.Expr, wanted: str, what: str) -> Iterator[Diagnostic]:
    problems = list(expr_problems(scope, expr))
    yield from problems
    if problems:
        return
    kind = scope.kind_of(expr)
    if kind is None:
        return
    if wanted == "flag" and kind != "flag":
        yield diag.type_error(f"{what} needs a condition (true/false) but this is {words(kind)}", expr.span)
    if wanted == "numeric" and not _numeric(kind):
        yield diag.type_error(f"{what} needs a number but this is {words(kind)}", expr.span)


def literal_problem(subject: str | None, literal: ast.Num, what: str) -> Diagnostic | None:
    """A table literal (band end, threshold, step) must have the subject's kind."""
    if subject is None or (literal.value == 0 and not literal.percent):
        return None
    if subject == "percent" and not literal.percent:
        return diag.type_error(
            f"{what} `{literal.text}` is compared with a percent; write it as a percent, e.g. `{literal.text}%`",
            literal.span,
        )
    if subject != "percent" and literal.percent:
        return diag.type_error(
            f"{what} `{literal.text}` is a percent but the value it is compared with is {words(subject)}; "
            f"remove the `%`",
            literal.span,
        )
    return None


def rule_problems(scope: Scope, rule: ast.Rule) -> Iterator[Diagnostic]:
    match rule:
        case ast.Bands(subject=subject, rows=rows):
            yield from expect(scope, subject, "numeric", "a band table")
            kind = scope.kind_of(subject)
            for row in rows:
                for end in (row.low, row.high):
                    if end is not None and (problem := literal_problem(kind, end, "band end")):
                        yield problem
        case ast.Checklist(failed=failed, zero_when=zero_when):
            yield from expect(scope, failed, "numeric", "a checklist's count of failed items")
            if zero_when is not None:
                yield from expect(scope, zero_when, "flag", "`zero when`")
        case ast.Steps(subject=subject, threshold=threshold, step=step):
            yield from expect(scope, subject, "numeric", "a step deduction")
            kind = scope.kind_of(subject)
            for literal, what in ((threshold, "threshold"), (step, "step")):
                if problem := literal_problem(kind, literal, what):
                    yield problem
        case ast.Proportional(ratio=ratio):
            yield from expect(scope, ratio, "numeric", "`proportional`")
        case ast.Formula(expr=expr):
            yield from expect(scope, expr, "numeric", "`points`")
        case ast.Linear(subject=subject, points=points):
            yield from expect(scope, subject, "numeric", "`linear`")
            kind = scope.kind_of(subject)
            for point in points:
                if problem := literal_problem(kind, point.at, "point"):
                    yield problem
        case ast.Target(actual=actual, target=target):
            yield from expr_problems(scope, ast.Compare(">=", actual, target, rule.span))
        case ast.Judged(input=name):
            item = scope.inputs.get(name.id)
            if item is None:
                yield diag.invalid_rule(
                    f"`judged` needs an input of kind number; `{name.id}` is not an input", name.span
                )
            elif item.kind != "number":
                yield diag.invalid_rule(
                    f"`judged {name.id}` needs an input of kind number (the points given), not {words(item.kind)}",
                    name.span,
                )
        case ast.Conditional(arms=arms, otherwise=otherwise):
            for arm in arms:
                yield from expect(scope, arm.condition, "flag", "`when`")
                yield from rule_problems(scope, arm.rule)
            yield from rule_problems(scope, otherwise)


def expr_problems(scope: Scope, expr: ast.Expr) -> Iterator[Diagnostic]:
    """Problems inside an expression; the first problem in a subtree hides those above it."""
    match expr:
        case ast.Num() | ast.Bool() | ast.Str() | ast.Name():
            return
        case ast.Unary(op="not", operand=operand):
            yield from expect(scope, operand, "flag", "`not`")
        case ast.Unary(operand=operand):
            yield from expect(scope, operand, "numeric", "`-`")
        case ast.Binary(op="and" | "or", left=left, right=right):
            yield from expect(scope, left, "flag", f"`{expr.op}`")
            yield from expect(scope, right, "flag", f"`{expr.op}`")
        case ast.Binary(left=left, right=right):
            yield from _arithmetic(scope, expr, left, right)
        case ast.Compare(op=op, left=left, right=right):
            yield from _comparison(scope, expr, op, left, right)
        case ast.IfElse(condition=condition, then=then, otherwise=otherwise):
            yield from expect(scope, condition, "flag", "`if`")
            yield from expr_problems(scope, then)
            yield from expr_problems(scope, otherwise)
        case ast.Call(func=func, args=args):
            if (func == "abs" and len(args) != 1) or (func != "abs" and len(args) < 2):
                count = "one value" if func == "abs" else "two or more values"
                yield diag.type_error(f"`{func}` takes {count}", expr.span)
            for arg in args:
                yield from expect(scope, arg, "numeric", f"`{func}`")
            kinds = [scope.kind_of(a) for a in args]
            yield from _mixed(kinds, expr)


def _arithmetic(scope: Scope, expr: ast.Binary, left: ast.Expr, right: ast.Expr) -> Iterator[Diagnostic]:
    inner = [
        *expect(scope, left, "numeric", f"`{expr.op}`"),
        *expect(scope, right, "numeric", f"`{expr.op}`"),
    ]
    yield from inner
    if inner or expr.op not in ("+", "-"):
        return
    yield from _mixed([scope.kind_of(left), scope.kind_of(right)], expr)


def _mixed(kinds: list[str | None], expr: ast.Expr) -> Iterator[Diagnostic]:
    known = [k for k in kinds if k is not None and _numeric(k)]
    for index, kind in enumerate(known):
        for other in known[index + 1 :]:
            reason = compatible(kind, other)
            if reason:
                yield diag.type_error(reason, expr.span)
                return


def _comparison(scope: Scope, expr: ast.Compare, op: str, left: ast.Expr, right: ast.Expr) -> Iterator[Diagnostic]:
    inner = [*expr_problems(scope, left), *expr_problems(scope, right)]
    yield from inner
    if inner:
        return
    kinds = (scope.kind_of(left), scope.kind_of(right))
    if None in kinds:
        return
    lk, rk = kinds[0] or "", kinds[1] or ""
    if {lk, rk} <= {"choice", "string"} and op in ("==", "!="):
        yield from _choice_literal(scope, left, right)
        return
    if lk == rk == "flag" and op in ("==", "!="):
        return
    if not (_numeric(lk) and _numeric(rk)):
        odd = lk if not _numeric(lk) else rk
        yield diag.type_error(f"`{op}` compares numbers, but one side is {words(odd)}", expr.span)
        return
    reason = compatible(lk, rk)
    if reason:
        yield diag.type_error(reason, expr.span)


def _choice_literal(scope: Scope, left: ast.Expr, right: ast.Expr) -> Iterator[Diagnostic]:
    for name, text in ((left, right), (right, left)):
        if isinstance(name, ast.Name) and isinstance(text, ast.Str) and name.id in scope.inputs:
            choices = scope.inputs[name.id].choices
            if text.value not in choices:
                options = ", ".join(f'"{c}"' for c in choices)
                yield diag.type_error(f'"{text.value}" is not one of the choices of `{name.id}`: {options}', text.span)
