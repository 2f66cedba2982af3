"""Word a scoring rule as the 评分标准 column of an official score sheet (评分表).

Takes a rule of the merged syntax tree, the indicator's weight and the rubric's `Scope`; gives
the sentence policy staff would write by hand, in the seeds' wording: "预算执行率95%以上（含95%）
得5分；90%（含）—95%得4分；…；其余不得分", "若有一项不符扣1分，若存在严重不符的情况则不得分",
"小于等于70人得满分，每增加5人扣1分，直到扣完为止". The text is generated from the same rule the
compiler turns into code, so the printed sheet and the computed score cannot drift apart.
Plain inputs and labelled `let` values are named by their labels, never by fact names.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from rubric_dsl import ast, clauses
from rubric_dsl.ast import rule_exprs, walk_expr
from rubric_dsl.checker.scope import Kind, Scope
from rubric_dsl.diagnostics import fmt

_CMP = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠", ">": ">", "<": "<"}
CMP = _CMP  # the sheet's comparison signs, for the Chinese explanations (`explain`)
_BINARY = {"+": "+", "-": "-", "*": "×", "/": "÷", "and": "且", "or": "或"}
_ATOM = 8
_LEVEL = {"if": 0, "or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def applicable_text(condition: ast.Expr, policy: str, scope: Scope) -> str:
    """What the 评分标准 adds for an item that may be not applicable: `（适用条件：…；不适用时…）`."""
    then = {
        "share": "该项分值按比例分摊到同级其他指标",
        "rescale": "总分按适用指标的分值折算为满分",
        "full": "该项按满分计",
    }
    return f"（适用条件：{_Wording(scope).expr(condition)}；不适用时{then[policy]}）"


def criteria_text(rule: ast.Rule, weight: Decimal | None, scope: Scope) -> str:
    """The 评分标准 of one indicator: `rule` scored out of `weight` (None: a 加分/扣分 line without a cap,
    whose rule the checker allows only where it needs no full amount) in the rubric `scope`; a labelled let that
    aggregates records is defined after it (`（其中项目绩效自评覆盖率=部门项目中“已开展绩效自评”的个数÷部门项目个数）`),
    so the sheet says what was counted."""
    words = _Wording(scope)
    return words.rule(rule, weight) + _aggregate_notes(words, rule_exprs(rule))


def _aggregate_notes(words: _Wording, exprs: Iterable[ast.Expr]) -> str:
    lets, seen, notes = words.scope.lets, set(), []
    pending = [n.id for e in exprs for n in walk_expr(e) if isinstance(n, ast.Name) and n.id in lets]
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        let = lets[name]
        pending.extend(n.id for n in walk_expr(let.expr) if isinstance(n, ast.Name) and n.id in lets)
        if let.label and any(isinstance(n, ast.Aggregate) for n in walk_expr(let.expr)):
            notes.append(f"{let.label}={words.expr(let.expr)}")
    return f"（其中{'；'.join(notes)}）" if notes else ""


def criteria_words(scope: Scope, expr: ast.Expr) -> str:
    """An expression in the sheet's wording (labels for names), e.g. for `each COUNT points N`."""
    return _Wording(scope).expr(expr)


READABLE_PLACES = 6  # a shown number with more decimal places than this is rounded (see `readable`)
_READABLE = Context(prec=80)


def readable(value: Decimal | int, places: int = 4) -> str:
    """A number as a person reads it: every digit when it has at most six decimal places (`8.017625`),
    else rounded half up to `places` (`1.804833…` → `1.8048`; a percent, in percent points, to two:
    `103.030303…%` → `103.03%`). Only for showing: scores are computed and rounded exactly, by the
    rubric's policy, before any number is shown."""
    value = Decimal(value)
    if value.is_finite() and value.normalize(_READABLE).as_tuple().exponent < -READABLE_PLACES:  # type: ignore[operator]
        value = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP, _READABLE)
    return fmt(value)


def value_text(value: Decimal, percent: bool, unit: str = "") -> str:
    """A number as the sheet prints it: `95%`, `2.5`, `70人`; zero is plain `0`, or `0%` for a percent."""
    if value == 0:
        return "0%" if percent else "0"
    return f"{readable(value * 100, 2)}%" if percent else f"{readable(value)}{unit}"


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
            case ast.Name() if id(node) in self.scope.fields_read:
                field = self.scope.fields_read[id(node)]
                return f"“{field.label}”" if field.kind == "flag" else field.label
            case ast.Name(id=name):
                return self.name(name)
            case ast.Given(name=name):
                return f"已填报{self.name(name.id)}"
            case ast.Aggregate():
                return self.aggregate(node)
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
            case ast.Call(func="abs", args=(arg,)):
                return f"{self.wrap(arg, _ATOM)}的绝对值"
            case ast.Call(func=func, args=args):
                return self.extreme(func, args, ratio=False)
            case ast.PointsOf(id=name):
                return f"{self.node_label(name)}得分"
        raise TypeError(f"not an expression: {node!r}")

    def node_label(self, node_id: str) -> str:
        """An indicator's or section's label, for `points(ID)`."""
        nodes: list[ast.Node] = [n for n, _ in self.scope.indicators] + [n for n, _ in self.scope.sections]
        for node in nodes:
            if node.id == node_id:
                return f"“{node.label}”"
        return node_id

    def aggregate(self, node: ast.Aggregate) -> str:
        """`count(projects where self_evaluated)` as `部门项目中“已开展绩效自评”的个数`."""
        records = self.scope.inputs.get(node.records.id)
        label = records.label if records is not None else node.records.id
        fields = {f.name: f.label for f in self.scope.record_fields(node.records.id)}
        head = f"{label}中{self.expr(node.where)}的" if node.where is not None else f"{label}的"
        if node.func == "count":
            return f"{head}个数" if node.where is not None else f"{label}个数"
        field = fields.get(node.field.id, node.field.id) if node.field is not None else ""
        if node.func == "sum":
            return f"{head}{field}合计"
        if node.weight is not None:
            return f"{head}{field}（按{fields.get(node.weight.id, node.weight.id)}加权平均）"
        return f"{head}{field}平均值"

    def extreme(self, func: str, args: tuple[ast.Expr, ...], ratio: bool) -> str:
        """`min(1, a / b)` as `a÷b（最多按1计）` (`100%` where the value is a ratio); else 较小值/较大值."""
        bounds = [a for a in args if isinstance(a, ast.Num)]
        others = [a for a in args if not isinstance(a, ast.Num)]
        if len(bounds) == 1 and len(others) == 1:
            bound = bounds[0]
            shown = value_text(bound.value, bound.percent or ratio)
            return f"{self.expr(others[0])}（{'最多' if func == 'min' else '最少'}按{shown}计）"
        listed = "、".join(self.expr(a) for a in args)
        return f"{listed}中的{'较小值' if func == 'min' else '较大值'}"

    def ratio(self, node: ast.Expr) -> str:
        """A share of the weight: a bound of `min`/`max` reads as a percent (`最多按100%计`)."""
        if isinstance(node, ast.Call) and node.func in ("min", "max"):
            return self.extreme(node.func, node.args, ratio=True)
        return self.expr(node)

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

    def rule(self, rule: ast.Rule, weight: Decimal | None) -> str:
        if weight is None and isinstance(rule, ast.Linear | ast.Judged | ast.JudgedBy):
            raise TypeError(f"{type(rule).__name__} scores out of a full amount")  # the checker refuses it
        match rule:
            case ast.Bands():
                return self.bands(rule)
            case ast.Checklist(deduct=deduct, zero_when=zero_when):
                text = f"若有一项不符扣{fmt(deduct)}分"
                return text if zero_when is None else f"{text}，若存在严重不符的情况则不得分"
            case ast.Steps():
                return self.steps(rule)
            case ast.Proportional(ratio=ratio):
                return f"该项指标分值×{self.ratio(ratio)}"
            case ast.Linear() if weight is not None:
                return self.linear(rule, weight)
            case ast.Target():
                return self.target(rule)
            case ast.Judged(tiers=tiers) if tiers and weight is not None:
                shares = "；".join(
                    f"{t.label}得{fmt(low)}—{fmt(high)}分"
                    + (
                        f"（分值的{value_text(t.low.value, True)}—{value_text(t.high.value, True)}）"
                        if t.low.percent
                        else ""
                    )
                    for t in tiers
                    for low, high in [ast.range_points(t.low, t.high, weight)]
                )
                return f"由评价组按档次评定：{shares}"
            case ast.JudgedBy(measure=measure, ranges=ranges) if weight is not None:
                parts = []
                for row in ranges:
                    low, high = ast.range_points(row.least, row.most, weight)
                    where = "其余" if row.otherwise else self.judged_interval(row, measure)
                    parts.append(f"{where}得{fmt(low)}—{fmt(high)}分")
                return f"{self.subject(measure)}{'；'.join(parts)}，由评价组在区间内评定"
            case ast.Judged() if weight is not None:
                return f"由评价组评定，0至{fmt(weight)}分"
            case ast.Formula(expr=ast.Num(value=value, percent=False)):
                return _points(value, weight)
            case ast.Formula(expr=expr):
                most = "" if weight is None else f"，最高{fmt(weight)}分"
                return f"按公式计算：{self.expr(expr)}，最低0分{most}"
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

    def judged_interval(self, row: ast.JudgedRange, subject: ast.Expr) -> str:
        """A `judged … by` row's interval, worded as a band row's."""
        return self.interval(
            ast.BandRow(row.low, row.low_closed, row.high, row.high_closed, Decimal(0), row.span), subject
        )

    def steps(self, rule: ast.Steps) -> str:
        subject, above = rule.subject, rule.direction == "above"
        limit = self.num(rule.threshold, subject)
        step = f"{fmt(rule.step.value * 100)}个百分点" if rule.step.percent else self.num(rule.step, subject)
        head = f"{self.subject(subject)}{'小于等于' if above else '大于等于'}{limit}得满分"
        deduct = f"每{'增加' if above else '减少'}{step}扣{fmt(rule.deduct)}分"
        if rule.prorata:
            deduct += "（不足部分按比例扣分）"
        elif not rule.whole:
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


Wording = _Wording  # the sheet's wording of expressions and limits, for the Chinese explanations (`explain`)


# --- why points were lost (the 扣分原因 column) ----------------------------------------------------------


def lost_text(rule: ast.Rule, weight: Decimal, scope: Scope, record: tuple[Any, ...], points: Decimal) -> str:
    """Why an indicator scored `points` below its `weight`, worded for the 扣分原因 column: labels for
    facts, the values the rule used, and the points (`扣6分：…，得9分`)."""
    reason = _Reasons(scope, weight).reason(rule, record, points)
    return f"扣{fmt(weight - points)}分：{reason}"


class _Reasons(_Wording):
    def __init__(self, scope: Scope, weight: Decimal) -> None:
        super().__init__(scope)
        self.weight = weight

    def value(self, value: Any, subject: ast.Expr) -> str:
        if isinstance(value, bool):
            return "是" if value else "否"
        if not isinstance(value, Decimal):
            return f"“{value}”"
        return value_text(value, self.scope.kind_of(subject) == Kind.PERCENT, self.unit(subject))

    def named(self, subject: ast.Expr) -> str:
        return self.expr(subject) if isinstance(subject, ast.Name) else self.subject(subject)

    def reason(self, rule: ast.Rule, record: tuple[Any, ...], points: Decimal) -> str:
        got = _points(points, None) if points == 0 else f"得{fmt(points)}分"
        match rule:
            case ast.Bands(subject=subject, rows=rows):
                fired = clauses.BandsFired._make(record)
                shown = f"{self.named(subject)}为{self.value(fired.value, subject)}"
                if fired.clause == clauses.Bands.OTHERWISE:
                    return f"{shown}，不在所列档次内，{got}"
                return f"{shown}，属“{self.interval(rows[fired.row], subject)}”档，{got}"
            case ast.Checklist(deduct=deduct, zero_when=zero_when):
                checked = clauses.ChecklistFired._make(record)
                if checked.clause == clauses.Checklist.ZEROED and zero_when is not None:
                    return f"存在严重不符的情况（{self.expr(zero_when)}），不得分"
                floor = "，扣完为止" if checked.clause == clauses.Checklist.FLOORED else ""
                return f"有{fmt(checked.failed)}项不符，每项扣{fmt(deduct)}分{floor}，{got}"
            case ast.Steps():
                return self.steps_lost(rule, clauses.StepsFired._make(record), got)
            case ast.Proportional(ratio=ratio):
                fired_p = clauses.ProportionalFired._make(record)
                share = value_text(fired_p.ratio, True)
                text = f"{self.ratio(ratio)}为{share}，得分为{fmt(self.weight)}×{share}={fmt(fired_p.raw)}分"
                return self.settled(text, fired_p.raw, points)
            case ast.Linear(subject=subject, points=marks):
                fired_l = clauses.LinearFired._make(record)
                shown = f"{self.named(subject)}为{self.value(fired_l.value, subject)}"
                ats = [self.num(p.at, subject) for p in sorted(marks, key=lambda p: p.at.value)]
                if fired_l.clause == clauses.Linear.BELOW:
                    return f"{shown}，不高于{ats[0]}，{got}"
                if fired_l.clause == clauses.Linear.ABOVE:
                    return f"{shown}，不低于{ats[-1]}，{got}"
                low, high = ats[fired_l.segment - 1], ats[fired_l.segment]
                text = f"{shown}，介于{low}与{high}之间，按比例得{fmt(fired_l.raw)}分"
                return self.settled(text, fired_l.raw, points)
            case ast.Target(actual=actual, op=op):
                fired_t = clauses.TargetFired._make(record)
                shown = f"{self.named(actual)}为{self.value(fired_t.actual, actual)}"
                goal = f"未达到目标值（{_CMP[op]}{self.value(fired_t.target, actual)}）"
                if fired_t.clause == clauses.Target.PROPORTIONAL:
                    return f"{shown}，{goal}，按完成比例{got}"
                return f"{shown}，{goal}，{got}"
            case ast.Judged(tiers=tiers):
                fired_j = clauses.JudgedFired._make(record)
                tier = f"（{tiers[fired_j.tier].label}档）" if fired_j.clause == clauses.Judged.TIER else ""
                return f"评价组评定{tier}{got}"
            case ast.JudgedBy(measure=measure, ranges=ranges):
                fired_b = clauses.JudgedByFired._make(record)
                judged_row = ranges[fired_b.row]
                least, most = ast.range_points(judged_row.least, judged_row.most, self.weight)
                picked = (
                    "不在所列档次内" if judged_row.otherwise else f"属“{self.judged_interval(judged_row, measure)}”档"
                )
                shown = f"{self.named(measure)}为{self.value(fired_b.measure, measure)}"
                return f"{shown}，{picked}，由评价组在{fmt(least)}—{fmt(most)}分内评定，{got}"
            case ast.Formula(expr=expr):
                fired_f = clauses.FormulaFired._make(record)
                if isinstance(expr, ast.Num):
                    return got
                text = f"按公式{self.expr(expr)}计算为{fmt(fired_f.raw)}分"
                if fired_f.clause == clauses.Clamp.RAISED:
                    return f"{text}，最低0分，不得分"
                return self.settled(text, fired_f.raw, points)
            case ast.Conditional(arms=arms, otherwise=otherwise):
                fired_c = clauses.ConditionalFired._make(record)
                if fired_c.clause == clauses.Conditional.ARM:
                    arm = arms[fired_c.arm]
                    return f"因{self.expr(arm.condition)}，{self.reason(arm.rule, fired_c.inner, points)}"
                return self.reason(otherwise, fired_c.inner, points)
        raise TypeError(f"not a rule: {rule!r}")

    def steps_lost(self, rule: ast.Steps, fired: clauses.StepsFired, got: str) -> str:
        subject, above = rule.subject, rule.direction == "above"
        shown = f"{self.named(subject)}为{self.value(fired.value, subject)}"
        limit = self.num(rule.threshold, subject)
        step = f"{fmt(rule.step.value * 100)}个百分点" if rule.step.percent else self.num(rule.step, subject)
        floor = "，扣完为止" if fired.clause == clauses.Steps.FLOORED else ""
        return (
            f"{shown}，{'超过' if above else '低于'}{limit}，每{'增加' if above else '减少'}{step}"
            f"扣{fmt(rule.deduct)}分，计{readable(fired.steps)}次{floor}，{got}"
        )

    @staticmethod
    def settled(text: str, raw: Decimal, points: Decimal) -> str:
        """The computed points, and what rounding made of them."""
        if raw < 0:
            return f"{text}，最低0分"
        return text if raw == points else f"{text}，计{fmt(points)}分"
