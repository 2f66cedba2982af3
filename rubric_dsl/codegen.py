"""Compile a checked rubric into a `CompiledRubric` with a generated scoring function.

Takes a merged syntax tree the checker passed; gives an object whose `score(facts)` validates
the facts and runs one straight-line Python function generated here, so scoring never walks
the tree or re-parses anything. The usual request (numbers as plain strings, flags as true or
false) is read and checked inside that same function; anything else, and every bad request,
goes through `facts.FactValidator`, which reads the rest and names each problem. The
generated source contains only names this module makes (`a3`, `k7`, `p2`) and Python operators:
every number, name, label and string of the rubric (fact names included) reaches the function
as a closure constant, never as code, so rubric text cannot execute.
Arithmetic is `Decimal` in a private context (40 digits, traps on); division multiplies first
(`w * a / b`) so results are exact wherever they can be. Fact validation runs in that context
too, so the caller's thread context (its precision, rounding or traps) never changes a score.
"""

from __future__ import annotations

import dataclasses
import itertools
import weakref
from collections.abc import Callable, Mapping, Sequence
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any

from rubric_dsl import ast, explain, limits
from rubric_dsl.ast import sub_rules, walk_expr
from rubric_dsl.checker.bands import end_key, start_key
from rubric_dsl.checker.bands import show as show_interval
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import fmt
from rubric_dsl.explain import Explainer
from rubric_dsl.facts import (
    HUNDREDTH,
    MISSING,
    FactSpec,
    FactValidator,
    NumberRule,
    choice_converter,
    flag_converter,
    number_converter,
    number_rule,
)
from rubric_dsl.printer import format_expr
from rubric_dsl.source import Span

CONTEXT = Context(prec=40, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])
MODES = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "half_down": ROUND_HALF_DOWN,
    "up": ROUND_UP,
    "down": ROUND_DOWN,
}
DEFAULT_ROUNDING = ast.Rounding("indicator", ast.DEFAULT_INDICATOR_STEP, "half_up", Span("<default>", 1, 1, 1, 1))
ZERO = Decimal(0)


# The Python source generated for each scoring function, for audits and the tests that prove no
# rubric text ever becomes code.
GENERATED: weakref.WeakKeyDictionary[Callable[..., Any], str] = weakref.WeakKeyDictionary()


class _Failed(Exception):
    def __init__(self, indicator: int, cause: BaseException) -> None:
        super().__init__(indicator, cause)
        self.indicator = indicator
        self.cause = cause


class _NoBand(ArithmeticError):
    pass


# --- inputs and validation ------------------------------------------------------------------------


def _literal_value(literal: ast.Num | ast.Bool | ast.Str) -> Any:
    return literal.value


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
        if item.kind in ("flag", "choice"):
            continue
        low = item.minimum.value if item.minimum else None
        high = item.maximum.value if item.maximum else None
        why = ""
        if item.name in judged:
            low = max(low, ZERO) if low is not None else ZERO
            high = min(high, judged[item.name]) if high is not None else judged[item.name]
            why = " (a judged score lies between 0 and the indicator's weight)"
        rules[item.name] = number_rule(item.kind, low, high, why)
    return rules


def _with_tier_constraints(rubric: ast.Rubric, scope: Scope) -> ast.Rubric:
    """The rubric with one constraint per tiered judged score: the score lies in the tier named."""
    added = []
    for indicator, _ in scope.indicators:
        for rule in sub_rules(indicator.rule):
            if isinstance(rule, ast.Judged) and rule.tier_input is not None:
                added.append(_tier_constraint(rule, rule.tier_input, indicator.weight))
    return dataclasses.replace(rubric, constraints=(*rubric.constraints, *added)) if added else rubric


def _tier_constraint(rule: ast.Judged, tier_input: ast.Name, weight: Decimal) -> ast.Constraint:
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
    return ast.Constraint(expr, message, span, fact=rule.input.id)


def _default(item: ast.Input) -> Any:
    return MISSING if item.default is None else _literal_value(item.default)


def _validator(rubric: ast.Rubric, scope: Scope, rules: Mapping[str, NumberRule]) -> FactValidator:
    specs = []
    for item in rubric.inputs:
        convert: Callable[[Any], Any]
        if item.kind == "flag":
            convert = flag_converter
        elif item.kind == "choice":
            convert = choice_converter(item.choices)
        else:
            convert = number_converter(rules[item.name])
        default = _default(item)
        specs.append(FactSpec(item.name, convert, default))
    gen = _CodeGen(scope)
    checks = gen.constraints(rubric.constraints)
    messages = [c.message or f"constraint `{format_expr(c.expr)}` does not hold" for c in rubric.constraints]
    facts = [c.fact or _first_input(scope, c.expr) for c in rubric.constraints]
    return FactValidator(rubric.id, specs, checks, messages, facts)


def _first_input(scope: Scope, expr: ast.Expr) -> str:
    for node in walk_expr(expr):
        if isinstance(node, ast.Name) and node.id in scope.inputs:
            return node.id
        if isinstance(node, ast.Name) and node.id in scope.lets:
            return _first_input(scope, scope.lets[node.id].expr)
    return "constraint"


# --- code generation --------------------------------------------------------------------------------


class _CodeGen:
    """Writes Python source for a rubric's scoring function; constants travel as closure cells."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.constants: dict[tuple[str, str], tuple[str, Any]] = {}
        self.values: dict[str, Any] = {}  # constant name -> value
        self.lines: list[str] = []
        self.counter = itertools.count()
        self.inputs = {item.name: f"a{i}" for i, item in enumerate(scope.rubric.inputs)}

    def const(self, value: Any) -> str:
        key = (type(value).__name__, repr(value))
        if key not in self.constants:
            name = f"k{len(self.constants)}"
            self.constants[key] = (name, value)
            self.values[name] = value
        return self.constants[key][0]

    def temp(self) -> str:
        return f"t{next(self.counter)}"

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def unpack(self, indent: int) -> None:
        if self.inputs:
            self.emit(indent, f"{', '.join(self.inputs.values())}, = v")

    def build(self, name: str, body: list[str], parameter: str = "v") -> Callable[..., Any]:
        cells = [c for c, _ in self.constants.values()]
        source = "\n".join(
            [
                f"def _make({', '.join([*cells, '_NoBand', '_Failed'])}):",
                f"    def {name}({parameter}):",
                *("        " + line for line in body),
                f"    return {name}",
            ]
        )
        namespace: dict[str, Any] = {
            "__builtins__": {"min": min, "max": max, "abs": abs, "len": len, "ArithmeticError": ArithmeticError}
        }
        exec(compile(source, f"<rubric {self.scope.rubric.id}>", "exec"), namespace)
        built: Callable[..., Any] = namespace["_make"](*(v for _, v in self.constants.values()), _NoBand, _Failed)
        GENERATED[built] = source
        return built

    # --- expressions

    def expr(self, node: ast.Expr) -> str:
        match node:
            case ast.Num(value=value):
                return self.const(value)
            case ast.Bool(value=value):
                return "True" if value else "False"
            case ast.Str(value=value):
                return self.const(value)
            case ast.Name(id=name):
                if name in self.inputs:
                    return self.inputs[name]
                return f"({self.expr(self.scope.lets[name].expr)})"
            case ast.Unary(op="not", operand=operand):
                return f"(not {self.expr(operand)})"
            case ast.Unary(operand=operand):
                return f"(-{self.expr(operand)})"
            case ast.Binary(op=op, left=left, right=right) | ast.Compare(op=op, left=left, right=right):
                return f"({self.expr(left)} {op} {self.expr(right)})"
            case ast.IfElse(condition=c, then=t, otherwise=o):
                return f"({self.expr(t)} if {self.expr(c)} else {self.expr(o)})"
            case ast.Call(func=func, args=args):
                return f"{func}({', '.join(self.expr(a) for a in args)})"
        raise TypeError(f"not an expression: {node!r}")

    # --- rules: each writes raw points into `pv` (and the rounded points, see `points`) and a record into `rv`

    rounding: ast.Rounding = DEFAULT_ROUNDING  # the indicator rounding
    rounded = ""  # the variable for the rounded points of the indicator being generated

    def points(self, pv: str, value: str) -> str:
        """`pv = value` and the rounded points; a constant is rounded here, once, instead of on every call."""
        rounded = self._round_constant(self.values.get(value))
        if rounded is not None:
            return f"{pv} = {value}; {self.rounded} = {self.const(rounded)}"
        step, mode = self.const(self.rounding.step), self.const(MODES[self.rounding.mode])
        return f"{pv} = {value}; {self.rounded} = {pv}.quantize({step}, {mode})"

    def _round_constant(self, value: Any) -> Decimal | None:
        if not isinstance(value, Decimal):
            return None
        try:
            return value.quantize(self.rounding.step, MODES[self.rounding.mode], CONTEXT.copy())
        except InvalidOperation:
            return None  # too many digits for the context: left to the call, which names the indicator

    def rule(self, node: ast.Rule, weight: Decimal, pv: str, rv: str, ind: int) -> None:
        handler = getattr(self, f"_rule_{type(node).__name__.lower()}")
        handler(node, self.const(weight), pv, rv, ind)

    def _clamp(self, raw: str, w: str, pv: str, clause: str, ind: int) -> None:
        zero = self.const(ZERO)
        self.emit(ind, f"if {raw} < {zero}: {self.points(pv, zero)}; {clause} = 1")
        self.emit(ind, f"elif {raw} > {w}: {self.points(pv, w)}; {clause} = 2")
        self.emit(ind, f"else: {self.points(pv, raw)}; {clause} = 0")

    def _rule_bands(self, node: ast.Bands, w: str, pv: str, rv: str, ind: int) -> None:
        x = self.temp()
        self.emit(ind, f"{x} = {self.expr(node.subject)}")
        for index, row in enumerate(node.rows):
            low = f"{self.const(row.low.value)} {'<=' if row.low_closed else '<'} " if row.low else ""
            high = f" {'<=' if row.high_closed else '<'} {self.const(row.high.value)}" if row.high else ""
            test = f"{low}{x}{high}" if low or high else "True"
            self.emit(
                ind,
                f"{'if' if index == 0 else 'elif'} {test}: {self.points(pv, self.const(row.points))}; "
                f"{rv} = ({index}, {x})",
            )
        if node.otherwise is not None:
            self.emit(ind, f"else: {self.points(pv, self.const(node.otherwise))}; {rv} = ({len(node.rows)}, {x})")
        else:
            self.emit(ind, f"else: raise _NoBand({x})")

    def _rule_checklist(self, node: ast.Checklist, w: str, pv: str, rv: str, ind: int) -> None:
        n, zero = self.temp(), self.const(ZERO)
        self.emit(ind, f"{n} = {self.expr(node.failed)}")
        if node.zero_when is not None:
            self.emit(ind, f"if {self.expr(node.zero_when)}: {self.points(pv, zero)}; {rv} = (3, {n}, {zero})")
            self.emit(ind, f"elif {n} <= {zero}: {self.points(pv, w)}; {rv} = (0, {n}, {w})")
        else:
            self.emit(ind, f"if {n} <= {zero}: {self.points(pv, w)}; {rv} = (0, {n}, {w})")
        raw = self.temp()
        self.emit(ind, "else:")
        self.emit(ind + 1, f"{raw} = {w} - {n} * {self.const(node.deduct)}")
        self.emit(ind + 1, f"if {raw} < {zero}: {self.points(pv, zero)}; {rv} = (2, {n}, {raw})")
        self.emit(ind + 1, f"else: {self.points(pv, raw)}; {rv} = (1, {n}, {raw})")

    def _rule_steps(self, node: ast.Steps, w: str, pv: str, rv: str, ind: int) -> None:
        x, over, n, raw, zero = self.temp(), self.temp(), self.temp(), self.temp(), self.const(ZERO)
        limit, step = self.const(node.threshold.value), self.const(node.step.value)
        self.emit(ind, f"{x} = {self.expr(node.subject)}")
        self.emit(ind, f"{over} = {x} - {limit}" if node.direction == "above" else f"{over} = {limit} - {x}")
        self.emit(ind, f"if {over} <= {zero}: {self.points(pv, w)}; {rv} = (0, {x}, {zero})")
        self.emit(ind, "else:")
        # Decimal `//` truncates toward zero, so a started step is a ceiling taken explicitly
        rounding = self.const(ROUND_FLOOR if node.whole else ROUND_CEILING)
        self.emit(ind + 1, f"{n} = ({over} / {step}).to_integral_value({rounding})")
        self.emit(ind + 1, f"{raw} = {w} - {n} * {self.const(node.deduct)}")
        self.emit(ind + 1, f"if {raw} < {zero}: {self.points(pv, zero)}; {rv} = (2, {x}, {n})")
        self.emit(ind + 1, f"else: {self.points(pv, raw)}; {rv} = (1, {x}, {n})")

    def _rule_proportional(self, node: ast.Proportional, w: str, pv: str, rv: str, ind: int) -> None:
        q, raw, clause = self.temp(), self.temp(), self.temp()
        if isinstance(node.ratio, ast.Binary) and node.ratio.op == "/":
            # w × (a / b) is computed as (w × a) / b so that it stays exact where it can
            left, right = self.expr(node.ratio.left), self.expr(node.ratio.right)
            self.emit(ind, f"{raw} = {w} * {left} / {right}")
            self.emit(ind, f"{q} = {left} / {right}")
        else:
            self.emit(ind, f"{q} = {self.expr(node.ratio)}")
            self.emit(ind, f"{raw} = {w} * {q}")
        self._clamp(raw, w, pv, clause, ind)
        self.emit(ind, f"{rv} = ({clause}, {q}, {raw})")

    def _rule_linear(self, node: ast.Linear, w: str, pv: str, rv: str, ind: int) -> None:
        points = sorted(((p.at.value, p.points) for p in node.points), key=lambda p: p[0])
        xs = [self.const(at) for at, _ in points]
        ps = [w if value is None else self.const(value) for _, value in points]
        x = self.temp()
        self.emit(ind, f"{x} = {self.expr(node.subject)}")
        self.emit(ind, f"if {x} <= {xs[0]}: {self.points(pv, ps[0])}; {rv} = (0, {x}, {pv})")
        self.emit(ind, f"elif {x} >= {xs[-1]}: {self.points(pv, ps[-1])}; {rv} = ({len(xs)}, {x}, {pv})")
        values = [self.scope_weight if value is None else value for _, value in points]
        for k in range(1, len(xs)):
            p0, p1 = values[k - 1], values[k]
            rise, run = self.const(p1 - p0), self.const(points[k][0] - points[k - 1][0])
            test = "else" if k == len(xs) - 1 else f"elif {x} < {xs[k]}"
            # a segment from 0, or from 0 points, leaves out `- 0` and `0 +`: the same value, two operations fewer
            value = f"{rise} * {x if points[k - 1][0] == 0 else f'({x} - {xs[k - 1]})'} / {run}"
            if p0 != 0:
                value = f"{ps[k - 1]} + {value}"
            self.emit(ind, f"{test}: {self.points(pv, value)}; {rv} = ({k}, {x}, {pv})")

    def _rule_target(self, node: ast.Target, w: str, pv: str, rv: str, ind: int) -> None:
        a, t, raw, clause, zero = self.temp(), self.temp(), self.temp(), self.temp(), self.const(ZERO)
        self.emit(ind, f"{a} = {self.expr(node.actual)}")
        self.emit(ind, f"{t} = {self.expr(node.target)}")
        self.emit(ind, f"if {a} {node.op} {t}: {self.points(pv, w)}; {rv} = (0, {a}, {t})")
        if not node.proportional:
            self.emit(ind, f"else: {self.points(pv, zero)}; {rv} = (2, {a}, {t})")
            return
        self.emit(ind, "else:")
        num, den = (a, t) if node.op in (">=", ">") else (t, a)  # higher is better: actual/target
        self.emit(ind + 1, f"{raw} = {w} * {num} / {den}")
        self._clamp(raw, w, pv, clause, ind + 1)
        self.emit(ind + 1, f"{rv} = (1, {a}, {t})")

    def _rule_judged(self, node: ast.Judged, w: str, pv: str, rv: str, ind: int) -> None:
        value = self.inputs[node.input.id]
        tier = "0"
        if node.tier_input is not None:  # the record names the tier, for explanations and coverage
            positions = {t.label: index for index, t in enumerate(node.tiers)}
            tier = f"{self.const(positions)}[{self.inputs[node.tier_input.id]}]"
        self.emit(ind, f"{self.points(pv, value)}; {rv} = ({tier}, {value})")

    def _rule_formula(self, node: ast.Formula, w: str, pv: str, rv: str, ind: int) -> None:
        value = self.expr(node.expr)
        constant = self.values.get(value)
        if isinstance(constant, Decimal):  # `points 2`: clamped (and rounded) here, once
            weight = self.values[w]
            fired, points = (1, ZERO) if constant < 0 else (2, weight) if constant > weight else (0, constant)
            self.emit(ind, f"{self.points(pv, self.const(points))}; {rv} = ({fired}, {value})")
            return
        raw, clause = self.temp(), self.temp()
        self.emit(ind, f"{raw} = {value}")
        self._clamp(raw, w, pv, clause, ind)
        self.emit(ind, f"{rv} = ({clause}, {raw})")

    def _rule_conditional(self, node: ast.Conditional, w: str, pv: str, rv: str, ind: int) -> None:
        inner = self.temp()
        for index, arm in enumerate(node.arms):
            self.emit(ind, f"{'if' if index == 0 else 'elif'} {self.expr(arm.condition)}:")
            self.rule(arm.rule, self.scope_weight, pv, inner, ind + 1)
            self.emit(ind + 1, f"{rv} = ({index}, {inner})")
        self.emit(ind, "else:")
        self.rule(node.otherwise, self.scope_weight, pv, inner, ind + 1)
        self.emit(ind + 1, f"{rv} = ({len(node.arms)}, {inner})")

    scope_weight: Decimal = ZERO  # the weight of the indicator being generated

    # --- reading facts: the usual spellings here; for anything else `return None`, and FactValidator reads them

    def read_facts(self, rules: Mapping[str, NumberRule]) -> None:
        """Read each fact into its `a` variable, giving the values the converters in facts.py give.

        It must accept no request that `FactValidator` refuses: a check added there goes here too."""
        inputs = self.scope.rubric.inputs
        required = [item for item in inputs if item.default is None]
        self.emit(0, "get = facts.get")
        self.emit(0, "try:")
        for item in required:
            self.emit(1, f"x = get({self.const(item.name)}, {self.const(MISSING)})")
            self.convert(item, rules.get(item.name), 1)
        self._read_optional([item for item in inputs if item.default is not None], len(required), rules)
        for constraint in self.scope.rubric.constraints:
            self.emit(1, f"if not {self.expr(constraint.expr)}: return None")
        self.emit(0, "except ArithmeticError:")
        self.emit(1, "return None")

    def _read_optional(self, optional: Sequence[ast.Input], required: int, rules: Mapping[str, NumberRule]) -> None:
        """The facts with defaults; a request of just the required facts needs no look for them."""
        if not optional:
            self.emit(1, f"if len(facts) != {required}: return None")  # an unknown fact
            return
        self.emit(1, f"if len(facts) == {required}:")
        for item in optional:
            self.emit(2, f"{self.inputs[item.name]} = {self.const(_default(item))}")
        self.emit(1, "else:")
        self.emit(2, f"given = {required}")
        missing = self.const(MISSING)
        for item in optional:
            self.emit(2, f"if (x := get({self.const(item.name)}, {missing})) is {missing}:")
            self.emit(3, f"{self.inputs[item.name]} = {self.const(_default(item))}")
            self.emit(2, "else:")
            self.emit(3, "given += 1")
            self.convert(item, rules.get(item.name), 3)
        self.emit(2, "if len(facts) != given: return None")  # an unknown fact

    def convert(self, item: ast.Input, rule: NumberRule | None, ind: int) -> None:
        """`x` into the input's variable: a number from a plain string, a flag from true/false, a choice."""
        a = self.inputs[item.name]
        if item.kind == "flag":
            self.emit(ind, f"if x is True or x is False: {a} = x")
            self.emit(ind, f"elif x == {self.const('true')}: {a} = True")
            self.emit(ind, f"elif x == {self.const('false')}: {a} = False")
            self.emit(ind, "else: return None")
        elif item.kind == "choice":
            self.emit(ind, f"if x.__class__ is not {self.const(str)}: return None")
            self.emit(ind, f"if x not in {self.const(item.choices)}: return None")
            self.emit(ind, f"{a} = x")
        else:
            assert rule is not None
            text, number = self.const(str), self.const(Decimal)
            self.emit(ind, f"if x.__class__ is not {text} or x.__len__() > {limits.MAX_FACT_TEXT}: return None")
            self.emit(ind, f"{a} = {number}(x)")
            self.emit(ind, f"if not ({a}.is_finite() and {a}.adjusted() <= {limits.MAX_MAGNITUDE}): return None")
            if rule.percent:
                self.emit(ind, f"{a} = {a} * {self.const(HUNDREDTH)}")
            bounds = []
            if rule.lowest.is_finite():
                bounds.append(f"{self.const(rule.lowest)} <= {a}")
            if rule.highest.is_finite():
                bounds.append(f"{a} <= {self.const(rule.highest)}")
            if bounds:
                self.emit(ind, f"if not ({' and '.join(bounds)}): return None")
            if rule.whole:
                self.emit(ind, f"if {a} != {a}.to_integral_value(): return None")

    # --- whole functions

    def constraints(self, constraints: Sequence[ast.Constraint]) -> Callable[[Sequence[Any]], list[int]]:
        body: list[str] = []
        self.lines = body
        self.unpack(0)
        self.emit(0, "bad = []")
        for index, constraint in enumerate(constraints):
            self.emit(0, "try:")
            self.emit(1, f"if not {self.expr(constraint.expr)}: bad.append({index})")
            self.emit(0, f"except ArithmeticError: bad.append({index})")
        self.emit(0, "return bad")
        return self.build("constraints", body)


def _generate(
    rubric: ast.Rubric,
    scope: Scope,
    rules: Mapping[str, NumberRule],
    indicator_rounding: ast.Rounding,
    total_rounding: ast.Rounding | None,
) -> tuple[Callable[[Sequence[Any]], Any], Callable[[Mapping[str, Any]], Any]]:
    """Two scoring functions with one body: from validated values, and straight from the facts
    (None when the facts need the validator)."""
    gen = _CodeGen(scope)
    body: list[str] = []
    unpack: list[str] = []
    reader: list[str] = []
    gen.lines = body
    _score_body(gen, rubric, scope, indicator_rounding, total_rounding)
    gen.lines = unpack
    gen.unpack(0)
    gen.lines = reader
    gen.read_facts(rules)
    return gen.build("score_values", unpack + body), gen.build("score_facts", reader + body, "facts")


def _score_body(
    gen: _CodeGen,
    rubric: ast.Rubric,
    scope: Scope,
    indicator_rounding: ast.Rounding,
    total_rounding: ast.Rounding | None,
) -> None:
    gen.emit(0, "_i = -1")
    gen.emit(0, "try:")
    gen.rounding = indicator_rounding
    index = {indicator.id: k for k, (indicator, _) in enumerate(scope.indicators)}
    for k, (indicator, _) in enumerate(scope.indicators):
        gen.scope_weight, gen.rounded = indicator.weight, f"p{k}"
        gen.emit(1, f"_i = {k}")
        gen.rule(indicator.rule, indicator.weight, f"q{k}", f"r{k}", 1)
    gen.emit(0, "except ArithmeticError as error:")
    gen.emit(1, "raise _Failed(_i, error) from None")
    sections = {section.id: j for j, (section, _) in enumerate(scope.sections)}

    def term(node: ast.Node) -> str:
        return f"p{index[node.id]}" if isinstance(node, ast.Indicator) else f"s{sections[node.id]}"

    def add(nodes: Sequence[ast.Node]) -> str:
        # no leading zero: rounded points have exponents <= 0, so `0 + p` would only cost an addition
        return " + ".join(map(term, nodes)) or gen.const(ZERO)

    for section, _ in reversed(scope.sections):
        gen.emit(0, f"s{sections[section.id]} = {add(section.children)}")
    gen.emit(0, f"total = {add(rubric.body)}")
    if total_rounding is not None:
        gen.emit(
            0,
            f"total = total.quantize({gen.const(total_rounding.step)}, {gen.const(MODES[total_rounding.mode])})",
        )
    rows = rubric.grades.rows if rubric.grades else ()
    for g, row in enumerate(rows[:-1]):
        gen.emit(0, f"{'if' if g == 0 else 'elif'} total >= {gen.const(row.minimum)}: grade = {g}")
    gen.emit(0, f"else: grade = {len(rows) - 1}" if len(rows) > 1 else f"grade = {max(len(rows) - 1, 0)}")

    def tup(prefix: str, count: int) -> str:
        return "(" + "".join(f"{prefix}{i}, " for i in range(count)) + ")"

    n, m = len(scope.indicators), len(scope.sections)
    gen.emit(0, f"return {tup('p', n)}, {tup('q', n)}, {tup('r', n)}, {tup('s', m)}, total, grade")


# --- explanations ---------------------------------------------------------------------------------


def _subject(scope: Scope, expr: ast.Expr) -> str:
    if isinstance(expr, ast.Name) and expr.id in scope.inputs:
        return scope.inputs[expr.id].label
    if isinstance(expr, ast.Name) and expr.id in scope.lets and scope.lets[expr.id].label:
        return scope.lets[expr.id].label or expr.id
    return format_expr(expr)


def _explainer(scope: Scope, rule: ast.Rule, weight: Decimal) -> Explainer:
    match rule:
        case ast.Bands(subject=subject, rows=rows, otherwise=otherwise):
            percent = scope.kind_of(subject) == "percent"
            intervals = tuple(
                show_interval(
                    start_key(r.low.value if r.low else None, r.low_closed, False),
                    end_key(r.high.value if r.high else None, r.high_closed, False),
                    percent,
                )
                for r in rows
            )
            return explain.BandsExplainer(
                _subject(scope, subject), percent, intervals, tuple(r.points for r in rows), otherwise
            )
        case ast.Checklist(failed=failed, deduct=deduct, zero_when=zero_when):
            return explain.ChecklistExplainer(
                _subject(scope, failed), deduct, weight, _subject(scope, zero_when) if zero_when else None
            )
        case ast.Steps():
            return explain.StepsExplainer(
                _subject(scope, rule.subject),
                scope.kind_of(rule.subject) == "percent",
                rule.direction == "above",
                rule.threshold.value,
                rule.step.value,
                rule.deduct,
                weight,
                rule.whole,
            )
        case ast.Proportional(ratio=ratio):
            return explain.ProportionalExplainer(_subject(scope, ratio), scope.kind_of(ratio) == "percent", weight)
        case ast.Linear(subject=subject, points=points):
            ordered = sorted(points, key=lambda p: p.at.value)
            return explain.LinearExplainer(
                _subject(scope, subject),
                scope.kind_of(subject) == "percent",
                tuple(p.at.value for p in ordered),
                tuple(weight if p.points is None else p.points for p in ordered),
            )
        case ast.Target(actual=actual, op=op, target=target, proportional=proportional):
            return explain.TargetExplainer(
                _subject(scope, actual),
                op,
                format_expr(target),
                scope.kind_of(actual) == "percent",
                weight,
                proportional,
            )
        case ast.Judged(input=name, tiers=tiers):
            return explain.JudgedExplainer(_subject(scope, name), tuple(t.label for t in tiers))
        case ast.Formula(expr=expr):
            return explain.FormulaExplainer(format_expr(expr), weight)
        case ast.Conditional(arms=arms, otherwise=otherwise):
            return explain.ConditionalExplainer(
                tuple(format_expr(a.condition) for a in arms),
                tuple(_explainer(scope, r, weight) for r in (*(a.rule for a in arms), otherwise)),
            )
    raise TypeError(f"not a rule: {rule!r}")
