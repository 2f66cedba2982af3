"""The comparison engine: records under every scheme, for `rubric compare` and the Compare RPC.

Two ways in, one engine. `compare` takes a table (`rubric compare`): its rows are routed, scored in
this process or by workers (`pool`) and assembled in order into a `Comparison`. `Comparer` takes
records one at a time (the Compare RPC streams them) and keeps only what its summaries need. Both
route with `routing`, apply the two record rules of `rules` (a record's weight; facts no compared
rubric declares), score with the one `scoring.Scorer`, assemble each record with `compared` and
count it in `_Tallies`, and summarize with `statistics.summarize`, so they agree to the last decimal
on the same records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, TextIO

from rubric_dsl.compare.pool import CHUNK, Plan, paused_gc, score_all
from rubric_dsl.compare.records import SEVERAL_RUBRICS_ZH, CompareError, Table
from rubric_dsl.compare.routing import TABLE, Router, Wording
from rubric_dsl.compare.rules import (
    BadWeight,
    FactRule,
    UnknownFacts,
    read_weight,
    unknown_column_warning,
    weight_warning,
)
from rubric_dsl.compare.schemes import Rubrics, Scheme
from rubric_dsl.compare.scoring import Declared, Differences, Outcomes, Scored, Scorer, Sums
from rubric_dsl.compare.statistics import EXACT, Summary, Tally, summarize
from rubric_dsl.diagnostics import Worded, did_you_mean, did_you_mean_zh
from rubric_dsl.program import CompiledRubric

Transitions = dict[tuple[int, str, str], tuple[int, Decimal | None]]
Pairs = Mapping[tuple[int, Decimal, Decimal], int]
FLUSH = 1_000  # records a `Comparer` scores before it adds their points to its tallies
_new = tuple.__new__  # a NamedTuple without its Python __new__ (one per record)


class RecordComparison(NamedTuple):
    id: str
    where: str  # "row 2", "line 1" (a table), or as the caller says (a stream)
    weight: Decimal | None  # None: no weight, or a bad one (`problem`)
    outcomes: Outcomes  # one per scheme; none when the record was refused (`UnknownFacts`)
    differences: Differences  # one per scheme after the baseline
    problem: BadWeight | UnknownFacts | None = None  # what is wrong with the record whatever the scheme


def compared(ident: str, where: str, weight: object, outcomes: Outcomes, differences: Differences) -> RecordComparison:
    """A scored record; its weight by the one rule: a bad one is the record's problem, and no weight."""
    found = read_weight(weight)
    if isinstance(found, BadWeight):
        return _new(RecordComparison, (ident, where, None, outcomes, differences, found))
    return _new(RecordComparison, (ident, where, found, outcomes, differences, None))


def notable(outcomes: Outcomes, differences: Differences) -> bool:
    """Whether a record's grade changed under some scheme, or some scheme could not score it."""
    for outcome in outcomes:
        if type(outcome) is not Scored:
            return True
    return any(difference is not None and difference.change != "same" for difference in differences)


class _Tallies:
    """Per scheme a `Tally` of the records compared, and how many records there were."""

    def __init__(self, schemes: int) -> None:
        self.schemes = [Tally() for _ in range(schemes)]
        self.records = 0

    def add(self, record: RecordComparison) -> None:
        self.records += 1
        weight = record.weight
        for tally, outcome in zip(self.schemes, record.outcomes, strict=False):  # no outcomes: refused
            if type(outcome) is Scored:
                tally.add(outcome.total, outcome.grade, weight)

    def add_sums(self, sums: Sums) -> None:
        for (scheme, slot), (count, points) in sums.items():
            self.schemes[scheme].add_sums(slot, count, points)

    def summaries(
        self, schemes: Sequence[Scheme], compiled: Sequence[CompiledRubric], *, weights: bool
    ) -> list[Summary]:
        return [
            summarize(scheme, compiled, tally, self.records, weights=weights)
            for scheme, tally in zip(schemes, self.schemes, strict=True)
        ]


# --- records one at a time (the Compare RPC) ---------------------------------------------------------------


class Comparer:
    """A comparison fed records one at a time; its memory does not grow with the records (it keeps
    tallies, never the records). `allow_extra_facts`: whether a fact that no compared rubric declares
    is ignored (else the record is refused, `rules`); `wording`: how routing says why no rubric fits;
    `weights`: whether summaries carry weighted means."""

    def __init__(
        self,
        schemes: Sequence[Scheme],
        compiled: Sequence[CompiledRubric],
        *,
        allow_extra_facts: bool = False,
        wording: Wording = TABLE,
        weights: bool = True,
    ) -> None:
        self.schemes = tuple(schemes)
        self.compiled = tuple(compiled)
        self.facts = FactRule(self.compiled, allow_extra=allow_extra_facts)
        self.weights = weights
        self._route = Router(self.schemes, self.compiled, wording)
        self._scorer = Scorer(self.compiled, Declared(self.facts.inputs))
        self._tallies = _Tallies(len(self.schemes))

    @property
    def records(self) -> int:
        """Records compared or refused so far."""
        return self._tallies.records

    def compare(
        self, ident: str, facts: Mapping[str, Any], rubric: str | None = None, weight: object = None, where: str = ""
    ) -> RecordComparison:
        """A record (its facts by name, its own rubric, None or "" for none, and its weight as given, text
        or a number) under every scheme, counted in the summaries; a record with facts that no compared
        rubric declares is refused (no outcomes), unless extra facts are allowed."""
        unknown = self.facts.unknown(facts)
        if unknown and not self.facts.allow_extra:
            found = RecordComparison(ident, where, None, (), (), UnknownFacts(tuple(unknown)))
        else:
            outcomes, differences = self._scorer.record(self._route(rubric), facts)
            found = compared(ident, where, weight, outcomes, differences)
            if self._scorer.pending >= FLUSH:
                self._tallies.add_sums(self._scorer.sums())
        self._tallies.add(found)
        return found

    def refuse(self) -> None:
        """Count a record the caller could not read (its facts, its id): not scored, but a record."""
        self._tallies.records += 1

    def summaries(self) -> list[Summary]:
        self._tallies.add_sums(self._scorer.sums())
        return self._tallies.summaries(self.schemes, self.compiled, weights=self.weights)


# --- a table (`rubric compare`) ------------------------------------------------------------------------------


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
    streamed: int | None = None  # records compared when streamed in batches: `records` then holds none
    records_out: str | None = None  # where a streamed comparison wrote its per-record results
    transitions: Transitions | None = None  # a streamed comparison's; else counted from `records`
    pairs: Pairs | None = None  # a streamed comparison's (scheme, A total, total) counts; else from `records`
    pair_step: Decimal | None = None  # the streamed pairs were rounded down to this (too many distinct ones)
    notable: list[RecordComparison] = field(default_factory=list)  # a streamed comparison's first notable records
    notable_count: int = 0  # and how many there were
    units: dict[str, str] = field(default_factory=dict)  # a column's unit as declared (funds → 万元), for reports

    _labels: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def record_count(self) -> int:
        return self.streamed if self.streamed is not None else len(self.records)

    def grade_transitions(self) -> Transitions:
        """Per (other scheme, grade under A, grade under it): the records that moved so, and their weight
        (None without a weight column)."""
        if self.transitions is not None:
            return self.transitions
        found: dict[tuple[int, str, str], tuple[int, Decimal | None]] = {}
        for record in self.records:
            if not record.outcomes or type(record.outcomes[0]) is not Scored:
                continue
            base = record.outcomes[0].grade
            for scheme, outcome in enumerate(record.outcomes[1:], 1):
                if type(outcome) is Scored:
                    key = (scheme, base, outcome.grade)
                    count, weight = found.get(key, (0, None))
                    if record.weight is not None:
                        weight = record.weight if weight is None else EXACT.add(weight, record.weight)
                    found[key] = (count + 1, weight)
        return found

    def score_pairs(self, other: int) -> dict[tuple[Decimal, Decimal], tuple[int, list[str]]]:
        """Per pair of totals (A's, scheme `other`'s) of the records both scored: how many, and the ids of
        the first ten (none when streamed: the records are in `records_out`)."""
        if self.pairs is not None:
            return {(a, b): (n, []) for (scheme, a, b), n in self.pairs.items() if scheme == other}
        found: dict[tuple[Decimal, Decimal], tuple[int, list[str]]] = {}
        for record in self.records:
            if not record.outcomes:
                continue
            base, alt = record.outcomes[0], record.outcomes[other]
            if type(base) is Scored and type(alt) is Scored:
                count, ids = found.get((base.total, alt.total), (0, []))
                if count < 10:
                    ids.append(record.id)
                found[base.total, alt.total] = (count + 1, ids)
        return found

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
            raise CompareError(
                f"{option} `{name}`: the data has no such column{did_you_mean(name, index)}",
                f"{option} `{name}`：数据中没有这一列{did_you_mean_zh(name, index)}",
            )
    if rubric_column is None and any(len(s.members) != 1 or s.pairs for s in schemes):
        raise CompareError("a scheme of several rubrics needs --rubric-column COLUMN", SEVERAL_RUBRICS_ZH)
    router = Router(schemes, rubrics.compiled, TABLE)
    keys, routes, work = _routes(router, table, index.get(rubric_column or ""))
    plan = Plan(tuple(rubrics.refs), tuple(_fact_columns(r, index) for r in rubrics.compiled), tuple(routes))
    comparison = Comparison(table.path, list(schemes), rubrics, [], [], [], id_column, weight_column, rubric_column)
    used = {slot for found in routes for slot in found if isinstance(slot, int)}
    comparison.warnings.extend(_column_warnings(rubrics, used, table, {id_column, weight_column, rubric_column}))
    columns = index.get(id_column or ""), index.get(weight_column or "")
    parts: dict[int, list[RecordComparison]] = {}
    tallies = _Tallies(len(schemes))
    with paused_gc():
        scored = score_all(
            plan, rubrics.compiled, work, workers=workers, progress=progress, chunk_size=chunk_size, method=method
        )
        for number, (records, sums) in scored:
            parts[number] = _assemble(table, columns, number * chunk_size, records)
            tallies.add_sums(sums)
        comparison.records.extend(record for number in sorted(parts) for record in parts[number])
        for record in comparison.records:
            tallies.add(record)
        comparison.warnings.extend(_weight_warnings(comparison.records))
        comparison.summaries.extend(tallies.summaries(schemes, rubrics.compiled, weights=weight_column is not None))
    if rubric_column is not None:
        comparison.warnings.extend(_unused_pairs(schemes, rubrics, keys))
    return comparison


def _assemble(
    table: Table, columns: tuple[int | None, int | None], start: int, records: Iterable[tuple[Outcomes, Differences]]
) -> list[RecordComparison]:
    """The scored records of a chunk from `start` on, with their ids (else where they are) and weights."""
    rows, wheres = table.rows, table.where
    id_column, weight_column = columns
    found = []
    for index, (outcomes, differences) in enumerate(records, start):
        row, where = rows[index], wheres[index]
        ident = str(row[id_column]) if id_column is not None and row[id_column] is not None else where
        weight = row[weight_column] if weight_column is not None else None
        found.append(compared(ident, where, weight, outcomes, differences))
    return found


def _weight_warnings(records: Iterable[RecordComparison]) -> list[str]:
    """A bad weight is a problem of its record, which is scored: an analyst sees it here, by row."""
    return [weight_warning(r.where, r.problem) for r in records if type(r.problem) is BadWeight]


def _routes(
    router: Router, table: Table, column: int | None
) -> tuple[set[str | None], list[tuple[int | str, ...]], list[tuple[int, tuple[Any, ...]]]]:
    """The distinct rubric names of the records, their routes (sent once to each worker), and per
    record the number of its route and its row."""
    found: dict[str | None, int] = {}
    routes: list[tuple[int | str, ...]] = []
    work: list[tuple[int, tuple[Any, ...]]] = []
    for row in table.rows:
        key = None if column is None or row[column] is None else str(row[column]).strip()
        if key not in found:
            found[key] = len(routes)
            routes.append(router(key))
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
    unknown = [c for c in facts.unknown(table.columns) if c not in named]
    warnings: list[str] = [unknown_column_warning(c, facts.hints(c)) for c in unknown]
    index = {name: i for i, name in enumerate(table.columns)}
    given: dict[str, bool] = {}
    for rubric in (rubrics.compiled[slot] for slot in sorted(used)):
        absent = [i.name for i in rubric.inputs if i.required and not _given(i.name, index, table, given)]
        if absent:
            warnings.append(
                Worded(
                    f"{rubric.id}: no record gives the required facts {', '.join(absent)}",
                    f"评分规则 {rubric.id}：没有记录给出必填事实 {'、'.join(absent)}",
                )
            )
    return warnings


def _given(name: str, index: Mapping[str, int], table: Table, cache: dict[str, bool]) -> bool:
    if name not in cache:
        column = index.get(name)
        cache[name] = column is not None and any(row[column] is not None for row in table.rows)
    return cache[name]


def _unused_pairs(schemes: Sequence[Scheme], rubrics: Rubrics, keys: set[str | None]) -> list[str]:
    found: list[str] = []
    for scheme in schemes:
        for source, slot in scheme.pairs:
            if source not in keys:
                pair = f"{source}={rubrics.compiled[slot].id}"
                found.append(
                    Worded(
                        f"`{scheme.name}`: no record's rubric is `{source}`, so {pair} pairs nothing",
                        f"方案 `{scheme.name}`：没有记录的评分规则是 `{source}`，{pair} 没有可配对的记录",
                    )
                )
    return found
