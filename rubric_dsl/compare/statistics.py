"""A scheme's statistics: grade counts, mean, median, min, max, weighted mean, mean points lost.

Exact decimals throughout (`EXACT`, whatever the caller's context): means and weighted means are
rounded half-up to 0.01 for display, the median is exact. A `Tally` holds what they need, gathered
a record at a time, so that its size does not grow with the records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from rubric_dsl.compare.schemes import Scheme
from rubric_dsl.program import CompiledRubric

ZERO = Decimal(0)
CENT = Decimal("0.01")
EXACT = Context(prec=60)  # sums of up to millions of scores stay exact


@dataclass(frozen=True, slots=True)
class Lost:
    id: str
    label: str
    weight: Decimal
    mean: Decimal  # mean points lost over the records scored by a rubric that has the indicator


@dataclass(frozen=True, slots=True)
class Summary:
    scheme: Scheme
    scored: int
    unscored: int
    grades: tuple[tuple[str, int], ...]  # every grade label of the scheme's rubrics, best first
    mean: Decimal | None  # rounded half-up to 0.01
    median: Decimal | None  # exact
    minimum: Decimal | None
    maximum: Decimal | None
    weighted_mean: Decimal | None  # rounded half-up to 0.01; None without a weight column
    weight_total: Decimal | None
    weighted: int  # records in the weighted mean
    lost: tuple[Lost, ...]
    slots: tuple[int, ...]  # the scheme's rubrics that scored at least one record
    totals: tuple[tuple[Decimal, int], ...] = ()  # each distinct total, lowest first, and how many records have it


@dataclass(slots=True)
class Tally:
    """What a scheme's summary needs of its scored records, gathered one record at a time: how often
    each total and grade occurs (totals take few distinct values: counting them beats sorting them),
    the weights, and per rubric the records it scored and their points summed by indicator. Sums are
    exact (`EXACT`) whatever the caller's decimal context."""

    totals: Counter[Decimal] = field(default_factory=Counter)
    grades: Counter[str] = field(default_factory=Counter)
    weight_total: Decimal = ZERO
    weighted_sum: Decimal = ZERO
    weighted: int = 0
    points: dict[int, list[Decimal]] = field(default_factory=dict)  # slot → [records, points summed per indicator…]

    def add(self, total: Decimal, grade: str, weight: Decimal | None) -> None:
        self.totals[total] += 1
        self.grades[grade] += 1
        if weight is not None:
            self.weight_total = EXACT.add(self.weight_total, weight)
            self.weighted_sum = EXACT.add(self.weighted_sum, EXACT.multiply(total, weight))
            self.weighted += 1

    def merge(self, other: Tally) -> None:
        """Add another tally's records (another batch's, another worker's): the result is the same as if
        this tally had counted them itself."""
        self.totals.update(other.totals)
        self.grades.update(other.grades)
        self.weight_total = EXACT.add(self.weight_total, other.weight_total)
        self.weighted_sum = EXACT.add(self.weighted_sum, other.weighted_sum)
        self.weighted += other.weighted
        for slot, (count, *points) in other.points.items():
            self.add_sums(slot, int(count), points)

    def add_sums(self, slot: int, count: int, points: Sequence[Decimal]) -> None:
        """`count` more records scored by rubric `slot`, their points summed by indicator in the rubric's order."""
        found = self.points.get(slot)
        if found is None:
            found = self.points[slot] = [ZERO] * (len(points) + 1)
        with localcontext(EXACT):
            found[0] += count
            for i, summed in enumerate(points, 1):
                found[i] += summed


def summarize(
    scheme: Scheme, compiled: Sequence[CompiledRubric], tally: Tally, records: int, *, weights: bool
) -> Summary:
    """A scheme's statistics over `records` records, of which `tally` holds the scored ones; `weights`:
    whether records carry weights (else the weighted mean and weight total are None)."""
    members = scheme.slots()
    used = tuple(s for s in members if s in tally.points)
    counts = dict.fromkeys((g.label for s in used or members for g in compiled[s].grades), 0)
    for label, count in tally.grades.items():
        counts[label] = counts.get(label, 0) + count
    totals = tally.totals
    with localcontext(EXACT):
        scored = sum(totals.values())
        mean = sum((t * n for t, n in totals.items()), ZERO) / scored if scored else None
        weighted_mean = tally.weighted_sum / tally.weight_total if tally.weight_total else None
        ordered = sorted(totals)
        median = _median(ordered, totals, scored)
    return Summary(
        scheme=scheme,
        scored=scored,
        unscored=records - scored,
        grades=tuple(counts.items()),
        mean=None if mean is None else _cents(mean),
        median=median,
        minimum=ordered[0] if ordered else None,
        maximum=ordered[-1] if ordered else None,
        weighted_mean=_cents(weighted_mean) if weights and weighted_mean is not None else None,
        weight_total=tally.weight_total if weights else None,
        weighted=tally.weighted,
        lost=_lost(compiled, tally.points, members),
        slots=used,
        totals=tuple((total, totals[total]) for total in ordered),
    )


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _median(ordered: Sequence[Decimal], tally: Mapping[Decimal, int], count: int) -> Decimal | None:
    """The exact median of `count` values, given as their distinct values in order and how often each occurs."""
    if not count:
        return None
    low, high = (count - 1) // 2, count // 2  # the middle one, or the middle two
    seen, found = 0, list[Decimal]()
    for value in ordered:
        seen += tally[value]
        while len(found) < 2 and seen > (low, high)[len(found)]:
            found.append(value)
        if len(found) == 2:
            break
    return found[0] if found[0] == found[1] else (found[0] + found[1]) / 2


def _lost(
    compiled: Sequence[CompiledRubric], points: Mapping[int, list[Decimal]], members: Sequence[int]
) -> tuple[Lost, ...]:
    """Mean points lost per indicator id, over the records of the scheme's rubrics that have it."""
    lost: dict[str, list[Any]] = {}  # id → [label, weight, points lost, records]
    with localcontext(EXACT):
        for slot in members:
            if slot not in points:
                continue
            count, *summed_points = points[slot]
            for info, summed in zip(compiled[slot].indicators, summed_points, strict=True):
                entry = lost.setdefault(info.id, [info.label, info.weight, ZERO, 0])
                entry[2] += info.weight * count - summed
                entry[3] += count
        return tuple(Lost(i, label, weight, _cents(total / n)) for i, (label, weight, total, n) in lost.items())
