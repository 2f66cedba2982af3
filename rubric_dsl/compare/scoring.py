"""Scoring one record under every scheme: the one loop of `rubric compare` and of the Compare RPC.

A record comes with its route (per scheme, the slot of the rubric that scores it, or why none does;
`routing`) and its facts: a table row (`Columns`) or a mapping (`Declared`). Each rubric is given
only the facts it declares (`rules`); rubrics that declare the same facts (a rubric and its
variants) share one facts dict per record, and a rubric that several schemes route the record to
scores it once. `Scorer.record` gives, per scheme, `Scored` or `Unscored` (why: no rubric fits, the
facts at fault as `Score` names them, or the indicator that could not be evaluated), and per scheme
after the baseline, when both scored the record, its `Difference` from the baseline: the change in
total, whether the grade went up or down, and the indicators whose points differ most. Points are
summed per (scheme, slot) for the statistics (`sums`), exactly, whatever the caller's context.

The caches are bounded by the compared rubrics, not by the records: grade changes per (rubric,
grade, rubric, grade), the alignment of indicators per pair of rubrics, and the decimals of totals
and indicator differences, which take few distinct values (each kept as one object, up to about
MAX_NUMBERS: a large comparison holds, and sends from a worker, each value once).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from decimal import Decimal, localcontext
from operator import itemgetter, sub
from typing import Any, NamedTuple, Protocol

from rubric_dsl.compare.statistics import EXACT, ZERO
from rubric_dsl.diagnostics import Worded
from rubric_dsl.errors import EvaluationError, FactProblem, InvalidFacts
from rubric_dsl.program import CompiledRubric

TOP = 3  # indicators shown per record as contributing most to a difference
MAX_NUMBERS = 100_000  # distinct decimals a scorer keeps one object of

Route = tuple[int | str, ...]  # per scheme: the slot that scores the record, or why none does
Top = tuple[tuple[str, Decimal], ...]  # indicator id, signed difference (other − baseline)
Sums = dict[tuple[int, int], tuple[int, tuple[Decimal, ...]]]  # (scheme, slot) → records scored, points summed


class Scored(NamedTuple):
    slot: int
    total: Decimal
    grade: str


class Unscored(NamedTuple):
    slot: int | None  # None when no rubric of the scheme fits the record
    problem: str  # why, in words
    facts: tuple[FactProblem, ...] = ()  # the rubric refused these facts (its `InvalidFacts`)
    failed: tuple[str, str] | None = None  # the rubric could not be evaluated: indicator, why (`EvaluationError`)


class Difference(NamedTuple):
    """A scheme against the baseline for one record."""

    delta: Decimal  # other − baseline
    change: str  # "same", "up" (a better grade) or "down"
    indicators: Top  # the largest differences by indicator id, signed


# A NamedTuple's own __new__ is Python code; tuple.__new__ makes the same object in C, for the millions made here.
_new = tuple.__new__

Outcomes = tuple[Scored | Unscored, ...]  # one per scheme
Differences = tuple[Difference | None, ...]  # one per scheme after the baseline
_Scoring = tuple[Scored, tuple[Decimal, ...]]  # and the points in the rubric's order


class Facts(Protocol):
    """How a rubric gets its facts from a record: `read(slot, record)`; slots of one shape get the same."""

    shapes: tuple[int, ...]

    def read(self, slot: int, record: Any) -> dict[str, Any]: ...


def _shapes(keys: Sequence[Hashable]) -> tuple[int, ...]:
    numbers = {key: n for n, key in enumerate(dict.fromkeys(keys))}
    return tuple(numbers[key] for key in keys)


class Columns:
    """Facts from a table row: per slot, the facts its rubric declares that have a column, in the
    rubric's order; an empty cell (None) is an absent fact. Picklable: sent to workers."""

    def __init__(self, columns: Sequence[tuple[tuple[str, ...], tuple[int, ...]]]) -> None:
        self.columns = tuple(columns)
        self.shapes = _shapes(self.columns)

    def read(self, slot: int, record: Any) -> dict[str, Any]:
        names, columns = self.columns[slot]
        return {name: record[c] for name, c in zip(names, columns, strict=True) if record[c] is not None}


class Declared:
    """Facts from a mapping of name to value: per slot, those its rubric declares, in the mapping's order."""

    def __init__(self, inputs: Sequence[frozenset[str]]) -> None:
        self.inputs = tuple(inputs)
        self.shapes = _shapes(self.inputs)

    def read(self, slot: int, record: Any) -> dict[str, Any]:
        own = self.inputs[slot]
        return {name: value for name, value in record.items() if name in own}


class Scorer:
    """Scores records under every scheme; the same code in this process, in workers and in the service.
    `plain`: give each `Scored` and `Difference` as a plain tuple of its fields, for a worker to send
    (a NamedTuple pickles through Python code; `pool` makes them whole again in the parent)."""

    def __init__(
        self, compiled: Sequence[CompiledRubric], facts: Facts, *, plain: bool = False, max_numbers: int = MAX_NUMBERS
    ) -> None:
        self._compiled = compiled
        self._scored: Any = tuple if plain else Scored
        self._difference: Any = tuple if plain else Difference
        self._facts = facts
        self._shapes = facts.shapes
        self._ids = [tuple(i.id for i in rubric.indicators) for rubric in compiled]
        self._changes: dict[tuple[int, str, int, str], str] = {}
        self._pairs: dict[tuple[int, int], Alignment] = {}
        self._numbers: dict[str, Decimal] = {}  # one object per decimal as written (94.6 and 94.60 stay apart)
        self._keep = self._numbers.setdefault
        self._max_numbers = max_numbers  # 0: keep none (results that leave as Arrow columns need no sharing)
        self._points: dict[tuple[int, int], list[tuple[Decimal, ...]]] = {}
        self.pending = 0  # records whose points are not yet in `sums`
        self.last: list[_Scoring | None] = []  # the last record's, per scheme: Scored and its points, or None

    def record(self, route: Route, record: Any) -> tuple[Outcomes, Differences]:
        shared: dict[int, dict[str, Any]] = {}
        done: dict[int, _Scoring | Unscored] = {}
        outcomes: list[Scored | Unscored] = []
        scored: list[_Scoring | None] = []
        points = self._points
        for scheme, slot in enumerate(route):
            if isinstance(slot, str):
                outcomes.append(Unscored(None, slot))
                scored.append(None)
                continue
            got = done.get(slot)
            if got is None:
                got = done[slot] = self._score(slot, record, shared)
            if isinstance(got, Unscored):
                outcomes.append(got)
                scored.append(None)
                continue
            outcomes.append(got[0])
            scored.append(got)
            rows = points.get((scheme, slot))
            if rows is None:
                rows = points[scheme, slot] = []
            rows.append(got[1])
        self.pending += 1
        self.last = scored
        return tuple(outcomes), self._differences(scored)

    def sums(self) -> Sums:
        """Per (scheme, slot), the records scored since the last call and their points summed by indicator."""
        with localcontext(EXACT):
            found = {
                key: (len(rows), tuple([sum(column, ZERO) for column in zip(*rows, strict=True)]))
                for key, rows in self._points.items()
            }
        self._points = {}
        self.pending = 0
        return found

    def _score(self, slot: int, record: Any, shared: dict[int, dict[str, Any]]) -> _Scoring | Unscored:
        shape = self._shapes[slot]
        facts = shared.get(shape)
        if facts is None:
            facts = shared[shape] = self._facts.read(slot, record)
        try:
            result = self._compiled[slot].score(facts)
        except InvalidFacts as error:
            problem = "; ".join(f"{p.fact}: {p.message}" for p in error.problems)
            return Unscored(slot, problem, tuple(error.problems))
        except EvaluationError as error:
            return Unscored(slot, Worded(str(error), error.message_zh), failed=(error.indicator, error.message))
        total = result.total
        if len(self._numbers) < self._max_numbers:
            total = self._keep(str(total), total)
        return _new(self._scored, (slot, total, result.grade)), tuple(result.points.values())

    def _differences(self, scored: Sequence[_Scoring | None]) -> Differences:
        base = scored[0]
        if base is None:
            return (None,) * (len(scored) - 1)
        (first, first_total, first_grade), first_points = base  # a Scored, or its fields (`plain`)
        keep = self._keep if len(self._numbers) < self._max_numbers else self._numbers.get
        found: list[Difference | None] = []
        for other in scored[1:]:
            if other is None:
                found.append(None)
                continue
            (second, second_total, second_grade), second_points = other
            key = (first, first_grade, second, second_grade)
            change = self._changes.get(key)
            if change is None:
                before, after = self._compiled[first], self._compiled[second]
                change = self._changes[key] = grade_change(before, first_grade, after, second_grade)
            alignment = self._pairs.get((first, second))
            if alignment is None:
                alignment = self._pairs[first, second] = align(self._ids[first], self._ids[second])
            indicators = tuple([(i, keep(str(d), d)) for i, d in top(alignment, first_points, second_points)])
            delta = EXACT.subtract(second_total, first_total)
            found.append(_new(self._difference, (keep(str(delta), delta), change, indicators)))
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
    return tuple([(ids[k], deltas[k]) for k in largest if sizes[k]])


def grade_change(before: CompiledRubric, grade: str, after: CompiledRubric, other: str) -> str:
    """Whether a record's grade changed between two rubrics: `same` when the label is the same, or
    stands at the same place in grade scales of the same length (优 and 优秀, 良 and 良好); else `up`
    or `down` by place in the scale, best first."""
    first = [g.label for g in before.grades]
    second = [g.label for g in after.grades]
    if grade == other or (len(first) == len(second) and first.index(grade) == second.index(other)):
        return "same"
    return "up" if second.index(other) < first.index(grade) else "down"
