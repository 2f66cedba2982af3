"""Compare a table's records under every scheme: `compare`, and what it gives (`Comparison`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any, NamedTuple, TextIO

from rubric_dsl.compare.pool import CHUNK, paused_gc, score_all
from rubric_dsl.compare.records import CompareError, Table
from rubric_dsl.compare.routing import route
from rubric_dsl.compare.rules import BadWeight, FactRule, read_weight
from rubric_dsl.compare.schemes import Rubrics, Scheme
from rubric_dsl.compare.scoring import Difference, Plan, RecordOut, Scored, Sums, Unscored
from rubric_dsl.compare.statistics import EXACT, ZERO, Summary, Tally, summarize
from rubric_dsl.diagnostics import did_you_mean
from rubric_dsl.program import CompiledRubric


class RecordComparison(NamedTuple):
    id: str
    where: str
    weight: Decimal | None
    outcomes: tuple[Scored | Unscored, ...]  # one per scheme
    differences: tuple[Difference | None, ...]  # one per scheme after the baseline


@dataclass(slots=True)
class Comparison:
    data: str
    schemes: list[Scheme]
    rubrics: Rubrics
    records: list[RecordComparison]
    summaries: list[Summary]
    warnings: list[str] = field(default_factory=list)
    id_column: str | None = None
    weight_column: str | None = None
    rubric_column: str | None = None

    _labels: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def label(self, indicator: str) -> str:
        """An indicator's label, as the first rubric that has it words it."""
        if not self._labels:
            for rubric in reversed(self.rubrics.compiled):  # the first rubric's wording wins
                self._labels.update((info.id, info.label) for info in rubric.indicators)
        return self._labels.get(indicator, indicator)


def compare(
    schemes: Sequence[Scheme],
    rubrics: Rubrics,
    table: Table,
    *,
    id_column: str | None = None,
    weight_column: str | None = None,
    rubric_column: str | None = None,
    workers: int | None = None,
    progress: TextIO | None = None,
    chunk_size: int = CHUNK,
    method: str | None = None,
) -> Comparison:
    """Score every record of `table` under every scheme; `workers` None decides by the table's size,
    `method` (fork or spawn) how workers start (default: `start_method()`)."""
    index = {name: i for i, name in enumerate(table.columns)}
    for option, name in (
        ("--id-column", id_column),
        ("--weight-column", weight_column),
        ("--rubric-column", rubric_column),
    ):
        if name is not None and name not in index:
            raise CompareError(f"{option} `{name}`: the data has no such column{did_you_mean(name, index)}")
    if rubric_column is None and any(len(s.members) != 1 or s.pairs for s in schemes):
        raise CompareError("a scheme of several rubrics needs --rubric-column COLUMN")
    keys, routes, work = _routes(schemes, rubrics, table, index.get(rubric_column or ""))
    plan = Plan(tuple(rubrics.refs), tuple(_fact_columns(r, index) for r in rubrics.compiled), tuple(routes))
    comparison = Comparison(table.path, list(schemes), rubrics, [], [], [], id_column, weight_column, rubric_column)
    used = {slot for found in routes for slot in found if isinstance(slot, int)}
    comparison.warnings.extend(_column_warnings(rubrics, used, table, {id_column, weight_column, rubric_column}))
    columns = index.get(id_column or ""), index.get(weight_column or "")
    parts: dict[int, list[RecordComparison]] = {}
    sums: dict[tuple[int, int], list[Decimal]] = {}
    assemble = _Records(table, columns)
    with paused_gc():
        scored = score_all(
            plan, rubrics.compiled, work, workers=workers, progress=progress, chunk_size=chunk_size, method=method
        )
        for number, (records, chunk_sums) in scored:
            parts[number] = assemble(number * chunk_size, records)
            _add_sums(sums, chunk_sums)
        comparison.records.extend(record for number in sorted(parts) for record in parts[number])
        comparison.warnings.extend(assemble.warnings)
        comparison.summaries.extend(_summary(comparison, i, sums) for i in range(len(schemes)))
    if rubric_column is not None:
        comparison.warnings.extend(_unused_pairs(schemes, rubrics, keys))
    return comparison


def _routes(
    schemes: Sequence[Scheme], rubrics: Rubrics, table: Table, column: int | None
) -> tuple[set[str | None], list[tuple[int | str, ...]], list[tuple[int, tuple[Any, ...]]]]:
    found: dict[str | None, int] = {}
    routes: list[tuple[int | str, ...]] = []
    work: list[tuple[int, tuple[Any, ...]]] = []
    for row in table.rows:
        key = None if column is None or row[column] is None else str(row[column]).strip()
        if key not in found:
            found[key] = len(routes)
            routes.append(tuple(route(s, rubrics.compiled, key) for s in schemes))
        work.append((found[key], row))
    return set(found), routes, work


def _fact_columns(rubric: CompiledRubric, index: Mapping[str, int]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    given = [i.name for i in rubric.inputs if i.name in index]
    return tuple(given), tuple(index[name] for name in given)


def _column_warnings(rubrics: Rubrics, used: set[int], table: Table, named: set[str | None]) -> list[str]:
    """Columns no compared rubric declares (typos), and required facts no record gives to a rubric
    that some record is routed to. A table allows extra facts (`rules`): its columns are shared by
    all its records, so an unknown one is reported once, here, and given to no rubric."""
    facts = FactRule(rubrics.compiled, allow_extra=True)
    warnings = [
        f"column `{c}` is not a fact of any compared rubric{facts.hint(c)}; it is ignored"
        for c in facts.unknown(table.columns)
        if c not in named
    ]
    index = {name: i for i, name in enumerate(table.columns)}
    given: dict[str, bool] = {}
    for rubric in (rubrics.compiled[slot] for slot in sorted(used)):
        absent = [i.name for i in rubric.inputs if i.required and not _given(i.name, index, table, given)]
        if absent:
            warnings.append(f"{rubric.id}: no record gives the required facts {', '.join(absent)}")
    return warnings


def _given(name: str, index: Mapping[str, int], table: Table, cache: dict[str, bool]) -> bool:
    if name not in cache:
        column = index.get(name)
        cache[name] = column is not None and any(row[column] is not None for row in table.rows)
    return cache[name]


def _unused_pairs(schemes: Sequence[Scheme], rubrics: Rubrics, keys: set[str | None]) -> list[str]:
    return [
        f"`{scheme.name}`: no record's rubric is `{source}`, so {source}={rubrics.compiled[slot].id} pairs nothing"
        for scheme in schemes
        for source, slot in scheme.pairs
        if source not in keys
    ]


class _Records:
    """Turns scored chunks into `RecordComparison`s; totals and differences take few distinct values,
    so each text is read as a Decimal once."""

    def __init__(self, table: Table, columns: tuple[int | None, int | None]) -> None:
        self._table = table
        self._id, self._weight = columns
        self._warnings: dict[int, list[str]] = {}  # by the chunk's first record: chunks finish in any order
        self._numbers: dict[str, Decimal] = {}

    @property
    def warnings(self) -> list[str]:
        return [warning for start in sorted(self._warnings) for warning in self._warnings[start]]

    def _number(self, text: str) -> Decimal:
        found = self._numbers.get(text)
        if found is None:
            found = self._numbers[text] = Decimal(text)
        return found

    def __call__(self, start: int, records: Sequence[RecordOut]) -> list[RecordComparison]:
        rows, wheres, id_col, weight_col = self._table.rows, self._table.where, self._id, self._weight
        number = self._number
        found = []
        warnings = self._warnings.setdefault(start, [])
        for index, (outcomes, diffs) in enumerate(records, start):
            row, where = rows[index], wheres[index]
            ident = str(row[id_col]) if id_col is not None and row[id_col] is not None else where
            weight = _weight(row[weight_col], where, warnings) if weight_col is not None else None
            scored = tuple(
                [
                    Scored(s, number(t), g) if t is not None else Unscored(s if s >= 0 else None, g)
                    for s, t, g in outcomes
                ]
            )
            base = scored[0]
            differences: list[Difference | None] = []
            for other, diff in zip(scored[1:], diffs, strict=True):
                if diff is None or type(base) is not Scored or type(other) is not Scored:
                    differences.append(None)
                else:
                    indicators = tuple([(i, number(d)) for i, d in diff[1]])
                    differences.append(Difference(other.total - base.total, diff[0], indicators))
            found.append(RecordComparison(ident, where, weight, scored, tuple(differences)))
        return found


def _add_sums(sums: dict[tuple[int, int], list[Decimal]], chunk: Sums) -> None:
    """Add a chunk's per-indicator point sums; the first item of each list counts the records."""
    with localcontext(EXACT):
        for key, (count, points) in chunk.items():
            found = sums.setdefault(key, [ZERO] * (len(points) + 1))
            found[0] += count
            for i, text in enumerate(points, 1):
                found[i] += Decimal(text)


def _weight(raw: Any, where: str, warnings: list[str]) -> Decimal | None:
    """The record's weight by the one rule (`rules.read_weight`); a bad one is warned about, by row."""
    weight = read_weight(raw)
    if isinstance(weight, BadWeight):
        warnings.append(f"{where}: weight {weight.problem}; the record is left out of weighted means")
        return None
    return weight


def _summary(comparison: Comparison, scheme: int, sums: Mapping[tuple[int, int], list[Decimal]]) -> Summary:
    tally = Tally()
    for record in comparison.records:
        outcome = record.outcomes[scheme]
        if type(outcome) is Scored:
            tally.add(outcome.total, outcome.grade, record.weight)
    tally.points.update((slot, found) for (column, slot), found in sums.items() if column == scheme)
    return summarize(
        comparison.schemes[scheme],
        comparison.rubrics.compiled,
        tally,
        len(comparison.records),
        weights=comparison.weight_column is not None,
    )
