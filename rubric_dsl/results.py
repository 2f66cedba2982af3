"""Results of a scoring run: total, grade, section and indicator points, and where points were lost.

Takes what the generated scoring function returns (per indicator: points, points before rounding,
and the record of the clause that fired) and the rubric's `Plan`; gives a `Result` whose
explanations are built (by `explain`) only when someone reads them, so scoring without
`explain` pays nothing for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rubric_dsl.applicable import Applied
from rubric_dsl.diagnostics import Language, fmt
from rubric_dsl.explain import Explainer
from rubric_dsl.wording import readable


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    id: str
    label: str
    points: Decimal
    max_points: Decimal
    explanation: str
    section: str | None
    applicable: bool = True  # False: not applicable (不适用); `max_points` is then the weight it was given
    weight: Decimal | None = None  # the nominal weight, when the rubric declares `not_applicable`


@dataclass(frozen=True, slots=True)
class LostPoints:
    """Where points were lost: the scorecard's adverse reason (e.g. 实际完成率 −3: 60% ∈ [0%, 85%) → 0)."""

    id: str
    label: str
    lost: Decimal
    reason: str

    def __str__(self) -> str:
        return f"{self.label} −{fmt(self.lost)}: {self.reason}"

    def text(self, lang: Language = "en") -> str:
        """`str(self)`, or in Chinese: `实际完成率 扣3分：…`."""
        return f"{self.label} 扣{fmt(self.lost)}分：{self.reason}" if lang == "zh" else str(self)


@dataclass(frozen=True, slots=True)
class SectionResult:
    id: str
    label: str
    points: Decimal
    max_points: Decimal
    parent: str | None
    applicable: bool = True
    weight: Decimal | None = None  # the nominal weight, when the rubric declares `not_applicable`


@dataclass(frozen=True, slots=True)
class Plan:
    """What a result needs to know about its rubric; built once by the compiler."""

    rubric: str
    version: str
    content_hash: str
    indicator_ids: tuple[str, ...]
    indicator_labels: tuple[str, ...]
    indicator_weights: tuple[Decimal, ...]
    indicator_sections: tuple[str | None, ...]
    explainers: tuple[Explainer, ...]
    section_ids: tuple[str, ...]
    section_labels: tuple[str, ...]
    section_weights: tuple[Decimal, ...]
    section_parents: tuple[str | None, ...]
    grade_labels: tuple[str, ...]
    rounding: str
    not_applicable: str | None = None  # the rubric's policy: share, rescale or full


ROUNDING_ZH = {
    "half_up": "四舍五入",
    "half_even": "四舍六入五成双",
    "half_down": "五舍六入",
    "up": "进位",
    "down": "舍去尾数",
}


def rounding_zh(rounding: str) -> str:
    """The plan's `round 0.01 half_up` as `四舍五入` (the step shows in the points)."""
    mode = rounding.split()[-1] if rounding else ""
    return ROUNDING_ZH.get(mode, "取舍")


class Result:
    """The score of one set of facts under one rubric."""

    __slots__ = (
        "_indicators",
        "_indicators_zh",
        "_plan",
        "_points",
        "_raws",
        "_records",
        "_sections",
        "applied",
        "grade",
        "total",
    )

    def __init__(
        self,
        plan: Plan,
        points: Sequence[Decimal],
        raws: Sequence[Decimal],
        records: Sequence[tuple[Any, ...]],
        sections: Sequence[Decimal],
        total: Decimal,
        grade: int,
        applied: Applied | None = None,
    ) -> None:
        self._plan = plan
        self.applied = applied  # the weights actually used, when the rubric declares `not_applicable`
        self._points = points
        self._raws = raws
        self._records = records
        self._sections = sections
        self._indicators: list[IndicatorResult] | None = None
        self._indicators_zh: list[IndicatorResult] | None = None
        self.total = total
        self.grade = plan.grade_labels[grade]

    @property
    def rubric(self) -> str:
        return self._plan.rubric

    @property
    def version(self) -> str:
        return self._plan.version

    @property
    def content_hash(self) -> str:
        return self._plan.content_hash

    @property
    def records(self) -> Sequence[tuple[Any, ...]]:
        """Per indicator, which clause fired and the values it used (for coverage tools)."""
        return self._records

    @property
    def section_points(self) -> Sequence[Decimal]:
        """Points per section in the rubric's section order, without building `SectionResult`s."""
        return self._sections

    @property
    def points(self) -> dict[str, Decimal]:
        """Points by indicator id, without explanations."""
        return dict(zip(self._plan.indicator_ids, self._points, strict=True))

    @property
    def sections(self) -> list[SectionResult]:
        plan = self._plan
        return [
            SectionResult(*fields)
            for fields in zip(
                plan.section_ids,
                plan.section_labels,
                self._sections,
                plan.section_weights if self.applied is None else self.applied.section_weights,
                plan.section_parents,
                (True,) * len(plan.section_ids) if self.applied is None else self.applied.section_applicable,
                (None,) * len(plan.section_ids) if self.applied is None else plan.section_weights,
                strict=True,
            )
        ]

    @property
    def indicators(self) -> list[IndicatorResult]:
        if self._indicators is None:
            self._indicators = self._build("en")
        return self._indicators

    def indicators_in(self, lang: Language) -> list[IndicatorResult]:
        """`indicators`, explained in `lang`."""
        if lang == "en":
            return self.indicators
        if self._indicators_zh is None:
            self._indicators_zh = self._build("zh")
        return self._indicators_zh

    def _build(self, lang: Language) -> list[IndicatorResult]:
        plan, applied = self._plan, self.applied
        if applied is not None:
            return [
                IndicatorResult(
                    plan.indicator_ids[i],
                    plan.indicator_labels[i],
                    points,
                    applied.indicator_weights[i],
                    self._explain(i) if lang == "en" else self._explain_zh(i),
                    plan.indicator_sections[i],
                    applied.indicator_applicable[i],
                    plan.indicator_weights[i],
                )
                for i, points in enumerate(self._points)
            ]
        return [
            IndicatorResult(
                plan.indicator_ids[i],
                plan.indicator_labels[i],
                points,
                plan.indicator_weights[i],
                self._explain(i) if lang == "en" else self._explain_zh(i),
                plan.indicator_sections[i],
            )
            for i, points in enumerate(self._points)
        ]

    @property
    def lost(self) -> list[LostPoints]:
        """Indicators that scored below their maximum, the largest loss first (ties in rubric order)."""
        return self.lost_in("en")

    def lost_in(self, lang: Language) -> list[LostPoints]:
        """`lost`, its reasons in `lang`."""
        lost = [
            LostPoints(i.id, i.label, i.max_points - i.points, i.explanation)
            for i in self.indicators_in(lang)
            if i.points < i.max_points
        ]
        return sorted(lost, key=lambda item: -item.lost)

    def _explain(self, index: int) -> str:
        if self._records[index] is None:
            return self._not_applicable(index, "en")
        text = self._plan.explainers[index].explain(self._records[index])
        points, raw = self._points[index], self._raws[index]
        nominal = self._plan.indicator_weights[index]
        if self.applied is not None and self.applied.indicator_weights[index] != nominal:
            weight = self.applied.indicator_weights[index]
            return (
                f"{text}; re-weighted {fmt(nominal)} → {fmt(weight)} "
                f"(not applicable items: {self._plan.not_applicable}): "
                f"{readable(raw)} × {fmt(weight)} / {fmt(nominal)} → {fmt(points)} ({self._plan.rounding})"
            )
        if points != raw:
            text += f" → {fmt(points)} ({self._plan.rounding})"
        return text

    def _explain_zh(self, index: int) -> str:
        if self._records[index] is None:
            return self._not_applicable(index, "zh")
        text = self._plan.explainers[index].explain_zh(self._records[index])
        points, raw = self._points[index], self._raws[index]
        nominal = self._plan.indicator_weights[index]
        if self.applied is not None and self.applied.indicator_weights[index] != nominal:
            weight = self.applied.indicator_weights[index]
            how = "分摊" if self._plan.not_applicable == "share" else "折算"
            return (
                f"{text}；因有不适用项，本项分值由{fmt(nominal)}分按比例{how}为{fmt(weight)}分，"
                f"得分{readable(raw)}×{fmt(weight)}÷{fmt(nominal)}，{rounding_zh(self._plan.rounding)}为{fmt(points)}分"
            )
        if points != raw:
            text += f"，{rounding_zh(self._plan.rounding)}为{fmt(points)}分"
        return text

    def _not_applicable(self, index: int, lang: Language) -> str:
        weight = self._plan.indicator_weights[index]
        policy = self._plan.not_applicable
        if lang == "zh":
            then = {
                "share": "其分值按比例分摊到同级其他指标",
                "rescale": "总分按适用指标的分值折算为满分制",
                "full": f"按满分计（{fmt(weight)}分）",
            }
            return f"不适用，{then.get(policy or '', '')}"
        then_en = {
            "share": f"its weight {fmt(weight)} is shared among its siblings",
            "rescale": "the total is rescaled over the applicable weight",
            "full": f"full marks → {fmt(weight)}",
        }
        return f"not applicable: {then_en.get(policy or '', '')}"

    def to_dict(self, lang: Language = "en") -> dict[str, Any]:
        """The CLI's `--format json` and the service's response, decimals as strings."""
        return {
            "rubric": self.rubric,
            "version": self.version,
            "content_hash": self.content_hash,
            "total": fmt(self.total),
            "grade": self.grade,
            "sections": [
                {"id": s.id, "label": s.label, "points": fmt(s.points), "max_points": fmt(s.max_points)}
                | _weights(s.applicable, s.weight)
                for s in self.sections
            ],
            "indicators": [
                {
                    "id": i.id,
                    "label": i.label,
                    "points": fmt(i.points),
                    "max_points": fmt(i.max_points),
                    "explanation": i.explanation,
                }
                | _weights(i.applicable, i.weight)
                for i in self.indicators_in(lang)
            ],
            "lost": [
                {"id": item.id, "label": item.label, "lost": fmt(item.lost), "reason": item.reason}
                for item in self.lost_in(lang)
            ],
        }


def _weights(applicable: bool, weight: Decimal | None) -> dict[str, Any]:
    """What a rubric that declares `not_applicable` adds to a row: whether it applied, its nominal weight
    (`max_points` is the weight actually used)."""
    return {} if weight is None else {"applicable": applicable, "weight": fmt(weight)}
