"""Diagnostics: what is wrong, where, and what to do, in English and Chinese.

Every stage reports problems as `Diagnostic(code, severity, message, span, message_zh)` values
instead of raising, so one run shows all problems of a file. Codes are stable
(`rubric_weight_mismatch`); each problem has a named constructor below that reads as the problem
and writes both messages. `render` prints the cel-go layout: `path:line:col: error: message`,
the source line, a caret under the problem (Chinese characters count two columns).
The catalogue of codes with examples is docs/diagnostics.md, made from the golden tests.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Literal

from rubric_dsl.source import Span, display_width

Severity = Literal["error", "warning"]
Language = Literal["en", "zh"]
SEVERITY_ZH = {"error": "错误", "warning": "警告"}


def choose_language(flag: str | None = None) -> Language:
    """`--lang` if given, else Chinese when the environment's LANG starts with zh, else English."""
    if flag in ("en", "zh"):
        return flag  # type: ignore[return-value]
    return "zh" if os.environ.get("LANG", "").lower().startswith("zh") else "en"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span
    message_zh: str = ""

    def text(self, lang: Language = "en") -> str:
        return self.message_zh if lang == "zh" and self.message_zh else self.message

    def render(self, source_text: str | None = None, lang: Language = "en") -> str:
        severity = SEVERITY_ZH[self.severity] if lang == "zh" else self.severity
        head = f"{self.span}: {severity}: {self.text(lang)} [{self.code}]"
        if source_text is None:
            return head
        lines = source_text.splitlines()
        if not 0 < self.span.line <= len(lines):
            return head
        line = lines[self.span.line - 1]
        start = min(self.span.column - 1, len(line))
        end = self.span.end_column - 1 if self.span.end_line == self.span.line else len(line.rstrip())
        end = max(start + 1, min(end, len(line)))
        caret = " " * display_width(line[:start]) + "^" * max(1, display_width(line[start:end]))
        return f"{head}\n  {line}\n  {caret}"


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    unique = dict.fromkeys(diagnostics)
    return sorted(unique, key=lambda d: (d.span.path, d.span.line, d.span.column, d.code))


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def closest(name: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    match = closest(name, candidates)
    return f"; did you mean `{match}`?" if match else ""


def _did_you_mean_zh(name: str, candidates: Iterable[str]) -> str:
    match = closest(name, candidates)
    return f"；是不是 `{match}`？" if match else ""


_NO_ROUNDING = Context(prec=1000)  # normalize() in the default context would round past 28 digits


def fmt(value: Decimal | int) -> str:
    """A decimal as people write it: no exponent, no trailing zeros, every digit kept."""
    text = format(Decimal(value).normalize(_NO_ROUNDING), "f")
    return "0" if text in ("-0", "") else text


def _where(first: Span, span: Span) -> str:
    return f"{first.line}:{first.column}" if first.path == span.path else str(first)


def _error(code: str, en: str, zh: str, span: Span) -> Diagnostic:
    return Diagnostic(code, "error", en, span, zh)


KIND_EN = {
    "number": "a number",
    "literal": "a plain number",
    "percent": "a percent",
    "count": "a count",
    "money": "an amount of money",
    "flag": "a flag (true/false)",
    "choice": "a choice",
    "string": "a text",
}
KIND_ZH = {
    "number": "数值",
    "literal": "普通数字",
    "percent": "百分比",
    "count": "计数",
    "money": "金额",
    "flag": "是否（true/false）",
    "choice": "选项",
    "string": "文字",
}


# --- syntax -----------------------------------------------------------------------------------------


def unexpected_token(found: str, expected: str, expected_zh: str, span: Span) -> Diagnostic:
    return _error("rubric_syntax_error", f"unexpected {found}{expected}", f"此处不应出现 {found}{expected_zh}", span)


def unexpected_character(char: str, expected: str, expected_zh: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_syntax_error",
        f"unexpected character `{char}`{expected}",
        f"此处不应出现字符 `{char}`{expected_zh}",
        span,
    )


def full_width_character(char: str, ascii_char: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_syntax_error",
        f"full-width `{char}` is not allowed here; type the ASCII `{ascii_char}` instead",
        f"此处不能用全角字符 `{char}`，请改用半角 `{ascii_char}`",
        span,
    )


def semicolon(span: Span) -> Diagnostic:
    return _error(
        "rubric_syntax_error",
        "`;` is not used in rubric files; put each row or statement on its own line",
        "评分规则文件不使用 `;`，请把每一行规则或语句各写一行",
        span,
    )


def file_ends_early(expected: str, expected_zh: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_syntax_error",
        f"the file ends too early{expected}; is a closing `}}` missing?",
        f"文件提前结束{expected_zh}；是否缺少右括号 `}}`？",
        span,
    )


def empty_file(span: Span) -> Diagnostic:
    return _error(
        "rubric_syntax_error",
        'the file is empty; a rubric file starts with `rubric <id> "<title>" {`',
        '文件是空的；评分规则文件以 `rubric <编号> "<名称>" {` 开头',
        span,
    )


def missing_weight(span: Span) -> Diagnostic:
    return _error(
        "rubric_syntax_error",
        'the weight (分值) is missing before `{`; write it after the label, e.g. `section decision "决策" 21 {`',
        '`{` 前缺少分值；请写在名称之后，例如 `section decision "决策" 21 {`',
        span,
    )


def band_not_interval(text: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_syntax_error",
        f"a band row starts with an interval, not `{text}`: write e.g. `[90%, 95%) 4` for 90% (included) "
        "up to 95% (not included), then the points",
        f"区间行应以区间开头，而不是 `{text}`：例如 `[90%, 95%) 4` 表示 90%（含）至 95%（不含）得 4 分",
        span,
    )


def target_not_comparison(span: Span) -> Diagnostic:
    return _error(
        "rubric_syntax_error",
        "a target compares the actual value with its target: write e.g. `target completion_rate >= 95%`, "
        "`target cost <= 40000` or `target units == 20`",
        "目标规则要把实际值与目标值比较，例如 `target completion_rate >= 95%`、`target cost <= 40000` "
        "或 `target units == 20`",
        span,
    )


def grade_needs_at_least(label: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_syntax_error",
        f"a grade row gives the lowest score of the grade: write `{label} >= <score>`, "
        f"or `{label} otherwise` for the lowest grade",
        f"等次只写最低分：写成 `{label} >= <分数>`；最低一档写成 `{label} otherwise`",
        span,
    )


def source_too_large(size: int, limit: int, span: Span) -> Diagnostic:
    return _error(
        "rubric_limit_exceeded",
        f"the file has {size:,} bytes, more than the {limit:,} a rubric may have; split it with `extends`",
        f"文件有 {size:,} 字节，超过评分规则文件的上限 {limit:,}；请用 `extends` 拆分",
        span,
    )


def number_too_long(text: str, limit: int, span: Span) -> Diagnostic:
    shown = text if len(text) <= 20 else text[:17] + "…"
    return _error(
        "rubric_limit_exceeded",
        f"the number {shown} has more than {limit} digits; no rubric needs such a number",
        f"数字 {shown} 超过 {limit} 位；评分规则不需要这样的数字",
        span,
    )


def nesting_too_deep(limit: int, span: Span) -> Diagnostic:
    return _error(
        "rubric_limit_exceeded",
        f"the rubric nests deeper than {limit} levels here; use `let` values to break long or nested expressions up",
        f"此处嵌套超过 {limit} 层；请用派生值（let）拆分过长或嵌套过深的表达式",
        span,
    )


def too_many(what: str, count: int, limit: int, span: Span) -> Diagnostic:
    zh = {"indicators": "指标", "inputs": "输入"}[what]
    return _error(
        "rubric_limit_exceeded",
        f"the rubric has {count} {what}, more than the {limit} allowed",
        f"评分规则有 {count} 个{zh}，超过上限 {limit}",
        span,
    )


# --- names ------------------------------------------------------------------------------------------


def duplicate_name(kind: str, name: str, span: Span, first: Span, inherited: bool = False) -> Diagnostic:
    hint = ("; write `override` to replace the inherited one", "；如要替换继承的定义，请写 `override`")
    if not inherited:
        hint = ("; give one of them another name", "；请给其中一个改名")
    return _error(
        "rubric_duplicate_name",
        f"{kind} `{name}` is already defined at {_where(first, span)}{hint[0]}",
        f"{kind} `{name}` 已在 {_where(first, span)} 定义过{hint[1]}",
        span,
    )


def inherited_grades(first: Span, span: Span) -> Diagnostic:
    return _error(
        "rubric_duplicate_name",
        f"the parent rubric already has grades ({first}); write `override grades {{ … }}` to replace them",
        f"上级评分规则已有等次（{first}）；如要替换，请写 `override grades {{ … }}`",
        span,
    )


def duplicate_rubric(rubric_id: str, first: Span, span: Span) -> Diagnostic:
    return _error(
        "rubric_duplicate_name",
        f"rubric `{rubric_id}` is already defined in {first.path}; every rubric needs its own id",
        f"评分规则编号 `{rubric_id}` 已在 {first.path} 中使用；每个评分规则的编号必须不同",
        span,
    )


def unknown_name(name: str, span: Span, candidates: Iterable[str]) -> Diagnostic:
    names = list(candidates)
    return _error(
        "rubric_unknown_name",
        f"`{name}` is not a declared input or let value{did_you_mean(name, names)}",
        f"`{name}` 不是已声明的输入（input）或派生值（let）{_did_you_mean_zh(name, names)}",
        span,
    )


def unknown_parent(name: str, span: Span, candidates: Iterable[str]) -> Diagnostic:
    names = list(candidates)
    return _error(
        "rubric_unknown_parent",
        f"rubric `{name}` to extend was not found beside this file or in the rubrics directory searched"
        f"{did_you_mean(name, names)}",
        f"在本文件所在目录和所查找的评分规则目录中找不到要继承的评分规则 `{name}`{_did_you_mean_zh(name, names)}",
        span,
    )


def parent_has_errors(name: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_parent_has_errors",
        f"rubric `{name}` that this one extends has errors; fix them first (run `rubric check` on it)",
        f"所继承的评分规则 `{name}` 有错误；请先修正它（对它运行 `rubric check`）",
        span,
    )


def extends_cycle(chain: list[str], span: Span) -> Diagnostic:
    text = " → ".join(chain)
    return _error(
        "rubric_extends_cycle",
        f"rubrics extend each other in a cycle: {text}; one of them must not extend the other",
        f"评分规则互相继承，形成循环：{text}；请去掉其中一处 extends",
        span,
    )


def parent_in_cycle(name: str, chain: list[str], span: Span) -> Diagnostic:
    text = " → ".join(chain)
    return _error(
        "rubric_extends_cycle",
        f"rubric `{name}` that this one extends is in a cycle ({text}); fix that first",
        f"所继承的评分规则 `{name}` 处在继承循环中（{text}）；请先修正",
        span,
    )


def let_cycle(chain: list[str], span: Span) -> Diagnostic:
    text = " → ".join(chain)
    return _error(
        "rubric_let_cycle",
        f"let values depend on each other in a cycle: {text}",
        f"派生值（let）互相依赖，形成循环：{text}",
        span,
    )


def override_missing(kind: str, name: str, span: Span, candidates: Iterable[str]) -> Diagnostic:
    names = list(candidates)
    return _error(
        "rubric_override_missing",
        f"`override {kind} {name}` replaces nothing: the parent has no {kind} `{name}`{did_you_mean(name, names)}",
        f"`override {kind} {name}` 没有可替换的对象：上级评分规则中没有 {kind} `{name}`{_did_you_mean_zh(name, names)}",
        span,
    )


def override_without_parent(span: Span) -> Diagnostic:
    return _error(
        "rubric_override_missing",
        "`override` needs a parent rubric: add `extends <id>` after the title, or remove `override`",
        "`override` 需要上级评分规则：在名称后加 `extends <编号>`，或删去 `override`",
        span,
    )


def abstract_not_overridden(section: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_abstract_not_overridden",
        f"section `{section}` is abstract in the parent rubric; "
        f"write `override section {section} ... {{ ... }}` with its indicators",
        f"上级评分规则中的 `{section}` 是待定（abstract）部分；请写 `override section {section} ... {{ ... }}` 并给出指标",
        span,
    )


def abstract_in_concrete(section: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_abstract_not_overridden",
        f"section `{section}` is abstract but the rubric is not; "
        "give the section indicators, or declare the rubric `abstract rubric`",
        f"`{section}` 是待定（abstract）部分，但评分规则本身不是；请给出指标，或把评分规则声明为 `abstract rubric`",
        span,
    )


def abstract_not_scorable(rubric_id: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_abstract_not_overridden",
        f"rubric `{rubric_id}` is abstract; score a rubric that extends it",
        f"评分规则 `{rubric_id}` 是待定（abstract）框架，不能直接打分；请对继承它的评分规则打分",
        span,
    )


# --- header -----------------------------------------------------------------------------------------


def missing_header(field: str, example: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_missing_header",
        f"the rubric has no `{field}`; add e.g. `{example}`",
        f"评分规则缺少 `{field}`；请添加，例如 `{example}`",
        span,
    )


def duplicate_header(field: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_duplicate_header", f"`{field}` is given twice; keep one", f"`{field}` 写了两次；请只保留一个", span
    )


def invalid_rounding(step: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_rounding",
        f"rounding step {fmt(step)} must be above 0, e.g. `round indicator 0.1 half_up`",
        f"取舍单位 {fmt(step)} 必须大于 0，例如 `round indicator 0.1 half_up`（四舍五入保留一位小数）",
        span,
    )


# --- weights and points -----------------------------------------------------------------------------


def weights_do_not_add_up(section: str, declared: Decimal, actual: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_weight_mismatch",
        f"section `{section}` declares {fmt(declared)} points but its children add up to {fmt(actual)}; "
        "change the declared weight or the children's weights",
        f"`{section}` 标明 {fmt(declared)} 分，但其下各项合计 {fmt(actual)} 分；请修改标明的分值或下级分值",
        span,
    )


def total_mismatch(declared: Decimal, actual: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_total_mismatch",
        f"the rubric declares `total {fmt(declared)}` but its top-level sections add up to {fmt(actual)}; "
        "change `total` or the sections' weights",
        f"评分规则标明 `total {fmt(declared)}`，但一级指标合计 {fmt(actual)} 分；请修改 `total` 或各部分分值",
        span,
    )


def weight_not_a_step_multiple(indicator: str, weight: Decimal, step: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_weight_mismatch",
        f"indicator `{indicator}` weighs {fmt(weight)}, which rounding to {fmt(step)} cannot award: full marks would "
        f"round away from the weight; use a weight that is a multiple of {fmt(step)}, or round to a finer step",
        f"指标 `{indicator}` 分值为 {fmt(weight)}，按 {fmt(step)} 取舍无法给出满分（会舍入成别的分数）；请使用 {fmt(step)} 的整数倍，或改用更细的取舍单位",
        span,
    )


def zero_weight(node: str, weight: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_rule",
        f"`{node}` weighs {fmt(weight)}; a weight must be above 0",
        f"`{node}` 的分值为 {fmt(weight)}；分值必须大于 0",
        span,
    )


def no_indicators(span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_rule",
        "the rubric has no sections or indicators; add at least one `indicator`",
        "评分规则没有任何指标；请至少添加一个 `indicator`",
        span,
    )


def points_exceed_weight(indicator: str, points: Decimal, weight: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_points_exceed_weight",
        f"indicator `{indicator}` can award {fmt(points)} points but weighs only {fmt(weight)}; "
        "lower the points or raise the weight",
        f"指标 `{indicator}` 可能得 {fmt(points)} 分，但分值只有 {fmt(weight)} 分；请降低得分或提高分值",
        span,
    )


def deduction_exceeds_weight(indicator: str, points: Decimal, weight: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_points_exceed_weight",
        f"indicator `{indicator}` deducts {fmt(points)} points per step but weighs only {fmt(weight)}; "
        "lower the deduction",
        f"指标 `{indicator}` 每一步扣 {fmt(points)} 分，但分值只有 {fmt(weight)} 分；请减少扣分",
        span,
    )


def checklist_deduction(indicator: str, deduct: Decimal, weight: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_rule",
        f"`{indicator}` deducts {fmt(deduct)} per failed item; use a deduction above 0 and at most {fmt(weight)}",
        f"`{indicator}` 每项不符扣 {fmt(deduct)} 分；扣分应大于 0 且不超过 {fmt(weight)} 分",
        span,
    )


def steps_not_positive(indicator: str, what: str, span: Span) -> Diagnostic:
    zh = {"step": "步长", "deduction": "每步扣分"}[what]
    return _error(
        "rubric_invalid_rule",
        f"the {what} of `{indicator}` must be above 0",
        f"`{indicator}` 的{zh}必须大于 0",
        span,
    )


def linear_too_few_points(indicator: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_rule",
        f"`linear` in `{indicator}` needs at least two points",
        f"`{indicator}` 的 `linear` 至少需要两个点",
        span,
    )


def linear_same_ends(indicator: str, end: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_rule",
        f"`linear` in `{indicator}` goes from {end} to {end}; the two ends must differ",
        f"`{indicator}` 的 `linear` 起点和终点都是 {end}；两端必须不同",
        span,
    )


def linear_not_rising(indicator: str, point: str, previous: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_rule",
        f"in `linear` of `{indicator}`, {point} comes after {previous}; list the points from low to high",
        f"`{indicator}` 的 `linear` 中 {point} 排在 {previous} 之后；请按从小到大排列各点",
        span,
    )


def target_equal_proportional(span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_rule",
        "an `==` target is met or missed; `proportional` needs `>=` or `<=`",
        "`==` 目标只有达到与未达到；按比例得分（proportional）需要 `>=` 或 `<=`",
        span,
    )


def judged_needs_number_input(name: str, kind: str | None, span: Span) -> Diagnostic:
    what_en = f"not {KIND_EN.get(kind, kind)}" if kind else "not an input"
    what_zh = f"而不是{KIND_ZH.get(kind, kind)}" if kind else "但它不是已声明的输入"
    return _error(
        "rubric_invalid_rule",
        f"`judged {name}` needs an input of kind number (the points the evaluation group gives), {what_en}",
        f"`judged {name}` 需要一个数值（number）输入（评价组给出的分数），{what_zh}",
        span,
    )


def tier_input_mismatch(name: str, labels: tuple[str, ...], span: Span) -> Diagnostic:
    options = ", ".join(f'"{label}"' for label in labels)
    return _error(
        "rubric_invalid_rule",
        f'`tiers {name}` needs a choice input whose choices are the tiers: `input {name} choice({options}) "…"`',
        f'`tiers {name}` 需要一个选项输入，其可选值正是各档名称：`input {name} choice({options}) "…"`',
        span,
    )


def tier_range_invalid(label: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_rule",
        f'tier "{label}" must be a share of the weight from low to high, e.g. `"{label}" 60% .. 80%`',
        f'档次 "{label}" 应写成占分值的比例，从低到高，例如 `"{label}" 60% .. 80%`',
        span,
    )


# --- bands ------------------------------------------------------------------------------------------


def band_gap(indicator: str, interval: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_band_gap",
        f"the bands of `{indicator}` do not cover {interval}; add a row for it, or an `otherwise` row",
        f"`{indicator}` 的区间没有覆盖 {interval}；请为它加一行，或加 `otherwise` 行（其余情况）",
        span,
    )


def band_overlap(indicator: str, interval: str, rows: tuple[str, str], span: Span) -> Diagnostic:
    return _error(
        "rubric_band_overlap",
        f"the bands of `{indicator}` cover {interval} twice, in {rows[0]} and {rows[1]}; "
        "a value may fall in one row only: move an end, or make it open with `(` or `)`",
        f"`{indicator}` 的区间 {rows[0]} 与 {rows[1]} 重复覆盖 {interval}；一个值只能落在一行：请调整端点，或用 `(` `)` 改为开区间",
        span,
    )


def band_empty(indicator: str, interval: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_band_empty",
        f"band {interval} of `{indicator}` contains no value; write the lower end first",
        f"`{indicator}` 的区间 {interval} 不含任何值；请先写下限，再写上限",
        span,
    )


# --- grades -----------------------------------------------------------------------------------------


def grades_not_monotone(label: str, minimum: Decimal, previous: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_grades_not_monotone",
        f"grade `{label}` starts at {fmt(minimum)}, not below the grade above it ({fmt(previous)}); "
        "list grades from best to worst with falling cutoffs",
        f"等次 `{label}` 的起点 {fmt(minimum)} 不低于上一等次（{fmt(previous)}）；请从高到低排列等次，分数线依次降低",
        span,
    )


def otherwise_not_last(label: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_grades_not_monotone",
        f"grade `{label} otherwise` takes every lower score, so it must be the last grade; move it to the end",
        f"`{label} otherwise` 包含所有更低的分数，必须是最后一个等次；请移到最后",
        span,
    )


def grades_uncovered(low: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_grades_uncovered",
        f"no grade covers scores below {fmt(low)}; end the grades with a row like `差 otherwise`",
        f"低于 {fmt(low)} 分的得分没有等次；请在最后加一行，例如 `差 otherwise`",
        span,
    )


def grade_out_of_range(label: str, minimum: Decimal, total: Decimal, span: Span) -> Diagnostic:
    return _error(
        "rubric_grade_out_of_range",
        f"grade `{label}` starts at {fmt(minimum)}, outside 0..{fmt(total)}; a cutoff must lie between 0 and the total",
        f"等次 `{label}` 的起点 {fmt(minimum)} 不在 0 到 {fmt(total)} 之间；分数线必须在 0 与总分之间",
        span,
    )


def missing_grades(span: Span) -> Diagnostic:
    return _error(
        "rubric_missing_grades",
        "the rubric has no `grades { ... }`; add e.g. `grades { 优 >= 90  良 >= 80  中 >= 60  差 otherwise }`",
        "评分规则缺少等次；请添加，例如 `grades { 优 >= 90  良 >= 80  中 >= 60  差 otherwise }`",
        span,
    )


# --- types ------------------------------------------------------------------------------------------


def kinds_mismatch(op: str, left: str, left_kind: str, right: str, right_kind: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_type_error",
        f"`{op}` puts {KIND_EN[left_kind]} (`{left}`) with {KIND_EN[right_kind]} (`{right}`); "
        "use values of the same kind",
        f"`{op}` 把{KIND_ZH[left_kind]}（`{left}`）与{KIND_ZH[right_kind]}（`{right}`）放在一起；请使用同类的值",
        span,
    )


def percent_with_plain_number(op: str, percent: str, number: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_type_error",
        f"`{op}` puts the percent `{percent}` with the plain number `{number}`; write the number as a percent, "
        f"e.g. `{number}%`",
        f"`{op}` 把百分比 `{percent}` 与普通数字 `{number}` 放在一起；请把数字写成百分比，例如 `{number}%`",
        span,
    )


Phrase = tuple[str, str]  # the same words in English and Chinese


def needs_condition(what: Phrase, kind: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_type_error",
        f"{what[0]} needs a condition (true/false) but this is {KIND_EN[kind]}; compare it, e.g. `x > 0`",
        f"{what[1]}需要一个条件（真/假），但这里是{KIND_ZH[kind]}；请写成比较，例如 `x > 0`",
        span,
    )


def needs_number(what: Phrase, kind: str, span: Span) -> Diagnostic:
    hint_en = "; use e.g. `if on_time then 2 else 0`" if kind == "flag" else ""
    hint_zh = "；可写成例如 `if on_time then 2 else 0`" if kind == "flag" else ""
    return _error(
        "rubric_type_error",
        f"{what[0]} needs a number but this is {KIND_EN[kind]}{hint_en}",
        f"{what[1]}需要数值，但这里是{KIND_ZH[kind]}{hint_zh}",
        span,
    )


def compares_non_numbers(op: str, kind: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_type_error",
        f"`{op}` compares numbers, but one side is {KIND_EN[kind]}",
        f"`{op}` 用于比较数值，但有一边是{KIND_ZH[kind]}",
        span,
    )


def wrong_arity(func: str, span: Span) -> Diagnostic:
    en, zh = ("one value", "一个值") if func == "abs" else ("two or more values", "两个或更多值")
    return _error("rubric_type_error", f"`{func}` takes {en}", f"`{func}` 需要{zh}", span)


def unknown_choice(value: str, name: str, choices: tuple[str, ...], span: Span) -> Diagnostic:
    options = ", ".join(f'"{c}"' for c in choices)
    return _error(
        "rubric_type_error",
        f'"{value}" is not one of the choices of `{name}`: {options}',
        f'"{value}" 不是 `{name}` 的可选值：{options}',
        span,
    )


def literal_needs_percent(what: Phrase, text: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_type_error",
        f"{what[0]} `{text}` is compared with a percent; write it as a percent, e.g. `{text}%`",
        f"{what[1]} `{text}` 与百分比比较；请写成百分比，例如 `{text}%`",
        span,
    )


def literal_not_percent(what: Phrase, text: str, kind: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_type_error",
        f"{what[0]} `{text}` is a percent but the value it is compared with is {KIND_EN[kind]}; remove the `%`",
        f"{what[1]} `{text}` 是百分比，但比较的对象是{KIND_ZH[kind]}；请去掉 `%`",
        span,
    )


# --- inputs -----------------------------------------------------------------------------------------


def range_not_allowed(name: str, kind: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_input",
        f"input `{name}` is {KIND_EN[kind]}; it cannot have a range",
        f"输入 `{name}` 是{KIND_ZH[kind]}，不能设定取值范围",
        span,
    )


def empty_range(name: str, low: str, high: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_input",
        f"the range of `{name}` is empty: {low} is above {high}; write the lower end first",
        f"`{name}` 的取值范围为空：{low} 大于 {high}；请先写下限",
        span,
    )


def repeated_choice(name: str, value: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_input",
        f'the choices of `{name}` repeat "{value}"; list each choice once',
        f'`{name}` 的可选值 "{value}" 重复；每个可选值只写一次',
        span,
    )


def default_wrong_kind(name: str, kind: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_input",
        f"the default of `{name}` must be {KIND_EN[kind]}",
        f"`{name}` 的默认值必须是{KIND_ZH[kind]}",
        span,
    )


def default_not_a_choice(name: str, value: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_input",
        f'the default "{value}" is not one of the choices of `{name}`',
        f'默认值 "{value}" 不是 `{name}` 的可选值',
        span,
    )


def default_out_of_range(name: str, value: str, low: str, high: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_input",
        f"the default {value} of `{name}` lies outside its range {low} .. {high}",
        f"`{name}` 的默认值 {value} 不在取值范围 {low} .. {high} 之内",
        span,
    )


def default_not_whole(name: str, span: Span) -> Diagnostic:
    return _error(
        "rubric_invalid_input",
        f"the default of count `{name}` must be a whole number >= 0",
        f"计数 `{name}` 的默认值必须是大于等于 0 的整数",
        span,
    )


def unused_input(name: str, span: Span) -> Diagnostic:
    return Diagnostic(
        "rubric_unused_input",
        "warning",
        f"input `{name}` is declared but no rule, let or constraint uses it; remove it or use it",
        span,
        f"输入 `{name}` 已声明，但没有任何规则、派生值或约束用到它；请删除或使用它",
    )
