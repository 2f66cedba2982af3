"""Syntax-tree nodes: frozen, slotted dataclasses named with the language's nouns.

Produced by `parser.py`; every node has a `span` into the file it came from (inherited nodes
keep the parent file's spans, so diagnostics point at the right file). Numbers are `Decimal`;
a percent literal `95%` is stored as its ratio 0.95 with `percent=True`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from rubric_dsl.source import Span

InputKind = Literal["number", "percent", "count", "money", "flag", "choice", "records"]

# --- expressions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Num:
    value: Decimal
    percent: bool
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Bool:
    value: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Str:
    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    span: Span


@dataclass(frozen=True, slots=True)
class Unary:
    op: Literal["-", "not"]
    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Binary:
    op: Literal["+", "-", "*", "/", "and", "or"]
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Compare:
    op: Literal[">=", "<=", "==", "!=", ">", "<"]
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class IfElse:
    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    func: Literal["min", "max", "abs"]
    args: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class PointsOf:
    """`points(ID)`: the points of an indicator or a section, after the rubric's rounding."""

    id: str
    span: Span


@dataclass(frozen=True, slots=True)
class Given:
    """`given(NAME)`: whether the request gives the optional input NAME."""

    name: Name
    span: Span


@dataclass(frozen=True, slots=True)
class Aggregate:
    """`count(R)`, `count(R where C)`, `sum(R, F)`, `mean(R, F)`, `mean(R, F by W)` over a records input.

    `field` and `weight` name fields of the records; inside `where`, names are the record's fields
    (or, when no field has that name, the rubric's inputs and lets)."""

    func: Literal["count", "sum", "mean"]
    records: Name
    field: Name | None
    weight: Name | None
    where: Expr | None
    span: Span


Expr = Num | Bool | Str | Name | Unary | Binary | Compare | IfElse | Call | PointsOf | Given | Aggregate

# --- scoring rules ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BandRow:
    low: Num | None  # None: -∞
    low_closed: bool
    high: Num | None  # None: +∞
    high_closed: bool
    points: Decimal
    span: Span


@dataclass(frozen=True, slots=True)
class Bands:
    subject: Expr
    rows: tuple[BandRow, ...]
    otherwise: Decimal | None
    otherwise_span: Span | None
    span: Span


@dataclass(frozen=True, slots=True)
class Checklist:
    failed: Expr
    deduct: Decimal
    zero_when: Expr | None
    span: Span


@dataclass(frozen=True, slots=True)
class Steps:
    subject: Expr
    direction: Literal["above", "below"]
    threshold: Num
    deduct: Decimal
    step: Num
    whole: bool  # True: only whole steps count; False: a started step counts (unless `prorata`)
    span: Span
    prorata: bool = False  # `prorata`: the distance over the step exactly, no step rounding


@dataclass(frozen=True, slots=True)
class Proportional:
    ratio: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class LinearPoint:
    at: Num
    points: Decimal | None  # None: the indicator's weight
    span: Span


@dataclass(frozen=True, slots=True)
class Linear:
    subject: Expr
    points: tuple[LinearPoint, ...]  # `from a to b` is sugar for (a -> 0) (b -> weight)
    span: Span


TARGET_OPS = (">=", "<=", ">", "<", "==")


@dataclass(frozen=True, slots=True)
class Target:
    """`target actual op target`; a target written without one of `TARGET_OPS` keeps what was written in
    `actual` with `op` "" (or its other operator), for the checker to report."""

    actual: Expr
    op: str
    target: Expr
    proportional: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Tier:
    """A named tier of a judged score, as shares of the weight: `"达成" 80% .. 100%`."""

    label: str
    low: Num
    high: Num
    span: Span


@dataclass(frozen=True, slots=True)
class Judged:
    input: Name
    tier_input: Name | None  # the choice input naming the tier the evaluation group chose
    tiers: tuple[Tier, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class JudgedRange:
    """A row of `judged … by`: where the measure lies, and the range the judged score must lie in
    (`least .. most`, in points, or as shares of the weight when written with `%`). The `otherwise`
    row has no interval (`otherwise` True)."""

    low: Num | None  # None: -∞
    low_closed: bool
    high: Num | None  # None: +∞
    high_closed: bool
    least: Num
    most: Num
    span: Span
    otherwise: bool = False


def range_points(least: Num, most: Num, weight: Decimal) -> tuple[Decimal, Decimal]:
    """A judged range (a tier or a `judged … by` row) in points: plain numbers are points, `%` shares
    of the indicator's weight."""
    return tuple(e.value * weight if e.percent else e.value for e in (least, most))  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class JudgedBy:
    """`judged SCORE by MEASURE { [90%, ∞) 16 .. 20 … otherwise 0 .. 9 }`: the measure picks the range
    the evaluation group's score must lie in."""

    input: Name
    measure: Expr
    ranges: tuple[JudgedRange, ...]  # the rows with an interval, then the `otherwise` row if any
    span: Span


@dataclass(frozen=True, slots=True)
class Formula:
    expr: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class WhenArm:
    condition: Expr
    rule: Rule
    span: Span


@dataclass(frozen=True, slots=True)
class Conditional:
    arms: tuple[WhenArm, ...]
    otherwise: Rule
    span: Span


Rule = Bands | Checklist | Steps | Proportional | Linear | Target | Judged | JudgedBy | Formula | Conditional

# --- declarations -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Input:
    name: str
    kind: InputKind
    label: str
    choices: tuple[str, ...]
    minimum: Num | None
    maximum: Num | None
    default: Num | Bool | Str | None
    unit: str | None
    override: bool
    span: Span
    optional: bool = False  # `optional`: the request may leave it out (see `Given`)
    fields: tuple[Input, ...] = ()  # a `records` input's fields, in declared order


@dataclass(frozen=True, slots=True)
class Constraint:
    expr: Expr
    message: str | None
    span: Span
    fact: str | None = None  # the fact a broken constraint blames; else the first input it reads
    message_zh: str | None = None  # a generated constraint's message in Chinese (an author's is as written)


@dataclass(frozen=True, slots=True)
class Let:
    name: str
    label: str | None
    expr: Expr
    override: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str
    label: str
    weight: Decimal
    rule: Rule
    override: bool
    span: Span
    applicable: Expr | None = None  # `applicable when COND`: not applicable (不适用) when COND is false


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    label: str
    weight: Decimal
    children: tuple[Section | Indicator, ...]
    abstract: bool
    override: bool
    span: Span
    applicable: Expr | None = None


@dataclass(frozen=True, slots=True)
class NotApplicable:
    """`not_applicable share | rescale | full`: what the weight of an item that is not applicable becomes."""

    mode: Literal["share", "rescale", "full"]
    span: Span


Node = Section | Indicator


@dataclass(frozen=True, slots=True)
class GradeRow:
    label: str
    minimum: Decimal | None  # None: `otherwise`
    span: Span
    op: str = ">="  # as written; the checker refuses any other
    op_span: Span | None = None


@dataclass(frozen=True, slots=True)
class Grades:
    rows: tuple[GradeRow, ...]
    override: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Each:
    """`each EXPR points N`, a rule of adjustment lines only: count × amount ("每发生一起扣1分")."""

    count: Expr
    amount: Decimal
    span: Span


LineRule = Rule | Each


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A bonus (加分) or penalty (扣分) line outside the weighted tree: its rule's value (>= 0), limited by
    `max` when given, is added to or taken from the total."""

    id: str
    label: str
    kind: Literal["bonus", "penalty"]
    cap: Decimal | None  # `max N`; None: no cap of its own
    rule: LineRule
    override: bool
    span: Span

    @property
    def sign(self) -> int:
        return 1 if self.kind == "bonus" else -1


@dataclass(frozen=True, slots=True)
class Veto:
    """`veto`/`cap ID "…" when COND grade [at most] G [zero]` or `… when COND zero`: fixes (or, with `at most`,
    caps) the grade when the condition holds; every point stands unless `zero` is written."""

    id: str
    label: str
    kind: Literal["veto", "cap"]
    condition: Expr
    grade: str | None
    at_most: bool
    zero: bool
    override: bool
    span: Span
    grade_span: Span | None = None


@dataclass(frozen=True, slots=True)
class FinalRange:
    """`final range a .. b`: the final score (base ± adjustments) is limited to it; default 0 .. total."""

    minimum: Num
    maximum: Num
    span: Span


@dataclass(frozen=True, slots=True)
class HeaderField:
    key: Literal["version", "source", "region", "year", "total"]
    value: str
    span: Span


DEFAULT_INDICATOR_STEP = Decimal("0.01")  # without `round indicator …`: 0.01, half_up (四舍五入)


@dataclass(frozen=True, slots=True)
class Rounding:
    scope: Literal["indicator", "total"]
    step: Decimal
    mode: Literal["half_up", "half_even", "half_down", "up", "down"]
    span: Span


@dataclass(frozen=True, slots=True)
class Rubric:
    id: str
    title: str
    abstract: bool
    extends: Name | None
    header: tuple[HeaderField, ...]
    rounding: tuple[Rounding, ...]
    inputs: tuple[Input, ...]
    constraints: tuple[Constraint, ...]
    lets: tuple[Let, ...]
    body: tuple[Node, ...]
    grades: Grades | None
    span: Span
    adjustments: tuple[Adjustment, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    final_range: FinalRange | None = None
    not_applicable: NotApplicable | None = None


# --- shared walks: every pass that visits expressions or nested rules goes through these


def walk_expr(expr: Expr) -> Iterator[Expr]:
    yield expr
    match expr:
        case Unary(operand=operand):
            yield from walk_expr(operand)
        case Binary(left=left, right=right) | Compare(left=left, right=right):
            yield from walk_expr(left)
            yield from walk_expr(right)
        case IfElse(condition=c, then=t, otherwise=o):
            yield from walk_expr(c)
            yield from walk_expr(t)
            yield from walk_expr(o)
        case Call(args=args):
            for arg in args:
                yield from walk_expr(arg)
        case Given(name=name):
            yield name
        case Aggregate(records=records, where=where):
            yield records  # `field` and `weight` are the records' fields, not names of the rubric
            if where is not None:
                yield from walk_expr(where)


def where_names(expr: Expr) -> Iterator[tuple[Aggregate, Name]]:
    """Each name read inside a `where` clause, with the aggregate whose records it may name a field of."""
    for node in walk_expr(expr):
        if isinstance(node, Aggregate) and node.where is not None:
            for inner in walk_expr(node.where):
                if isinstance(inner, Name):
                    yield node, inner


def rule_exprs(rule: Rule) -> Iterator[Expr]:
    """The expressions a rule reads (not the literals of its table)."""
    match rule:
        case Bands(subject=e) | Steps(subject=e) | Linear(subject=e):
            yield e
        case Checklist(failed=failed, zero_when=zero_when):
            yield failed
            if zero_when is not None:
                yield zero_when
        case Proportional(ratio=e) | Formula(expr=e):
            yield e
        case Target(actual=actual, target=target):
            yield actual
            yield target
        case Judged(input=name, tier_input=tier_input):
            yield name
            if tier_input is not None:
                yield tier_input
        case JudgedBy(input=name, measure=measure):
            yield name
            yield measure
        case Conditional(arms=arms, otherwise=otherwise):
            for arm in arms:
                yield arm.condition
                yield from rule_exprs(arm.rule)
            yield from rule_exprs(otherwise)


def line_exprs(rule: LineRule) -> Iterator[Expr]:
    """The expressions an adjustment line's rule reads."""
    if isinstance(rule, Each):
        yield rule.count
    else:
        yield from rule_exprs(rule)


def reads_points(expr: Expr) -> Iterator[PointsOf]:
    """The `points(ID)` an expression reads directly."""
    for node in walk_expr(expr):
        if isinstance(node, PointsOf):
            yield node


def sub_rules(rule: Rule) -> Iterator[Rule]:
    """The rule and, for a conditional, every rule in its arms."""
    yield rule
    if isinstance(rule, Conditional):
        for arm in rule.arms:
            yield from sub_rules(arm.rule)
        yield from sub_rules(rule.otherwise)
