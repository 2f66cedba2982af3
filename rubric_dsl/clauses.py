"""Which clause of a rule fired: one enum per rule kind, and the record each kind leaves.

The generated scoring function leaves, per indicator, a record of the clause that fired and the
values it used; `explain` words it and `coverage` counts it. This module is the one definition
the three share: the record of a rule kind is a tuple laid out as that kind's `NamedTuple` here
(the generator writes a plain tuple in the order of its `_fields`, which costs no more than the
positional tuples it replaces; readers view it through the `NamedTuple`), its first field the
clause, a member of that kind's enum.
"""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum
from typing import Any, NamedTuple


class Bands(IntEnum):
    ROW = 0  # the value lies in row `row` of the table
    OTHERWISE = 1  # in no row: the `otherwise` points


class Checklist(IntEnum):
    ALL_MET = 0  # no failed item: full points
    DEDUCTED = 1  # points deducted per failed item
    FLOORED = 2  # deducted down to 0
    ZEROED = 3  # the serious-failure condition held: 0


class Steps(IntEnum):
    WITHIN = 0  # not past the threshold: full points
    DEDUCTED = 1  # points deducted per step past it
    FLOORED = 2  # deducted down to 0


class Clamp(IntEnum):
    """Proportional and formula rules: the value as computed, or limited to 0..weight."""

    AS_IS = 0
    RAISED = 1  # below 0, raised to 0
    CAPPED = 2  # above the weight, capped at it


class Linear(IntEnum):
    BELOW = 0  # at or below the first point
    SEGMENT = 1  # between two points: segment `segment` (1 = between the first two)
    ABOVE = 2  # at or above the last point


class Target(IntEnum):
    MET = 0  # full points
    PROPORTIONAL = 1  # missed, points in proportion
    MISSED = 2  # missed: 0


class Judged(IntEnum):
    SCORED = 0  # the judged score, no tiers
    TIER = 1  # the judged score within tier `tier`


class JudgedBy(IntEnum):
    ROW = 0  # the measure lies in row `row`: the judged score within its range
    OTHERWISE = 1  # in no row: the `otherwise` range


class Conditional(IntEnum):
    ARM = 0  # `when` arm `arm` held
    OTHERWISE = 1  # no arm held


class BandsFired(NamedTuple):
    clause: Bands
    row: int
    value: Any


class ChecklistFired(NamedTuple):
    clause: Checklist
    failed: Decimal
    raw: Decimal


class StepsFired(NamedTuple):
    clause: Steps
    value: Decimal
    steps: Decimal


class ProportionalFired(NamedTuple):
    clause: Clamp
    ratio: Decimal
    raw: Decimal


class LinearFired(NamedTuple):
    clause: Linear
    segment: int
    value: Decimal
    raw: Decimal


class TargetFired(NamedTuple):
    clause: Target
    actual: Decimal
    target: Decimal


class JudgedFired(NamedTuple):
    clause: Judged
    tier: int
    value: Decimal


class JudgedByFired(NamedTuple):
    clause: JudgedBy
    row: int
    measure: Decimal
    value: Decimal


class FormulaFired(NamedTuple):
    clause: Clamp
    raw: Decimal


class EachFired(NamedTuple):
    """`each COUNT points N` (adjustment lines): count × N, limited to 0..the line's cap."""

    clause: Clamp
    times: Decimal
    raw: Decimal


class ConditionalFired(NamedTuple):
    clause: Conditional
    arm: int
    inner: tuple[Any, ...]  # the record of the rule that was applied


Fired = (
    BandsFired
    | ChecklistFired
    | StepsFired
    | ProportionalFired
    | LinearFired
    | TargetFired
    | JudgedFired
    | JudgedByFired
    | FormulaFired
    | ConditionalFired
    | EachFired
)
