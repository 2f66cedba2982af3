"""Scoring records under every scheme, with grade changes and the largest indicator differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from operator import itemgetter, sub
from typing import Any, NamedTuple

from rubric_dsl.compare.schemes import RubricRef
from rubric_dsl.compare.statistics import EXACT, ZERO
from rubric_dsl.errors import EvaluationError, InvalidFacts
from rubric_dsl.program import CompiledRubric

TOP = 3  # indicators shown per record as contributing most to a difference

Outcome = tuple[int, str | None, str]  # slot (-1: none fits), total as text (None: not scored), grade or problem
Top = tuple[tuple[str, str], ...]  # indicator id, signed difference as text (other − baseline)
Diff = tuple[str, Top]  # the grade change ("same", "up", "down") and the largest indicator differences
RecordOut = tuple[tuple[Outcome, ...], tuple[Diff | None, ...]]
Sums = dict[tuple[int, int], tuple[int, tuple[str, ...]]]  # (scheme, slot) → records scored, points summed
Chunk = tuple[list[RecordOut], Sums]
Work = Sequence[tuple[int, tuple[Any, ...]]]  # (route, row) per record
Scoring = tuple[int, str, str, tuple[Decimal, ...]]  # slot, total as text, grade, points in rubric order


@dataclass(frozen=True, slots=True)
class Plan:
    """What scoring a chunk needs besides the compiled rubrics; sent once to each worker."""

    refs: tuple[RubricRef, ...]
    facts: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...]  # per slot: declared facts with a column, and it
    routes: tuple[tuple[int | str, ...], ...]  # per route: per scheme, the slot or why none fits


class Scorer:
    """Scores chunks of records under every scheme; the same code in this process and in workers."""

    def __init__(self, plan: Plan, compiled: Sequence[CompiledRubric]) -> None:
        self.plan = plan
        self._compiled = compiled
        self._ids = [tuple(i.id for i in rubric.indicators) for rubric in compiled]
        self._changes: dict[tuple[int, str, int, str], str] = {}
        self._pairs: dict[tuple[int, int], Alignment] = {}
        # Rubrics that declare the same facts (a rubric and its variants) share one facts dict per record.
        shapes = {shape: n for n, shape in enumerate(dict.fromkeys(plan.facts))}
        self._shape = [shapes[shape] for shape in plan.facts]
        self._facts: dict[int, dict[str, Any]] = {}

    def _score(self, slot: int, row: tuple[Any, ...]) -> Scoring | str:
        shape = self._shape[slot]
        facts = self._facts.get(shape)
        if facts is None:
            names, columns = self.plan.facts[slot]
            facts = {name: row[c] for name, c in zip(names, columns, strict=True) if row[c] is not None}
            self._facts[shape] = facts
        try:
            result = self._compiled[slot].score(facts)
        except InvalidFacts as error:
            return "; ".join(f"{p.fact}: {p.message}" for p in error.problems)
        except EvaluationError as error:
            return str(error)
        return slot, str(result.total), result.grade, tuple(result.points.values())

    def chunk(self, work: Work) -> Chunk:
        records: list[RecordOut] = []
        points: dict[tuple[int, int], list[tuple[Decimal, ...]]] = {}
        routes = self.plan.routes
        for route_index, row in work:
            self._facts.clear()
            done: dict[int, Scoring | str] = {}
            outcomes: list[Outcome] = []
            scored: list[Scoring | None] = []
            for scheme, slot in enumerate(routes[route_index]):
                if isinstance(slot, str):
                    outcomes.append((-1, None, slot))
                    scored.append(None)
                    continue
                got = done[slot] if slot in done else done.setdefault(slot, self._score(slot, row))
                if isinstance(got, str):
                    outcomes.append((slot, None, got))
                    scored.append(None)
                    continue
                outcomes.append((slot, got[1], got[2]))
                scored.append(got)
                points.setdefault((scheme, slot), []).append(got[3])
            records.append((tuple(outcomes), self._differences(scored)))
        with localcontext(EXACT):
            sums = {
                k: (len(rows), tuple(str(sum(c, ZERO)) for c in zip(*rows, strict=True))) for k, rows in points.items()
            }
        return records, sums

    def _differences(self, scored: Sequence[Scoring | None]) -> tuple[Diff | None, ...]:
        base = scored[0]
        found: list[Diff | None] = []
        for other in scored[1:]:
            if base is None or other is None:
                found.append(None)
                continue
            key = (base[0], base[2], other[0], other[2])
            if key not in self._changes:
                self._changes[key] = grade_change(self._compiled[base[0]], base[2], self._compiled[other[0]], other[2])
            pair = base[0], other[0]
            if pair not in self._pairs:
                self._pairs[pair] = align(self._ids[base[0]], self._ids[other[0]])
            found.append((self._changes[key], top(self._pairs[pair], base[3], other[3])))
        return tuple(found)


# How the points of two rubrics line up by indicator id: the ids of both (the first rubric's order, then
# the second's own), and for each rubric which of its points to take, where an index past its last
# indicator takes a 0 (it does not have that indicator). None: the same ids in the same order.
Alignment = tuple[tuple[str, ...], Callable[[tuple[Decimal, ...]], Sequence[Decimal]] | None, Callable[..., Any] | None]
PAD = (ZERO,)


def align(first: Sequence[str], second: Sequence[str]) -> Alignment:
    if tuple(first) == tuple(second):
        return tuple(first), None, None
    ids = tuple(dict.fromkeys([*first, *second]))
    where_first, where_second = {i: n for n, i in enumerate(first)}, {i: n for n, i in enumerate(second)}
    return (
        ids,
        _picker([where_first.get(i, len(first)) for i in ids]),
        _picker([where_second.get(i, len(second)) for i in ids]),
    )


def _picker(indices: Sequence[int]) -> Callable[[tuple[Decimal, ...]], Sequence[Decimal]]:
    if len(indices) == 1:
        only = indices[0]
        return lambda values: (values[only],)
    return itemgetter(*indices)


def top(alignment: Alignment, first: tuple[Decimal, ...], second: tuple[Decimal, ...]) -> Top:
    """The indicators whose points differ most (second − first), by id, the largest first; an
    indicator of only one rubric counts fully. Ties keep the rubric's order."""
    ids, pick_first, pick_second = alignment
    if pick_first is None or pick_second is None:
        if first == second:
            return ()
        deltas = list(map(sub, second, first))
    else:
        deltas = list(map(sub, pick_second(second + PAD), pick_first(first + PAD)))
    sizes = list(map(abs, deltas))
    largest = sorted(range(len(deltas)), key=sizes.__getitem__, reverse=True)[:TOP]  # sorted is stable
    return tuple((ids[k], str(deltas[k])) for k in largest if sizes[k])


def grade_change(before: CompiledRubric, grade: str, after: CompiledRubric, other: str) -> str:
    """Whether a record's grade changed between two rubrics: `same` when the label is the same, or
    stands at the same place in grade scales of the same length (优 and 优秀, 良 and 良好); else `up`
    or `down` by place in the scale, best first."""
    first = [g.label for g in before.grades]
    second = [g.label for g in after.grades]
    if grade == other or (len(first) == len(second) and first.index(grade) == second.index(other)):
        return "same"
    return "up" if second.index(other) < first.index(grade) else "down"


_WORKER: Scorer | str | None = None  # this worker's scorer, or why it could not start


class Scored(NamedTuple):
    slot: int
    total: Decimal
    grade: str


class Unscored(NamedTuple):
    slot: int | None  # None when no rubric of the scheme fits the record
    problem: str


class Difference(NamedTuple):
    """A scheme against the baseline for one record."""

    delta: Decimal  # other − baseline
    change: str  # "same", "up" (a better grade) or "down"
    indicators: tuple[tuple[str, Decimal], ...]  # the largest differences by indicator id, signed
