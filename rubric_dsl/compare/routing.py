"""Which rubric of a scheme scores a record, by the record's own (baseline) rubric.

The rule, for `rubric compare --rubric-column` and the Compare RPC alike: a pair `FROM=TO` whose FROM
is the record's rubric, else the scheme's rubric that is it, else the one that most nearly extends it;
a record that names no rubric is scored by a scheme of one rubric. Several rubrics at the same
distance are ambiguous, and no rubric fits a record whose rubric none is or extends: the record is
then not scored under that scheme, and the reason says why, in the front end's words (`Wording`), in
English and in Chinese (a `Worded` message).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rubric_dsl.compare.schemes import Scheme
from rubric_dsl.compare.scoring import Route
from rubric_dsl.diagnostics import Worded, did_you_mean, did_you_mean_zh
from rubric_dsl.program import CompiledRubric

MAX_ROUTES = 1_000  # distinct rubric names whose routes a router keeps (a few KB each at most)


class Wording(NamedTuple):
    """How a front end says why no rubric fits: `nameless` may name `{scheme}`, `ambiguous` `{name}`;
    `nameless_zh` and `ambiguous_zh`: the same in Chinese."""

    nameless: str = "the record names no rubric in the rubric column"
    ambiguous: str = "pair one with {name}=ID"
    nameless_zh: str = "该记录的评分规则列为空"
    ambiguous_zh: str = "请在 --rubric 中写明配对：{name}=评分规则编号"


TABLE = Wording()  # `rubric compare`'s words


def route(
    scheme: Scheme,
    compiled: Sequence[CompiledRubric],
    name: str | None,
    wording: Wording = TABLE,
) -> int | str:
    """The slot (an index into `compiled`) that scores a record whose baseline rubric is `name` (None
    or "": none) in this scheme, or why none does (`Worded`); `wording.ambiguous` says what to do when
    several of its rubrics extend `name`, `wording.nameless` why a scheme of several rubrics cannot
    score a nameless record."""
    if not name:
        if len(scheme.members) == 1 and not scheme.pairs:
            return scheme.members[0]
        return Worded(wording.nameless.format(scheme=scheme.name), wording.nameless_zh.format(scheme=scheme.name))
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
        ids = [compiled[s].id for s in nearest]
        return Worded(
            f"several rubrics of `{scheme.name}` extend `{name}` ({', '.join(ids)}); "
            + wording.ambiguous.format(name=name),
            f"方案 `{scheme.name}` 中有多个评分规则继承 `{name}`（{'、'.join(f'`{i}`' for i in ids)}）；"
            + wording.ambiguous_zh.format(name=name),
        )
    known = {rubric.id for rubric in compiled}
    return Worded(
        f"no rubric of `{scheme.name}` is or extends `{name}`{did_you_mean(name, known)}",
        f"方案 `{scheme.name}` 中没有评分规则是或继承 `{name}`{did_you_mean_zh(name, known)}",
    )


class Router:
    """Per scheme, the slot that scores a record whose own rubric is `name`, or why none does. Records
    name few rubrics: the routes of the first `keep` names are kept, a flood of names is not."""

    def __init__(
        self,
        schemes: Sequence[Scheme],
        compiled: Sequence[CompiledRubric],
        wording: Wording = TABLE,
        *,
        keep: int = MAX_ROUTES,
    ) -> None:
        self._schemes = tuple(schemes)
        self._compiled = compiled
        self._wording = wording
        self._keep = keep
        self._routes: dict[str | None, Route] = {}

    def __call__(self, name: str | None) -> Route:
        found = self._routes.get(name)
        if found is None:
            found = tuple(route(s, self._compiled, name, self._wording) for s in self._schemes)
            if len(self._routes) < self._keep:
                self._routes[name] = found
        return found
