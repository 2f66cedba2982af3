"""Records and optional-input check: record lists, their fields and aggregates, `optional` and `given`.

A `records` input has fields (plain inputs: number, percent, count, money, flag, choice) and no
range, default or unit of its own; a field's name is not that of an input or let (inside `where`
it would hide it). A list is read only through `count`, `sum` and `mean`, whose field and weight
are numeric fields of that list (a weight declared never negative); inside `where`, a name is a
field of the list, or else an input or let. `given(NAME)` tests an `optional` input, and an
optional input has no default.
"""

from __future__ import annotations

from collections.abc import Iterator

from rubric_dsl import ast
from rubric_dsl.ast import walk_expr, where_names
from rubric_dsl.checker.inputs import check_input
from rubric_dsl.checker.scope import Scope, all_exprs
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.diagnostics import records as diag

NUMERIC_FIELDS = ("number", "percent", "count", "money")


def check(scope: Scope) -> Iterator[Diagnostic]:
    for item in scope.rubric.inputs:
        if item.optional and item.default is not None:
            yield diag.optional_with_default(item.name, item.span)
        if item.kind == "records":
            yield from _check_records(scope, item)
    for root in all_exprs(scope):
        yield from _check_expr(scope, root)


def _check_records(scope: Scope, item: ast.Input) -> Iterator[Diagnostic]:
    for option, value in (("range", item.minimum or item.maximum), ("default", item.default), ("unit", item.unit)):
        if value is not None:
            yield diag.records_option(item.name, option, item.span)
    seen: set[str] = set()
    names = scope.names()
    for field in item.fields:
        if field.name in seen:
            yield diag.duplicate_field(item.name, field.name, field.span)
        seen.add(field.name)
        if field.name in names:
            yield diag.field_shadows(item.name, field.name, field.span)
        if field.kind == "records":
            yield diag.field_not_plain(item.name, field.name, "records", field.span)
        elif field.optional:
            yield diag.field_not_plain(item.name, field.name, "optional", field.span)
        yield from check_input(field)


def _check_expr(scope: Scope, root: ast.Expr) -> Iterator[Diagnostic]:
    in_aggregate = {id(node.records) for node in walk_expr(root) if isinstance(node, ast.Aggregate)}
    for node in walk_expr(root):
        match node:
            case ast.Name(id=name) if id(node) not in in_aggregate and id(node) not in scope.fields_read:
                item = scope.inputs.get(name)
                if item is not None and item.kind == "records":
                    yield diag.records_outside_aggregate(name, node.span)
            case ast.Given(name=name):
                item = scope.inputs.get(name.id)
                if item is not None and not item.optional:
                    yield diag.given_not_optional(name.id, item.default is not None, node.span)
            case ast.Aggregate():
                yield from _check_aggregate(scope, node)


def _check_aggregate(scope: Scope, node: ast.Aggregate) -> Iterator[Diagnostic]:
    records = node.records.id
    item = scope.inputs.get(records)
    if item is None or item.kind != "records":
        if item is not None or records in scope.lets:
            kind = item.kind if item is not None else None
            yield diag.not_records(node.func, records, kind, node.records.span)
        return  # an unknown name: the name check reports it
    fields = {f.name: f for f in item.fields}
    for role, name in (("field", node.field), ("weight", node.weight)):
        if name is None:
            continue
        field = fields.get(name.id)
        if field is None:
            yield diag.unknown_field(records, name.id, fields, name.span)
        elif field.kind not in NUMERIC_FIELDS:
            yield diag.aggregate_not_numeric(node.func, records, name.id, field.kind, role, name.span)
        elif role == "weight" and (field.minimum is None or field.minimum.value < 0):
            yield diag.weight_may_be_negative(records, name.id, name.span)
    if node.where is None:
        return
    for inner in walk_expr(node.where):
        if isinstance(inner, ast.Aggregate):
            yield diag.nested_aggregate(inner.span)
            return
    names = scope.names()
    for aggregate, name in where_names(node):
        if aggregate is node and name.id not in fields and name.id not in names:
            yield diag.unknown_field(records, name.id, fields, name.span)
