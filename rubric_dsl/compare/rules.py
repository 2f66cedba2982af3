"""The two rules about a record that hold whatever the scheme: its weight, and facts no rubric declares.

Both front ends apply them: `rubric compare` to each row of a table, the `Compare` RPC to each
streamed record.

**Weights.** A weight (the project's funds, say) is a decimal ≥ 0 below 10^30 with at most 10
decimal places, written in at most 64 characters: within these bounds every weighted sum is exact
(`EXACT` keeps 60 digits). No weight (an empty cell, an empty field) leaves the record out of
weighted means, and is no problem. A bad weight is a problem of the record that names the weight
(`BadWeight`): the record is still scored and shown, and counted in every statistic but the
weighted ones. An analyst must see it (`rubric compare` warns, row by row), and a service must get
it (the RPC sets the record's error); neither should lose the record's scores over it.

**Facts no compared rubric declares.** A rubric is given only the facts it declares; a fact that
only some compared rubrics declare is simply not given to the others. A fact that none declares is
unknown (a typo, most often: `hint` finds the likely name). Unless the comparison allows extra
facts, a record with one is refused whatever the scheme (`UnknownFacts`: scored under none), as
`Score` refuses it; allowed, it is ignored. `rubric compare` allows them: a table's columns are
shared by all its records (ids, funds, notes), so it warns once per column instead.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Context, Decimal, InvalidOperation
from typing import NamedTuple

from rubric_dsl import limits
from rubric_dsl.compare.records import where_zh
from rubric_dsl.diagnostics import Worded, closest
from rubric_dsl.program import CompiledRubric

MAX_WEIGHT = Decimal(10) ** limits.MAX_MAGNITUDE  # as large as a numeric fact may be
MAX_WEIGHT_PLACES = 10  # decimal places of a weight: sums of weights × totals stay exact in 60 digits
MAX_WEIGHT_TEXT = 64  # characters of a weight as written
MAX_HINTED_NAME = 64  # characters of a name that gets a did-you-mean (fact names are short)
MAX_HINTS = 1_000  # did-you-means a comparison keeps
PLACES = Decimal(1).scaleb(-MAX_WEIGHT_PLACES)
WIDE = Context(prec=60)  # room for any weight at MAX_WEIGHT_PLACES places


class BadWeight(NamedTuple):
    """A weight the rule refuses; the record is still scored, and left out of weighted means."""

    problem: str  # e.g. `'n/a' is not a decimal ≥ 0 below 10^30 with at most 10 decimal places, e.g. "298.34"`
    problem_zh: str = ""  # the same in Chinese


class UnknownFacts(NamedTuple):
    """Facts of a record that no compared rubric declares, in the record's order; it is scored under none."""

    names: tuple[str, ...]


def read_weight(raw: object) -> Decimal | BadWeight | None:
    """The weight of a record as given: text (a CSV cell, an RPC field), or a number (JSONL, XLSX;
    a float through its shortest repr, never its binary value). None or "" is no weight."""
    if raw is None or raw == "":
        return None
    text = raw if isinstance(raw, str) else repr(raw) if isinstance(raw, float) else str(raw)
    try:
        value = Decimal(text.strip()) if len(text) <= MAX_WEIGHT_TEXT and not isinstance(raw, bool) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or value >= MAX_WEIGHT or value != _places(value):
        shown = text if len(text) <= MAX_WEIGHT_TEXT else text[:MAX_WEIGHT_TEXT] + "…"
        return BadWeight(
            f"{shown!r} is not a decimal ≥ 0 below 10^{limits.MAX_MAGNITUDE} with at most "
            f'{MAX_WEIGHT_PLACES} decimal places, e.g. "298.34"',
            f"{shown!r} 不是小于10^{limits.MAX_MAGNITUDE}、最多{MAX_WEIGHT_PLACES}位小数的非负数（例如“298.34”）",
        )
    return value


def weight_warning(where: str, weight: BadWeight) -> Worded:
    """The warning of a record's bad weight (`where`: "row 2"): the record is scored, but left out of
    weighted means."""
    return Worded(
        f"{where}: weight {weight.problem}; the record is left out of weighted means",
        f"{where_zh(where)}：权重 {weight.problem_zh}；该记录不计入加权平均",
    )


def unknown_column_warning(column: str, hints: tuple[str, str]) -> Worded:
    """The warning of a table's column that no compared rubric declares; `hints`: `FactRule.hints`."""
    return Worded(
        f"column `{column}` is not a fact of any compared rubric{hints[0]}; it is ignored",
        f"列 `{column}` 不是任何所比较评分规则的事实{hints[1]}，已忽略",
    )


def _places(value: Decimal) -> Decimal:
    return value.quantize(PLACES, context=WIDE)


class FactRule:
    """Which facts of a record no compared rubric declares (`unknown`), whether that refuses the record
    (`allow_extra`), and what they were likely meant to be (`hint`). A fuzzy match costs up to a
    millisecond, so only names of fact-like length get one, each computed once (up to MAX_HINTS)."""

    def __init__(self, compiled: Sequence[CompiledRubric], *, allow_extra: bool) -> None:
        self.inputs = [frozenset(i.name for i in rubric.inputs) for rubric in compiled]  # by slot
        self.declared: frozenset[str] = frozenset().union(*self.inputs)
        self.allow_extra = allow_extra
        self._hints: dict[str, tuple[str, str]] = {}

    def unknown(self, names: Collection[str]) -> list[str]:
        declared = self.declared
        if declared.issuperset(names):  # the usual case, checked in C
            return []
        return [name for name in names if name not in declared]

    def hint(self, name: str) -> str:
        """ "; did you mean `x`?" or ""."""
        return self.hints(name)[0]

    def hints(self, name: str) -> tuple[str, str]:
        """ "; did you mean `x`?" and the same in Chinese, or two ""."""
        found = self._hints.get(name)
        if found is None:
            match = closest(name, self.declared) if len(name) <= MAX_HINTED_NAME else None
            found = (f"; did you mean `{match}`?", f"（是不是 `{match}`？）") if match else ("", "")
            if len(self._hints) < MAX_HINTS:
                self._hints[name] = found
        return found
