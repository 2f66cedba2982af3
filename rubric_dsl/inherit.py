"""Inheritance: merge a rubric with the ancestors it `extends` into one self-contained syntax tree.

Takes parsed rubrics by id; gives, per id, the merged tree (parent first, then the child's
additions and `override`s) and the diagnostics of the merge. Rules:

- header fields, rounding and the title: the child's value wins;
- inputs and lets: inherited; a child's item with an inherited name needs `override`;
- sections and indicators: ids are unique across the whole tree, so `override section X` or
  `override indicator X` replaces X wherever it stands; a new node is appended at the top level;
- grades: `override grades` replaces the parent's;
- an abstract parent section must be overridden by a concrete child.

Inherited nodes keep their own spans, so a later diagnostic points into the file that wrote them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from rubric_dsl import ast
from rubric_dsl.diagnostics import Diagnostic, check, codes
from rubric_dsl.diagnostics import inherit as diag
from rubric_dsl.source import Span

Named = TypeVar("Named", ast.Input, ast.Let)


@dataclass(frozen=True, slots=True)
class Merged:
    rubric: ast.Rubric  # merged; `extends` kept for display
    chain: tuple[str, ...]  # ids from this rubric up to its root ancestor
    diagnostics: tuple[Diagnostic, ...]  # the merge's own problems
    parent_failed: bool  # an ancestor could not be merged or has errors


class Inheritance:
    """Merges rubrics by id, each once, detecting cycles in `extends`.

    `has_errors(id)` tells whether a parent failed its own check; check a parent before its
    children so that the answer is final when a child asks. `unparsed` holds the ids
    of files that failed to parse, so that a child names its broken parent instead of a missing one.
    """

    def __init__(
        self,
        rubrics: Mapping[str, ast.Rubric],
        has_errors: Callable[[str], bool],
        unparsed: Collection[str] = (),
    ) -> None:
        self._rubrics = rubrics
        self._has_errors = has_errors
        self._unparsed = set(unparsed)
        self._done: dict[str, Merged] = {}
        self._stack: list[str] = []

    def merge(self, rubric_id: str) -> Merged:
        if rubric_id in self._done:
            return self._done[rubric_id]
        rubric = self._rubrics[rubric_id]
        self._stack.append(rubric_id)
        try:
            result = self._merge(rubric)
        finally:
            self._stack.pop()
        self._done[rubric_id] = result
        return result

    def _merge(self, rubric: ast.Rubric) -> Merged:
        if rubric.extends is None:
            problems = [diag.override_without_parent(span) for span in _override_spans(rubric)]
            return Merged(rubric, (rubric.id,), tuple(problems), False)
        parent_id, span = rubric.extends.id, rubric.extends.span
        if parent_id in self._stack or self._in_cycle(rubric.id):
            return self._failed(rubric, diag.extends_cycle(self._cycle_from(rubric.id), span))
        if parent_id not in self._rubrics:
            if parent_id in self._unparsed:
                return self._failed(rubric, diag.parent_has_errors(parent_id, span))
            return self._failed(rubric, diag.unknown_parent(parent_id, span, self._rubrics))
        parent = self.merge(parent_id)
        if any(d.code == codes.EXTENDS_CYCLE for d in parent.diagnostics):
            return self._failed(rubric, diag.parent_in_cycle(parent_id, self._cycle_of(parent_id), span))
        if parent.parent_failed or self._has_errors(parent_id) or parent.diagnostics:
            return self._failed(rubric, diag.parent_has_errors(parent_id, span))
        merged, problems = merge(parent.rubric, rubric)
        return Merged(merged, (rubric.id, *parent.chain), tuple(problems), False)

    @staticmethod
    def _failed(rubric: ast.Rubric, problem: Diagnostic) -> Merged:
        return Merged(rubric, (rubric.id,), (problem,), True)

    def _parent(self, rubric_id: str) -> str | None:
        rubric = self._rubrics.get(rubric_id)
        return rubric.extends.id if rubric is not None and rubric.extends is not None else None

    def _in_cycle(self, rubric_id: str) -> bool:
        seen, current = set(), self._parent(rubric_id)
        while current is not None and current not in seen:
            if current == rubric_id:
                return True
            seen.add(current)
            current = self._parent(current)
        return False

    def _cycle_from(self, rubric_id: str) -> list[str]:
        """The cycle through `rubric_id`, starting and ending there."""
        chain, current = [rubric_id], self._parent(rubric_id)
        while current is not None and current != rubric_id and current not in chain:
            chain.append(current)
            current = self._parent(current)
        return [*chain, rubric_id]

    def _cycle_of(self, rubric_id: str) -> list[str]:
        """The cycle that the ancestors of `rubric_id` run into, from its first member."""
        path: list[str] = []
        current: str | None = rubric_id
        while current is not None and current not in path:
            path.append(current)
            current = self._parent(current)
        start = path.index(current) if current is not None else 0
        return [*path[start:], path[start]]


def _override_spans(rubric: ast.Rubric) -> Iterator[Span]:
    for item in (*rubric.inputs, *rubric.lets, *_walk(rubric.body), *rubric.adjustments, *rubric.vetoes):
        if item.override:
            yield item.span
    if rubric.grades is not None and rubric.grades.override:
        yield rubric.grades.span


def _walk(nodes: tuple[ast.Node, ...]) -> Iterator[ast.Node]:
    for node in nodes:
        yield node
        if isinstance(node, ast.Section):
            yield from _walk(node.children)


def merge(parent: ast.Rubric, child: ast.Rubric) -> tuple[ast.Rubric, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    header = {f.key: f for f in parent.header} | {f.key: f for f in child.header}
    rounding = {r.scope: r for r in parent.rounding} | {r.scope: r for r in child.rounding}
    inputs = _merge_named("input", parent.inputs, child.inputs, problems)
    lets = _merge_named("let", parent.lets, child.lets, problems)
    body = _merge_tree(parent.body, child.body, problems)
    grades = parent.grades
    if child.grades is not None:
        if child.grades.override or parent.grades is None:
            grades = child.grades
        else:
            problems.append(diag.inherited_grades(parent.grades.span, child.grades.span))
    if not child.abstract:
        problems.extend(
            diag.abstract_not_overridden(n.id, child.span)
            for n in _walk(body)
            if isinstance(n, ast.Section) and n.abstract and n.span.path == parent.span.path
        )
    adjustments = _merge_by_id(parent.adjustments, child.adjustments, problems)
    vetoes = _merge_by_id(parent.vetoes, child.vetoes, problems)
    merged = replace(
        child,
        header=tuple(header.values()),
        rounding=tuple(rounding.values()),
        inputs=inputs,
        constraints=(*parent.constraints, *child.constraints),
        lets=lets,
        body=body,
        grades=grades,
        adjustments=adjustments,
        vetoes=vetoes,
        final_range=child.final_range or parent.final_range,
        not_applicable=child.not_applicable or parent.not_applicable,
    )
    return merged, problems


Line = TypeVar("Line", ast.Adjustment, ast.Veto)


def _merge_by_id(inherited: tuple[Line, ...], own: tuple[Line, ...], problems: list[Diagnostic]) -> tuple[Line, ...]:
    """Adjustment lines or vetoes: the parent's in its order, each replaced in place by a child's `override` of the
    same id; the child's new ones after them. A line and a veto may replace only their own kind."""
    merged = {item.id: item for item in inherited}
    for item in own:
        if item.override:
            if item.id not in merged:
                problems.append(diag.override_missing(item.kind, item.id, item.span, merged))
            merged[item.id] = item
        elif item.id in merged and merged[item.id] in inherited:
            first = merged[item.id]
            problems.append(check.duplicate_name(item.kind, item.id, item.span, first.span, inherited=True))
        else:
            merged.setdefault(item.id, item)
    return tuple(merged.values())


def _merge_named(
    kind: str, inherited: tuple[Named, ...], own: tuple[Named, ...], problems: list[Diagnostic]
) -> tuple[Named, ...]:
    merged = {item.name: item for item in inherited}
    for item in own:
        if item.override:
            if item.name not in merged:
                problems.append(diag.override_missing(kind, item.name, item.span, merged))
            merged[item.name] = item
        elif item.name in merged and merged[item.name] in inherited:
            problems.append(check.duplicate_name(kind, item.name, item.span, merged[item.name].span, inherited=True))
        else:
            merged.setdefault(item.name, item)
    return tuple(merged.values())


def _merge_tree(
    inherited: tuple[ast.Node, ...], own: tuple[ast.Node, ...], problems: list[Diagnostic]
) -> tuple[ast.Node, ...]:
    known = {n.id: n for n in _walk(inherited)}
    replacements: dict[str, ast.Node] = {}
    appended: list[ast.Node] = []
    for node in own:
        kind = "section" if isinstance(node, ast.Section) else "indicator"
        if node.override:
            if node.id in known:
                replacements[node.id] = node
            else:
                problems.append(diag.override_missing(kind, node.id, node.span, known))
        elif node.id in known:
            problems.append(check.duplicate_name(kind, node.id, node.span, known[node.id].span, inherited=True))
        else:
            appended.append(node)
    return (*_replace_nodes(inherited, replacements), *appended)


def _replace_nodes(nodes: tuple[ast.Node, ...], replacements: Mapping[str, ast.Node]) -> tuple[ast.Node, ...]:
    result: list[ast.Node] = []
    for node in nodes:
        if node.id in replacements:
            result.append(replacements[node.id])
        elif isinstance(node, ast.Section):
            result.append(replace(node, children=_replace_nodes(node.children, replacements)))
        else:
            result.append(node)
    return tuple(result)
