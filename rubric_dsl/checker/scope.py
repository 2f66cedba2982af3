"""What every check needs to know about a merged rubric, built once per check run.

Takes a merged syntax tree; gives the inputs and lets by name, the sections and indicators in
rubric order (each with its parent section), and `kind_of`, the `Kind` of an expression. The
checker hands this scope, with the tree, to every later stage (see `CheckedRubric`), so that
no stage builds it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from rubric_dsl import ast
from rubric_dsl.ast import line_exprs, rule_exprs, where_names


class Kind(StrEnum):
    """The kind of a value: an input's declared kind, or what an expression computes."""

    NUMBER = "number"
    PERCENT = "percent"
    COUNT = "count"
    MONEY = "money"
    FLAG = "flag"
    CHOICE = "choice"
    STRING = "string"  # a string literal
    RECORDS = "records"  # a list of records, read only through aggregates
    LITERAL = "literal"  # a plain number literal other than 0, which may not meet a percent


NUMERIC = frozenset({Kind.NUMBER, Kind.PERCENT, Kind.COUNT, Kind.MONEY})


@dataclass(slots=True)
class Scope:
    rubric: ast.Rubric
    inputs: dict[str, ast.Input] = field(default_factory=dict)
    lets: dict[str, ast.Let] = field(default_factory=dict)
    sections: list[tuple[ast.Section, ast.Section | None]] = field(default_factory=list)
    indicators: list[tuple[ast.Indicator, ast.Section | None]] = field(default_factory=list)
    total: Decimal = Decimal(100)
    _let_kinds: dict[str, Kind | None] = field(default_factory=dict)
    # each name inside a `where` clause that names a field of its records (by the node's identity): the field
    fields_read: dict[int, ast.Input] = field(default_factory=dict)

    @classmethod
    def of(cls, rubric: ast.Rubric) -> Scope:
        scope = cls(rubric)
        for item in rubric.inputs:
            scope.inputs.setdefault(item.name, item)
        for let in rubric.lets:
            scope.lets.setdefault(let.name, let)
        scope._collect(rubric.body, None)
        total = [f for f in rubric.header if f.key == "total"]
        if total:
            scope.total = Decimal(total[-1].value)
        for root in all_exprs(scope):
            for aggregate, name in where_names(root):
                fields = {f.name: f for f in scope.record_fields(aggregate.records.id)}
                if name.id in fields and id(name) not in scope.fields_read:
                    scope.fields_read[id(name)] = fields[name.id]
        return scope

    def record_fields(self, name: str) -> tuple[ast.Input, ...]:
        """The fields of the records input `name`; none for anything else."""
        item = self.inputs.get(name)
        return item.fields if item is not None and item.kind == "records" else ()

    def _collect(self, nodes: tuple[ast.Node, ...], parent: ast.Section | None) -> None:
        for node in nodes:
            if isinstance(node, ast.Section):
                self.sections.append((node, parent))
                self._collect(node.children, node)
            else:
                self.indicators.append((node, parent))

    def names(self) -> set[str]:
        return set(self.inputs) | set(self.lets)

    def kind_of(self, expr: ast.Expr) -> Kind | None:
        """The kind of an expression's value, or None where the checker already reported a problem."""
        return _kind(self, expr)


def _kind(scope: Scope, expr: ast.Expr) -> Kind | None:
    match expr:
        case ast.Num(value=value, percent=percent):
            if percent:
                return Kind.PERCENT
            return Kind.NUMBER if value == 0 else Kind.LITERAL
        case ast.Bool():
            return Kind.FLAG
        case ast.Str():
            return Kind.STRING
        case ast.Name(id=name) if id(expr) in scope.fields_read:
            return Kind(scope.fields_read[id(expr)].kind)
        case ast.Name(id=name):
            if name in scope.inputs:
                declared = Kind(scope.inputs[name].kind)
                return None if declared == Kind.RECORDS else declared  # the records check says how to read a list
            if name in scope.lets:
                return _let_kind(scope, name)
            return None
        case ast.Unary(op="not"):
            return Kind.FLAG
        case ast.Unary(operand=operand):
            kind = _kind(scope, operand)
            return kind if kind in NUMERIC or kind == Kind.LITERAL else None  # `-flag` was reported already
        case ast.Binary(op="and" | "or") | ast.Compare():
            return Kind.FLAG
        case ast.Binary(op="+" | "-", left=left, right=right):
            return join(_kind(scope, left), _kind(scope, right))
        case ast.Binary(op="/", left=left, right=right):
            return ratio(_kind(scope, left), _kind(scope, right))
        case ast.Binary():
            return Kind.NUMBER
        case ast.IfElse(then=then, otherwise=otherwise):
            return join(_kind(scope, then), _kind(scope, otherwise))
        case ast.PointsOf():
            return Kind.NUMBER
        case ast.Given():
            return Kind.FLAG
        case ast.Aggregate(func="count"):
            return Kind.COUNT
        case ast.Aggregate(records=records, field=field) if field is not None:
            fields = {f.name: f for f in scope.record_fields(records.id)}
            item = fields.get(field.id)
            return Kind(item.kind) if item is not None and item.kind not in ("flag", "choice") else None
        case ast.Call(func="abs", args=args):
            return _kind(scope, args[0]) if args else None
        case ast.Call(args=args):
            kinds = [_kind(scope, a) for a in args]
            result = kinds[0] if kinds else None
            for kind in kinds[1:]:
                result = join(result, kind)
            return result
    return None


def _let_kind(scope: Scope, name: str) -> Kind | None:
    if name not in scope._let_kinds:
        scope._let_kinds[name] = None  # guards a let cycle; cycles.py reports it
        scope._let_kinds[name] = _kind(scope, scope.lets[name].expr)
    return scope._let_kinds[name]


def ratio(left: Kind | None, right: Kind | None) -> Kind:
    """The kind of `left / right`: two values of one kind (money by money, count by count, number by
    number, percent by percent) make a ratio, which is a percent (`expense / budget >= 95%`); else a number."""
    return Kind.PERCENT if left == right and left in NUMERIC else Kind.NUMBER


def join(left: Kind | None, right: Kind | None) -> Kind | None:
    """The kind of a value that is one of two kinds (for + - min max if-else)."""
    if left is None or right is None:
        return None
    if left == right:
        return left
    if Kind.LITERAL in (left, right):
        other = right if left == Kind.LITERAL else left
        return Kind.NUMBER if other == Kind.LITERAL else other
    if Kind.NUMBER in (left, right):
        return right if left == Kind.NUMBER else left
    return Kind.NUMBER


def all_exprs(scope: Scope) -> Iterator[ast.Expr]:
    """Every expression of the rubric, roots only."""
    for let in scope.rubric.lets:
        yield let.expr
    for constraint in scope.rubric.constraints:
        yield constraint.expr
    for indicator, _ in scope.indicators:
        yield from rule_exprs(indicator.rule)
    for line in scope.rubric.adjustments:
        yield from line_exprs(line.rule)
    for veto in scope.rubric.vetoes:
        yield veto.condition
    yield from applicable_exprs(scope)


def applicable_exprs(scope: Scope) -> Iterator[ast.Expr]:
    """The `applicable when` conditions of sections and indicators."""
    nodes: list[ast.Node] = [*(s for s, _ in scope.sections), *(i for i, _ in scope.indicators)]
    for node in nodes:
        if node.applicable is not None:
            yield node.applicable
