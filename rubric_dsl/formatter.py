"""Print syntax back as rubric text: expressions, and whole files in one canonical layout.

`format_source` gives a file's canonical layout: header
fields in a fixed order, then inputs, constraints, lets, the indicator tree and the grades, two
spaces per level, band tables and grade rows aligned. Comments are kept with the code they
stand by: a comment on its own line stays before the item that follows it, a comment after code
stays at the end of that item's line. Formatting never changes meaning: the output parses to the
same syntax tree (tests prove it), and formatting it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

from rubric_dsl import ast
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.parser import parse
from rubric_dsl.printer import format_expr, interval_text, quote
from rubric_dsl.source import SourceFile, display_width

INDENT = "  "


# --- whole files ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comment:
    line: int
    text: str
    alone: bool  # on a line of its own (else after code)


def find_comments(text: str) -> list[Comment]:
    """Comments outside strings: `#` to the end of the line."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        in_string = escaped = False
        for column, char in enumerate(line):
            if in_string:
                escaped = not escaped and char == "\\"
                if char == '"' and not escaped:
                    in_string = False
                elif char != "\\":
                    escaped = False
            elif char == '"':
                in_string = True
            elif char == "#":
                found.append(Comment(number, line[column:].rstrip(), not line[:column].strip()))
                break
    return found


@dataclass(slots=True)
class _Line:
    indent: int
    text: str
    source_line: int | None  # the line of the item this output line starts, if any


class _Printer:
    def __init__(self) -> None:
        self.lines: list[_Line] = []

    def put(self, indent: int, text: str, source_line: int | None = None) -> None:
        self.lines.append(_Line(indent, text, source_line))

    def blank(self) -> None:
        if self.lines and self.lines[-1].text and not self.lines[-1].text.endswith("{"):
            self.lines.append(_Line(0, "", None))

    # --- the file

    def rubric(self, rubric: ast.Rubric) -> None:
        head = f"{'abstract ' if rubric.abstract else ''}rubric {rubric.id} {quote(rubric.title)}"
        if rubric.extends is not None:
            head += f" extends {rubric.extends.id}"
        self.put(0, head + " {", rubric.span.line)
        order = ("version", "source", "region", "year", "total")
        for field in sorted(rubric.header, key=lambda f: order.index(f.key)):
            value = field.value if field.key in ("year", "total") else quote(field.value)
            self.put(1, f"{field.key} {value}", field.span.line)
        for rounding in sorted(rubric.rounding, key=lambda r: r.scope != "indicator"):
            self.put(1, f"round {rounding.scope} {rounding.step} {rounding.mode}", rounding.span.line)
        if rubric.final_range is not None:
            low, high = rubric.final_range.minimum.text, rubric.final_range.maximum.text
            self.put(1, f"final range {low} .. {high}", rubric.final_range.span.line)
        if rubric.not_applicable is not None:
            self.put(1, f"not_applicable {rubric.not_applicable.mode}", rubric.not_applicable.span.line)
        self._inputs(rubric.inputs)
        self._group([(self._constraint_text(c), c.span.line) for c in rubric.constraints])
        self._group([(self._let_text(let), let.span.line) for let in rubric.lets])
        for node in rubric.body:
            self.blank()
            self.node(node, 1)
        self.adjusted(rubric)
        if rubric.grades is not None:
            self.blank()
            self.grades(rubric.grades)
        self.put(0, "}")

    def adjusted(self, rubric: ast.Rubric) -> None:
        """The bonus and penalty lines, the vetoes and caps (after the tree, before grades)."""
        for line in rubric.adjustments:
            self.blank()
            self.adjustment(line)
        if rubric.vetoes:
            self.blank()
        for veto in rubric.vetoes:
            self.put(1, f"{'override ' if veto.override else ''}{veto_text(veto)}", veto.span.line)

    def adjustment(self, line: ast.Adjustment) -> None:
        cap = f" max {line.cap}" if line.cap is not None else ""
        head = f"{'override ' if line.override else ''}{line.kind} {line.id} {quote(line.label)}{cap} {{"
        self.put(1, head, line.span.line)
        if isinstance(line.rule, ast.Each):
            each = line.rule
            self.put(2, f"each {format_expr(each.count)} points {each.amount}", each.span.line)
        else:
            self.rule(line.rule, 2)
        self.put(1, "}")

    def _group(self, items: list[tuple[str, int]]) -> None:
        if items:
            self.blank()
        for text, line in items:
            self.put(1, text, line)

    def _inputs(self, inputs: tuple[ast.Input, ...]) -> None:
        """The inputs; a `records` input opens a block of its fields, one a line."""
        if inputs:
            self.blank()
        for item in inputs:
            if item.kind != "records":
                self.put(1, self._input_text(item), item.span.line)
                continue
            self.put(1, self._input_text(item) + " {", item.span.line)
            for field in item.fields:
                self.put(2, self._input_text(field).removeprefix("input "), field.span.line)
            self.put(1, "}")

    @staticmethod
    def _input_text(item: ast.Input) -> str:
        kind = item.kind if item.kind != "choice" else f"choice({', '.join(quote(c) for c in item.choices)})"
        text = f"{'override ' if item.override else ''}input {item.name} {kind} {quote(item.label)}"
        if item.minimum is not None or item.maximum is not None:
            low = f"{item.minimum.text} " if item.minimum is not None else ""
            high = f" {item.maximum.text}" if item.maximum is not None else ""
            text += f" range {low}..{high}"
        if item.default is not None:
            text += f" default {format_expr(item.default)}"
        if item.unit is not None:
            text += f" unit {quote(item.unit)}"
        if item.optional:
            text += " optional"
        return text

    @staticmethod
    def _constraint_text(constraint: ast.Constraint) -> str:
        message = f" {quote(constraint.message)}" if constraint.message is not None else ""
        return f"constraint {format_expr(constraint.expr)}{message}"

    @staticmethod
    def _let_text(let: ast.Let) -> str:
        label = f" {quote(let.label)}" if let.label is not None else ""
        return f"{'override ' if let.override else ''}let {let.name}{label} = {format_expr(let.expr)}"

    # --- the tree

    def node(self, node: ast.Node, indent: int) -> None:
        prefix = "override " if node.override else ""
        when = f" applicable when {format_expr(node.applicable)}" if node.applicable is not None else ""
        if isinstance(node, ast.Section):
            head = f"{prefix}section {node.id} {quote(node.label)} {node.weight}{when}"
            if node.abstract:
                self.put(indent, f"{head} abstract", node.span.line)
                return
            self.put(indent, head + " {", node.span.line)
            for child in node.children:
                self.node(child, indent + 1)
            self.put(indent, "}")
            return
        self.put(indent, f"{prefix}indicator {node.id} {quote(node.label)} {node.weight}{when} {{", node.span.line)
        self.rule(node.rule, indent + 1)
        self.put(indent, "}")

    def rule(self, rule: ast.Rule, indent: int, lead: str = "") -> None:
        match rule:
            case ast.Bands():
                self.bands(rule, indent, lead)
            case ast.Judged(tier_input=tier_input, tiers=tiers) if tier_input is not None:
                self.put(indent, f"{lead}judged {rule.input.id} tiers {tier_input.id} {{", rule.span.line)
                labels = [quote(t.label) for t in tiers]
                column = max(display_width(label) for label in labels)
                for label, tier in zip(labels, tiers, strict=True):
                    pad = " " * (column - display_width(label))
                    self.put(indent + 1, f"{label}{pad} {tier.low.text} .. {tier.high.text}", tier.span.line)
                self.put(indent, "}")
            case ast.JudgedBy(input=name, measure=measure, ranges=ranges):
                self.put(indent, f"{lead}judged {name.id} by {format_expr(measure)} {{", rule.span.line)
                rows = [
                    ("otherwise" if r.otherwise else interval_text(r), f"{r.least.text} .. {r.most.text}", r.span.line)
                    for r in ranges
                ]
                column = max(display_width(text) for text, _, _ in rows)
                for text, points, line in rows:
                    self.put(indent + 1, f"{text}{' ' * (column - display_width(text))} {points}", line)
                self.put(indent, "}")
            case ast.Conditional(arms=arms, otherwise=otherwise):
                if lead:
                    self.put(indent, lead + "{", rule.span.line)
                    self.rule(rule, indent + 1)
                    self.put(indent, "}")
                    return
                for arm in arms:
                    self.rule(arm.rule, indent, f"when {format_expr(arm.condition)} => ")
                self.rule(otherwise, indent, "otherwise => ")
            case _:
                self.put(indent, lead + rule_text(rule), rule.span.line)

    def bands(self, rule: ast.Bands, indent: int, lead: str) -> None:
        self.put(indent, f"{lead}bands {format_expr(rule.subject)} {{", rule.span.line)
        rows = [(interval_text(row), str(row.points), row.span.line) for row in rule.rows]
        if rule.otherwise is not None and rule.otherwise_span is not None:
            rows.append(("otherwise", str(rule.otherwise), rule.otherwise_span.line))
        column = max(display_width(text) for text, _, _ in rows)
        for text, points, line in rows:
            self.put(indent + 1, f"{text}{' ' * (column - display_width(text))} {points}", line)
        self.put(indent, "}")

    def grades(self, grades: ast.Grades) -> None:
        self.put(1, f"{'override ' if grades.override else ''}grades {{", grades.span.line)
        labels = [row.label if row.label.isidentifier() else quote(row.label) for row in grades.rows]
        column = max(display_width(label) for label in labels)
        for label, row in zip(labels, grades.rows, strict=True):
            tail = "otherwise" if row.minimum is None else f"{row.op} {row.minimum}"
            self.put(2, f"{label}{' ' * (column - display_width(label))} {tail}", row.span.line)
        self.put(1, "}")


def veto_text(veto: ast.Veto) -> str:
    """`veto ID "…" when COND grade [at most] G [zero]`, or `… when COND zero`."""
    text = f"{veto.kind} {veto.id} {quote(veto.label)} when {format_expr(veto.condition)}"
    if veto.grade is not None:
        label = veto.grade if veto.grade.isidentifier() else quote(veto.grade)
        text += f" grade {'at most ' if veto.at_most else ''}{label}"
    return text + (" zero" if veto.zero else "")


def steps_mode(rule: ast.Steps) -> str:
    return "prorata" if rule.prorata else "whole" if rule.whole else "started"


def rule_text(rule: ast.Rule) -> str:
    """One-line rules (every kind but bands and conditionals)."""
    match rule:
        case ast.Checklist(failed=failed, deduct=deduct, zero_when=zero_when):
            zero = f", zero when {format_expr(zero_when)}" if zero_when is not None else ""
            return f"checklist {format_expr(failed)} deduct {deduct} each{zero}"
        case ast.Steps():
            return (
                f"steps {format_expr(rule.subject)} {rule.direction} {rule.threshold.text} deduct {rule.deduct} "
                f"per {rule.step.text} {steps_mode(rule)}"
            )
        case ast.Proportional(ratio=ratio):
            return f"proportional {format_expr(ratio)}"
        case ast.Linear(subject=subject, points=points):
            if len(points) == 2 and points[0].points == 0 and points[1].points is None:
                return f"linear {format_expr(subject)} from {points[0].at.text} to {points[1].at.text}"
            inner = "  ".join(f"{p.at.text} -> {p.points}" for p in points)
            return f"linear {format_expr(subject)} {{ {inner} }}"
        case ast.Target(actual=actual, op=op, target=target, proportional=proportional):
            tail = " proportional" if proportional else ""
            if not op:  # not a comparison: kept as written, for the checker to report
                return f"target {format_expr(actual)}{tail}"
            return f"target {format_expr(ast.Compare(cast(Any, op), actual, target, rule.span))}{tail}"
        case ast.Judged(input=name):
            return f"judged {name.id}"
        case ast.Formula(expr=expr):
            return f"points {format_expr(expr)}"
    raise TypeError(f"not a one-line rule: {rule!r}")


def _place_comments(lines: list[_Line], comments: list[Comment]) -> list[str]:
    """Put each comment back: alone before the item after it, trailing at the end of its item's line."""
    keyed = [i for i, line in enumerate(lines) if line.source_line is not None]
    before: dict[int, list[Comment]] = {}
    after: dict[int, list[Comment]] = {}
    at_end: list[Comment] = []
    for comment in comments:
        if comment.alone:
            following = [i for i in keyed if (lines[i].source_line or 0) > comment.line]
            target = min(following, key=lambda i: (lines[i].source_line, i)) if following else None
            if target is None:
                at_end.append(comment)
            else:
                before.setdefault(target, []).append(comment)
        else:
            owners = [i for i in keyed if (lines[i].source_line or 0) <= comment.line]
            target = max(owners, key=lambda i: (lines[i].source_line, i)) if owners else 0
            after.setdefault(target, []).append(comment)
    out: list[str] = []
    for index, line in enumerate(lines):
        pad = INDENT * line.indent
        for comment in before.get(index, []):
            out.append(pad + comment.text)
        text = pad + line.text if line.text else ""
        for comment in after.get(index, []):
            text += "  " + comment.text
        out.append(text)
    if at_end:
        closing = out.pop()
        out.extend(INDENT + c.text for c in at_end)
        out.append(closing)
    return out


def format_source(text: str, path: str = "<input>") -> tuple[str | None, list[Diagnostic]]:
    """The canonical text of a rubric file, or None and the syntax errors that prevent it."""
    rubric, problems = parse(SourceFile(path, text))
    if rubric is None:
        return None, problems
    printer = _Printer()
    printer.rubric(rubric)
    leading = [c for c in find_comments(text) if c.line < rubric.span.line]
    rest = [c for c in find_comments(text) if c.line >= rubric.span.line]
    head = [c.text for c in leading]
    body = _place_comments(printer.lines, rest)
    return "\n".join([*head, *body]) + "\n", []


def flat_source(rubric: ast.Rubric) -> str:
    """A merged syntax tree (a compiled rubric's `tree`) as one self-contained file: no `extends`, no
    `abstract`, no `override`; what it inherited is written out where the merge put it. The 评分表's
    XLSX keeps it so that `rubric import` can read the sheet back exactly (see `rubric_dsl.importer`)."""

    def plain(node: ast.Node) -> ast.Node:
        if isinstance(node, ast.Section):
            return replace(node, override=False, children=tuple(plain(c) for c in node.children))
        return replace(node, override=False)

    flat = replace(
        rubric,
        abstract=False,
        extends=None,
        inputs=tuple(replace(i, override=False) for i in rubric.inputs),
        lets=tuple(replace(let, override=False) for let in rubric.lets),
        body=tuple(plain(n) for n in rubric.body),
        grades=replace(rubric.grades, override=False) if rubric.grades is not None else None,
    )
    printer = _Printer()
    printer.rubric(flat)
    return "\n".join(INDENT * line.indent + line.text if line.text else "" for line in printer.lines) + "\n"


def rule_lines(rule: ast.Rule) -> list[str]:
    """A rule as the lines of an indicator's body (indented from 0), as `format_source` lays it out."""
    printer = _Printer()
    printer.rule(rule, 0)
    return [INDENT * line.indent + line.text for line in printer.lines]


def item_lines(item: ast.Input | ast.Constraint | ast.Let | ast.Adjustment | ast.Veto) -> list[str]:
    """A rubric-level item (an input, with a `records` input's block of fields; a constraint; a let; a bonus
    or penalty line with its rule; a veto or cap) as the lines `format_source` lays it out, indented from 0."""
    printer = _Printer()
    match item:
        case ast.Input():
            printer._inputs((item,))
        case ast.Constraint():
            printer.put(1, printer._constraint_text(item))
        case ast.Let():
            printer.put(1, printer._let_text(item))
        case ast.Veto():
            printer.put(1, f"{'override ' if item.override else ''}{veto_text(item)}")
        case ast.Adjustment():
            printer.adjustment(item)
    return [INDENT * (line.indent - 1) + line.text for line in printer.lines if line.text]
