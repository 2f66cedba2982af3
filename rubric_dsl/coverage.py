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
from rubric_dsl.wording import Wording

Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Clause:
    key: Key  # (indicator id, arm indexes…, clause index) or ("grade", label)
    label: str
    span: Span
    label_zh: str = ""  # the same in the 评分表's Chinese

    def text(self, lang: str = "en") -> str:
        return self.label_zh if lang == "zh" and self.label_zh else self.label


def rule_clauses(rule: ast.Rule, prefix: Key, words: Wording | None = None) -> Iterator[Clause]:
    """Every clause of `rule` a case can reach, keyed as `reached_key` keys the one that fired; worded in
    Chinese too when `words` (the rubric's `wording.Wording`) is given."""
    match rule:
        case ast.Bands(rows=rows, otherwise=otherwise, otherwise_span=otherwise_span, subject=subject):
            for index, row in enumerate(rows):
                zh = f"分档：{words.interval(row, subject)}" if words else ""
                yield Clause((*prefix, clauses.Bands.ROW, index), f"band {interval_text(row)}", row.span, zh)
            if otherwise is not None and otherwise_span is not None:
                key = (*prefix, clauses.Bands.OTHERWISE, len(rows))
                yield Clause(key, "band otherwise", otherwise_span, "分档：其余")
        case ast.Checklist(zero_when=zero_when):
            checklist = clauses.Checklist
            yield Clause((*prefix, checklist.ALL_MET), "checklist: no failed item", rule.span, "逐项扣分：无不符项")
            yield Clause((*prefix, checklist.DEDUCTED), "checklist: points deducted", rule.span, "逐项扣分：有扣分")
            yield Clause((*prefix, checklist.FLOORED), "checklist: deducted down to 0", rule.span, "逐项扣分：扣至0分")
            if zero_when is not None:
                zh = f"逐项扣分：{words.expr(zero_when)}时不得分" if words else ""
                label = f"checklist: zero when {format_expr(zero_when)}"
                yield Clause((*prefix, checklist.ZEROED), label, rule.span, zh)
        case ast.Steps(direction=direction, threshold=threshold):
            steps = clauses.Steps
            over, within = ("超过", "不超过") if direction == "above" else ("低于", "不低于")
            limit = words.num(threshold, rule.subject) if words else threshold.text
            label = f"steps: not {direction} {threshold.text}"
            yield Clause((*prefix, steps.WITHIN), label, rule.span, f"按步扣分：{within}{limit}")
            label = f"steps: {direction} {threshold.text}, points deducted"
            yield Clause((*prefix, steps.DEDUCTED), label, rule.span, f"按步扣分：{over}{limit}，有扣分")
            yield Clause((*prefix, steps.FLOORED), "steps: deducted down to 0", rule.span, "按步扣分：扣至0分")
        case ast.Linear(points=points):
            ats = [p.at.text for p in sorted(points, key=lambda p: p.at.value)]
            yield Clause(
                (*prefix, clauses.Linear.BELOW, 0),
                f"linear: at or below {ats[0]}",
                rule.span,
                f"线性计分：不高于{ats[0]}",
            )
            for k in range(1, len(ats)):
                label = f"linear: between {ats[k - 1]} and {ats[k]}"
                zh = f"线性计分：介于{ats[k - 1]}与{ats[k]}之间"
                yield Clause((*prefix, clauses.Linear.SEGMENT, k), label, rule.span, zh)
            label = f"linear: at or above {ats[-1]}"
            yield Clause((*prefix, clauses.Linear.ABOVE, len(ats)), label, rule.span, f"线性计分：不低于{ats[-1]}")
        case ast.Target(proportional=proportional):
            target = clauses.Target
            yield Clause((*prefix, target.MET), "target met", rule.span, "达到目标值")
            missed = target.PROPORTIONAL if proportional else target.MISSED
            yield Clause((*prefix, missed), "target missed", rule.span, "未达到目标值")
        case ast.Judged(tiers=tiers) if tiers:
            for index, tier in enumerate(tiers):
                label = f"judged: tier {tier.label}"
                yield Clause((*prefix, clauses.Judged.TIER, index), label, tier.span, f"评价组评定：{tier.label}档")
        case ast.JudgedBy(ranges=ranges):
            for index, judged_row in enumerate(ranges):
                clause = clauses.JudgedBy.OTHERWISE if judged_row.otherwise else clauses.JudgedBy.ROW
                text = "otherwise" if judged_row.otherwise else interval_text(judged_row)
                text_zh = "其他情况" if judged_row.otherwise else interval_text(judged_row)
                yield Clause(
                    (*prefix, clause, index), f"judged by: {text}", judged_row.span, f"按测量值评定：{text_zh}"
                )
        case ast.Conditional(arms=arms, otherwise=otherwise):
            for index, arm in enumerate(arms):
                yield from rule_clauses(arm.rule, (*prefix, clauses.Conditional.ARM, index), words)
            yield from rule_clauses(otherwise, (*prefix, clauses.Conditional.OTHERWISE, len(arms)), words)
        case _:  # proportional, untiered judged, formula: one clause (their 0/weight clamps are guards)
            kind = type(rule).__name__.lower()
            yield Clause((*prefix, kind), kind, rule.span, _KINDS_ZH.get(kind, ""))


_KINDS_ZH = {"proportional": "按比例计分", "judged": "评价组评定", "formula": "按公式计分"}


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


def adjusted_clauses(tree: ast.Rubric, words: Wording | None = None) -> Iterator[Clause]:
    """Each bonus or penalty line applied (a non-zero amount) and not applied, the clauses of its rule, and each
    veto or cap fired and not fired."""
    for line in tree.adjustments:
        word = "bonus added" if line.kind == "bonus" else "penalty taken"
        kind_zh = "加分项" if line.kind == "bonus" else "扣分项"
        done_zh = "加分" if line.kind == "bonus" else "扣分"
        on, off = f"{kind_zh}“{line.label}”：有{done_zh}", f"{kind_zh}“{line.label}”：未{done_zh}"
        yield Clause(("line", line.id, True), f"{line.kind} {line.id}: {word}", line.span, on)
        yield Clause(("line", line.id, False), f"{line.kind} {line.id}: nothing {word.split()[1]}", line.span, off)
        if not isinstance(line.rule, ast.Each):
            yield from rule_clauses(line.rule, (line.id,), words)
    for veto in tree.vetoes:
        kind_zh = "一票否决" if veto.kind == "veto" else "等次限制"
        fired, quiet = f"{kind_zh}“{veto.label}”：触发", f"{kind_zh}“{veto.label}”：未触发"
        yield Clause(("veto", veto.id, True), f"{veto.kind} {veto.id}: fired", veto.span, fired)
        yield Clause(("veto", veto.id, False), f"{veto.kind} {veto.id}: not fired", veto.span, quiet)


@dataclass(slots=True)
class Coverage:
    rubric: CompiledRubric
    reached: set[Key] = field(default_factory=set)

    def clauses(self) -> list[Clause]:
        words = Wording(self.rubric.checked.scope)
        found = [c for i in self._indicators() for c in rule_clauses(i.rule, (i.id,), words)]
        found.extend(adjusted_clauses(self.rubric.tree, words))
        found.extend(
            Clause(
                (node.id, "not applicable"), f"{node.id} not applicable", node.applicable.span, f"“{node.label}”不适用"
            )
            for node in self._conditional()
            if node.applicable is not None
        )
        grades = self.rubric.tree.grades
        if grades is not None:
            found.extend(
                Clause(("grade", row.label), f"grade {row.label}", row.span, f"等次：{row.label}")
                for row in grades.rows
            )
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
