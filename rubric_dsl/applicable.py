"""Not applicable (不适用): the weights and points of a scoring run once some items do not apply.

Takes the rubric's tree (nominal weights, parents), its `not_applicable` policy and indicator
rounding; `Reweigher` is called by the generated scoring function with, per section and per
indicator, whether its own `applicable when` condition held, and each indicator's points before
and after rounding (an item that is not applicable was never scored). It gives the points to
add up and the weights actually used. Guarantees:

* an item inside a section that is not applicable is not applicable; under `share` a section
  none of whose children applies is not applicable either;
* `full`: an item that is not applicable earns its weight, every weight stands;
* `share`: at each level, the applicable children share their parent's weight in proportion to
  their nominal weights; `rescale`: the applicable indicators share the rubric's total in
  proportion to their nominal weights. Either way the new weights are apportioned on the
  rounding step by largest remainders (ties to the earlier item), so that they add up exactly to
  the weight shared, and an item that is not applicable has weight 0;
* a re-weighted indicator's points are its points before rounding × new weight / nominal weight,
  rounded by the rubric's policy, never above its new weight: a section's points are the sum of
  its children's, so the parts add up, and so do the weights (the maxima);
* nothing applicable at all raises `NothingApplicable`, never a score out of 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

ZERO = Decimal(0)


class NothingApplicable(ArithmeticError):
    """No indicator of a group that must share a weight is applicable."""


@dataclass(frozen=True, slots=True)
class Applied:
    """What the not-applicable policy made of one scoring run."""

    indicator_weights: tuple[Decimal, ...]  # the weights actually used
    section_weights: tuple[Decimal, ...]
    indicator_applicable: tuple[bool, ...]
    section_applicable: tuple[bool, ...]


def apportion(target: Decimal, weights: Sequence[Decimal], step: Decimal) -> list[Decimal]:
    """`target` split in proportion to `weights`, each on the `step` grid, adding up to `target`
    (largest remainders; ties to the earlier)."""
    whole = sum(weights, ZERO)
    exact = [target * w / whole for w in weights]
    floors = [(e / step).to_integral_value(ROUND_FLOOR) * step for e in exact]
    units = int(((target - sum(floors, ZERO)) / step).to_integral_value(ROUND_FLOOR))
    order = sorted(range(len(weights)), key=lambda k: (-(exact[k] - floors[k]), k))
    for k in order[:units]:
        floors[k] += step
    return floors


@dataclass(frozen=True, slots=True)
class Reweigher:
    mode: str  # share | rescale | full
    total: Decimal
    step: Decimal
    rounding: str  # a decimal rounding mode
    weights: tuple[Decimal, ...]  # per indicator, nominal
    parents: tuple[int | None, ...]  # per indicator, the index of its section
    section_weights: tuple[Decimal, ...]
    section_parents: tuple[int | None, ...]  # sections in rubric order: a parent before its children

    def __call__(
        self,
        section_flags: Sequence[bool],
        flags: Sequence[bool],
        raws: Sequence[Decimal],
        points: Sequence[Decimal],
    ) -> tuple[tuple[Decimal, ...], Applied]:
        sections = list(section_flags)
        for j, parent in enumerate(self.section_parents):
            sections[j] = sections[j] and (parent is None or sections[parent])
        applicable = [f and (p is None or sections[p]) for f, p in zip(flags, self.parents, strict=True)]
        if self.mode == "full":
            shown = tuple(w if not a else p for w, a, p in zip(self.weights, applicable, points, strict=True))
            applied = Applied(self.weights, self.section_weights, tuple(applicable), tuple(sections))
            return shown, applied
        if self.mode == "share":
            for j in reversed(range(len(sections))):  # a section none of whose children applies does not apply
                children = [a for a, p in zip(applicable, self.parents, strict=True) if p == j]
                children += [sections[k] for k, p in enumerate(self.section_parents) if p == j]
                sections[j] = sections[j] and any(children)
            weights, section_weights = self._share(sections, applicable)
        else:
            weights, section_weights = self._rescale(applicable)
        shown = tuple(
            self._scaled(raws[k], points[k], self.weights[k], weights[k]) if applicable[k] else ZERO
            for k in range(len(self.weights))
        )
        return shown, Applied(tuple(weights), tuple(section_weights), tuple(applicable), tuple(sections))

    def _scaled(self, raw: Decimal, points: Decimal, nominal: Decimal, weight: Decimal) -> Decimal:
        if weight == nominal:
            return points
        scaled = (raw * weight / nominal).quantize(self.step, self.rounding)
        return min(max(scaled, ZERO), weight)

    def _share(self, sections: list[bool], applicable: list[bool]) -> tuple[list[Decimal], list[Decimal]]:
        weights = [ZERO] * len(self.weights)
        section_weights = [ZERO] * len(self.section_weights)
        groups: list[tuple[int | None, Decimal]] = [(None, self.total)]
        while groups:
            parent, target = groups.pop(0)
            members = [
                ("i", k, w) for k, (w, p) in enumerate(zip(self.weights, self.parents, strict=True)) if p == parent
            ]
            members += [
                ("s", j, w)
                for j, (w, p) in enumerate(zip(self.section_weights, self.section_parents, strict=True))
                if p == parent
            ]
            members = [m for m in members if (applicable[m[1]] if m[0] == "i" else sections[m[1]])]
            if not members:
                raise NothingApplicable()
            for (kind, index, _), weight in zip(
                members, apportion(target, [m[2] for m in members], self.step), strict=True
            ):
                if kind == "i":
                    weights[index] = weight
                else:
                    section_weights[index] = weight
                    groups.append((index, weight))
        return weights, section_weights

    def _rescale(self, applicable: list[bool]) -> tuple[list[Decimal], list[Decimal]]:
        chosen = [k for k, a in enumerate(applicable) if a]
        if not chosen:
            raise NothingApplicable()
        weights = [ZERO] * len(self.weights)
        for k, weight in zip(chosen, apportion(self.total, [self.weights[k] for k in chosen], self.step), strict=True):
            weights[k] = weight
        section_weights = [ZERO] * len(self.section_weights)
        for k, parent in enumerate(self.parents):
            while parent is not None:
                section_weights[parent] += weights[k]
                parent = self.section_parents[parent]
        return weights, section_weights
