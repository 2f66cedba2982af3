"""Word a scoring rule as the 评分标准 column of an official score sheet (评分表).

Takes a rule of the merged syntax tree, the indicator's weight and the rubric's `Scope`; gives
the sentence policy staff would write by hand, in the seeds' wording: "预算执行率95%以上（含95%）
得5分；90%（含）—95%得4分；…；其余不得分", "若有一项不符扣1分，若存在严重不符的情况则不得分",
"小于等于70人得满分，每增加5人扣1分，直到扣完为止". The text is generated from the same rule the
compiler turns into code, so the printed sheet and the computed score cannot drift apart.
Plain inputs and labelled `let` values are named by their labels, never by fact names.
"""

from __future__ import annotations

from decimal import Decimal

from rubric_dsl import ast
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import fmt

_CMP = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠", ">": ">", "<": "<"}
_BINARY = {"+": "+", "-": "-", "*": "×", "/": "/", "and": "且", "or": "或"}
_ATOM = 8
_LEVEL = {"if": 0, "or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def criteria_text(rule: ast.Rule, weight: Decimal, scope: Scope) -> str:
    """The 评分标准 of one indicator: `rule` scored out of `weight` in the rubric `scope`."""
    return _Wording(scope).rule(rule, weight)


def value_text(value: Decimal, percent: bool, unit: str = "") -> str:
    """A number as the sheet prints it: `95%`, `2.5`, `70人`; zero is plain `0`."""
    if value == 0:
        return "0"
    return f"{fmt(value * 100)}%" if percent else f"{fmt(value)}{unit}"


def _points(points: Decimal, weight: Decimal | None) -> str:
    """`得5分`, `不得分`, or `得满分` where a weight is given and reached (band tables never say 满分)."""
    if points == 0:
        return "不得分"
    return "得满分" if points == weight else f"得{fmt(points)}分"


class _Wording:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    # --- expressions

    def expr(self, node: ast.Expr) -> str:
        """An expression in the sheet's notation: labels for names, `≥ × /`, 且/或/非."""
        match node:
            case ast.Num(value=value, percent=percent):
                return value_text(value, percent)
            case ast.Bool(value=value):
                return "是" if value else "否"
            case ast.Str(value=value):
                return f"“{value}”"
            case ast.Name(id=name):
                return self.name(name)
            case ast.Unary(op="not", operand=operand):
                return f"非{self.wrap(operand, _LEVEL['not'])}"
            case ast.Unary(operand=operand):
                return f"-{self.wrap(operand, _LEVEL['neg'])}"
            case ast.Binary(op=op, left=left, right=right):
                return f"{self.wrap(left, _LEVEL[op])}{_BINARY[op]}{self.wrap(right, _LEVEL[op] + 1)}"
            case ast.Compare(op=op, left=left, right=right):
                level = _LEVEL["cmp"] + 1
                return f"{self.wrap(left, level)}{_CMP[op]}{self.wrap(right, level)}"
            case ast.IfElse(condition=c, then=t, otherwise=o):
                return f"若{self.expr(c)}则{self.expr(t)}，否则{self.expr(o)}"
            case ast.Call(func=func, args=args):
                return f"{func}({', '.join(self.expr(a) for a in args)})"
        raise TypeError(f"not an expression: {node!r}")

    def name(self, name: str) -> str:
        if name in self.scope.inputs:
            item = self.scope.inputs[name]
            return f"“{item.label}”" if item.kind == "flag" else item.label
        let = self.scope.lets.get(name)
        if let is None:
            return name
        return let.label or self.expr(let.expr)

    def level(self, node: ast.Expr) -> int:
        match node:
            case ast.IfElse():
                return _LEVEL["if"]
            case ast.Binary(op=op):
                return _LEVEL[op]
            case ast.Compare():
                return _LEVEL["cmp"]
            case ast.Unary(op=op):
                return _LEVEL["not" if op == "not" else "neg"]
            case ast.Name(id=name) if name in self.scope.lets and not self.scope.lets[name].label:
                return self.level(self.scope.lets[name].expr)
        return _ATOM

    def wrap(self, node: ast.Expr, level: int) -> str:
        text = self.expr(node)
        return f"({text})" if self.level(node) < level else text

    def subject(self, node: ast.Expr) -> str:
        """A rule's subject, bracketed where it is an expression that a number would run into."""
        plain = isinstance(node, ast.Name) and self.level(node) == _ATOM
        return self.expr(node) if plain else f"({self.expr(node)})"

    def unit(self, subject: ast.Expr) -> str:
        if isinstance(subject, ast.Name) and subject.id in self.scope.inputs:
            return self.scope.inputs[subject.id].unit or ""
        return ""

    def num(self, literal: ast.Num, subject: ast.Expr) -> str:
        return value_text(literal.value, literal.percent, self.unit(subject))

    # --- rules

    def rule(self, rule: ast.Rule, weight: Decimal) -> str:
        match rule:
            case ast.Bands():
                return self.bands(rule)
            case ast.Checklist(deduct=deduct, zero_when=zero_when):
                text = f"若有一项不符扣{fmt(deduct)}分"
                return text if zero_when is None else f"{text}，若存在严重不符的情况则不得分"
            case ast.Steps():
                return self.steps(rule)
            case ast.Proportional(ratio=ratio):
                return f"该项指标分值×{self.expr(ratio)}"
            case ast.Linear():
                return self.linear(rule, weight)
            case ast.Target():
                return self.target(rule)
            case ast.Judged(tiers=tiers) if tiers:
                shares = "；".join(
                    f"{t.label}得{fmt(t.low.value * weight)}—{fmt(t.high.value * weight)}分"
                    f"（分值的{value_text(t.low.value, True)}—{value_text(t.high.value, True)}）"
                    for t in tiers
                )
                return f"由评价组按档次评定：{shares}"
            case ast.Judged():
                return f"由评价组评定，0至{fmt(weight)}分"
            case ast.Formula(expr=ast.Num(value=value, percent=False)):
                return _points(value, weight)
            case ast.Formula(expr=expr):
                return f"按公式计算：{self.expr(expr)}，最低0分，最高{fmt(weight)}分"
            case ast.Conditional(arms=arms, otherwise=otherwise):
                parts = [f"当{self.expr(a.condition)}时：{self.rule(a.rule, weight)}" for a in arms]
                return "；".join([*parts, f"否则：{self.rule(otherwise, weight)}"])
        raise TypeError(f"not a rule: {rule!r}")

    def bands(self, rule: ast.Bands) -> str:
        # Rows cover the subject's domain (the checker proves it), so zero rows read as "其余".
        rest = rule.otherwise
        if rest is None and any(r.points == 0 for r in rule.rows):
            rest = Decimal(0)
        listed = [r for r in rule.rows if r.points != 0 or (rest is not None and rest != 0)]
        parts = [f"{self.interval(r, rule.subject)}{_points(r.points, None)}" for r in listed]
        if rest is not None:
            parts.append(f"其余{_points(rest, None)}")
        return self.subject(rule.subject) + "；".join(parts)

    def interval(self, row: ast.BandRow, subject: ast.Expr) -> str:
        low = self.num(row.low, subject) if row.low else None
        high = self.num(row.high, subject) if row.high else None
        if low is None and high is None:
            return "任意值"
        if high is None:
            return f"{low}以上（含{low}）" if row.low_closed else f"高于{low}"
        if low is None:
            return f"{high}以下（含{high}）" if row.high_closed else f"低于{high}"
        if row.low_closed and row.high_closed:
            return f"{low}（含）—{high}（含）"
        if row.low_closed:
            return f"{low}（含）—{high}"
        return f"{low}—{high}（含）" if row.high_closed else f"{low}—{high}（均不含）"

    def steps(self, rule: ast.Steps) -> str:
        subject, above = rule.subject, rule.direction == "above"
        limit = self.num(rule.threshold, subject)
        step = f"{fmt(rule.step.value * 100)}个百分点" if rule.step.percent else self.num(rule.step, subject)
        head = f"{self.subject(subject)}{'小于等于' if above else '大于等于'}{limit}得满分"
        deduct = f"每{'增加' if above else '减少'}{step}扣{fmt(rule.deduct)}分"
        if not rule.whole:
            deduct += f"（不足{step}按{step}计）"
        return f"{head}，{deduct}，直到扣完为止"

    def linear(self, rule: ast.Linear, weight: Decimal) -> str:
        ordered = sorted(rule.points, key=lambda p: p.at.value)
        values = [weight if p.points is None else p.points for p in ordered]
        subject = rule.subject
        if len(ordered) == 2 and values == [0, weight] and weight > 0:
            text = self.rising(ordered[0].at, ordered[1].at, subject)
        else:
            text = self.segments(ordered, values, weight, subject)
        return f"{text}（A为{self.expr(subject)}）"

    def rising(self, low: ast.Num, high: ast.Num, subject: ast.Expr) -> str:
        a, b = self.num(low, subject), self.num(high, subject)
        shifted = f"({a})" if low.value < 0 else a
        ratio = f"(A/{b})" if low.value == 0 else f"(A-{shifted})/({b}-{shifted})"
        return f"A≥{b}得满分；{a}<A<{b}时，得分为满分×{ratio}；A≤{a}时不得分"

    def segments(
        self, ordered: list[ast.LinearPoint], values: list[Decimal], weight: Decimal, subject: ast.Expr
    ) -> str:
        ats = [self.num(p.at, subject) for p in ordered]
        parts = [f"A≤{ats[0]}时{_points(values[0], weight)}"]
        for k in range(1, len(ats)):
            span = f"{ats[k - 1]}{'<' if k == 1 else '≤'}A<{ats[k]}时"
            p0, p1 = values[k - 1], values[k]
            if p0 == p1:
                parts.append(f"{span}{_points(p0, weight)}")
            else:
                way = "增" if p1 > p0 else "减"
                parts.append(f"{span}，得分由{fmt(p0)}分线性{way}至{fmt(p1)}分")
        parts.append(f"A≥{ats[-1]}时{_points(values[-1], weight)}")
        return "；".join(parts)

    def target(self, rule: ast.Target) -> str:
        head = f"{self.subject(rule.actual)}达到目标值（{_CMP[rule.op]}{self.expr(rule.target)}）得满分"
        if not rule.proportional:
            return f"{head}，未达到不得分"
        ratio = "实际值/目标值" if rule.op in (">=", ">") else "目标值/实际值"
        return f"{head}，未达到按完成比例得分（满分×{ratio}）"
