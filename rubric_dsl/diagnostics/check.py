"""Messages of the checker: names, header, weights and points, bands, grades, kinds and inputs."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from rubric_dsl.diagnostics import (
    KIND_EN,
    KIND_ZH,
    Diagnostic,
    Phrase,
    codes,
    did_you_mean,
    did_you_mean_zh,
    error,
    fmt,
    where,
)
from rubric_dsl.source import Span


def target_not_comparison(span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        "a target compares the actual value with its target: write e.g. `target completion_rate >= 95%`, "
        "`target cost <= 40000` or `target units == 20`",
        "目标规则要把实际值与目标值比较，例如 `target completion_rate >= 95%`、`target cost <= 40000` "
        "或 `target units == 20`",
        span,
    )


def grade_needs_at_least(label: str, span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        f"a grade row gives the lowest score of the grade: write `{label} >= <score>`, "
        f"or `{label} otherwise` for the lowest grade",
        f"等次只写最低分：写成 `{label} >= <分数>`；最低一档写成 `{label} otherwise`",
        span,
    )


def duplicate_name(kind: str, name: str, span: Span, first: Span, inherited: bool = False) -> Diagnostic:
    hint = ("; write `override` to replace the inherited one", "；如要替换继承的定义，请写 `override`")
    if not inherited:
        hint = ("; give one of them another name", "；请给其中一个改名")
    return error(
        codes.DUPLICATE_NAME,
        f"{kind} `{name}` is already defined at {where(first, span)}{hint[0]}",
        f"{kind} `{name}` 已在 {where(first, span)} 定义过{hint[1]}",
        span,
    )


def unknown_name(name: str, span: Span, candidates: Iterable[str]) -> Diagnostic:
    names = list(candidates)
    return error(
        codes.UNKNOWN_NAME,
        f"`{name}` is not a declared input or let value{did_you_mean(name, names)}",
        f"`{name}` 不是已声明的输入（input）或派生值（let）{did_you_mean_zh(name, names)}",
        span,
    )


def let_cycle(chain: list[str], span: Span) -> Diagnostic:
    text = " → ".join(chain)
    return error(
        codes.LET_CYCLE,
        f"let values depend on each other in a cycle: {text}",
        f"派生值（let）互相依赖，形成循环：{text}",
        span,
    )


def abstract_in_concrete(section: str, span: Span) -> Diagnostic:
    return error(
        codes.ABSTRACT_NOT_OVERRIDDEN,
        f"section `{section}` is abstract but the rubric is not; "
        "give the section indicators, or declare the rubric `abstract rubric`",
        f"`{section}` 是待定（abstract）部分，但评分规则本身不是；请给出指标，或把评分规则声明为 `abstract rubric`",
        span,
    )


def missing_header(field: str, example: str, span: Span) -> Diagnostic:
    return error(
        codes.MISSING_HEADER,
        f"the rubric has no `{field}`; add e.g. `{example}`",
        f"评分规则缺少 `{field}`；请添加，例如 `{example}`",
        span,
    )


def duplicate_header(field: str, span: Span) -> Diagnostic:
    return error(
        codes.DUPLICATE_HEADER, f"`{field}` is given twice; keep one", f"`{field}` 写了两次；请只保留一个", span
    )


def invalid_rounding(step: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_ROUNDING,
        f"rounding step {fmt(step)} must be above 0, e.g. `round indicator 0.1 half_up`",
        f"取舍单位 {fmt(step)} 必须大于 0，例如 `round indicator 0.1 half_up`（四舍五入保留一位小数）",
        span,
    )


def weights_do_not_add_up(section: str, declared: Decimal, actual: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.WEIGHT_MISMATCH,
        f"section `{section}` declares {fmt(declared)} points but its children add up to {fmt(actual)}; "
        "change the declared weight or the children's weights",
        f"`{section}` 标明 {fmt(declared)} 分，但其下各项合计 {fmt(actual)} 分；请修改标明的分值或下级分值",
        span,
    )


def total_mismatch(declared: Decimal, actual: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.TOTAL_MISMATCH,
        f"the rubric declares `total {fmt(declared)}` but its top-level sections add up to {fmt(actual)}; "
        "change `total` or the sections' weights",
        f"评分规则标明 `total {fmt(declared)}`，但一级指标合计 {fmt(actual)} 分；请修改 `total` 或各部分分值",
        span,
    )


def weight_not_a_step_multiple(indicator: str, weight: Decimal, step: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.WEIGHT_MISMATCH,
        f"indicator `{indicator}` weighs {fmt(weight)}, which rounding to {fmt(step)} cannot award: full marks would "
        f"round away from the weight; use a weight that is a multiple of {fmt(step)}, or round to a finer step",
        f"指标 `{indicator}` 分值为 {fmt(weight)}，按 {fmt(step)} 取舍无法给出满分（会舍入成别的分数）；请使用 {fmt(step)} 的整数倍，或改用更细的取舍单位",
        span,
    )


def zero_weight(node: str, weight: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_RULE,
        f"`{node}` weighs {fmt(weight)}; a weight must be above 0",
        f"`{node}` 的分值为 {fmt(weight)}；分值必须大于 0",
        span,
    )


def no_indicators(span: Span) -> Diagnostic:
    return error(
        codes.INVALID_RULE,
        "the rubric has no sections or indicators; add at least one `indicator`",
        "评分规则没有任何指标；请至少添加一个 `indicator`",
        span,
    )


def points_exceed_weight(indicator: str, points: Decimal, weight: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.POINTS_EXCEED_WEIGHT,
        f"indicator `{indicator}` can award {fmt(points)} points but weighs only {fmt(weight)}; "
        "lower the points or raise the weight",
        f"指标 `{indicator}` 可能得 {fmt(points)} 分，但分值只有 {fmt(weight)} 分；请降低得分或提高分值",
        span,
    )


def deduction_exceeds_weight(indicator: str, points: Decimal, weight: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.POINTS_EXCEED_WEIGHT,
        f"indicator `{indicator}` deducts {fmt(points)} points per step but weighs only {fmt(weight)}; "
        "lower the deduction",
        f"指标 `{indicator}` 每一步扣 {fmt(points)} 分，但分值只有 {fmt(weight)} 分；请减少扣分",
        span,
    )


def checklist_deduction(indicator: str, deduct: Decimal, weight: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_RULE,
        f"`{indicator}` deducts {fmt(deduct)} per failed item; use a deduction above 0 and at most {fmt(weight)}",
        f"`{indicator}` 每项不符扣 {fmt(deduct)} 分；扣分应大于 0 且不超过 {fmt(weight)} 分",
        span,
    )


def steps_not_positive(indicator: str, what: str, span: Span) -> Diagnostic:
    zh = {"step": "步长", "deduction": "每步扣分"}[what]
    return error(
        codes.INVALID_RULE,
        f"the {what} of `{indicator}` must be above 0",
        f"`{indicator}` 的{zh}必须大于 0",
        span,
    )


def linear_too_few_points(indicator: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_RULE,
        f"`linear` in `{indicator}` needs at least two points",
        f"`{indicator}` 的 `linear` 至少需要两个点",
        span,
    )


def linear_same_ends(indicator: str, end: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_RULE,
        f"`linear` in `{indicator}` goes from {end} to {end}; the two ends must differ",
        f"`{indicator}` 的 `linear` 起点和终点都是 {end}；两端必须不同",
        span,
    )


def linear_not_rising(indicator: str, point: str, previous: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_RULE,
        f"in `linear` of `{indicator}`, {point} comes after {previous}; list the points from low to high",
        f"`{indicator}` 的 `linear` 中 {point} 排在 {previous} 之后；请按从小到大排列各点",
        span,
    )


def target_equal_proportional(span: Span) -> Diagnostic:
    return error(
        codes.INVALID_RULE,
        "an `==` target is met or missed; `proportional` needs `>=` or `<=`",
        "`==` 目标只有达到与未达到；按比例得分（proportional）需要 `>=` 或 `<=`",
        span,
    )


def target_not_positive(
    op: str, actual: str, target: str, target_value: Decimal, weight: Decimal, span: Span
) -> Diagnostic:
    """A proportional target at or below 0: `actual / target` has no meaning there (and 0 divides by zero)."""
    if op in ("<=", "<"):
        rule = (
            f"linear {actual} {{ {target} -> {fmt(weight)}  0% -> 0 }}"
            if target_value < 0
            else f"target {actual} {op} {target}"
        )
        en = (
            f"full points at {target} or below, none at 0 or above, in proportion between: `{rule}`"
            if target_value < 0
            else f"met or missed, without `proportional`: `{rule}`, or a `steps` deduction"
        )
        zh = (
            f"不高于{target}得满分，不低于0不得分，其间按比例：`{rule}`"
            if target_value < 0
            else f"只有达到与未达到，去掉 `proportional`：`{rule}`，或用 `steps` 扣分"
        )
    else:
        rule = f"linear {actual} from <the value that earns 0> to {target}"
        en, zh = f"where credit starts: `{rule}`", f"从何值起得分：`{rule}`"
    return error(
        codes.TARGET_NOT_POSITIVE,
        f"proportional credit divides by the target, which must be above 0, not `{target}`; for this target say {en}",
        f"按比例得分要除以目标值，目标值须大于0，而不是 `{target}`；此目标请写明{zh}",
        span,
    )


def not_applicable_policy_missing(node: str, span: Span) -> Diagnostic:
    return error(
        codes.NOT_APPLICABLE_POLICY,
        f"`{node}` may be not applicable, but the rubric does not say what then happens to its weight; declare "
        "`not_applicable share` (shared among its siblings in proportion to their weights), `not_applicable "
        "rescale` (the total rescaled to the full score over the applicable weight) or `not_applicable full` "
        "(full marks)",
        f"`{node}` 可能不适用，但评分规则未说明其分值如何处理；请声明 `not_applicable share`（按比例分摊到同级其他指标）、"
        "`not_applicable rescale`（得分按适用分值折算为满分制）或 `not_applicable full`（按满分计）",
        span,
    )


def points_before_reweighing(node: str, span: Span) -> Diagnostic:
    return error(
        codes.NOT_APPLICABLE_POLICY,
        f"`points({node})` is read by a rule or a let, but this rubric shares out the weight of items that are not "
        "applicable (`not_applicable`) only after every indicator is scored; read points in a bonus or penalty "
        "line, a veto or a cap instead",
        f"本规则声明了 `not_applicable`，不适用项的分值在各指标评分之后才重新分配，指标规则或 let 中不能读取 "
        f"`points({node})`；请在加分、扣分、一票否决或等次限制中读取得分",
        span,
    )


def judged_needs_number_input(name: str, kind: str | None, span: Span) -> Diagnostic:
    what_en = f"not {KIND_EN.get(kind, kind)}" if kind else "not an input"
    what_zh = f"而不是{KIND_ZH.get(kind, kind)}" if kind else "但它不是已声明的输入"
    return error(
        codes.INVALID_RULE,
        f"`judged {name}` needs an input of kind number (the points the evaluation group gives), {what_en}",
        f"`judged {name}` 需要一个数值（number）输入（评价组给出的分数），{what_zh}",
        span,
    )


def tier_input_mismatch(name: str, labels: tuple[str, ...], span: Span) -> Diagnostic:
    options = ", ".join(f'"{label}"' for label in labels)
    return error(
        codes.INVALID_RULE,
        f'`tiers {name}` needs a choice input whose choices are the tiers: `input {name} choice({options}) "…"`',
        f'`tiers {name}` 需要一个选项输入，其可选值正是各档名称：`input {name} choice({options}) "…"`',
        span,
    )


def tier_range_invalid(label: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_RULE,
        f'tier "{label}" must be a share of the weight from low to high, e.g. `"{label}" 60% .. 80%`, '
        f'or points from low to high, e.g. `"{label}" 12 .. 15`',
        f'档次 "{label}" 应写成占分值的比例，从低到高，例如 `"{label}" 60% .. 80%`；或写成分数，例如 `"{label}" 12 .. 15`',
        span,
    )


def judged_range_invalid(indicator: str, least: str, most: str, weight: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.JUDGED_RANGE,
        f"the judged range `{least} .. {most}` of `{indicator}` must go from low to high within 0 .. {fmt(weight)} "
        f"points (plain numbers) or 0% .. 100% of the weight (percents), both ends written alike",
        f"`{indicator}` 的评定区间 `{least} .. {most}` 应从低到高，在 0 .. {fmt(weight)} 分之内（写分数），"
        "或在分值的 0% .. 100% 之内（写百分比），两端写法一致",
        span,
    )


def band_gap(indicator: str, interval: str, span: Span) -> Diagnostic:
    return error(
        codes.BAND_GAP,
        f"the bands of `{indicator}` do not cover {interval}; add a row for it, or an `otherwise` row",
        f"`{indicator}` 的区间没有覆盖 {interval}；请为它加一行，或加 `otherwise` 行（其余情况）",
        span,
    )


def band_overlap(indicator: str, interval: str, rows: tuple[str, str], span: Span) -> Diagnostic:
    return error(
        codes.BAND_OVERLAP,
        f"the bands of `{indicator}` cover {interval} twice, in {rows[0]} and {rows[1]}; "
        "a value may fall in one row only: move an end, or make it open with `(` or `)`",
        f"`{indicator}` 的区间 {rows[0]} 与 {rows[1]} 重复覆盖 {interval}；一个值只能落在一行：请调整端点，或用 `(` `)` 改为开区间",
        span,
    )


def band_empty(indicator: str, interval: str, span: Span) -> Diagnostic:
    return error(
        codes.BAND_EMPTY,
        f"band {interval} of `{indicator}` contains no value; write the lower end first",
        f"`{indicator}` 的区间 {interval} 不含任何值；请先写下限，再写上限",
        span,
    )


def grades_not_monotone(label: str, minimum: Decimal, previous: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.GRADES_NOT_MONOTONE,
        f"grade `{label}` starts at {fmt(minimum)}, not below the grade above it ({fmt(previous)}); "
        "list grades from best to worst with falling cutoffs",
        f"等次 `{label}` 的起点 {fmt(minimum)} 不低于上一等次（{fmt(previous)}）；请从高到低排列等次，分数线依次降低",
        span,
    )


def otherwise_not_last(label: str, span: Span) -> Diagnostic:
    return error(
        codes.GRADES_NOT_MONOTONE,
        f"grade `{label} otherwise` takes every lower score, so it must be the last grade; move it to the end",
        f"`{label} otherwise` 包含所有更低的分数，必须是最后一个等次；请移到最后",
        span,
    )


def grades_uncovered(low: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.GRADES_UNCOVERED,
        f"no grade covers scores below {fmt(low)}; end the grades with a row like `差 otherwise`",
        f"低于 {fmt(low)} 分的得分没有等次；请在最后加一行，例如 `差 otherwise`",
        span,
    )


def grade_out_of_range(label: str, minimum: Decimal, total: Decimal, span: Span) -> Diagnostic:
    return error(
        codes.GRADE_OUT_OF_RANGE,
        f"grade `{label}` starts at {fmt(minimum)}, outside 0..{fmt(total)}; a cutoff must lie between 0 and the total",
        f"等次 `{label}` 的起点 {fmt(minimum)} 不在 0 到 {fmt(total)} 之间；分数线必须在 0 与总分之间",
        span,
    )


def kinds_mismatch(op: str, left: str, left_kind: str, right: str, right_kind: str, span: Span) -> Diagnostic:
    return error(
        codes.TYPE_ERROR,
        f"`{op}` puts {KIND_EN[left_kind]} (`{left}`) with {KIND_EN[right_kind]} (`{right}`); "
        "use values of the same kind",
        f"`{op}` 把{KIND_ZH[left_kind]}（`{left}`）与{KIND_ZH[right_kind]}（`{right}`）放在一起；请使用同类的值",
        span,
    )


def _as_percent(text: str, value: Decimal | None) -> tuple[str, str]:
    """How to write a plain number as a percent, both readings when a share may be meant (`0.95`)."""
    if value is None or abs(value) > 1:
        return f"e.g. `{text}%`", f"例如 `{text}%`"
    share = f"{fmt(value * 100)}%"
    return (
        f"`{share}` if the share {text} is meant, or `{text}%` if {text} percent points are",
        f"如指比例 {text}，写 `{share}`；如指 {text} 个百分点，写 `{text}%`",
    )


def percent_with_plain_number(
    op: str, percent: str, number: str, span: Span, value: Decimal | None = None
) -> Diagnostic:
    en, zh = _as_percent(number, value)
    return error(
        codes.TYPE_ERROR,
        f"`{op}` puts the percent `{percent}` with the plain number `{number}`; write the number as a percent, {en}",
        f"`{op}` 把百分比 `{percent}` 与普通数字 `{number}` 放在一起；请把数字写成百分比，{zh}",
        span,
    )


def needs_condition(what: Phrase, kind: str, span: Span) -> Diagnostic:
    return error(
        codes.TYPE_ERROR,
        f"{what[0]} needs a condition (true/false) but this is {KIND_EN[kind]}; compare it, e.g. `x > 0`",
        f"{what[1]}需要一个条件（真/假），但这里是{KIND_ZH[kind]}；请写成比较，例如 `x > 0`",
        span,
    )


def needs_number(what: Phrase, kind: str, span: Span) -> Diagnostic:
    hint_en = "; use e.g. `if on_time then 2 else 0`" if kind == "flag" else ""
    hint_zh = "；可写成例如 `if on_time then 2 else 0`" if kind == "flag" else ""
    return error(
        codes.TYPE_ERROR,
        f"{what[0]} needs a number but this is {KIND_EN[kind]}{hint_en}",
        f"{what[1]}需要数值，但这里是{KIND_ZH[kind]}{hint_zh}",
        span,
    )


def compares_non_numbers(op: str, kind: str, span: Span) -> Diagnostic:
    return error(
        codes.TYPE_ERROR,
        f"`{op}` compares numbers, but one side is {KIND_EN[kind]}",
        f"`{op}` 用于比较数值，但有一边是{KIND_ZH[kind]}",
        span,
    )


def wrong_arity(func: str, span: Span) -> Diagnostic:
    en, zh = ("one value", "一个值") if func == "abs" else ("two or more values", "两个或更多值")
    return error(codes.TYPE_ERROR, f"`{func}` takes {en}", f"`{func}` 需要{zh}", span)


def unknown_choice(value: str, name: str, choices: tuple[str, ...], span: Span) -> Diagnostic:
    options = ", ".join(f'"{c}"' for c in choices)
    return error(
        codes.TYPE_ERROR,
        f'"{value}" is not one of the choices of `{name}`: {options}',
        f'"{value}" 不是 `{name}` 的可选值：{options}',
        span,
    )


def literal_needs_percent(what: Phrase, text: str, span: Span, value: Decimal | None = None) -> Diagnostic:
    en, zh = _as_percent(text, value)
    return error(
        codes.TYPE_ERROR,
        f"{what[0]} `{text}` is compared with a percent; write it as a percent, {en}",
        f"{what[1]} `{text}` 与百分比比较；请写成百分比，{zh}",
        span,
    )


def literal_not_percent(what: Phrase, text: str, kind: str, span: Span) -> Diagnostic:
    if kind == "number":  # a plain number may be a share or percent points: removing the `%` may be wrong
        share = fmt(Decimal(text.rstrip("%")) / 100)
        return error(
            codes.TYPE_ERROR,
            f"{what[0]} `{text}` is a percent but the value it is compared with is a plain number; write `{share}` "
            f"if the value is a share, `{text.rstrip('%')}` if it is in percent points, or declare the input "
            "`percent` (a ratio of two amounts of one kind, `a / b`, is a percent already)",
            f"{what[1]} `{text}` 是百分比，但比较的对象是普通数值；如该值是比例，写 `{share}`；如是百分点数，写 "
            f"`{text.rstrip('%')}`；或把输入声明为 `percent`（同类两数之比 `a / b` 本身即百分比）",
            span,
        )
    return error(
        codes.TYPE_ERROR,
        f"{what[0]} `{text}` is a percent but the value it is compared with is {KIND_EN[kind]}; remove the `%`",
        f"{what[1]} `{text}` 是百分比，但比较的对象是{KIND_ZH[kind]}；请去掉 `%`",
        span,
    )


def range_not_allowed(name: str, kind: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_INPUT,
        f"input `{name}` is {KIND_EN[kind]}; it cannot have a range",
        f"输入 `{name}` 是{KIND_ZH[kind]}，不能设定取值范围",
        span,
    )


def empty_range(name: str, low: str, high: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_INPUT,
        f"the range of `{name}` is empty: {low} is above {high}; write the lower end first",
        f"`{name}` 的取值范围为空：{low} 大于 {high}；请先写下限",
        span,
    )


def repeated_choice(name: str, value: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_INPUT,
        f'the choices of `{name}` repeat "{value}"; list each choice once',
        f'`{name}` 的可选值 "{value}" 重复；每个可选值只写一次',
        span,
    )


def default_wrong_kind(name: str, kind: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_INPUT,
        f"the default of `{name}` must be {KIND_EN[kind]}",
        f"`{name}` 的默认值必须是{KIND_ZH[kind]}",
        span,
    )


def default_not_a_choice(name: str, value: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_INPUT,
        f'the default "{value}" is not one of the choices of `{name}`',
        f'默认值 "{value}" 不是 `{name}` 的可选值',
        span,
    )


def default_out_of_range(name: str, value: str, low: str, high: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_INPUT,
        f"the default {value} of `{name}` lies outside its range {low} .. {high}",
        f"`{name}` 的默认值 {value} 不在取值范围 {low} .. {high} 之内",
        span,
    )


def default_not_whole(name: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_INPUT,
        f"the default of count `{name}` must be a whole number >= 0",
        f"计数 `{name}` 的默认值必须是大于等于 0 的整数",
        span,
    )


def unused_input(name: str, span: Span) -> Diagnostic:
    return Diagnostic(
        codes.UNUSED_INPUT,
        "warning",
        f"input `{name}` is declared but no rule, let or constraint uses it; remove it or use it",
        span,
        f"输入 `{name}` 已声明，但没有任何规则、派生值或约束用到它；请删除或使用它",
    )
