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


Expr = Num | Bool | Str | Name | Unary | Binary | Compare | IfElse | Call | Given | Aggregate

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
    whole: bool  # True: only whole steps count; False: a started step counts
    span: Span


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


Rule = Bands | Checklist | Steps | Proportional | Linear | Target | Judged | Formula | Conditional

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


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    label: str
    weight: Decimal
    children: tuple[Section | Indicator, ...]
    abstract: bool
    override: bool
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
        case Conditional(arms=arms, otherwise=otherwise):
            for arm in arms:
                yield arm.condition
                yield from rule_exprs(arm.rule)
            yield from rule_exprs(otherwise)


def sub_rules(rule: Rule) -> Iterator[Rule]:
    """The rule and, for a conditional, every rule in its arms."""
    yield rule
    if isinstance(rule, Conditional):
        for arm in rule.arms:
            yield from sub_rules(arm.rule)
        yield from sub_rules(rule.otherwise)
