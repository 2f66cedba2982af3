"""Messages of the checker about adjustment lines (加分/扣分), the final range, vetoes and grade caps, and
`points(ID)` (issue 11, section A)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from rubric_dsl.diagnostics import Diagnostic, codes, did_you_mean, did_you_mean_zh, error, fmt
from rubric_dsl.source import Span


def warning(code: str, en: str, zh: str, span: Span) -> Diagnostic:
    return Diagnostic(code, "warning", en, span, zh)


def line_needs_max(line: str, rule: str, span: Span) -> Diagnostic:
    return error(
        codes.ADJUSTMENT_INVALID,
        f"line `{line}` scores with `{rule}`, which counts from a full amount: give the line a cap, "
        f'e.g. `bonus {line} "…" max 5 {{ … }}`, or use `bands`, `points` or `each`',
        f"调整项 `{line}` 使用 `{rule}` 规则，需要以满分为基准：请给该项写上限，例如 "
        f'`bonus {line} "…" max 5 {{ … }}`，或改用 `bands`、`points`、`each`',
        span,
    )


def line_amount_not_positive(line: str, what: str, value: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.ADJUSTMENT_INVALID,
        f"line `{line}`: the {what} must be above 0, not {fmt(value)}; a penalty is written as a positive amount "
        "taken off (`penalty … { each n points 1 }`)",
        f"调整项 `{line}`：{'上限' if what == 'cap' else '每次分值'}必须大于0，而不是 {fmt(value)}；"
        "扣分项也写正数（`penalty … { each n points 1 }`）",
        span,
    )


def line_points_exceed_cap(line: str, points: Decimal, cap: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.ADJUSTMENT_INVALID,
        f"line `{line}` can give {fmt(points)}, more than its cap `max {fmt(cap)}`; lower the row or raise the cap",
        f"调整项 `{line}` 可得 {fmt(points)} 分，超过其上限 `max {fmt(cap)}`；请降低该行分值或提高上限",
        span,
    )


def range_empty(low: Decimal, high: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.FINAL_RANGE,
        f"the final range {fmt(low)} .. {fmt(high)} is empty; write the lowest score first",
        f"最终得分范围 {fmt(low)} .. {fmt(high)} 为空；请先写最低分",
        span,
    )


def range_in_points(text: str, span: Span) -> Diagnostic:
    return error(
        codes.FINAL_RANGE,
        f"the final range is in points, like `total`: write e.g. `final range 0 .. 105`, not `{text}`",
        f"最终得分范围以分数表示（与 `total` 相同）：请写成例如 `final range 0 .. 105`，而不是 `{text}`",
        span,
    )


def range_excludes_base(low: Decimal, high: Decimal, total: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.FINAL_RANGE,
        f"the final range {fmt(low)} .. {fmt(high)} does not hold the points of the table, 0 .. {fmt(total)}: "
        "a table that scores full marks would be cut silently; the range must run from 0 or below to the total "
        "or above",
        f"最终得分范围 {fmt(low)} .. {fmt(high)} 未包含评分表本身的得分范围 0 .. {fmt(total)}：满分的评分会被悄悄截断；"
        "范围应从0或更低到总分或更高",
        span,
    )


def range_unreachable(end: str, bound: Decimal, reach: Decimal, span: Span) -> Diagnostic:
    high = end == "maximum"
    return warning(
        codes.FINAL_RANGE,
        f"the final range's {end} {fmt(bound)} cannot be reached: the table and every "
        f"{'bonus' if high else 'penalty'} line at its cap reach only {fmt(reach)}",
        f"最终得分范围的{'上限' if high else '下限'} {fmt(bound)} 无法达到：评分表与全部"
        f"{'加分' if high else '扣分'}项按上限计算也只到 {fmt(reach)}",
        span,
    )


def bonus_limited_by_total(line: str, total: Decimal, span: Span) -> Diagnostic:
    return warning(
        codes.FINAL_RANGE,
        f"bonus `{line}`: without `final range`, the final score stays within 0 .. {fmt(total)}, so the bonus "
        f"can only make up points lost; write e.g. `final range 0 .. {fmt(total + 5)}` if it may go above the total, "
        f"or `final range 0 .. {fmt(total)}` to say it may not",
        f"加分项 `{line}`：未写 `final range` 时最终得分限于 0 .. {fmt(total)}，加分只能弥补扣减；如允许超过总分，"
        f"请写例如 `final range 0 .. {fmt(total + 5)}`；如不允许，请写 `final range 0 .. {fmt(total)}` 明示",
        span,
    )


def grade_cutoff_outside_range(label: str, minimum: Decimal, low: Decimal, high: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.GRADE_OUT_OF_RANGE,
        f"grade `{label}` starts at {fmt(minimum)}, outside the final range {fmt(low)}..{fmt(high)}",
        f"等次 `{label}` 的起点 {fmt(minimum)} 不在最终得分范围 {fmt(low)}..{fmt(high)} 之内",
        span,
    )


def unknown_veto_grade(veto: str, grade: str, grades: Iterable[str], span: Span) -> Diagnostic:
    names = list(grades)
    return error(
        codes.VETO_GRADE,
        f"`{veto}` names grade `{grade}`, which is not a row of the grades table "
        f"({', '.join(names)}){did_you_mean(grade, names)}",
        f"`{veto}` 指定的等次“{grade}”不在等次表中（{'、'.join(names)}）{did_you_mean_zh(grade, names)}",
        span,
    )


def veto_without_grades(veto: str, span: Span) -> Diagnostic:
    return error(
        codes.VETO_GRADE,
        f"`{veto}` sets a grade, but the rubric has no `grades {{ … }}` table: add one, or write `zero` "
        "instead of the grade to zero the total",
        f"`{veto}` 指定了等次，但评分规则没有等次表（grades）：请添加等次表，或改写为 `zero`（总分计为0）",
        span,
    )


def points_unknown(name: str, span: Span, candidates: Iterable[str]) -> Diagnostic:
    names = list(candidates)
    return error(
        codes.POINTS_UNKNOWN,
        f"`points({name})`: `{name}` is not an indicator or section of this rubric{did_you_mean(name, names)}",
        f"`points({name})`：`{name}` 不是本评分规则的指标或部分{did_you_mean_zh(name, names)}",
        span,
    )


def points_in_constraint(name: str, span: Span) -> Diagnostic:
    return error(
        codes.POINTS_UNKNOWN,
        f"`points({name})` in a constraint: constraints check the facts before anything is scored; "
        "use points in a rule, a let, a line or a veto",
        f"约束条件中不能使用 `points({name})`：约束在评分之前检查事实；得分只能用于规则、派生值、调整项或否决条件",
        span,
    )


def points_cycle(chain: list[str], span: Span) -> Diagnostic:
    text = " → ".join(chain)
    return error(
        codes.POINTS_CYCLE,
        f"points depend on themselves: {text}; an indicator may read only points that do not read its own",
        f"得分互相依赖，形成循环：{text}；指标只能读取不依赖其自身得分的得分",
        span,
    )
