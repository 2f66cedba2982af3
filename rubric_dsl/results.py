"""Results of a scoring run: total, grade, section and indicator points, and where points were lost.

Takes what the generated scoring function returns (per indicator: points, points before rounding,
and the record of the clause that fired; for a rubric with bonus/penalty lines, a final range or vetoes
also the table's total, each line's amount and record, and which vetoes fired) and the rubric's
`Plan`; gives a `Result` whose explanations are built (by `explain`) only when someone reads them,
so scoring without `explain` pays nothing for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rubric_dsl.applicable import Applied
from rubric_dsl.diagnostics import Language, fmt
from rubric_dsl.explain import Explainer, show, show_zh
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
        if not self.lost:  # a veto or cap that took no points: the grade is what it changed
            return f"{self.label}: {self.reason}"
        return f"{self.label} −{fmt(self.lost)}: {self.reason}"

    def text(self, lang: Language = "en") -> str:
        """`str(self)`, or in Chinese: `实际完成率 扣3分：…`."""
        if lang == "zh":
            return (
                f"{self.label}：{self.reason}" if not self.lost else f"{self.label} 扣{fmt(self.lost)}分：{self.reason}"
            )
        return str(self)


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
class AdjustmentResult:
    """A bonus (加分) or penalty (扣分) line: `sign` is +1 or −1, `amount` >= 0 what it added or took off."""

    id: str
    label: str
    kind: str  # "bonus" | "penalty"
    sign: int
    amount: Decimal
    max_amount: Decimal | None
    explanation: str

    @property
    def signed(self) -> str:
        """`+3`, `−2`, or `0`."""
        if self.amount == 0:
            return "0"
        return f"{'+' if self.sign > 0 else '−'}{fmt(self.amount)}"


@dataclass(frozen=True, slots=True)
class VetoResult:
    """A veto (一票否决) or grade cap that fired: the grade it fixed (or the best grade it allows, `at_most`),
    whether it zeroed the total, and why."""

    id: str
    label: str
    kind: str  # "veto" | "cap"
    grade: str | None
    at_most: bool
    zeroed: bool
    why: str


@dataclass(frozen=True, slots=True)
class LinePlan:
    id: str
    label: str
    kind: str
    cap: Decimal | None
    explainer: Explainer


@dataclass(frozen=True, slots=True)
class VetoPlan:
    id: str
    label: str
    kind: str
    grade: str | None
    at_most: bool
    zero: bool
    condition: tuple[str, str]  # in rubric notation, in Chinese
    reads: tuple[tuple[str, str, bool, str], ...] = ()  # what it reads: (name, Chinese label, percent, unit)


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
    lines: tuple[LinePlan, ...] = ()
    vetoes: tuple[VetoPlan, ...] = ()
    final_range: tuple[Decimal, Decimal] = (Decimal(0), Decimal(100))
    final_declared: bool = False  # False: the default 0 .. total
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
        "_amounts",
        "_base",
        "_fired",
        "_indicators",
        "_indicators_zh",
        "_line_raws",
        "_line_records",
        "_plan",
        "_points",
        "_raws",
        "_read",
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
        base: Decimal | None = None,
        amounts: Sequence[Decimal] = (),
        line_raws: Sequence[Decimal] = (),
        line_records: Sequence[tuple[Any, ...]] = (),
        fired: Sequence[bool] = (),
        read: Sequence[tuple[Any, ...]] = (),
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
        self.grade = plan.grade_labels[grade] if plan.grade_labels else ""  # no grades table: no grade
        self._base = total if base is None else base
        self._amounts = amounts
        self._line_raws = line_raws
        self._line_records = line_records
        self._fired = fired
        self._read = read or tuple(() for _ in fired)

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
    def base_total(self) -> Decimal:
        """The weighted table's total, before adjustment lines, the final range and any veto's `zero`."""
        return self._base

    @property
    def line_records(self) -> Sequence[tuple[Any, ...]]:
        """Per adjustment line, the record of its rule (for coverage tools)."""
        return self._line_records

    @property
    def amounts(self) -> Sequence[Decimal]:
        """Per adjustment line, in rubric order, the amount it added or took off (>= 0)."""
        return self._amounts

    @property
    def vetoes_fired(self) -> Sequence[bool]:
        """Per veto or cap, in rubric order, whether its condition held (for coverage tools)."""
        return self._fired

    @property
    def adjustments(self) -> list[AdjustmentResult]:
        return self.adjustments_in("en")

    def adjustments_in(self, lang: Language) -> list[AdjustmentResult]:
        """The bonus and penalty lines, each with what it added or took off, explained in `lang`."""
        found = []
        for line, amount, raw, record in zip(
            self._plan.lines, self._amounts, self._line_raws, self._line_records, strict=True
        ):
            text = line.explainer.explain(record) if lang == "en" else line.explainer.explain_zh(record)
            if amount != raw:
                text += (
                    f" → {fmt(amount)} ({self._plan.rounding})"
                    if lang == "en"
                    else f"，{rounding_zh(self._plan.rounding)}为{fmt(amount)}分"
                )
            sign = 1 if line.kind == "bonus" else -1
            signed = AdjustmentResult(line.id, line.label, line.kind, sign, amount, line.cap, "").signed
            text += f" → {signed}" if lang == "en" else f"；{'加' if sign > 0 else '扣'}{fmt(amount)}分"
            found.append(AdjustmentResult(line.id, line.label, line.kind, sign, amount, line.cap, text))
        return found

    def total_explanation(self, lang: Language = "en") -> str:
        """How the total comes from the table's: `80 +3 −2 −3 = 78`, with the final range where it limited the
        sum (saying when the range is the default 0 .. total) and a veto's `zero`."""
        plan = self._plan
        adjustments = self.adjustments_in(lang)
        raw = self._base + sum((a.sign * a.amount for a in adjustments), Decimal(0))
        terms = " ".join(a.signed if a.amount else f"{'+' if a.sign > 0 else '−'}0" for a in adjustments)
        text = f"{fmt(self._base)} {terms} = {fmt(raw)}" if terms else fmt(raw)
        low, high = plan.final_range
        limited = min(max(raw, low), high)
        if limited != raw:
            if lang == "zh":
                which = "最终得分范围" if plan.final_declared else "默认最终得分范围（0至总分）"
                text += f"，超出{which}{fmt(low)}—{fmt(high)}，按{fmt(limited)}分计"
            else:
                which = "the final range" if plan.final_declared else "the default final range (0 .. total)"
                text += f", limited to {which} {fmt(low)} .. {fmt(high)} → {fmt(limited)}"
        zeroing = [v for v in self.vetoes_in(lang) if v.zeroed]
        if zeroing:
            names = "、".join(v.label for v in zeroing) if lang == "zh" else ", ".join(v.id for v in zeroing)
            text += f"；因{names}，总分计为0分" if lang == "zh" else f"; zeroed by {names} → 0"
        elif limited != self.total:
            text += f"，{rounding_zh(plan.rounding)}为{fmt(self.total)}分" if lang == "zh" else f" → {fmt(self.total)}"
        return text

    @property
    def vetoes(self) -> list[VetoResult]:
        return self.vetoes_in("en")

    def vetoes_in(self, lang: Language) -> list[VetoResult]:
        """The vetoes and caps that fired, in rubric order, each saying why in `lang`."""
        return [
            VetoResult(v.id, v.label, v.kind, v.grade, v.at_most, v.zero, _why(v, values, lang))
            for v, fired, values in zip(self._plan.vetoes, self._fired, self._read, strict=True)
            if fired
        ]

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
        lost += [
            LostPoints(a.id, a.label, a.amount, a.explanation)
            for a in self.adjustments_in(lang)
            if a.sign < 0 and a.amount > 0
        ]
        # a veto is never silent: it is a reason even where it takes no points (the grade is what it changes)
        lost += [
            LostPoints(v.id, v.label, self._before_zero() if v.zeroed else Decimal(0), v.why)
            for v in self.vetoes_in(lang)
        ]
        return sorted(lost, key=lambda item: -item.lost)

    def _before_zero(self) -> Decimal:
        """The total a `zero` veto took away: the table's total with the lines, in the final range."""
        plan = self._plan
        total = self._base + sum(
            (a if line.kind == "bonus" else -a for line, a in zip(plan.lines, self._amounts, strict=True)),
            Decimal(0),
        )
        low, high = plan.final_range
        return min(max(total, low), high)

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
            "grade": self.grade or None,
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
            **self._adjusted_dict(lang),
        }

    def _adjusted_dict(self, lang: Language) -> dict[str, Any]:
        """The keys of a rubric with adjustment lines, a final range or vetoes (absent otherwise)."""
        plan = self._plan
        if not (plan.lines or plan.vetoes) and self._base == self.total:
            return {}
        return {
            "base_total": fmt(self._base),
            "total_explanation": self.total_explanation(lang),
            "adjustments": [
                {
                    "id": a.id,
                    "label": a.label,
                    "kind": a.kind,
                    "sign": a.sign,
                    "amount": fmt(a.amount),
                    "signed": a.signed,
                    "max_amount": fmt(a.max_amount) if a.max_amount is not None else None,
                    "explanation": a.explanation,
                }
                for a in self.adjustments_in(lang)
            ],
            "vetoes": [
                {
                    "id": v.id,
                    "label": v.label,
                    "kind": v.kind,
                    "grade": v.grade,
                    "at_most": v.at_most,
                    "zeroed": v.zeroed,
                    "why": v.why,
                }
                for v in self.vetoes_in(lang)
            ],
        }


def _why(veto: VetoPlan, values: Sequence[Any], lang: Language) -> str:
    """Why a veto or cap fired and what it did, with the values it read, e.g.
    `serious_accidents = 1; serious_accidents > 0 holds; grade 不达标; points stand`."""
    condition, condition_zh = veto.condition
    shown = [(read, value) for read, value in zip(veto.reads, values, strict=False) if _plain(value)]
    if [read[0] for read, _ in shown] == [condition]:  # `when false_material`: the value is the condition
        shown = []
    if lang == "zh":
        parts = [f"{label}为{show_zh(value, percent, unit)}" for (_, label, percent, unit), value in shown]
        parts.append(f"{condition_zh}成立")
        if veto.grade is not None:
            parts.append(f"等次{'最高为' if veto.at_most else '定为'}“{veto.grade}”")
        parts.append("总分计为0分" if veto.zero else "各项得分不变")
        return f"{'一票否决' if veto.kind == 'veto' else '等次限制'}：{'，'.join(parts)}"
    parts = [f"{name} = {show(value, percent)}" for (name, _, percent, _), value in shown]
    parts.append(f"{condition} holds")
    if veto.grade is not None:
        parts.append(f"grade {'at most ' if veto.at_most else ''}{veto.grade}")
    parts.append("total zeroed" if veto.zero else "points stand")
    return f"{veto.kind}: {'; '.join(parts)}"


def _plain(value: Any) -> bool:
    """A value to show (a let that failed, a `Poison`, is not one)."""
    return isinstance(value, Decimal | bool | str)


def _weights(applicable: bool, weight: Decimal | None) -> dict[str, Any]:
    """What a rubric that declares `not_applicable` adds to a row: whether it applied, its nominal weight
    (`max_points` is the weight actually used)."""
    return {} if weight is None else {"applicable": applicable, "weight": fmt(weight)}
