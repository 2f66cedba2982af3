"""The columnar core: Arrow record batches scored under every scheme, giving Arrow result batches.

Takes record batches whose columns are facts: string columns as a CSV cell holds them ("98.02" a
percent, "true", a tier's name; blank is an absent fact), or typed columns (integers, decimals and
booleans as they are, floats through their shortest repr, never their binary value; null is absent),
and a `BatchPlan`: the schemes, their rubrics as `PortableRubric`s, and the columns that name a
record, weigh it and name its rubric. Routing, the two record rules, scoring and differences are the
ones of `rubric compare` (`routing`, `rules`, `scoring.Scorer`), so the figures are the same to the
last decimal.

Gives, per input record, one row per scheme (`result_schema`): the record's id (else where it is),
the scheme, the rubric's id, version and content hash, the total and each indicator's points as
`decimal128` at the rounding scale of the compared rubrics (never float; a value finer than that
scale is an error, never rounded here), the grade, against the baseline the change in total and
whether the grade went up or down, and an `error` for a record the scheme cannot score (the batch
goes on). With it, the batch's `Tallies`: what the summaries need, which merge exactly, so batches
scored anywhere (a worker, a Spark executor) sum to the summaries of the whole; and what the report
draws and lists, bounded whatever the records: per other scheme how many records have each pair of
totals (baseline, other), exact up to MAX_PAIRS distinct pairs and in whole points beyond, and the
first NOTABLE records whose grade changed or that a scheme could not score, with how many there were.

A `PortableRubric` travels to another process as its source texts and content hash; unpickling it
compiles it there (once per process) and a different hash is an error (`schemes.compile_refs`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyarrow as pa

from rubric_dsl.ast import DEFAULT_INDICATOR_STEP
from rubric_dsl.compare.engine import Comparison, RecordComparison, compared
from rubric_dsl.compare.engine import notable as is_notable
from rubric_dsl.compare.records import SEVERAL_RUBRICS_ZH, CompareError
from rubric_dsl.compare.routing import TABLE, Router
from rubric_dsl.compare.rules import BadWeight, read_weight, weight_warning
from rubric_dsl.compare.schemes import RubricRef, Rubrics, Scheme, compile_refs
from rubric_dsl.compare.scoring import Columns, Difference, Scored, Scorer, Unscored
from rubric_dsl.compare.statistics import EXACT, ZERO, Summary, Tally, summarize
from rubric_dsl.diagnostics import Worded
from rubric_dsl.program import CompiledRubric

PRECISION = 38  # digits of a decimal128 column: any total or points a rubric can give
MAX_WARNINGS = 100  # bad weights reported by row; the rest are counted
MAX_PAIRS = 20_000  # distinct (scheme, baseline total, total) pairs counted exactly; beyond, in whole points
NOTABLE = 500  # records kept whose grade changed or that a scheme could not score (the report lists them)
ONE = Decimal(1)


class PortableRubric:
    """A compiled rubric that travels as its sources and content hash (`RubricRef`): pickling it sends
    the texts, unpickling compiles them once per process and checks the hash."""

    __slots__ = ("compiled", "ref")

    def __init__(self, ref: RubricRef, compiled: CompiledRubric | None = None) -> None:
        self.ref = ref
        self.compiled = compiled if compiled is not None else compile_refs([ref])[0]

    def __reduce__(self) -> tuple[Any, tuple[RubricRef]]:
        return PortableRubric, (self.ref,)

    def __repr__(self) -> str:
        return f"<PortableRubric {self.ref.id} {self.ref.content_hash[:15]}>"


def rubric_scale(rubric: CompiledRubric) -> int:
    """Decimal places of the rubric's points and totals: those of its rounding steps."""
    steps = [r.step for r in rubric.tree.rounding]
    if not any(r.scope == "indicator" for r in rubric.tree.rounding):
        steps.append(DEFAULT_INDICATOR_STEP)
    return max((max(0, -int(step.as_tuple().exponent)) for step in steps), default=0)


def result_schema(scale: int) -> pa.Schema:
    number = pa.decimal128(PRECISION, scale)
    return pa.schema(
        [
            ("record", pa.string()),
            ("scheme", pa.string()),
            ("rubric", pa.string()),
            ("version", pa.string()),
            ("content_hash", pa.string()),
            ("total", number),
            ("grade", pa.string()),
            ("points", pa.list_(pa.struct([("indicator", pa.string()), ("points", number)]))),
            ("delta", number),  # this scheme's total − the baseline's; null for the baseline
            ("change", pa.string()),  # same, up (a better grade) or down, against the baseline
            ("error", pa.string()),  # why the scheme could not score the record; null when scored
        ]
    )


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """What scoring a batch needs; pickles small (sources, not code) and is the same everywhere."""

    schemes: tuple[Scheme, ...]
    rubrics: tuple[PortableRubric, ...]  # by slot
    id_column: str | None = None
    weight_column: str | None = None
    rubric_column: str | None = None

    @staticmethod
    def of(
        schemes: Sequence[Scheme],
        rubrics: Rubrics,
        *,
        id_column: str | None = None,
        weight_column: str | None = None,
        rubric_column: str | None = None,
    ) -> BatchPlan:
        portable = tuple(PortableRubric(r, c) for r, c in zip(rubrics.refs, rubrics.compiled, strict=True))
        if rubric_column is None and any(len(s.members) != 1 or s.pairs for s in schemes):
            raise CompareError("a scheme of several rubrics needs --rubric-column COLUMN", SEVERAL_RUBRICS_ZH)
        return BatchPlan(tuple(schemes), portable, id_column, weight_column, rubric_column)

    @property
    def compiled(self) -> list[CompiledRubric]:
        return [r.compiled for r in self.rubrics]

    @property
    def scale(self) -> int:
        return max(rubric_scale(r) for r in self.compiled)

    @property
    def schema(self) -> pa.Schema:
        return result_schema(self.scale)


@dataclass(slots=True)
class Tallies:
    """What the summaries need of the records scored so far: per scheme a `Tally`, the records seen,
    per other scheme the grade transitions from the baseline (count, weight), and bad weights; and for
    the report, the pairs of totals (as whole numbers of 10^-`places`, which pickle small and fast; in
    whole points once `coarse`, rounded down) and the first notable records, in the order merged."""

    schemes: list[Tally]
    records: int = 0
    transitions: Counter[tuple[int, str, str]] = field(default_factory=Counter)  # (scheme, A grade, grade)
    transition_weights: dict[tuple[int, str, str], Decimal] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    bad_weights: int = 0
    pairs: Counter[tuple[int, int, int]] = field(default_factory=Counter)  # (scheme, A total, total) scaled
    places: int = 0  # the decimal places of the totals (the plan's scale)
    coarse: bool = False
    notable: list[RecordComparison] = field(default_factory=list)
    notable_count: int = 0

    @staticmethod
    def new(schemes: int, places: int) -> Tallies:
        return Tallies([Tally() for _ in range(schemes)], places=places)

    def merge(self, other: Tallies) -> None:
        for mine, theirs in zip(self.schemes, other.schemes, strict=True):
            mine.merge(theirs)
        self.records += other.records
        self.transitions.update(other.transitions)
        for key, weight in other.transition_weights.items():
            self.transition_weights[key] = EXACT.add(self.transition_weights.get(key, ZERO), weight)
        self.warnings.extend(other.warnings[: MAX_WARNINGS - len(self.warnings)])
        self.bad_weights += other.bad_weights
        if other.coarse and not self.coarse:
            self.coarsen()
        self.pairs.update(other.pairs if self.coarse == other.coarse else _coarse(other.pairs, self.places))
        if len(self.pairs) > MAX_PAIRS:
            self.coarsen()
        self.notable.extend(other.notable[: NOTABLE - len(self.notable)])
        self.notable_count += other.notable_count

    def coarsen(self) -> None:
        """Count the pairs of totals in whole points from now on (too many distinct pairs to keep)."""
        if not self.coarse:
            self.pairs = _coarse(self.pairs, self.places)
            self.coarse = True

    @property
    def pair_step(self) -> Decimal | None:
        """What the pairs were rounded down to: None while exact."""
        return ONE if self.coarse else None

    def pair_counts(self) -> dict[tuple[int, Decimal, Decimal], int]:
        """Per (other scheme, A's total, its total) the records, the totals as decimals."""
        places = 0 if self.coarse else self.places
        return {(s, Decimal(a).scaleb(-places), Decimal(b).scaleb(-places)): n for (s, a, b), n in self.pairs.items()}

    def summaries(self, plan: BatchPlan) -> list[Summary]:
        compiled = plan.compiled
        weights = plan.weight_column is not None
        pairs = zip(plan.schemes, self.schemes, strict=True)
        return [summarize(s, compiled, t, self.records, weights=weights) for s, t in pairs]

    def comparison(
        self, plan: BatchPlan, rubrics: Rubrics, data: str, warnings: list[str], records_out: str | None
    ) -> Comparison:
        """The `Comparison` of records streamed to `records_out` (none kept): the summaries, the data's
        `warnings` and those of the records (bad weights, the rest counted), and what the report draws."""
        found = [*warnings, *self.warnings]
        if self.bad_weights > len(self.warnings):
            more = self.bad_weights - len(self.warnings)
            found.append(Worded(f"{more} more records have a bad weight", f"另有{more}条记录的权重有误"))
        return Comparison(
            data,
            list(plan.schemes),
            rubrics,
            [],
            self.summaries(plan),
            found,
            plan.id_column,
            plan.weight_column,
            plan.rubric_column,
            streamed=self.records,
            records_out=records_out,
            transitions=self.transition_table(),
            pairs=self.pair_counts(),
            pair_step=self.pair_step,
            notable=self.notable,
            notable_count=self.notable_count,
        )

    def transition_table(self) -> dict[tuple[int, str, str], tuple[int, Decimal | None]]:
        return {key: (count, self.transition_weights.get(key)) for key, count in self.transitions.items()}


def _coarse(pairs: Counter[tuple[int, int, int]], places: int) -> Counter[tuple[int, int, int]]:
    unit = 10**places
    found: Counter[tuple[int, int, int]] = Counter()
    for (scheme, a, b), count in pairs.items():
        found[scheme, a // unit, b // unit] += count  # rounded down: totals are never below 0 here
    return found


class BatchScorer:
    """Scores record batches under a plan; one per process (a worker, an executor), compiling nothing
    itself: the plan's rubrics are compiled when it is built or unpickled."""

    def __init__(self, plan: BatchPlan) -> None:
        self.plan = plan
        self.compiled = plan.compiled
        self.schema = plan.schema
        self._number = self.schema.field("total").type
        self._router = Router(plan.schemes, self.compiled, TABLE)
        self._scorers: dict[tuple[str, ...], Scorer] = {}
        self._ids = [tuple(i.id for i in rubric.indicators) for rubric in self.compiled]
        self._names = [s.name for s in plan.schemes]
        self.scale = plan.scale
        self._units: dict[Decimal, int] = {}  # a total as a whole number of 10^-scale (totals take few values)

    def _scaled(self, total: Decimal) -> int:
        found = self._units.get(total)
        if found is None:
            if len(self._units) > MAX_PAIRS:
                self._units.clear()
            found = self._units[total] = int(total.scaleb(self.scale))
        return found

    def _scorer(self, names: tuple[str, ...]) -> Scorer:
        """The scorer for batches with these columns (JSONL batches may differ)."""
        found = self._scorers.get(names)
        if found is None:
            index = {name: i for i, name in enumerate(names)}
            facts = []
            for rubric in self.compiled:
                given = [i.name for i in rubric.inputs if i.name in index]
                facts.append((tuple(given), tuple(index[n] for n in given)))
            found = self._scorers[names] = Scorer(self.compiled, Columns(facts), max_numbers=0)
        return found

    def score(
        self, batch: pa.RecordBatch, start: int = 1, where: str = "record {}", notable: int = NOTABLE
    ) -> tuple[pa.RecordBatch, Tallies]:
        """The batch's results and tallies; `start` is the number of its first record (`where` words it),
        `notable` how many of its notable records to keep (0 once the caller holds enough: they are counted
        all the same)."""
        plan = self.plan
        names = tuple(batch.schema.names)
        columns = [_cells(column) for column in batch.columns]
        rows = list(zip(*columns, strict=True)) if columns else []
        index = {name: i for i, name in enumerate(names)}
        for option, name in (
            ("--id-column", plan.id_column),
            ("--weight-column", plan.weight_column),
            ("--rubric-column", plan.rubric_column),
        ):
            if name is not None and name not in index:
                raise CompareError(
                    f"{option} `{name}`: the data has no such column", f"{option} `{name}`：数据中没有这一列"
                )
        named = (plan.id_column, plan.weight_column, plan.rubric_column)
        id_at, weight_at, rubric_at = (index.get(c or "") for c in named)
        scorer = self._scorer(names)
        tallies = Tallies.new(len(plan.schemes), self.scale)
        out: dict[str, list[Any]] = {name: [] for name in self.schema.names if name != "points"}
        offsets: list[int] = [0]
        indicators: list[str] = []
        points: list[Decimal | None] = []
        compiled, ids, scheme_names = self.compiled, self._ids, self._names
        pairs, scaled = tallies.pairs, self._scaled
        for number, row in enumerate(rows, start):
            place = where.format(number)
            ident = str(row[id_at]) if id_at is not None and row[id_at] is not None else place
            key = None if rubric_at is None or row[rubric_at] is None else str(row[rubric_at]).strip()
            outcomes, differences = scorer.record(self._router(key), row)
            weight = read_weight(row[weight_at]) if weight_at is not None else None
            if isinstance(weight, BadWeight):
                tallies.bad_weights += 1
                if len(tallies.warnings) < MAX_WARNINGS:
                    tallies.warnings.append(weight_warning(place, weight))
                weight = None
            tallies.records += 1
            base = outcomes[0]
            if is_notable(outcomes, differences):
                tallies.notable_count += 1
                if len(tallies.notable) < notable:
                    raw = row[weight_at] if weight_at is not None else None
                    tallies.notable.append(compared(ident, place, raw, outcomes, differences))
            for scheme, outcome in enumerate(outcomes):
                out["record"].append(ident)
                out["scheme"].append(scheme_names[scheme])
                slot = outcome.slot
                rubric = compiled[slot] if slot is not None else None
                out["rubric"].append(rubric.id if rubric else None)
                out["version"].append(rubric.version if rubric else None)
                out["content_hash"].append(rubric.content_hash if rubric else None)
                difference: Difference | None = differences[scheme - 1] if scheme else None
                out["delta"].append(difference.delta if difference else None)
                out["change"].append(difference.change if difference else None)
                if type(outcome) is Scored:
                    tallies.schemes[scheme].add(outcome.total, outcome.grade, weight)
                    if scheme and type(base) is Scored:
                        move = (scheme, base.grade, outcome.grade)
                        tallies.transitions[move] += 1
                        pairs[scheme, scaled(base.total), scaled(outcome.total)] += 1
                        if weight is not None:
                            tallies.transition_weights[move] = EXACT.add(
                                tallies.transition_weights.get(move, ZERO), weight
                            )
                    out["total"].append(outcome.total)
                    out["grade"].append(outcome.grade)
                    out["error"].append(None)
                    found = scorer.last[scheme]
                    assert found is not None
                    indicators.extend(ids[outcome.slot])
                    points.extend(found[1])
                    offsets.append(len(points))
                else:
                    assert isinstance(outcome, Unscored)
                    out["total"].append(None)
                    out["grade"].append(None)
                    out["error"].append(outcome.problem)
                    offsets.append(len(points))
        for (scheme, slot), (count, summed) in scorer.sums().items():
            tallies.schemes[scheme].add_sums(slot, count, summed)
        if len(pairs) > MAX_PAIRS:
            tallies.coarsen()
        arrays = []
        for item in self.schema:
            if item.name == "points":
                pairs = pa.StructArray.from_arrays(
                    [pa.array(indicators, pa.string()), self._decimals(points)], names=["indicator", "points"]
                )
                arrays.append(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pairs))
            elif item.type == self._number:
                arrays.append(self._decimals(out[item.name]))
            else:
                arrays.append(pa.array(out[item.name], item.type))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema), tallies

    def _decimals(self, values: list[Decimal | None]) -> pa.Array:
        try:
            return pa.array(values, self._number)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise CompareError(
                f"a score has more decimal places than the rubrics' rounding allows: {error}",
                "有得分的小数位数多于评分规则的舍入所允许的位数",
            ) from None


def _cells(column: pa.Array) -> list[Any]:
    """A column's values as the scorer reads facts: text stripped (blank is absent), numbers exact."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    values: list[Any] = column.to_pylist()
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return [v.strip() or None if v is not None else None for v in values]
    if pa.types.is_floating(kind):
        return [None if v is None else Decimal(repr(v)) for v in values]
    if pa.types.is_integer(kind) or pa.types.is_decimal(kind) or pa.types.is_boolean(kind):
        return values
    return [None if v is None else str(v) for v in values]
