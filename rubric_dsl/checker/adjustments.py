"""Adjustment lines, the final range, vetoes and caps, and `points(ID)` (issue 11, section A).

Lines (`bonus`/`penalty`) are checked as indicators whose weight is their cap: the same type, band and
point checks, plus what is particular to a line (a rule that counts from a full amount needs a cap;
`each … points N` needs N > 0). The final range must hold the table's own range 0..total; an end no
line can reach is a warning. A veto's or cap's grade must be a row of the grades table, and without a
table a veto can only `zero` the total. `points(ID)` must name an indicator or section, may not appear
in constraints (checked before scoring), and no points may depend on themselves, directly, through
sections, or through lets.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from rubric_dsl import ast
from rubric_dsl.ast import reads_points, rule_exprs, walk_expr
from rubric_dsl.checker import bands, points, types
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.diagnostics import adjust as diag
from rubric_dsl.diagnostics import check as check_diag

UNCAPPED = Decimal("Infinity")
NEEDS_CAP = (ast.Proportional, ast.Linear, ast.Target, ast.Steps, ast.Checklist, ast.Judged)


def as_indicator(line: ast.Adjustment) -> ast.Indicator:
    """The line seen as an indicator whose weight is its cap (no cap: unbounded), for the rule checks."""
    rule = line.rule if not isinstance(line.rule, ast.Each) else ast.Formula(line.rule.count, line.rule.span)
    return ast.Indicator(line.id, line.label, line.cap if line.cap is not None else UNCAPPED, rule, False, line.span)


def _tree(scope: Scope) -> list[ast.Node]:
    return [n for n, _ in scope.sections] + [n for n, _ in scope.indicators]


def check(scope: Scope) -> Iterator[Diagnostic]:
    yield from _lines(scope)
    yield from _final_range(scope)
    yield from _vetoes(scope)
    yield from _points(scope)


def _lines(scope: Scope) -> Iterator[Diagnostic]:
    taken: dict[str, ast.Node | ast.Adjustment | ast.Veto] = {}
    for node in _tree(scope):
        taken.setdefault(node.id, node)
    items: list[ast.Adjustment | ast.Veto] = [*scope.rubric.adjustments, *scope.rubric.vetoes]
    for item in items:
        first = taken.setdefault(item.id, item)
        if first is not item:
            yield check_diag.duplicate_name(item.kind, item.id, item.span, first.span)
    for line in scope.rubric.adjustments:
        if line.cap is not None and line.cap <= 0:
            yield diag.line_amount_not_positive(line.id, "cap", line.cap, line.span)
            continue
        if isinstance(line.rule, ast.Each):
            yield from types.expect(scope, line.rule.count, "numeric", types.keyword("each"))
            if line.rule.amount <= 0:
                yield diag.line_amount_not_positive(line.id, "amount", line.rule.amount, line.rule.span)
            continue
        needs = [r for r in ast.sub_rules(line.rule) if isinstance(r, NEEDS_CAP)]
        if line.cap is None and needs:
            yield diag.line_needs_max(line.id, type(needs[0]).__name__.lower(), needs[0].span)
            continue
        pseudo = as_indicator(line)
        yield from types.rule_problems(scope, line.rule)
        for rule in ast.sub_rules(line.rule):
            if isinstance(rule, ast.Bands):
                yield from bands.check_bands(scope, pseudo, rule)
            if line.cap is not None:
                for value, span in points.awarded(rule):
                    if value > line.cap:
                        yield diag.line_points_exceed_cap(line.id, value, line.cap, span)
                yield from points.rule_shape(pseudo, rule)


def final_bounds(scope: Scope) -> tuple[Decimal, Decimal]:
    """The final range: as declared, else 0..total."""
    declared = scope.rubric.final_range
    if declared is None:
        return Decimal(0), scope.total
    return declared.minimum.value, declared.maximum.value


def _final_range(scope: Scope) -> Iterator[Diagnostic]:
    rubric = scope.rubric
    declared = rubric.final_range
    if declared is None:
        for line in rubric.adjustments:
            if line.kind == "bonus" and not rubric.abstract:
                yield diag.bonus_limited_by_total(line.id, scope.total, line.span)
        return
    low, high = declared.minimum.value, declared.maximum.value
    percent = next((end for end in (declared.minimum, declared.maximum) if end.percent), None)
    if percent is not None:
        yield diag.range_in_points(percent.text, percent.span)
        return
    if low > high:
        yield diag.range_empty(low, high, declared.span)
        return
    if low > 0 or high < scope.total:
        yield diag.range_excludes_base(low, high, scope.total, declared.span)
        return
    bonuses = [line.cap for line in rubric.adjustments if line.kind == "bonus"]
    if None not in bonuses and high > scope.total:
        reach = scope.total + sum((b for b in bonuses if b is not None), Decimal(0))
        if high > reach:
            yield diag.range_unreachable("maximum", high, reach, declared.span)
    penalties = [line.cap for line in rubric.adjustments if line.kind == "penalty"]
    if None not in penalties and low < 0:
        lowest = -sum((p for p in penalties if p is not None), Decimal(0))
        if low < lowest:
            yield diag.range_unreachable("minimum", low, lowest, declared.span)


def _vetoes(scope: Scope) -> Iterator[Diagnostic]:
    rubric = scope.rubric
    labels = [row.label for row in rubric.grades.rows] if rubric.grades else []
    for veto in rubric.vetoes:
        yield from types.expect(scope, veto.condition, "flag", types.keyword("when"))
        if veto.grade is None:
            continue
        span = veto.grade_span or veto.span
        if rubric.grades is None and not rubric.abstract:  # an abstract rubric's grades may come from its child
            yield diag.veto_without_grades(veto.id, span)
        elif veto.grade not in labels:
            yield diag.unknown_veto_grade(veto.id, veto.grade, labels, span)


def _points(scope: Scope) -> Iterator[Diagnostic]:
    rubric = scope.rubric
    nodes = {n.id: n for n in _tree(scope)}
    for constraint in rubric.constraints:
        for read in reads_points(constraint.expr):
            yield diag.points_in_constraint(read.id, read.span)
    roots = [*(let.expr for let in rubric.lets), *(e for i, _ in scope.indicators for e in rule_exprs(i.rule))]
    roots += [e for line in rubric.adjustments for e in ast.line_exprs(line.rule)]
    roots += [veto.condition for veto in rubric.vetoes]
    for root in roots:
        for read in reads_points(root):
            if read.id not in nodes:
                yield diag.points_unknown(read.id, read.span, nodes)
    yield from _cycles(scope, nodes)


def _reads(scope: Scope, exprs: list[ast.Expr]) -> list[str]:
    """What the expressions read that can depend on points: `let:NAME` and `points:ID`."""
    found = []
    for root in exprs:
        for node in walk_expr(root):
            if isinstance(node, ast.Name) and node.id in scope.lets and node.id not in scope.inputs:
                found.append(f"let:{node.id}")
            elif isinstance(node, ast.PointsOf):
                found.append(f"points:{node.id}")
    return found


def dependencies(scope: Scope) -> dict[str, list[str]]:
    """The graph of what points and lets read: `points:ID` of an indicator reads what its rule reads, of a
    section its children's points; `let:NAME` what its expression reads. Codegen orders by it."""
    graph: dict[str, list[str]] = {}
    for name, let in scope.lets.items():
        graph[f"let:{name}"] = _reads(scope, [let.expr])
    for indicator, _ in scope.indicators:
        graph[f"points:{indicator.id}"] = _reads(scope, list(rule_exprs(indicator.rule)))
    for section, _ in scope.sections:
        graph[f"points:{section.id}"] = [f"points:{child.id}" for child in section.children]
    return graph


def _cycles(scope: Scope, nodes: dict[str, ast.Node]) -> Iterator[Diagnostic]:
    graph = dependencies(scope)
    done: set[str] = set()
    reported: set[frozenset[str]] = set()

    def visit(key: str, path: list[str]) -> Iterator[Diagnostic]:
        if key in path:
            cycle = path[path.index(key) :]
            if any(k.startswith("points:") for k in cycle) and frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                first = next(k for k in cycle if k.startswith("points:"))
                start = cycle.index(first)
                chain = [*cycle[start:], *cycle[:start], first]
                words = [k.split(":", 1)[1] if k.startswith("let:") else f"points({k.split(':', 1)[1]})" for k in chain]
                yield diag.points_cycle(words, nodes[first.split(":", 1)[1]].span)
            return
        if key in done or key not in graph:
            return
        for dependency in graph[key]:
            yield from visit(dependency, [*path, key])
        done.add(key)

    for key in graph:
        yield from visit(key, [])
