"""Clause coverage of test cases: which parts of a rubric no case reaches (like `opa test --coverage`).

Takes compiled rubrics and the results of their test cases; gives, per rubric, every clause with
whether a case reached it. Clauses are what a person reads in the rubric: each band row and the
`otherwise` row, a checklist's clean / deducted / deducted-to-zero / serious branches, a step
rule's within / deducted / deducted-to-zero ranges, each stretch of a `linear`, a target met and
missed, each `when` arm and `otherwise`, and each grade. The generated scoring function records
which clause fired (see `compiler.py`); this module names those records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rubric_dsl import ast
from rubric_dsl.printer import format_expr, interval_text
from rubric_dsl.program import CompiledRubric
from rubric_dsl.results import Result
from rubric_dsl.source import Span

Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Clause:
    key: Key  # (indicator id, arm indexes…, clause index) or ("grade", label)
    label: str
    span: Span


def rule_clauses(rule: ast.Rule, prefix: Key) -> Iterator[Clause]:
    match rule:
        case ast.Bands(rows=rows, otherwise=otherwise, otherwise_span=otherwise_span):
            for index, row in enumerate(rows):
                yield Clause((*prefix, index), f"band {interval_text(row)}", row.span)
            if otherwise is not None and otherwise_span is not None:
                yield Clause((*prefix, len(rows)), "band otherwise", otherwise_span)
        case ast.Checklist(zero_when=zero_when):
            yield Clause((*prefix, 0), "checklist: no failed item", rule.span)
            yield Clause((*prefix, 1), "checklist: points deducted", rule.span)
            yield Clause((*prefix, 2), "checklist: deducted down to 0", rule.span)
            if zero_when is not None:
                yield Clause((*prefix, 3), f"checklist: zero when {format_expr(zero_when)}", rule.span)
        case ast.Steps(direction=direction, threshold=threshold):
            yield Clause((*prefix, 0), f"steps: not {direction} {threshold.text}", rule.span)
            yield Clause((*prefix, 1), f"steps: {direction} {threshold.text}, points deducted", rule.span)
            yield Clause((*prefix, 2), "steps: deducted down to 0", rule.span)
        case ast.Linear(points=points):
            ats = [p.at.text for p in sorted(points, key=lambda p: p.at.value)]
            yield Clause((*prefix, 0), f"linear: at or below {ats[0]}", rule.span)
            for k in range(1, len(ats)):
                yield Clause((*prefix, k), f"linear: between {ats[k - 1]} and {ats[k]}", rule.span)
            yield Clause((*prefix, len(ats)), f"linear: at or above {ats[-1]}", rule.span)
        case ast.Target(proportional=proportional):
            yield Clause((*prefix, 0), "target met", rule.span)
            yield Clause((*prefix, 1 if proportional else 2), "target missed", rule.span)
        case ast.Judged(tiers=tiers) if tiers:
            for index, tier in enumerate(tiers):
                yield Clause((*prefix, index), f"judged: tier {tier.label}", tier.span)
        case ast.Conditional(arms=arms, otherwise=otherwise):
            for index, arm in enumerate(arms):
                yield from rule_clauses(arm.rule, (*prefix, index))
            yield from rule_clauses(otherwise, (*prefix, len(arms)))
        case _:  # proportional, judged, formula: one clause (their 0/weight clamps are guards)
            yield Clause((*prefix, 0), type(rule).__name__.lower(), rule.span)


def reached_key(rule: ast.Rule, record: tuple[Any, ...], prefix: Key) -> Key:
    if isinstance(rule, ast.Conditional):
        arm, inner = record
        chosen = rule.arms[arm].rule if arm < len(rule.arms) else rule.otherwise
        return reached_key(chosen, inner, (*prefix, arm))
    if isinstance(rule, ast.Proportional | ast.Formula):
        return (*prefix, 0)
    return (*prefix, record[0])


@dataclass(slots=True)
class Coverage:
    rubric: CompiledRubric
    reached: set[Key] = field(default_factory=set)

    def clauses(self) -> list[Clause]:
        found = [c for i in self._indicators() for c in rule_clauses(i.rule, (i.id,))]
        grades = self.rubric.tree.grades
        if grades is not None:
            found.extend(Clause(("grade", row.label), f"grade {row.label}", row.span) for row in grades.rows)
        return found

    def _indicators(self) -> Iterator[ast.Indicator]:
        def walk(nodes: Iterable[ast.Node]) -> Iterator[ast.Indicator]:
            for node in nodes:
                if isinstance(node, ast.Section):
                    yield from walk(node.children)
                else:
                    yield node

        return walk(self.rubric.tree.body)

    def add(self, result: Result) -> None:
        for indicator, record in zip(self._indicators(), result.records, strict=True):
            self.reached.add(reached_key(indicator.rule, record, (indicator.id,)))
        self.reached.add(("grade", result.grade))

    def missed(self) -> list[Clause]:
        return [c for c in self.clauses() if c.key not in self.reached]
