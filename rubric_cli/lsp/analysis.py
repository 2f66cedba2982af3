"""What the language server knows about one open rubric file, without any of the protocol.

Takes the text of the file as the editor holds it and its path; gives its diagnostics (as
`rubric check` finds them: parents looked up beside the file, then under the nearest `rubrics`
directory, see `search_dirs`), and answers what stands at a position: the hover text of an
indicator, a section, an input or a let, and where an input, a let or the parent rubric is
defined. Positions here are the library's: lines and columns from 1, columns in code points;
`server` converts them to and from the client's units.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rubric_dsl import ast
from rubric_dsl.api import build_library, search_dirs, sources_for
from rubric_dsl.checker.scope import Scope
from rubric_dsl.diagnostics import KIND_EN, KIND_ZH, Diagnostic, Language, fmt
from rubric_dsl.inherit import Inheritance
from rubric_dsl.parser import parse
from rubric_dsl.printer import format_expr
from rubric_dsl.source import SourceFile, Span
from rubric_dsl.wording import criteria_text

SECTION_SEPARATOR = " › "


@dataclass(slots=True)
class Analysis:
    path: str
    text: str
    diagnostics: list[Diagnostic]
    sources: dict[str, str]  # path -> text of every file read, this one included
    tree: ast.Rubric | None = None  # this file's own tree; None when it does not parse
    merged: ast.Rubric | None = None  # with its ancestors' inputs, lets and sections
    paths: dict[str, str] = field(default_factory=dict)  # rubric id -> path, for the files that parsed

    @property
    def scope(self) -> Scope | None:
        return Scope.of(self.merged) if self.merged is not None else None


@dataclass(frozen=True, slots=True)
class Hover:
    markdown: str
    span: Span | None = None  # the name the hover is about, in this file


def analyse(text: str, path: str, rubrics: str | Path | None = None, on_disk: bool = True) -> Analysis:
    """Check `text` as the file at `path` (`on_disk`: a real path whose directory holds its parents;
    else the text is checked alone); `rubrics` is `--rubrics DIR`, where parents are looked up after
    the file's own directory."""
    sources = sources_for({path: text}, search_dirs(path, rubrics)) if on_disk else {path: text}
    library = build_library(sources, compile=False)
    found = Analysis(path, text, library.files.get(path, []), library.sources)
    found.paths = {rubric_id: file for file, rubric_id in library.ids.items()}
    tree, _ = parse(SourceFile(path, text))
    if tree is None:
        return found
    found.tree = tree
    trees = {tree.id: tree}
    current = tree
    while current.extends is not None and current.extends.id not in trees:  # the chain of ancestors
        parent_path = found.paths.get(current.extends.id)
        if parent_path is None:
            break
        parent, _ = parse(SourceFile(parent_path, library.sources[parent_path]))
        if parent is None:
            break
        trees[parent.id] = parent
        current = parent
    try:
        found.merged = Inheritance(trees, lambda _: False).merge(tree.id).rubric
    except Exception:  # a merge that the diagnostics already explain; hover still knows this file's own tree
        found.merged = tree
    return found


# --- what stands at a position


def _contains(span: Span, line: int, column: int) -> bool:
    return (span.line, span.column) <= (line, column) < (span.end_line, span.end_column)


def _walk(
    nodes: tuple[ast.Node, ...], parents: tuple[ast.Section, ...] = ()
) -> Iterator[tuple[ast.Node, tuple[ast.Section, ...]]]:
    for node in nodes:
        yield node, parents
        if isinstance(node, ast.Section):
            yield from _walk(node.children, (*parents, node))


def _names(rubric: ast.Rubric) -> Iterator[ast.Name]:
    """Every name an expression of the rubric reads."""
    roots: list[ast.Expr] = [let.expr for let in rubric.lets]
    roots.extend(c.expr for c in rubric.constraints)
    for node, _ in _walk(rubric.body):
        if isinstance(node, ast.Indicator):
            roots.extend(ast.rule_exprs(node.rule))
    for root in roots:
        for expr in ast.walk_expr(root):
            if isinstance(expr, ast.Name):
                yield expr
    yield from _line_names(rubric)


def _line_expressions(rubric: ast.Rubric) -> list[ast.Expr]:
    """The expressions of the bonus/penalty lines and the vetoes and caps."""
    roots = [e for line in rubric.adjustments for e in ast.line_exprs(line.rule)]
    return roots + [veto.condition for veto in rubric.vetoes]


def _line_names(rubric: ast.Rubric) -> Iterator[ast.Name]:
    for root in _line_expressions(rubric):
        for expr in ast.walk_expr(root):
            if isinstance(expr, ast.Name):
                yield expr


def _points_at(analysis: Analysis, line: int, column: int) -> ast.PointsOf | None:
    """A `points(ID)` at (line, column) in this file."""
    if analysis.merged is None:
        return None
    rubric = analysis.merged
    roots: list[ast.Expr] = [let.expr for let in rubric.lets] + _line_expressions(rubric)
    roots += [e for node, _ in _walk(rubric.body) if isinstance(node, ast.Indicator) for e in ast.rule_exprs(node.rule)]
    for root in roots:
        for found in ast.reads_points(root):
            if found.span.path == analysis.path and _contains(found.span, line, column):
                return found
    return None


def _name_at(analysis: Analysis, line: int, column: int) -> ast.Name | None:
    if analysis.merged is None:
        return None
    for name in _names(analysis.merged):
        if name.span.path == analysis.path and _contains(name.span, line, column):
            return name
    return None


def word_span(text: str, span: Span, word: str) -> Span:
    """Where `word` is first written on the first line of `span` (from its column); else the span's start."""
    lines = text.split("\n")
    line = lines[span.line - 1] if 0 < span.line <= len(lines) else ""
    start = span.column - 1
    found = re.compile(rf"(?<![\w.]){re.escape(word)}(?![\w.])").search(line, min(start, len(line)))
    if found is None:
        return Span(span.path, span.line, span.column, span.line, span.column)
    return Span(span.path, span.line, found.start() + 1, span.line, found.end() + 1)


def hover(analysis: Analysis, line: int, column: int, lang: Language) -> Hover | None:
    """The hover text of what stands at (line, column) of the file, or None where nothing is."""
    merged, tree = analysis.merged, analysis.tree
    if merged is None or tree is None:
        return None
    scope = Scope.of(merged)
    name = _name_at(analysis, line, column)
    if name is not None:
        return _name_hover(scope, name.id, name.span, lang)
    for item in tree.inputs:
        if _contains(item.span, line, column):
            return Hover(_input_text(item, lang))
    for let in tree.lets:
        if _contains(let.span, line, column):
            return Hover(_let_text(let, lang))
    if tree.extends is not None and _contains(tree.extends.span, line, column):
        parent = analysis.paths.get(tree.extends.id)
        title = _title(analysis, parent) if parent is not None else None
        text = f"**{title}**\n\n`{tree.extends.id}`" if title else f"`{tree.extends.id}`"
        return Hover(text, tree.extends.span)
    innermost: tuple[ast.Node, tuple[ast.Section, ...]] | None = None
    for node, parents in _walk(merged.body):
        if node.span.path == analysis.path and _contains(node.span, line, column):
            innermost = (node, parents)  # a child comes after its section
    if innermost is None:
        return None
    node, parents = innermost
    if isinstance(node, ast.Section):
        return Hover(_section_text(node, parents, lang))
    return Hover(_indicator_text(node, parents, scope, lang))


def _name_hover(scope: Scope, name: str, span: Span, lang: Language) -> Hover | None:
    if name in scope.inputs:
        return Hover(_input_text(scope.inputs[name], lang), span)
    if name in scope.lets:
        return Hover(_let_text(scope.lets[name], lang), span)
    return None


def _points(weight: Decimal, lang: Language) -> str:
    return f"{fmt(weight)} 分" if lang == "zh" else f"{fmt(weight)} points"


def _indicator_text(node: ast.Indicator, parents: tuple[ast.Section, ...], scope: Scope, lang: Language) -> str:
    zh = lang == "zh"
    lines = [f"**{node.label}** `{node.id}` — {_points(node.weight, lang)}"]
    if parents:
        lines.append(("所属：" if zh else "Section: ") + SECTION_SEPARATOR.join(p.label for p in parents))
    try:
        criteria = criteria_text(node.rule, node.weight, scope)
    except Exception:  # a rule the checker has not passed yet may not be worded; the rest still shows
        criteria = ""
    if criteria:
        lines.append(f"评分标准：{criteria}")
    return "\n\n".join(lines)


def _section_text(node: ast.Section, parents: tuple[ast.Section, ...], lang: Language) -> str:
    zh = lang == "zh"
    lines = [f"**{node.label}** `{node.id}` — {_points(node.weight, lang)}"]
    if parents:
        lines.append(("所属：" if zh else "Section: ") + SECTION_SEPARATOR.join(p.label for p in parents))
    return "\n\n".join(lines)


def _input_text(item: ast.Input, lang: Language) -> str:
    zh = lang == "zh"
    kind = (KIND_ZH if zh else KIND_EN).get(item.kind, item.kind)
    facts = [("类型" if zh else "kind") + f": {item.kind} ({kind})"]
    if item.choices:
        facts.append(("选项" if zh else "choices") + ": " + " / ".join(f'"{c}"' for c in item.choices))
    if item.unit:
        facts.append(("单位" if zh else "unit") + f": {item.unit}")
    if item.minimum is not None or item.maximum is not None:
        low = item.minimum.text if item.minimum is not None else ""
        high = item.maximum.text if item.maximum is not None else ""
        facts.append(("范围" if zh else "range") + f": {low} .. {high}".rstrip())
    if item.default is not None:
        default = item.default
        value = default.text if isinstance(default, ast.Num) else format_expr(default)
        facts.append(("默认" if zh else "default") + f": {value}")
    if item.optional:
        facts.append("可不填（optional），用 given(…) 判断是否填报" if zh else "optional: test it with given(…)")
    for entry in item.fields:  # a list of records: one line per field
        field_kind = (KIND_ZH if zh else KIND_EN).get(entry.kind, entry.kind)
        facts.append(("字段" if zh else "field") + f" `{entry.name}`: {entry.label}, {entry.kind} ({field_kind})")
    return f"**{item.label}** `{item.name}`\n\n" + "\n".join(f"- {fact}" for fact in facts)


def _let_text(let: ast.Let, lang: Language) -> str:
    head = f"**{let.label}** `{let.name}`" if let.label else f"`{let.name}`"
    return f"{head}\n\n```\n{let.name} = {format_expr(let.expr)}\n```"


def _title(analysis: Analysis, path: str) -> str | None:
    tree, _ = parse(SourceFile(path, analysis.sources.get(path, "")))
    return tree.title if tree is not None else None


# --- where a name is defined


def definition(analysis: Analysis, line: int, column: int) -> Span | None:
    """Where what stands at (line, column) is defined: an input's or a let's name in its declaration
    (maybe in an ancestor's file), or the parent rubric's id in its file; None where nothing is."""
    tree = analysis.tree
    if tree is None:
        return None
    if tree.extends is not None and _contains(tree.extends.span, line, column):
        parent = analysis.paths.get(tree.extends.id)
        if parent is None:
            return None
        parent_tree, _ = parse(SourceFile(parent, analysis.sources[parent]))
        if parent_tree is None:
            return Span(parent, 1, 1, 1, 1)
        return word_span(analysis.sources[parent], parent_tree.span, parent_tree.id)
    name = _name_at(analysis, line, column)
    scope = analysis.scope
    points = _points_at(analysis, line, column)
    if points is not None and scope is not None:  # `points(ID)`: the indicator or section named
        nodes = [n for n, _ in scope.indicators] + [n for n, _ in scope.sections]
        node = next((n for n in nodes if n.id == points.id), None)
        return None if node is None else word_span(analysis.sources.get(node.span.path, ""), node.span, node.id)
    if name is None or scope is None:
        return None
    declared: ast.Input | ast.Let | None = scope.inputs.get(name.id) or scope.lets.get(name.id)
    if declared is None:
        return None
    # the name is the first word of that spelling on the declaration's line: `input`, `let` and
    # `override` are keywords, never names
    return word_span(analysis.sources.get(declared.span.path, ""), declared.span, name.id)
