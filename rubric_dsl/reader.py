"""The fact reader of a checked rubric: what each input accepts, and the constraints facts must meet.

Takes a `CheckedRubric`; gives a `FactReader`, the one definition from which both ways of
reading a request come: the validating path (`FactReader.validator`, every problem named) and
the fast path that `codegen` writes into the scoring function (`FactSpec.fast_lines`). Beyond
what the rubric declares, a judged score lies within 0..its indicator's weight, and a tiered
judged score within the tier its record names (one added constraint per tiered rule). A records
input reads each field by the spec an input of that field's declaration would have. An input is
required only where it is read on every path (`may_be_absent`): one declared `optional`, or read
only on some `when` arms, takes the value `facts.Absent` when left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rubric_dsl import ast
from rubric_dsl.ast import rule_exprs, sub_rules, walk_expr
from rubric_dsl.checker import CheckedRubric
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import fmt
from rubric_dsl.facts import (
    MISSING,
    Absent,
    FactSpec,
    FactValidator,
    NumberRule,
    fact_spec,
    number_rule,
    records_spec,
)
from rubric_dsl.printer import format_expr
from rubric_dsl.wording import Wording

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class FactReader:
    rubric: str
    specs: dict[str, FactSpec]  # by input name, in input order
    constraints: tuple[ast.Constraint, ...]  # the rubric's, then one per tiered judged score
    missing: Any = MISSING

    @property
    def required(self) -> list[FactSpec]:
        return [s for s in self.specs.values() if s.default is MISSING]

    @property
    def optional(self) -> list[FactSpec]:
        return [s for s in self.specs.values() if s.default is not MISSING]

    def validator(self, scope: Scope, constraints: Callable[[Sequence[Any]], list[int]]) -> FactValidator:
        """The validating path; `constraints` is the generated check of `self.constraints`."""
        messages = [c.message or f"constraint `{format_expr(c.expr)}` does not hold" for c in self.constraints]
        words = Wording(scope)
        messages_zh = [c.message_zh or c.message or f"约束“{words.expr(c.expr)}”不成立" for c in self.constraints]
        facts = [c.fact or _first_input(scope, c.expr) for c in self.constraints]
        return FactValidator(self.rubric, list(self.specs.values()), constraints, messages, facts, messages_zh)


def fact_reader(checked: CheckedRubric) -> FactReader:
    rubric, scope = checked.rubric, checked.scope
    rules = _number_rules(rubric, scope)
    absentable = may_be_absent(scope)
    specs = {}
    for item in rubric.inputs:
        default = Absent(item.name) if item.name in absentable else _default(item)
        if item.kind == "records":
            fields = [_field_spec(field) for field in item.fields]
            specs[item.name] = records_spec(item.name, fields, [f.label for f in item.fields], default)
        else:
            specs[item.name] = fact_spec(item.name, item.kind, rules.get(item.name), item.choices, default)
    return FactReader(rubric.id, specs, (*rubric.constraints, *_tier_constraints(scope)))


def _default(item: ast.Input) -> Any:
    return MISSING if item.default is None else item.default.value


def _field_spec(field: ast.Input) -> FactSpec:
    """A record field's spec: read and checked exactly as an input of its kind, range and choices."""
    rule = None
    if field.kind not in ("flag", "choice"):
        low = field.minimum.value if field.minimum else None
        high = field.maximum.value if field.maximum else None
        rule = number_rule(field.kind, low, high)
    return fact_spec(field.name, field.kind, rule, field.choices, _default(field))


def may_be_absent(scope: Scope) -> set[str]:
    """The inputs a request may leave out: those declared `optional`, and those without a default that are
    read only on some paths (a `when` arm's rule, a condition after the first, `otherwise`), never on every
    path (a rule outside any `when`, a constraint, a first condition, a let read on every path). An input is required
    only where it is read on the path the facts take: left out and read there, it refuses the request (see
    `facts.Absent`). `given(NAME)` reads no value. An input read nowhere stays required, as declared."""
    always: set[str] = set()
    sometimes: set[str] = set()
    for constraint in scope.rubric.constraints:
        _reads(constraint.expr, always, sometimes)
    for indicator, _ in scope.indicators:
        _rule_reads(indicator.rule, always, sometimes)
    lets = scope.lets
    settled: set[tuple[str, bool]] = set()
    pending = [(name, True) for name in always if name in lets] + [(name, False) for name in sometimes if name in lets]
    while pending:
        name, certain = pending.pop()
        if (name, certain) in settled:
            continue
        settled.add((name, certain))
        now_always: set[str] = set()
        now_sometimes: set[str] = set()
        _reads(lets[name].expr, now_always, now_sometimes)
        if not certain:
            now_sometimes |= now_always
            now_always = set()
        always |= now_always
        sometimes |= now_sometimes
        pending.extend((n, True) for n in now_always if n in lets)
        pending.extend((n, False) for n in now_sometimes if n in lets)
    optional = {item.name for item in scope.rubric.inputs if item.optional}
    conditional = {
        item.name for item in scope.rubric.inputs if item.default is None and item.name in sometimes - always
    }
    return optional | conditional


def _rule_reads(rule: ast.Rule, always: set[str], sometimes: set[str]) -> None:
    if not isinstance(rule, ast.Conditional):
        for expr in rule_exprs(rule):
            _reads(expr, always, sometimes)
        return
    _reads(rule.arms[0].condition, always, sometimes)
    later: set[str] = set()
    for index, arm in enumerate(rule.arms):
        if index:
            _reads(arm.condition, later, later)
        _rule_reads(arm.rule, later, later)
    _rule_reads(rule.otherwise, later, later)
    sometimes |= later


def _reads(expr: ast.Expr, always: set[str], sometimes: set[str]) -> None:
    """The names `expr` reads (`given(NAME)` reads no value) into `always`; an expression has no path of its
    own: an `if` or `and`/`or` inside it still requires what it reads (only `when` arms choose a path)."""
    for node in walk_expr(expr):
        if isinstance(node, ast.Name) and not _in_given(expr, node):
            always.add(node.id)


def _in_given(root: ast.Expr, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Given) and n.name is name for n in walk_expr(root))


def _judged_limits(scope: Scope) -> dict[str, Decimal]:
    limits: dict[str, Decimal] = {}
    for indicator, _ in scope.indicators:
        for rule in sub_rules(indicator.rule):
            if isinstance(rule, ast.Judged):
                name = rule.input.id
                limits[name] = min(limits.get(name, indicator.weight), indicator.weight)
    return limits


def _number_rules(rubric: ast.Rubric, scope: Scope) -> dict[str, NumberRule]:
    """What each numeric input must be; a judged score also lies within 0..its indicator's weight."""
    judged = _judged_limits(scope)
    rules = {}
    for item in rubric.inputs:
        if item.kind in ("flag", "choice", "records"):
            continue
        low = item.minimum.value if item.minimum else None
        high = item.maximum.value if item.maximum else None
        why = ""
        if item.name in judged:
            low = max(low, ZERO) if low is not None else ZERO
            high = min(high, judged[item.name]) if high is not None else judged[item.name]
            why = " (a judged score lies between 0 and the indicator's weight)"
            why_zh = "（评价组评分应在0与该指标分值之间）"
        rules[item.name] = number_rule(item.kind, low, high, why, why_zh if why else "")
    return rules


def _tier_constraints(scope: Scope) -> list[ast.Constraint]:
    """One constraint per tiered judged score: the score lies in the tier named."""
    return [
        _tier_constraint(rule, rule.tier_input, indicator.weight, scope.inputs[rule.tier_input.id].label)
        for indicator, _ in scope.indicators
        for rule in sub_rules(indicator.rule)
        if isinstance(rule, ast.Judged) and rule.tier_input is not None
    ]


def _tier_constraint(rule: ast.Judged, tier_input: ast.Name, weight: Decimal, tier_label: str) -> ast.Constraint:
    span = rule.span

    def number(value: Decimal) -> ast.Num:
        return ast.Num(value, False, fmt(value), span)

    bounds = [(t.label, t.low.value * weight, t.high.value * weight) for t in rule.tiers]
    checks = [
        (
            ast.Compare("==", tier_input, ast.Str(label, span), span),
            ast.Binary(
                "and",
                ast.Compare(">=", rule.input, number(low), span),
                ast.Compare("<=", rule.input, number(high), span),
                span,
            ),
        )
        for label, low, high in bounds
    ]
    expr: ast.Expr = checks[-1][1]
    for condition, within in reversed(checks[:-1]):
        expr = ast.IfElse(condition, within, expr, span)
    shown = ", ".join(f"{label} {fmt(low)}..{fmt(high)}" for label, low, high in bounds)
    message = f"the score must lie in the tier named by `{tier_input.id}`: {shown} points"
    shown_zh = "，".join(f"{label} {fmt(low)}—{fmt(high)}分" for label, low, high in bounds)
    message_zh = f"评分须在“{tier_label}”所选档次的分数范围内：{shown_zh}"
    return ast.Constraint(expr, message, span, fact=rule.input.id, message_zh=message_zh)


def _first_input(scope: Scope, expr: ast.Expr) -> str:
    for node in walk_expr(expr):
        if isinstance(node, ast.Name) and node.id in scope.inputs:
            return node.id
        if isinstance(node, ast.Name) and node.id in scope.lets:
            return _first_input(scope, scope.lets[node.id].expr)
    return "constraint"
