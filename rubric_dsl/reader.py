"""The fact reader of a checked rubric: what each input accepts, and the constraints facts must meet.

Takes a `CheckedRubric`; gives a `FactReader`, the one definition from which both ways of
reading a request come: the validating path (`FactReader.validator`, every problem named) and
the fast path that `codegen` writes into the scoring function (`FactSpec.fast_lines`). Beyond
what the rubric declares, a judged score lies within 0..its indicator's weight, and a tiered
judged score within the tier its record names (one added constraint per tiered rule).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rubric_dsl import ast
from rubric_dsl.ast import sub_rules, walk_expr
from rubric_dsl.checker import CheckedRubric
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import fmt
from rubric_dsl.facts import MISSING, FactSpec, FactValidator, NumberRule, fact_spec, number_rule
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
    specs = {
        item.name: fact_spec(item.name, item.kind, rules.get(item.name), item.choices, _default(item))
        for item in rubric.inputs
    }
    return FactReader(rubric.id, specs, (*rubric.constraints, *_tier_constraints(scope)))


def _default(item: ast.Input) -> Any:
    return MISSING if item.default is None else item.default.value


def _judged_limits(scope: Scope) -> dict[str, Decimal]:
    limits: dict[str, Decimal] = {}
    weighted: list[tuple[ast.LineRule, Decimal]] = [(i.rule, i.weight) for i, _ in scope.indicators]
    # a judged bonus or penalty line lies within 0..its `max` (the checker requires one)
    weighted += [(line.rule, line.cap) for line in scope.rubric.adjustments if line.cap is not None]
    for rule_of, weight in weighted:
        if isinstance(rule_of, ast.Each):
            continue
        for rule in sub_rules(rule_of):
            if isinstance(rule, ast.Judged):
                name = rule.input.id
                limits[name] = min(limits.get(name, weight), weight)
    return limits


def _number_rules(rubric: ast.Rubric, scope: Scope) -> dict[str, NumberRule]:
    """What each numeric input must be; a judged score also lies within 0..its indicator's weight."""
    judged = _judged_limits(scope)
    rules = {}
    for item in rubric.inputs:
        if item.kind in ("flag", "choice"):
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
