"""Which rubric of a scheme scores a record, by the record's own (baseline) rubric."""

from __future__ import annotations

from collections.abc import Sequence

from rubric_dsl.compare.schemes import Scheme
from rubric_dsl.diagnostics import did_you_mean
from rubric_dsl.program import CompiledRubric


def route(
    scheme: Scheme, compiled: Sequence[CompiledRubric], name: str | None, *, ambiguous: str = "pair one with {name}=ID"
) -> int | str:
    """The slot (an index into `compiled`) that scores a record whose baseline rubric is `name` in this
    scheme, or why none does; `ambiguous` says what to do when several of its rubrics extend `name`."""
    if name is None:
        only = len(scheme.members) == 1 and not scheme.pairs
        return scheme.members[0] if only else "the record names no rubric in the rubric column"
    for source, slot in scheme.pairs:
        if source == name:
            return slot
    for slot in scheme.members:
        if compiled[slot].id == name:
            return slot
    heirs = [(compiled[s].ancestors.index(name), s) for s in scheme.members if name in compiled[s].ancestors]
    nearest = [s for distance, s in heirs if distance == min(heirs)[0]] if heirs else []
    if len(nearest) == 1:
        return nearest[0]
    if nearest:
        ids = ", ".join(compiled[s].id for s in nearest)
        return f"several rubrics of `{scheme.name}` extend `{name}` ({ids}); {ambiguous.format(name=name)}"
    known = {rubric.id for rubric in compiled}
    return f"no rubric of `{scheme.name}` is or extends `{name}`{did_you_mean(name, known)}"
