"""Clause coverage of test cases: which parts of a rubric no case reaches (like `opa test --coverage`).

Takes compiled rubrics and the results of their test cases; gives, per rubric, every clause with
whether a case reached it. Clauses are what a person reads in the rubric: each band row and the
`otherwise` row, a checklist's clean / deducted / deducted-to-zero / serious branches, a step
rule's within / deducted / deducted-to-zero ranges, each stretch of a `linear`, a target met and
missed, each `when` arm and `otherwise`, each grade, each bonus/penalty line applied and not (with its
rule's clauses), and each veto or cap fired and not. The generated scoring function records
which clause fired; this module names those records, by the clause enums of `clauses.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rubric_dsl import ast, clauses
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
    """Every clause of `rule` a case can reach, keyed as `reached_key` keys the one that fired."""
    match rule:
        case ast.Bands(rows=rows, otherwise=otherwise, otherwise_span=otherwise_span):
            for index, row in enumerate(rows):
                yield Clause((*prefix, clauses.Bands.ROW, index), f"band {interval_text(row)}", row.span)
            if otherwise is not None and otherwise_span is not None:
                yield Clause((*prefix, clauses.Bands.OTHERWISE, len(rows)), "band otherwise", otherwise_span)
        case ast.Checklist(zero_when=zero_when):
            checklist = clauses.Checklist
            yield Clause((*prefix, checklist.ALL_MET), "checklist: no failed item", rule.span)
            yield Clause((*prefix, checklist.DEDUCTED), "checklist: points deducted", rule.span)
            yield Clause((*prefix, checklist.FLOORED), "checklist: deducted down to 0", rule.span)
            if zero_when is not None:
                yield Clause((*prefix, checklist.ZEROED), f"checklist: zero when {format_expr(zero_when)}", rule.span)
        case ast.Steps(direction=direction, threshold=threshold):
            steps = clauses.Steps
            yield Clause((*prefix, steps.WITHIN), f"steps: not {direction} {threshold.text}", rule.span)
            yield Clause((*prefix, steps.DEDUCTED), f"steps: {direction} {threshold.text}, points deducted", rule.span)
            yield Clause((*prefix, steps.FLOORED), "steps: deducted down to 0", rule.span)
        case ast.Linear(points=points):
            ats = [p.at.text for p in sorted(points, key=lambda p: p.at.value)]
            yield Clause((*prefix, clauses.Linear.BELOW, 0), f"linear: at or below {ats[0]}", rule.span)
            for k in range(1, len(ats)):
                label = f"linear: between {ats[k - 1]} and {ats[k]}"
                yield Clause((*prefix, clauses.Linear.SEGMENT, k), label, rule.span)
            yield Clause((*prefix, clauses.Linear.ABOVE, len(ats)), f"linear: at or above {ats[-1]}", rule.span)
        case ast.Target(proportional=proportional):
            target = clauses.Target
            yield Clause((*prefix, target.MET), "target met", rule.span)
            yield Clause((*prefix, target.PROPORTIONAL if proportional else target.MISSED), "target missed", rule.span)
        case ast.Judged(tiers=tiers) if tiers:
            for index, tier in enumerate(tiers):
                yield Clause((*prefix, clauses.Judged.TIER, index), f"judged: tier {tier.label}", tier.span)
        case ast.JudgedBy(ranges=ranges):
            for index, judged_row in enumerate(ranges):
                clause = clauses.JudgedBy.OTHERWISE if judged_row.otherwise else clauses.JudgedBy.ROW
                text = "otherwise" if judged_row.otherwise else interval_text(judged_row)
                yield Clause((*prefix, clause, index), f"judged by: {text}", judged_row.span)
        case ast.Conditional(arms=arms, otherwise=otherwise):
            for index, arm in enumerate(arms):
                yield from rule_clauses(arm.rule, (*prefix, clauses.Conditional.ARM, index))
            yield from rule_clauses(otherwise, (*prefix, clauses.Conditional.OTHERWISE, len(arms)))
        case _:  # proportional, untiered judged, formula: one clause (their 0/weight clamps are guards)
            yield Clause((*prefix, type(rule).__name__.lower()), type(rule).__name__.lower(), rule.span)


def reached_key(rule: ast.Rule, record: tuple[Any, ...], prefix: Key) -> Key:
    """The key of the clause that `record` says fired."""
    match rule:
        case ast.Conditional(arms=arms, otherwise=otherwise):
            fired = clauses.ConditionalFired._make(record)
            chosen = arms[fired.arm].rule if fired.clause == clauses.Conditional.ARM else otherwise
            return reached_key(chosen, fired.inner, (*prefix, fired.clause, fired.arm))
        case ast.Bands():
            bands = clauses.BandsFired._make(record)
            return (*prefix, bands.clause, bands.row)
        case ast.Linear():
            linear = clauses.LinearFired._make(record)
            return (*prefix, linear.clause, linear.segment)
        case ast.Judged(tiers=tiers) if tiers:
            judged = clauses.JudgedFired._make(record)
            return (*prefix, judged.clause, judged.tier)
        case ast.JudgedBy():
            judged_by = clauses.JudgedByFired._make(record)
            return (*prefix, judged_by.clause, judged_by.row)
        case ast.Checklist() | ast.Steps() | ast.Target():
            return (*prefix, record[0])
    return (*prefix, type(rule).__name__.lower())


def adjusted_clauses(tree: ast.Rubric) -> Iterator[Clause]:
    """Each bonus or penalty line applied (a non-zero amount) and not applied, the clauses of its rule, and each
    veto or cap fired and not fired."""
    for line in tree.adjustments:
        word = "bonus added" if line.kind == "bonus" else "penalty taken"
        yield Clause(("line", line.id, True), f"{line.kind} {line.id}: {word}", line.span)
        yield Clause(("line", line.id, False), f"{line.kind} {line.id}: nothing {word.split()[1]}", line.span)
        if not isinstance(line.rule, ast.Each):
            yield from rule_clauses(line.rule, (line.id,))
    for veto in tree.vetoes:
        yield Clause(("veto", veto.id, True), f"{veto.kind} {veto.id}: fired", veto.span)
        yield Clause(("veto", veto.id, False), f"{veto.kind} {veto.id}: not fired", veto.span)


@dataclass(slots=True)
class Coverage:
    rubric: CompiledRubric
    reached: set[Key] = field(default_factory=set)

    def clauses(self) -> list[Clause]:
        found = [c for i in self._indicators() for c in rule_clauses(i.rule, (i.id,))]
        found.extend(adjusted_clauses(self.rubric.tree))
        found.extend(
            Clause((node.id, "not applicable"), f"{node.id} not applicable", node.applicable.span)
            for node in self._conditional()
            if node.applicable is not None
        )
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

    def _conditional(self) -> Iterator[ast.Node]:
        """Every section and indicator, in rubric order, for their `applicable when` clauses."""

        def walk(nodes: Iterable[ast.Node]) -> Iterator[ast.Node]:
            for node in nodes:
                yield node
                if isinstance(node, ast.Section):
                    yield from walk(node.children)

        return walk(self.rubric.tree.body)

    def add(self, result: Result) -> None:
        for indicator, record in zip(self._indicators(), result.records, strict=True):
            if record is None:  # not applicable (不适用): its rule did not run
                self.reached.add((indicator.id, "not applicable"))
                continue
            self.reached.add(reached_key(indicator.rule, record, (indicator.id,)))
        tree = self.rubric.tree
        for line, amount, record in zip(tree.adjustments, result.amounts, result.line_records, strict=True):
            self.reached.add(("line", line.id, amount > 0))
            if not isinstance(line.rule, ast.Each):
                self.reached.add(reached_key(line.rule, record, (line.id,)))
        for veto, fired in zip(tree.vetoes, result.vetoes_fired, strict=True):
            self.reached.add(("veto", veto.id, fired))
        if result.applied is not None:
            sections = [s for s in self._conditional() if isinstance(s, ast.Section)]
            for section, applicable in zip(sections, result.applied.section_applicable, strict=True):
                if not applicable:
                    self.reached.add((section.id, "not applicable"))
        self.reached.add(("grade", result.grade))

    def missed(self) -> list[Clause]:
        return [c for c in self.clauses() if c.key not in self.reached]
