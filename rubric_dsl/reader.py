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
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from rubric_dsl import ast
from rubric_dsl.ast import rule_exprs, sub_rules, walk_expr
from rubric_dsl.checker import CheckedRubric
from rubric_dsl.checker.bands import end_key, start_key
from rubric_dsl.checker.bands import show as show_interval
from rubric_dsl.checker.scope import Kind, Scope, applicable_exprs
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
Message = Callable[[Sequence[Any]], str]  # a constraint's message worded from the values given


@dataclass(frozen=True, slots=True)
class FactReader:
    rubric: str
    specs: dict[str, FactSpec]  # by input name, in input order
    constraints: tuple[ast.Constraint, ...]  # the rubric's, then one per tiered judged score, then per `judged … by`
    missing: Any = MISSING
    # the messages of constraints that name the values given (`judged … by`), by constraint index
    worded: dict[int, tuple[Message, Message]] = field(default_factory=dict)

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
        en: list[str | Message] = [*messages]
        zh: list[str | Message] = [*messages_zh]
        for index, (message, message_zh) in self.worded.items():
            en[index], zh[index] = message, message_zh
        return FactValidator(self.rubric, list(self.specs.values()), constraints, en, facts, zh)


def fact_reader(checked: CheckedRubric) -> FactReader:
    rubric, scope = checked.rubric, checked.scope
    rules = _number_rules(rubric, scope)
    constraints = list(rubric.constraints)
    worded: dict[int, tuple[Message, Message]] = {}
    conditional: set[int] = set()  # constraints of items that may be not applicable: checked only where they apply
    names = [item.name for item in rubric.inputs]
    generated: list[tuple[ast.Constraint, ast.Expr | None, tuple[Message, Message] | None]] = []
    for indicator, parent in scope.indicators:  # one per tiered judged score, then one per `judged … by`
        condition = _applicable_condition(scope, indicator, parent)
        for rule in sub_rules(indicator.rule):
            if isinstance(rule, ast.Judged) and rule.tier_input is not None:
                label = scope.inputs[rule.tier_input.id].label
                generated.append((_tier_constraint(rule, rule.tier_input, indicator.weight, label), condition, None))
    for indicator, parent in scope.indicators:
        condition = _applicable_condition(scope, indicator, parent)
        for rule in sub_rules(indicator.rule):
            if isinstance(rule, ast.JudgedBy):
                constraint, en, zh = _judged_by_constraint(scope, rule, indicator.weight, names)
                generated.append((constraint, condition, (en, zh)))
    for constraint, condition, messages in generated:
        if messages is not None:
            worded[len(constraints)] = messages
        if condition is not None:
            conditional.add(len(constraints))
            holds = ast.Bool(True, condition.span)
            constraint = replace(constraint, expr=ast.IfElse(condition, constraint.expr, holds, condition.span))
        constraints.append(constraint)
    absentable = may_be_absent(scope)
    specs = {}
    for item in rubric.inputs:
        default = Absent(item.name) if item.name in absentable else _default(item)
        if item.kind == "records":
            fields = [_field_spec(field) for field in item.fields]
            specs[item.name] = records_spec(item.name, fields, [f.label for f in item.fields], default)
        else:
            specs[item.name] = fact_spec(item.name, item.kind, rules.get(item.name), item.choices, default)
    return FactReader(rubric.id, specs, tuple(constraints), worded=worded)


def _applicable_condition(scope: Scope, indicator: ast.Indicator, parent: ast.Section | None) -> ast.Expr | None:
    """When an indicator applies: its own `applicable when` and its sections', joined by `and`; None: always."""
    if scope.rubric.not_applicable is None:
        return None
    parents = {section.id: above for section, above in scope.sections}
    found = [indicator.applicable] if indicator.applicable is not None else []
    while parent is not None:
        if parent.applicable is not None:
            found.append(parent.applicable)
        parent = parents[parent.id]
    if not found:
        return None
    condition = found[0]
    for more in found[1:]:
        condition = ast.Binary("and", condition, more, more.span)
    return condition


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
    read only on some paths (a `when` arm's rule, a condition after the first, `otherwise`, an item that may be
    not applicable), never on every
    path (a rule outside any `when`, a constraint, a first condition, a let read on every path). An input is required
    only where it is read on the path the facts take: left out and read there, it refuses the request (see
    `facts.Absent`). `given(NAME)` reads no value. An input read nowhere stays required, as declared."""
    always: set[str] = set()
    sometimes: set[str] = set()
    for expr in [
        *(constraint.expr for constraint in scope.rubric.constraints),
        *applicable_exprs(scope),
        *(e for line in scope.rubric.adjustments for e in ast.line_exprs(line.rule)),
        *(veto.condition for veto in scope.rubric.vetoes),
    ]:
        _reads(expr, always, sometimes)
    for indicator, parent in scope.indicators:
        if _applicable_condition(scope, indicator, parent) is not None:
            _rule_reads(indicator.rule, sometimes, sometimes)  # an item that may not apply reads on some paths
        else:
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
    weighted: list[tuple[ast.LineRule, Decimal]] = [(i.rule, i.weight) for i, _ in scope.indicators]
    # a judged bonus or penalty line lies within 0..its `max` (the checker requires one)
    weighted += [(line.rule, line.cap) for line in scope.rubric.adjustments if line.cap is not None]
    for rule_of, weight in weighted:
        if isinstance(rule_of, ast.Each):
            continue
        for rule in sub_rules(rule_of):
            if isinstance(rule, ast.Judged | ast.JudgedBy):
                name = rule.input.id
                limits[name] = min(limits.get(name, weight), weight)
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


def _tier_constraint(rule: ast.Judged, tier_input: ast.Name, weight: Decimal, tier_label: str) -> ast.Constraint:
    span = rule.span

    def number(value: Decimal) -> ast.Num:
        return ast.Num(value, False, fmt(value), span)

    bounds = [(t.label, *ast.range_points(t.low, t.high, weight)) for t in rule.tiers]
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


def _judged_by_constraint(
    scope: Scope, rule: ast.JudgedBy, weight: Decimal, names: list[str]
) -> tuple[ast.Constraint, Message, Message]:
    """The judged score lies in the range its measure picks; the messages name both facts and values."""
    span, score = rule.span, rule.input

    def number(value: Decimal) -> ast.Num:
        return ast.Num(value, False, fmt(value), span)

    def inside(row: ast.JudgedRange) -> ast.Expr:
        low, high = ast.range_points(row.least, row.most, weight)
        return ast.Binary(
            "and", ast.Compare(">=", score, number(low), span), ast.Compare("<=", score, number(high), span), span
        )

    def where(row: ast.JudgedRange) -> ast.Expr:
        tests: list[ast.Expr] = []
        if row.low is not None:
            tests.append(ast.Compare(">=" if row.low_closed else ">", rule.measure, row.low, span))
        if row.high is not None:
            tests.append(ast.Compare("<=" if row.high_closed else "<", rule.measure, row.high, span))
        if not tests:
            return ast.Bool(True, span)
        return tests[0] if len(tests) == 1 else ast.Binary("and", tests[0], tests[1], span)

    rows = [r for r in rule.ranges if not r.otherwise]
    rest = [r for r in rule.ranges if r.otherwise]
    expr: ast.Expr = inside(rest[0]) if rest else ast.Bool(True, span)  # no row, no otherwise: the band check
    for row in reversed(rows):
        expr = ast.IfElse(where(row), inside(row), expr, span)
    words = Wording(scope)
    percent = scope.kind_of(rule.measure) == Kind.PERCENT
    read = [n.id for n in walk_expr(rule.measure) if isinstance(n, ast.Name) and n.id in scope.inputs]
    label = scope.inputs[score.id].label
    measure_zh = words.expr(rule.measure)
    table = [(row, _interval(row, percent), *ast.range_points(row.least, row.most, weight)) for row in rule.ranges]
    score_at = names.index(score.id)

    def facts_shown(values: Sequence[Any], zh: bool) -> str:
        if zh:  # a person reads labels: 完成率为80%
            return "，".join(
                f"{scope.inputs[n].label}为{_value(values[names.index(n)], scope.inputs[n].kind)}" for n in read
            )
        return ", ".join(f"{n} = {_value(values[names.index(n)], scope.inputs[n].kind)}" for n in read)

    def picked(values: Sequence[Any]) -> list[tuple[ast.JudgedRange, str, Decimal, Decimal]]:
        if not (isinstance(rule.measure, ast.Name) and rule.measure.id in scope.inputs):
            return table  # a computed measure: every range is listed
        value = values[names.index(rule.measure.id)]
        for entry in table:
            if entry[0].otherwise or _within(entry[0], value):
                return [entry]
        return table

    def message(values: Sequence[Any]) -> str:
        ranges = "; ".join(f"{shown} → {fmt(low)}..{fmt(high)} points" for _, shown, low, high in picked(values))
        return (
            f"the judged score `{score.id}` = {_value(values[score_at], 'number')} lies outside the range that "
            f"`{format_expr(rule.measure)}` picks ({facts_shown(values, False)}): {ranges}"
        )

    def message_zh(values: Sequence[Any]) -> str:
        ranges = "；".join(f"{shown}时{fmt(low)}—{fmt(high)}分" for _, shown, low, high in picked(values))
        return (
            f"评价组评分“{label}”为{_value(values[score_at], 'number')}分，不在“{measure_zh}”"
            f"（{facts_shown(values, True)}）所对应的评分区间内：{ranges}"
        )

    return ast.Constraint(expr, None, span, fact=score.id), message, message_zh


def _interval(row: ast.JudgedRange, percent: bool) -> str:
    if row.otherwise:
        return "otherwise"
    return show_interval(
        start_key(row.low.value if row.low else None, row.low_closed, False),
        end_key(row.high.value if row.high else None, row.high_closed, False),
        percent,
    )


def _within(row: ast.JudgedRange, value: Any) -> bool:
    low, high = row.low, row.high
    if low is not None and (value < low.value or (value == low.value and not row.low_closed)):
        return False
    return not (high is not None and (value > high.value or (value == high.value and not row.high_closed)))


def _value(value: Any, kind: str) -> str:
    if isinstance(value, Decimal):
        return f"{fmt(value * 100)}%" if kind == "percent" else fmt(value)
    return str(value)


def _first_input(scope: Scope, expr: ast.Expr) -> str:
    for node in walk_expr(expr):
        if isinstance(node, ast.Name) and node.id in scope.inputs:
            return node.id
        if isinstance(node, ast.Name) and node.id in scope.lets:
            return _first_input(scope, scope.lets[node.id].expr)
    return "constraint"
