"""Explanations: the sentence that says how an indicator got its points.

Takes a checked rubric's rules (`explainer` builds one `Explainer` per indicator, once, at
compile time) and, per scoring run, the record of the clause that fired with the values it used
(laid out as in `clauses.py`); gives text such as `预算执行率 100% ∈ [95%, ∞) → 5`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from rubric_dsl import ast, clauses
from rubric_dsl.checker.bands import end_key, start_key
from rubric_dsl.checker.bands import show as show_interval
from rubric_dsl.checker.scope import Kind, Scope
from rubric_dsl.printer import format_expr
from rubric_dsl.wording import CMP as _CMP
from rubric_dsl.wording import Wording, value_text
from rubric_dsl.wording import readable as fmt  # numbers shown at a readable precision (see `readable`)


def show(value: Any, percent: bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{fmt(value * 100, 2)}%" if percent else fmt(value)
    return str(value)


def show_zh(value: Any, percent: bool, unit: str = "") -> str:
    """A value as the score sheet prints it: `98.5%`, `70人`, 是/否, a choice in quotes."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return value_text(value, percent, unit)
    return f"“{value}”"


def got_zh(points: Decimal, weight: Decimal | None = None) -> str:
    """`得5分`, `不得分`, or `得满分` where `weight` is given and reached."""
    if points == 0:
        return "不得分"
    return "得满分" if points == weight else f"得{fmt(points)}分"


def _clamped_zh(
    text: str, clause: clauses.Clamp, raw: Decimal, weight: Decimal, capped: str = "超过分值，按满分计"
) -> str:
    """`capped`: how a value above the limit is worded (an indicator's 分值; a line's 上限)."""
    if clause == clauses.Clamp.RAISED:
        return f"{text}为{fmt(raw)}分，计算值小于0，按0分计"
    if clause == clauses.Clamp.CAPPED:
        return f"{text}为{fmt(raw)}分，{capped}（{fmt(weight)}分）"
    return f"{text}，得{fmt(raw)}分"


@dataclass(frozen=True, slots=True)
class Zh:
    """What a Chinese explanation names, worded as the score sheet words it (`wording`): the subject's
    label (an expression with labels for names), its unit, and the rule's limits with units."""

    subject: str = ""
    unit: str = ""
    parts: tuple[str, ...] = ()  # per rule kind: band intervals, linear points, conditions, …


class Explainer(Protocol):
    def explain(self, record: tuple[Any, ...]) -> str: ...

    def explain_zh(self, record: tuple[Any, ...]) -> str: ...


@dataclass(frozen=True, slots=True)
class BandsExplainer:
    subject: str
    percent: bool
    intervals: tuple[str, ...]
    points: tuple[Decimal, ...]
    otherwise: Decimal | None
    zh: Zh = Zh()

    def explain_zh(self, record: tuple[Any, ...]) -> str:
        fired = clauses.BandsFired._make(record)
        shown = f"{self.zh.subject}为{show_zh(fired.value, self.percent, self.zh.unit)}"
        if fired.clause == clauses.Bands.OTHERWISE:
            return f"{shown}，不在所列档次内，按“其余”{got_zh(self.otherwise or Decimal(0))}"
        return f"{shown}，属“{self.zh.parts[fired.row]}”档，{got_zh(self.points[fired.row])}"

    def explain(self, record: tuple[Any, ...]) -> str:
        fired = clauses.BandsFired._make(record)
        row, value = fired.row, fired.value
        shown = f"{self.subject} {show(value, self.percent)}"
        if fired.clause == clauses.Bands.OTHERWISE:
            return f"{shown} matches no band → otherwise {fmt(self.otherwise or Decimal(0))}"
        return f"{shown} ∈ {self.intervals[row]} → {fmt(self.points[row])}"


@dataclass(frozen=True, slots=True)
class ChecklistExplainer:
    failed: str
    deduct: Decimal
    weight: Decimal
    zero_when: str | None
    zh: Zh = Zh()

    def explain_zh(self, record: tuple[Any, ...]) -> str:
        clause, failed, raw = clauses.ChecklistFired._make(record)
        if clause == clauses.Checklist.ZEROED:
            return f"存在严重不符情形（{self.zh.parts[0]}），不得分" if self.zh.parts else "存在严重不符情形，不得分"
        if clause == clauses.Checklist.ALL_MET:
            return f"不符项0项，得{fmt(self.weight)}分"
        head = f"不符项{fmt(failed)}项，每项扣{fmt(self.deduct)}分，{fmt(self.weight)}−{fmt(failed * self.deduct)}"
        if clause == clauses.Checklist.DEDUCTED:
            return f"{head}={fmt(raw)}分"
        return f"{head}<0，按0分计"

    def explain(self, record: tuple[Any, ...]) -> str:
        clause, failed, raw = clauses.ChecklistFired._make(record)
        if clause == clauses.Checklist.ZEROED:
            return f"{self.zero_when} (serious non-compliance) → 0"
        if clause == clauses.Checklist.ALL_MET:
            return f"{self.failed} = 0 failed items → {fmt(self.weight)}"
        lost = failed * self.deduct
        result = f"{self.failed} = {fmt(failed)} failed × {fmt(self.deduct)} → {fmt(self.weight)} − {fmt(lost)}"
        return f"{result} = {fmt(raw)}" if clause == clauses.Checklist.DEDUCTED else f"{result} < 0 → 0"


@dataclass(frozen=True, slots=True)
class StepsExplainer:
    subject: str
    percent: bool
    above: bool
    threshold: Decimal
    step: Decimal
    deduct: Decimal
    weight: Decimal
    whole: bool
    zh: Zh = Zh()
    prorata: bool = False

    def explain_zh(self, record: tuple[Any, ...]) -> str:
        clause, value, steps = clauses.StepsFired._make(record)
        shown = f"{self.zh.subject}为{show_zh(value, self.percent, self.zh.unit)}"
        limit, step = self.zh.parts
        if clause == clauses.Steps.WITHIN:
            return f"{shown}，{'未超过' if self.above else '不低于'}{limit}，得{fmt(self.weight)}分"
        lost = steps * self.deduct
        counted = "按比例" if self.prorata else "满" if self.whole else "不足一档按一档计，"
        head = (
            f"{shown}，{'超过' if self.above else '低于'}{limit}，每{'增加' if self.above else '减少'}{step}"
            f"扣{fmt(self.deduct)}分（{counted}计{fmt(steps)}档），{fmt(self.weight)}−{fmt(lost)}"
        )
        if clause == clauses.Steps.DEDUCTED:
            return f"{head}={fmt(self.weight - lost)}分"
        return f"{head}<0，按0分计"

    def explain(self, record: tuple[Any, ...]) -> str:
        clause, value, steps = clauses.StepsFired._make(record)
        shown = f"{self.subject} {show(value, self.percent)}"
        limit = show(self.threshold, self.percent)
        if clause == clauses.Steps.WITHIN:
            return f"{shown} {'≤' if self.above else '≥'} {limit} → {fmt(self.weight)}"
        kind = "" if self.prorata else " whole" if self.whole else " started"
        plural = "step" if steps == 1 else "steps"
        lost = steps * self.deduct
        head = (
            f"{shown} {'>' if self.above else '<'} {limit}: {fmt(steps)}{kind} {plural} of "
            f"{show(self.step, self.percent)}{' pro rata' if self.prorata else ''} × {fmt(self.deduct)} → "
            f"{fmt(self.weight)} − {fmt(lost)}"
        )
        if clause == clauses.Steps.DEDUCTED:
            return f"{head} = {fmt(self.weight - lost)}"
        return f"{head} < 0 → 0"


def _clamped(text: str, clause: clauses.Clamp, weight: Decimal) -> str:
    if clause == clauses.Clamp.RAISED:
        return f"{text}, raised to 0"
    if clause == clauses.Clamp.CAPPED:
        return f"{text}, capped at {fmt(weight)}"
    return text


@dataclass(frozen=True, slots=True)
class ProportionalExplainer:
    ratio: str
    percent: bool
    weight: Decimal
    zh: Zh = Zh()

    def explain_zh(self, record: tuple[Any, ...]) -> str:
        clause, ratio, raw = clauses.ProportionalFired._make(record)
        share = value_text(ratio, True)
        text = f"{self.zh.subject}为{share}，按比例计算：{fmt(self.weight)}×{share}"
        return _clamped_zh(text, clause, raw, self.weight)

    def explain(self, record: tuple[Any, ...]) -> str:
        clause, ratio, raw = clauses.ProportionalFired._make(record)
        text = f"{fmt(self.weight)} × ({self.ratio} = {show(ratio, self.percent)}) = {fmt(raw)}"
        return _clamped(text, clause, self.weight)


@dataclass(frozen=True, slots=True)
class LinearExplainer:
    subject: str
    percent: bool
    ats: tuple[Decimal, ...]
    points: tuple[Decimal, ...]
    zh: Zh = Zh()

    def explain_zh(self, record: tuple[Any, ...]) -> str:
        clause, segment, value, raw = clauses.LinearFired._make(record)
        shown = f"{self.zh.subject}为{show_zh(value, self.percent, self.zh.unit)}"
        ats = self.zh.parts
        if clause == clauses.Linear.BELOW:
            return f"{shown}，不高于{ats[0]}，{got_zh(self.points[0])}"
        if clause == clauses.Linear.ABOVE:
            return f"{shown}，不低于{ats[-1]}，{got_zh(self.points[-1])}"
        p0, p1 = self.points[segment - 1], self.points[segment]
        way = "增" if p1 > p0 else "减"
        return (
            f"{shown}，介于{ats[segment - 1]}与{ats[segment]}之间，按比例得{fmt(raw)}分"
            f"（由{fmt(p0)}分线性{way}至{fmt(p1)}分）"
        )

    def explain(self, record: tuple[Any, ...]) -> str:
        clause, segment, value, raw = clauses.LinearFired._make(record)
        shown = f"{self.subject} {show(value, self.percent)}"
        if clause == clauses.Linear.BELOW:
            return f"{shown} ≤ {show(self.ats[0], self.percent)} → {fmt(self.points[0])}"
        if clause == clauses.Linear.ABOVE:
            return f"{shown} ≥ {show(self.ats[-1], self.percent)} → {fmt(self.points[-1])}"
        x0, x1 = self.ats[segment - 1], self.ats[segment]
        p0, p1 = self.points[segment - 1], self.points[segment]
        between = f"between {show(x0, self.percent)} and {show(x1, self.percent)}"
        if p0 == 0:
            return (
                f"{shown} {between} → {fmt(p1)} × ({show(value, self.percent)} − {show(x0, self.percent)}) / "
                f"({show(x1, self.percent)} − {show(x0, self.percent)}) = {fmt(raw)}"
            )
        return f"{shown} {between} → {fmt(raw)} (linear from {fmt(p0)} to {fmt(p1)})"


@dataclass(frozen=True, slots=True)
class TargetExplainer:
    actual: str
    op: str
    target: str
    percent: bool
    weight: Decimal
    proportional: bool
    zh: Zh = Zh()

    def explain_zh(self, record: tuple[Any, ...]) -> str:
        clause, actual, target = clauses.TargetFired._make(record)
        shown = f"{self.zh.subject}为{show_zh(actual, self.percent, self.zh.unit)}"
        goal = f"（{_CMP[self.op]}{show_zh(target, self.percent, self.zh.unit)}）"
        if clause == clauses.Target.MET:
            return f"{shown}，达到目标{goal}，得满分（{fmt(self.weight)}分）"
        if clause == clauses.Target.MISSED:
            return f"{shown}，未达到目标{goal}，不得分"
        num, den = (actual, target) if self.op in (">=", ">") else (target, actual)
        ratio = f"{show_zh(num, self.percent, self.zh.unit)}÷{show_zh(den, self.percent, self.zh.unit)}"
        return f"{shown}，未达到目标{goal}，按比例得分：{fmt(self.weight)}×{ratio}"

    def explain(self, record: tuple[Any, ...]) -> str:
        clause, actual, target = clauses.TargetFired._make(record)
        shown = f"{self.actual} {show(actual, self.percent)}"
        goal = f"target {self.op} {show(target, self.percent)}"
        if clause == clauses.Target.MET:
            return f"{shown} meets {goal} → {fmt(self.weight)}"
        if clause == clauses.Target.MISSED:
            return f"{shown} misses {goal} → 0"
        num, den = (actual, target) if self.op in (">=", ">") else (target, actual)
        return f"{shown} misses {goal} → {fmt(self.weight)} × {show(num, self.percent)} / {show(den, self.percent)}"


@dataclass(frozen=True, slots=True)
class JudgedExplainer:
    input: str
    tiers: tuple[str, ...] = ()

    def explain_zh(self, record: tuple[Any, ...]) -> str:
        fired = clauses.JudgedFired._make(record)
        tier = f"，“{self.tiers[fired.tier]}”档" if fired.clause == clauses.Judged.TIER else ""
        return f"由评价组评定（{self.input}{tier}），得{fmt(fired.value)}分"

    def explain(self, record: tuple[Any, ...]) -> str:
        fired = clauses.JudgedFired._make(record)
        tier = f", tier {self.tiers[fired.tier]}" if fired.clause == clauses.Judged.TIER else ""
        return f"judged by the evaluation group ({self.input}{tier}) → {fmt(fired.value)}"


@dataclass(frozen=True, slots=True)
class JudgedByExplainer:
    input: str
    measure: str
    percent: bool
    intervals: tuple[str, ...]  # each row's interval; "otherwise" for the `otherwise` row
    ranges: tuple[tuple[Decimal, Decimal], ...]  # each row's range, in points
    zh: Zh = Zh()

    def explain_zh(self, record: tuple[Any, ...]) -> str:
        fired = clauses.JudgedByFired._make(record)
        low, high = self.ranges[fired.row]
        shown = f"{self.zh.subject}为{show_zh(fired.measure, self.percent, self.zh.unit)}"
        where = "不在所列档次内" if fired.clause == clauses.JudgedBy.OTHERWISE else f"属“{self.zh.parts[fired.row]}”档"
        return f"{shown}，{where}，由评价组在{fmt(low)}—{fmt(high)}分内评定（{self.input}），得{fmt(fired.value)}分"

    def explain(self, record: tuple[Any, ...]) -> str:
        fired = clauses.JudgedByFired._make(record)
        low, high = self.ranges[fired.row]
        row = (
            "matches no band: otherwise"
            if fired.clause == clauses.JudgedBy.OTHERWISE
            else f"∈ {self.intervals[fired.row]}"
        )
        return (
            f"{self.measure} {show(fired.measure, self.percent)} {row} → judged by the evaluation group "
            f"({self.input}) within {fmt(low)}..{fmt(high)} → {fmt(fired.value)}"
        )


@dataclass(frozen=True, slots=True)
class FormulaExplainer:
    expr: str
    weight: Decimal
    zh: Zh = Zh()

    def explain_zh(self, record: tuple[Any, ...]) -> str:
        clause, raw = clauses.FormulaFired._make(record)
        if self.expr == fmt(raw):
            return got_zh(raw)
        return _clamped_zh(f"按公式{self.zh.subject}计算", clause, raw, self.weight)

    def explain(self, record: tuple[Any, ...]) -> str:
        clause, raw = clauses.FormulaFired._make(record)
        text = f"→ {fmt(raw)}" if self.expr == fmt(raw) else f"{self.expr} = {fmt(raw)}"
        return _clamped(text, clause, self.weight)


@dataclass(frozen=True, slots=True)
class ConditionalExplainer:
    conditions: tuple[str, ...]
    rules: tuple[Explainer, ...]  # one per arm, then the `otherwise` rule
    zh: Zh = Zh()

    def explain_zh(self, record: tuple[Any, ...]) -> str:
        clause, arm, inner = clauses.ConditionalFired._make(record)
        head = f"当{self.zh.parts[arm]}时" if clause == clauses.Conditional.ARM else "否则"
        return f"{head}：{self.rules[arm].explain_zh(inner)}"

    def explain(self, record: tuple[Any, ...]) -> str:
        clause, arm, inner = clauses.ConditionalFired._make(record)
        head = f"when {self.conditions[arm]}" if clause == clauses.Conditional.ARM else "otherwise"
        return f"{head}: {self.rules[arm].explain(inner)}"


# --- building explainers from the checked rubric -------------------------------------------------


def _subject(scope: Scope, expr: ast.Expr) -> str:
    if isinstance(expr, ast.Name) and expr.id in scope.inputs:
        return scope.inputs[expr.id].label
    if isinstance(expr, ast.Name) and expr.id in scope.lets and scope.lets[expr.id].label:
        return scope.lets[expr.id].label or expr.id
    return format_expr(expr)


LET_TEXT = 120  # characters: an unlabelled `let` worded longer than this is named, not spelt out


class _Words(Wording):
    """The sheet's wording, each unlabelled `let` worded once: a chain of lets that each use the one
    before twice would otherwise be spelt out at twice the length per link."""

    def __init__(self, scope: Scope) -> None:
        super().__init__(scope)
        self.lets: dict[str, str] = {}

    def name(self, name: str) -> str:
        let = self.scope.lets.get(name)
        if name in self.scope.inputs or let is None or let.label:
            return super().name(name)
        if name not in self.lets:
            text = self.expr(let.expr)
            self.lets[name] = text if len(text) <= LET_TEXT else f"中间值{name}"
        return self.lets[name]


def explainer(scope: Scope, rule: ast.Rule, weight: Decimal) -> Explainer:
    """The explainer of `rule` in an indicator of `weight`, built once when the rubric is compiled; where the
    rule reads a labelled let that aggregates records, the explanation ends with what that let counted."""
    words = _Words(scope)
    found = _explainer(scope, words, rule, weight)
    lets = _aggregate_lets(scope, rule)
    if not lets:
        return found
    en = "; ".join(f"{let.label} = {format_expr(let.expr)}" for let in lets)
    zh = "；".join(f"{let.label}={words.expr(let.expr)}" for let in lets)
    return CountedExplainer(found, f" (where {en})", f"（其中{zh}）")


@dataclass(frozen=True, slots=True)
class CountedExplainer:
    """An explanation followed by what the labelled lets it read counted, summed or averaged."""

    inner: Explainer
    note: str
    note_zh: str

    def explain(self, record: tuple[Any, ...]) -> str:
        return self.inner.explain(record) + self.note

    def explain_zh(self, record: tuple[Any, ...]) -> str:
        return self.inner.explain_zh(record) + self.note_zh


def _aggregate_lets(scope: Scope, rule: ast.Rule) -> list[ast.Let]:
    """The labelled lets `rule` reads (directly or through other lets) whose value is an aggregate of records."""
    found: list[ast.Let] = []
    seen: set[str] = set()
    pending = [n.id for e in ast.rule_exprs(rule) for n in ast.walk_expr(e) if isinstance(n, ast.Name)]
    while pending:
        name = pending.pop(0)
        let = scope.lets.get(name)
        if let is None or name in seen:
            continue
        seen.add(name)
        pending.extend(n.id for n in ast.walk_expr(let.expr) if isinstance(n, ast.Name))
        if let.label and any(isinstance(n, ast.Aggregate) for n in ast.walk_expr(let.expr)):
            found.append(let)
    return found


def _zh(words: Wording, subject: ast.Expr, *parts: str) -> Zh:
    named = words.expr(subject) if isinstance(subject, ast.Name) else words.subject(subject)
    return Zh(named, words.unit(subject), parts)


def _explainer(scope: Scope, words: Wording, rule: ast.Rule, weight: Decimal) -> Explainer:
    match rule:
        case ast.Bands(subject=subject, rows=rows, otherwise=otherwise):
            percent = scope.kind_of(subject) == Kind.PERCENT
            intervals = tuple(
                show_interval(
                    start_key(r.low.value if r.low else None, r.low_closed, False),
                    end_key(r.high.value if r.high else None, r.high_closed, False),
                    percent,
                )
                for r in rows
            )
            zh = _zh(words, subject, *(words.interval(r, subject) for r in rows))
            return BandsExplainer(
                _subject(scope, subject), percent, intervals, tuple(r.points for r in rows), otherwise, zh
            )
        case ast.Checklist(failed=failed, deduct=deduct, zero_when=zero_when):
            zh = Zh(words.expr(failed), "", (words.expr(zero_when),) if zero_when else ())
            return ChecklistExplainer(
                _subject(scope, failed), deduct, weight, _subject(scope, zero_when) if zero_when else None, zh
            )
        case ast.Steps():
            step = rule.step
            step_zh = f"{fmt(step.value * 100)}个百分点" if step.percent else words.num(step, rule.subject)
            return StepsExplainer(
                _subject(scope, rule.subject),
                scope.kind_of(rule.subject) == Kind.PERCENT,
                rule.direction == "above",
                rule.threshold.value,
                rule.step.value,
                rule.deduct,
                weight,
                rule.whole,
                _zh(words, rule.subject, words.num(rule.threshold, rule.subject), step_zh),
                rule.prorata,
            )
        case ast.Proportional(ratio=ratio):
            return ProportionalExplainer(
                _subject(scope, ratio), scope.kind_of(ratio) == Kind.PERCENT, weight, Zh(words.ratio(ratio))
            )
        case ast.Linear(subject=subject, points=points):
            ordered = sorted(points, key=lambda p: p.at.value)
            return LinearExplainer(
                _subject(scope, subject),
                scope.kind_of(subject) == Kind.PERCENT,
                tuple(p.at.value for p in ordered),
                tuple(weight if p.points is None else p.points for p in ordered),
                _zh(words, subject, *(words.num(p.at, subject) for p in ordered)),
            )
        case ast.Target(actual=actual, op=op, target=target, proportional=proportional):
            return TargetExplainer(
                _subject(scope, actual),
                op,
                format_expr(target),
                scope.kind_of(actual) == Kind.PERCENT,
                weight,
                proportional,
                _zh(words, actual),
            )
        case ast.Judged(input=name, tiers=tiers):
            return JudgedExplainer(_subject(scope, name), tuple(t.label for t in tiers))
        case ast.JudgedBy(input=name, measure=measure, ranges=ranges):
            percent = scope.kind_of(measure) == Kind.PERCENT
            intervals = tuple(
                "otherwise"
                if r.otherwise
                else show_interval(
                    start_key(r.low.value if r.low else None, r.low_closed, False),
                    end_key(r.high.value if r.high else None, r.high_closed, False),
                    percent,
                )
                for r in ranges
            )
            zh = _zh(words, measure, *("其余" if r.otherwise else words.judged_interval(r, measure) for r in ranges))
            return JudgedByExplainer(
                _subject(scope, name),
                _subject(scope, measure),
                percent,
                intervals,
                tuple(ast.range_points(r.least, r.most, weight) for r in ranges),
                zh,
            )
        case ast.Formula(expr=expr):
            return FormulaExplainer(format_expr(expr), weight, Zh(words.expr(expr)))
        case ast.Conditional(arms=arms, otherwise=otherwise):
            return ConditionalExplainer(
                tuple(format_expr(a.condition) for a in arms),
                tuple(_explainer(scope, words, r, weight) for r in (*(a.rule for a in arms), otherwise)),
                Zh("", "", tuple(words.expr(a.condition) for a in arms)),
            )
    raise TypeError(f"not a rule: {rule!r}")


# --- adjustment lines, vetoes and caps (issue 11, section A) ----------------------------------------


@dataclass(frozen=True, slots=True)
class EachExplainer:
    """`each COUNT points N`: `较大事故次数 2 × 1 = 2`; in Chinese as the sheet says it, with the line's own
    verb (`verb`: 加 or 扣) instead of 得: `被上级通报批评次数为1次，每次扣2分：1×2=2分`."""

    count: str
    amount: Decimal
    cap: Decimal
    verb: str
    zh: Zh = Zh()

    def explain_zh(self, record: tuple[Any, ...]) -> str:
        clause, count, raw = clauses.EachFired._make(record)
        unit = self.zh.unit
        text = f"{self.zh.subject}为{fmt(count)}{unit}，每{unit or '次'}{self.verb}{fmt(self.amount)}分："
        text += f"{fmt(count)}×{fmt(self.amount)}={fmt(raw)}分"
        if clause == clauses.Clamp.RAISED:
            return f"{text}，计算值小于0，按0分计"
        if clause == clauses.Clamp.CAPPED:
            return f"{text}，超过上限，按上限计（{fmt(self.cap)}分）"
        return text

    def explain(self, record: tuple[Any, ...]) -> str:
        clause, count, raw = clauses.EachFired._make(record)
        return _clamped(f"{self.count} {fmt(count)} × {fmt(self.amount)} = {fmt(raw)}", clause, self.cap)


def line_explainer(scope: Scope, line: ast.Adjustment, cap: Decimal) -> Explainer:
    """The explainer of an adjustment line's rule; `cap` is its `max`, or infinity."""
    words = _Words(scope)
    if isinstance(line.rule, ast.Each):
        count = line.rule.count
        verb = "加" if line.kind == "bonus" else "扣"
        return EachExplainer(_subject(scope, count), line.rule.amount, cap, verb, _zh(words, count))
    return _explainer(scope, words, line.rule, cap)


def veto_reads(scope: Scope, veto: ast.Veto) -> tuple[tuple[str, str, bool, str], ...]:
    """What a veto's condition reads, in the generated code's order (`codegen.read_by`): per fact, let or
    points, its name in rubric notation, its Chinese wording, whether it is a percent, and its unit."""
    words, found = _Words(scope), []
    seen: set[tuple[str, str]] = set()
    for node in ast.walk_expr(veto.condition):
        if isinstance(node, ast.Name | ast.PointsOf) and (type(node).__name__, node.id) not in seen:
            seen.add((type(node).__name__, node.id))
            percent = scope.kind_of(node) == Kind.PERCENT
            found.append((format_expr(node), words.expr(node), percent, words.unit(node)))
    return tuple(found)


def condition_text(scope: Scope, veto: ast.Veto) -> tuple[str, str]:
    """A veto's condition in rubric notation and in the sheet's Chinese wording."""
    return format_expr(veto.condition), _Words(scope).expr(veto.condition)
