"""Render the official score sheet (评分表) of a rubric as Markdown, HTML or XLSX, as policy staff file it.

Takes a `CompiledRubric`, optionally the `Result` of scoring one record, and the record's header
values; gives the sheet the seeds lay out (项目支出部门评价表): a header block (项目名称, 主管部门,
实施单位, 项目资金 年初预算数/全年预算数/全年执行数/执行率, 评价时间), then one row per indicator with
its sections in the level columns (绩效指标 / 一级指标 / 二级指标, each as "决策（21分）" and merged
over the rows it spans), the 三级指标, 分值, 评分标准 (worded from the rule itself by `wording.py`),
得分 and 扣分原因 (why points were lost, worded from the clause that fired), then 总分, 自评等次 with the
grade scale, the subtotal of each outer section, and lines for 评价人, 复核人 and 日期 to sign.
Without a result the same sheet is a blank form: 得分, 扣分原因, 总分 and 等次 are left empty.

The header values come by convention, not from the rubric language: a record's facts may carry the
well-known names of `HEADER_FIELDS` (`project_name`, `department`, `unit`, `budget_initial`,
`budget_full_year`, `spent`, `evaluation_date`; `split_facts` takes them out before scoring unless the
rubric declares an input of that name), and `rubric sheet --header KEY=VALUE` adds or overrides them.

`sheet_table` builds a plain `SheetTable`; the renderers only lay it out. The rubric id, version and
content hash go where a printed sheet can be traced back to its rubric without cluttering the table:
the page footer and document properties of the XLSX, a footer in small print in HTML, the last line
in Markdown. In XLSX, totals, subtotals, the grade and the 执行率 are formulas (with their values
cached), so a hand correction of a score recomputes them.
"""

from __future__ import annotations

import functools
import html
import io
import itertools
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from rubric_dsl import ast
from rubric_dsl.diagnostics import fmt
from rubric_dsl.errors import RubricDslError
from rubric_dsl.formatter import flat_source
from rubric_dsl.program import CompiledRubric, GradeInfo, SectionInfo
from rubric_dsl.results import Result
from rubric_dsl.wording import applicable_text, criteria_text, criteria_words, lost_text

Format = Literal["md", "html", "xlsx"]
FORMATS: tuple[Format, ...] = ("md", "html", "xlsx")
WEIGHT, CRITERIA, POINTS, REASON = "分值", "评分标准", "得分", "扣分原因"
SIGNATURES = ("评价人", "复核人", "日期")
_NUMERALS = "一二三四五六七八九十"
_EXACT = Context(prec=60)
_CENT = Decimal("0.01")


class SheetError(RubricDslError):
    """A header value that cannot be used (a budget that is no number, an unknown header name); raised
    as `SheetError(message, message_zh)`."""


# --- the header block ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeaderField:
    key: str  # the well-known fact name
    label: str  # as the sheet prints it
    aliases: tuple[str, ...] = ()  # other names a record or `--header` may use
    money: bool = False


HEADER_FIELDS: tuple[HeaderField, ...] = (
    HeaderField("project_name", "项目名称", ("project", "项目名称")),
    HeaderField("department", "项目主管部门", ("主管部门", "项目主管部门")),
    HeaderField("unit", "项目实施单位", ("实施单位", "项目实施单位")),
    HeaderField("budget_initial", "年初预算数", ("年初预算", "年初预算数"), money=True),
    HeaderField("budget_full_year", "全年预算数", ("全年预算", "全年预算数"), money=True),
    HeaderField("spent", "全年执行数", ("执行数", "全年执行数"), money=True),
    HeaderField("evaluation_date", "评价时间", ("评价时间",)),
)
_BY_NAME = {name: f for f in HEADER_FIELDS for name in (f.key, *f.aliases)}


def header_key(name: str) -> str | None:
    """The well-known key a record's column or `--header` name stands for, or None."""
    found = _BY_NAME.get(name.strip())
    return found.key if found else None


def split_facts(rubric: CompiledRubric, facts: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The facts to score and the header values: a well-known header name the rubric does not declare
    as an input is a header value only; one it declares is both."""
    inputs = {i.name for i in rubric.inputs}
    scoring: dict[str, Any] = {}
    header: dict[str, Any] = {}
    for name, value in facts.items():
        key = header_key(name)
        if key is not None:
            header[key] = value
        if key is None or name in inputs:
            scoring[name] = value
    return scoring, header


@dataclass(frozen=True, slots=True)
class SheetHeader:
    """The values of the header block; "" or None where the record does not say (left blank to fill in)."""

    project_name: str = ""
    department: str = ""
    unit: str = ""
    budget_initial: Decimal | None = None
    budget_full_year: Decimal | None = None
    spent: Decimal | None = None
    evaluation_date: str = ""

    @property
    def rate(self) -> Decimal | None:
        """执行率 = 全年执行数 / 全年预算数, in percent, exact (shown to 0.01%)."""
        if self.spent is None or not self.budget_full_year:
            return None
        return _EXACT.multiply(_EXACT.divide(self.spent, self.budget_full_year), Decimal(100))

    @property
    def rate_text(self) -> str:
        rate = self.rate
        return "" if rate is None else f"{fmt(rate.quantize(_CENT, ROUND_HALF_UP))}%"

    def text(self, key: str) -> str:
        value = getattr(self, key)
        if value is None:
            return ""
        return fmt(value) if isinstance(value, Decimal) else str(value)


def sheet_header(values: Mapping[str, Any] | None = None) -> SheetHeader:
    """The header block from well-known names (or their aliases) to values; money as plain numbers (万元)."""
    given: dict[str, Any] = {}
    for name, value in (values or {}).items():
        key = header_key(name)
        if key is None:
            known = ", ".join(f.key for f in HEADER_FIELDS)
            raise SheetError(
                f"unknown header field `{name}` (known: {known}; or their Chinese labels)",
                f"没有表头项 `{name}`（可用：{known}，或它们的中文名称）",
            )
        if value is None or str(value).strip() == "":
            continue
        given[key] = _money(_BY_NAME[key].label, value) if _BY_NAME[key].money else str(value).strip()
    return SheetHeader(**given)


def _money(label: str, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise SheetError(
            f"{label}: expected an amount in 万元, got {value!r}", f"{label}：应为金额（万元），不是真假值"
        )
    text = str(value).strip().replace(",", "").removesuffix("万元")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise SheetError(
            f"{label}（{value}）：不是金额 / not an amount in 万元", f"{label}（{value}）：不是金额（万元）"
        )
    return amount


# --- the table --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SheetRow:
    levels: tuple[str, ...]  # one label per level column, e.g. "决策（21分）"; "" where the indicator sits higher
    indicator: str
    weight: Decimal
    criteria: str
    points: Decimal | None
    reason: str = ""  # 扣分原因: why points were lost; "" where none were (or the sheet is a blank form)


@dataclass(frozen=True, slots=True)
class Merge:
    """A block of body cells shown as one: a section label over the rows (and empty levels) it spans."""

    row: int
    col: int
    rows: int
    cols: int


@dataclass(frozen=True, slots=True)
class Subtotal:
    """An outer section's points: the sum of its body rows `first`..`last` (inclusive)."""

    label: str
    depth: int
    weight: Decimal
    points: Decimal | None
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class FooterRow:
    label: str
    weight: Decimal | None  # 总分 shows the rubric's total under 分值; 自评等次 has none
    value: Decimal | str | None  # the total or the grade, when scored


@dataclass(frozen=True, slots=True)
class AdjustmentRow:
    """A bonus or penalty line: `加分项：…` with its cap under 分值, its rule, and the signed amount (−2)."""

    label: str
    cap: Decimal | None
    criteria: str
    points: Decimal | None  # signed: a penalty is negative
    reason: str = ""


@dataclass(frozen=True)
class SheetRecord:
    """The rubric behind a sheet, kept in the XLSX on a hidden worksheet (`RECORD_SHEET`) so that
    `rubric import` reads the sheet back exactly: the rubric as one self-contained file (its merged tree,
    `formatter.flat_source`) and, per body row, the indicator's id and the 评分标准 it was printed with,
    and the same for each 加分/扣分 row. A row whose 评分标准 was changed by hand since is read from its
    text instead."""

    source: str
    indicators: tuple[tuple[str, str], ...]  # (indicator id, 评分标准) in the sheet's row order
    lines: tuple[tuple[str, str], ...] = ()  # (bonus or penalty line id, 评分标准) in the sheet's row order


RECORD_SHEET = "规则记录"
RECORD_NOTE = "rubric sheet 写下的规则原文，rubric import 据此读回评分表；评分标准改动过的行按其文字读取。"


@dataclass(frozen=True, slots=True)
class SheetTable:
    title: str
    subtitle: str
    headers: tuple[str, ...]
    levels: int  # how many leading columns hold section labels
    rows: tuple[SheetRow, ...]
    merges: tuple[Merge, ...]
    footer: tuple[FooterRow, ...]
    audit: str
    scored: bool
    header: SheetHeader = field(default_factory=SheetHeader)
    subtotals: tuple[Subtotal, ...] = ()
    grades: tuple[GradeInfo, ...] = ()
    total_rounding: tuple[str, int] | None = None  # an Excel rounding function and digits for 总分
    provenance: tuple[tuple[str, str], ...] = ()  # (name, value): rubric id, version, content hash
    adjustments: tuple[AdjustmentRow, ...] = ()  # 加分/扣分 rows, after the body
    vetoes: tuple[str, ...] = ()  # one line per veto or cap: its text, and whether it fired when scored
    final_range: tuple[Decimal, Decimal] | None = None  # 总分 limited to it (XLSX: in the formula)
    overridden: bool = False  # a veto fixed the grade or zeroed the total: XLSX writes values, not formulas
    record: SheetRecord | None = None  # what `rubric import` reads the rubric back from (XLSX only)

    @property
    def points_column(self) -> int:
        return self.levels + 3


def sheet_table(
    rubric: CompiledRubric, result: Result | None = None, header: SheetHeader | Mapping[str, Any] | None = None
) -> SheetTable:
    """The score sheet of `rubric`: 得分, 扣分原因, 总分 and 等次 from `result` when given (else a blank
    form), the header block from `header` (a `SheetHeader`, or well-known names to values)."""
    if result is not None and (result.rubric, result.content_hash) != (rubric.id, rubric.content_hash):
        raise ValueError(f"the result was scored under {result.rubric} {result.content_hash}, not {rubric!r}")
    scope = rubric.checked.scope
    paths = _paths(rubric)
    levels = max((len(p) for p in paths.values()), default=0)
    points = result.points if result is not None else {}
    records = dict(zip(points, result.records, strict=True)) if result is not None else {}
    used = _weights_used(rubric, result)
    rows = []
    for indicator, _ in scope.indicators:
        path = paths[indicator.id]
        labels = tuple(_section_label(path[k], used) if k < len(path) else "" for k in range(levels))
        criteria = criteria_text(indicator.rule, indicator.weight, scope)
        if indicator.applicable is not None and rubric.tree.not_applicable is not None:
            criteria += applicable_text(indicator.applicable, rubric.tree.not_applicable.mode, scope)
        weight = used.get(indicator.id, indicator.weight)
        got = points.get(indicator.id)
        reason = ""
        if got is not None and records[indicator.id] is None:
            reason = "不适用" + ("，按满分计" if weight == got and got else "")
        elif got is not None and got < weight:
            reason = lost_text(indicator.rule, indicator.weight, scope, records[indicator.id], got)
            if weight != indicator.weight:  # the points lost out of the weight used; the rule's own wording
                reason = f"扣{fmt(weight - got)}分：{reason.split('：', 1)[1]}（分值按不适用项调整为{fmt(weight)}分）"
        rows.append(SheetRow(labels, indicator.label, weight, criteria, got, reason))
    adjustments, vetoes, overridden = _adjusted_rows(rubric, result)
    grades = f"自评等次：{grade_scale(rubric.grades)}" if rubric.grades else "自评等次：本表不评等次"
    footer = (
        FooterRow("总分", rubric.total, result.total if result else None),
        FooterRow(grades, None, result.grade if result else None),
    )
    headers = (*_level_headers(levels), WEIGHT, CRITERIA, POINTS, REASON)
    year = rubric.metadata.get("year")
    ordered = [paths[i.id] for i, _ in scope.indicators]
    if not isinstance(header, SheetHeader):
        header = sheet_header(header)
    return SheetTable(
        title=rubric.title,
        subtitle=f"评分表（{year}年度）" if year else "评分表",
        headers=headers,
        levels=levels,
        rows=tuple(rows),
        merges=tuple(_merges(rubric, ordered, levels)),
        footer=footer,
        audit=_audit(rubric),
        scored=result is not None,
        header=header,
        subtotals=tuple(_subtotals(rubric, ordered, levels, result)),
        grades=tuple(rubric.grades),
        total_rounding=_total_rounding(rubric),
        provenance=(("rubric", rubric.id), ("version", rubric.version), ("content_hash", rubric.content_hash)),
        adjustments=adjustments,
        vetoes=vetoes,
        final_range=(rubric.final_minimum, rubric.final_maximum) if rubric.adjustment_lines else None,
        overridden=overridden,
        record=SheetRecord(
            flat_source(rubric.tree),
            tuple((i.id, r.criteria) for (i, _), r in zip(scope.indicators, rows, strict=True)),
            tuple((a.id, r.criteria) for a, r in zip(rubric.adjustment_lines, adjustments, strict=True)),
        ),
    )


def _adjusted_rows(
    rubric: CompiledRubric, result: Result | None
) -> tuple[tuple[AdjustmentRow, ...], tuple[str, ...], bool]:
    """The 加分/扣分 rows and the veto lines; whether a veto that fired overrides the total or the grade."""
    scope = rubric.checked.scope
    scored = {a.id: a for a in result.adjustments_in("zh")} if result is not None else {}
    rows = []
    for line in rubric.adjustment_lines:
        word = "加" if line.kind == "bonus" else "扣"
        if isinstance(line.rule, ast.Each):
            criteria = f"每1次（{criteria_words(scope, line.rule.count)}）{word}{fmt(line.rule.amount)}分"
        else:
            criteria = criteria_text(line.rule, line.cap, scope)
        if line.cap is not None:
            criteria += f"，最多{word}{fmt(line.cap)}分"
        got = scored.get(line.id)
        points = None if got is None else got.amount * got.sign
        reason = got.explanation if got is not None and got.amount else ""
        rows.append(AdjustmentRow(f"{word}分项：{line.label}", line.cap, criteria, points, reason))
    fired = {v.id: v for v in result.vetoes_in("zh")} if result is not None else {}
    lines = []
    for veto in rubric.veto_rules:
        kind = "一票否决" if veto.kind == "veto" else "等次限制"
        text = f"{kind}：{veto.label}"
        if veto.id in fired:
            text += f"（已触发：{fired[veto.id].why.split('：', 1)[-1]}）"  # its kind is named before the label
        elif result is not None:
            text += "（未触发）"
        lines.append(text)
    overridden = any(v.zeroed or v.grade is not None for v in fired.values())
    return tuple(rows), tuple(lines), overridden


def grade_scale(grades: Sequence[GradeInfo]) -> str:
    """`优（S≥90）良（80≤S<90）中（60≤S<80）差（S<60）` from ordered cutoffs."""
    parts: list[str] = []
    upper: Decimal | None = None
    for grade in grades:
        parts.append(f"{grade.label}（{_grade_bound(grade.minimum, upper)}）")
        upper = grade.minimum
    return "".join(parts)


def _grade_bound(low: Decimal | None, high: Decimal | None) -> str:
    if low is None:
        return f"S<{fmt(high)}" if high is not None else "其余"
    return f"S≥{fmt(low)}" if high is None else f"{fmt(low)}≤S<{fmt(high)}"


def _section_label(section: SectionInfo, used: Mapping[str, Decimal]) -> str:
    return f"{section.label}（{fmt(used.get(section.id, section.weight))}分）"


def _weights_used(rubric: CompiledRubric, result: Result | None) -> dict[str, Decimal]:
    """Sections' and indicators' weights actually used where items were not applicable (不适用), by id."""
    if result is None or result.applied is None:
        return {}
    applied = result.applied
    used = dict(zip((i.id for i in rubric.indicators), applied.indicator_weights, strict=True))
    used.update(zip((s.id for s in rubric.sections), applied.section_weights, strict=True))
    return used


def _level_headers(levels: int) -> tuple[str, ...]:
    # The seeds group 一级指标 under a 绩效指标 column (共性 / 个性) when there are three section levels.
    if levels == 3:
        return ("绩效指标", "一级指标", "二级指标", "三级指标")
    return tuple(f"{_NUMERALS[k]}级指标" for k in range(levels + 1))


def _paths(rubric: CompiledRubric) -> dict[str, tuple[SectionInfo, ...]]:
    """Each indicator's sections, outermost first."""
    by_id = {s.id: s for s in rubric.sections}
    paths: dict[str, tuple[SectionInfo, ...]] = {}
    for indicator in rubric.indicators:
        chain: list[SectionInfo] = []
        parent = indicator.section
        while parent is not None:
            chain.append(by_id[parent])
            parent = by_id[parent].parent
        paths[indicator.id] = tuple(reversed(chain))
    return paths


def _rows_of(section: SectionInfo, paths: list[tuple[SectionInfo, ...]]) -> list[int]:
    return [r for r, path in enumerate(paths) if section.id in {s.id for s in path}]


def _merges(rubric: CompiledRubric, paths: list[tuple[SectionInfo, ...]], levels: int) -> list[Merge]:
    """Each section spans its rows; one that holds only indicators also spans the empty levels right of it."""
    merges = []
    for section in rubric.sections:
        rows = _rows_of(section, paths)
        if not rows:
            continue
        direct = all(len(paths[r]) == section.depth + 1 for r in rows)
        cols = levels - section.depth if direct else 1
        if len(rows) > 1 or cols > 1:
            merges.append(Merge(rows[0], section.depth, len(rows), cols))
    return merges


def _subtotals(
    rubric: CompiledRubric, paths: list[tuple[SectionInfo, ...]], levels: int, result: Result | None
) -> list[Subtotal]:
    """The outer two levels of sections (共性/个性 and 一级指标 in the seeds), in the sheet's order."""
    scored = {s.id: s.points for s in result.sections} if result is not None else {}
    used = _weights_used(rubric, result)
    found = []
    for section in rubric.sections:
        rows = _rows_of(section, paths)
        if rows and section.depth < min(2, levels):
            weight = used.get(section.id, section.weight)
            found.append(Subtotal(section.label, section.depth, weight, scored.get(section.id), rows[0], rows[-1]))
    return sorted(found, key=lambda s: (s.first, s.depth))


def _total_rounding(rubric: CompiledRubric) -> tuple[str, int] | None:
    """The Excel function that rounds 总分 as `round total` does (None: no rounding, or a step Excel lacks)."""
    for rounding in rubric.tree.rounding:
        if rounding.scope != "total" or rounding.step != Decimal(1).scaleb(rounding.step.adjusted()):
            continue
        function = {"up": "ROUNDUP", "down": "ROUNDDOWN"}.get(rounding.mode, "ROUND")
        return function, -rounding.step.adjusted()
    return None


def _audit(rubric: CompiledRubric) -> str:
    source = rubric.metadata.get("source")
    text = f"规则 {rubric.id}，版本 {rubric.version or '—'}，{rubric.content_hash}"
    return f"{text}；依据：{source}" if source else text


# --- layout shared by the renderers --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    role: Literal["level", "indicator", "number", "criteria", "reason", "footer", "grade", "subtotal", "veto"]
    number: Decimal | None = None  # set where the cell is a number (XLSX writes it as one)
    rows: int = 1
    cols: int = 1
    sums: tuple[int, int] | None = None  # XLSX: the sum of the 得分 of these body rows (a formula)
    grade: bool = False  # XLSX: the grade of the total above (a formula)


def _number(value: Decimal | None, sums: tuple[int, int] | None = None) -> Cell:
    if value is None:
        return Cell("", "number", sums=sums)
    shown = fmt(value)
    return Cell(shown, "number", Decimal(shown), sums=sums)


def layout(table: SheetTable) -> list[list[Cell | None]]:
    """Body, footer and subtotal rows as a grid; `None` where a cell is covered by a merged one."""
    grid: list[list[Cell | None]] = [_body_row(row) for row in table.rows]
    for merge in table.merges:
        origin = grid[merge.row][merge.col]
        for r in range(merge.row, merge.row + merge.rows):
            for c in range(merge.col, merge.col + merge.cols):
                grid[r][c] = None
        if origin is not None:
            grid[merge.row][merge.col] = replace(origin, rows=merge.rows, cols=merge.cols)
    every = (0, len(table.rows) - 1)
    total, grade = table.footer
    span = table.levels + 1
    for line in table.adjustments:
        grid.append(
            [
                Cell(line.label, "indicator", cols=span),
                *[None] * (span - 1),
                _number(line.cap),
                Cell(line.criteria, "criteria"),
                _signed(line.points),
                Cell(line.reason, "reason"),
            ]
        )
    grid.append(
        [
            Cell(total.label, "footer", cols=span),
            *[None] * (span - 1),
            _number(total.weight),
            Cell("", "criteria"),
            replace(_number(_decimal(total.value), every), role="footer") if table.rows else _number(None),
            Cell("", "reason"),
        ]
    )
    span = table.levels + 3
    shown = grade.value if isinstance(grade.value, str) else ""
    grid.append([Cell(grade.label, "footer", cols=span), *[None] * (span - 1), Cell(shown, "grade", grade=True)])
    grid[-1].append(Cell("", "reason"))
    width = table.levels + 5
    for text in table.vetoes:
        grid.append([Cell(text, "veto", cols=width), *[None] * (width - 1)])
    for sub in table.subtotals:
        label = f"{'　' * sub.depth}小计：{sub.label}"
        row: list[Cell | None] = [Cell(label, "subtotal", cols=span - 2), *[None] * (span - 3)]
        row += [_number(sub.weight), Cell("", "criteria"), _number(sub.points, (sub.first, sub.last))]
        row.append(Cell("", "reason"))
        grid.append(row)
    return grid


def _signed(value: Decimal | None) -> Cell:
    """A line's amount with its sign: `+3`, `−2` (XLSX: the signed number)."""
    if value is None:
        return Cell("", "number")
    shown = fmt(value)
    text = shown if value == 0 else (f"+{shown}" if value > 0 else f"−{fmt(-value)}")
    return Cell(text, "number", Decimal(shown))


def _decimal(value: Decimal | str | None) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def _body_row(row: SheetRow) -> list[Cell | None]:
    cells: list[Cell | None] = [Cell(label, "level") for label in row.levels]
    cells += [Cell(row.indicator, "indicator"), _number(row.weight), Cell(row.criteria, "criteria")]
    cells += [_number(row.points), Cell(row.reason, "reason")]
    return cells


def budget_rows(header: SheetHeader) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The 项目资金 block as the seeds print it: column titles, then 年度资金总额 and its amounts."""
    titles = ("项目资金（万元）", "年初预算数①", "全年预算数②", "全年执行数③", "执行率③/②")
    amounts = ("年度资金总额", *(header.text(k) for k in ("budget_initial", "budget_full_year", "spent")))
    return titles, (*amounts, header.rate_text)


def signature_line() -> str:
    return "　　".join(f"{name}：{'＿＿＿＿年＿＿月＿＿日' if name == '日期' else '＿' * 8}" for name in SIGNATURES)


# --- Markdown -----------------------------------------------------------------------------------------


def _md_line(cells: Iterable[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def render_markdown(table: SheetTable) -> str:
    """Markdown: the header block as two small tables, the sheet (merged labels show once, on the first row
    they span), the signature line, and the rubric's id, version and hash last."""
    header = table.header
    info = [(f.label, header.text(f.key)) for f in HEADER_FIELDS if not f.money]
    out = [f"# {table.title}", "", table.subtitle, ""]
    out += [_md_line(info[0]), "|---|---|", *(_md_line(pair) for pair in info[1:]), ""]
    titles, amounts = budget_rows(header)
    out += [_md_line(titles), "|---|---:|---:|---:|---:|", _md_line(amounts), ""]
    numeric = {WEIGHT, POINTS}
    rule = ["---:" if h in numeric else "---" for h in table.headers]
    out += [_md_line(table.headers), "|" + "|".join(rule) + "|"]
    out += [_md_line(c.text if c else "" for c in row) for row in layout(table)]
    out += ["", signature_line(), "", f"<sub>{table.audit}</sub>", ""]
    return "\n".join(out)


# --- HTML ---------------------------------------------------------------------------------------------

_FONTS = '"SimSun", "宋体", "Songti SC", "Noto Serif CJK SC", serif'
_CSS = f"""
@page {{ size: A4 portrait; margin: 14mm 12mm 16mm; }}
body {{ font-family: {_FONTS}; font-size: 10pt; color: #000; margin: 0; }}
h1 {{ font-size: 15pt; text-align: center; margin: 0 0 3pt; }}
.subtitle {{ text-align: center; margin: 0 0 8pt; }}
table {{ width: 100%; border-collapse: collapse; table-layout: fixed; }}
th, td {{ border: 0.75pt solid #000; padding: 2pt 3pt; vertical-align: middle; line-height: 1.3; }}
td {{ overflow-wrap: anywhere; }}
th {{ background: #eee; text-align: center; font-weight: bold; }}
th {{ print-color-adjust: exact; -webkit-print-color-adjust: exact; }}
table.info {{ margin-bottom: 6pt; }}
table.info th {{ background: #f6f6f6; }}
table.info td {{ height: 15pt; }}
td.level, td.indicator, td.number, td.grade, td.footer {{ text-align: center; }}
td.criteria, td.reason, td.subtotal, td.value, td.veto {{ text-align: left; }}
td.footer, td.grade, tr.footer td.number {{ font-weight: bold; }}
td.reason {{ font-size: 9pt; }}
.w {{ white-space: nowrap; }}
thead {{ display: table-header-group; }}
tr {{ break-inside: avoid; page-break-inside: avoid; }}
.sign {{ display: flex; justify-content: space-between; margin: 14pt 4pt 0; break-inside: avoid; }}
.sign span {{ white-space: nowrap; }}
.blank {{ display: inline-block; min-width: 28mm; border-bottom: 0.75pt solid #000; }}
.blank.short {{ min-width: 10mm; }}
footer.audit {{ margin-top: 12pt; font-size: 7pt; color: #444; overflow-wrap: anywhere; }}
@media print {{
  body {{ font-size: 9.5pt; }}
  footer.audit {{ font-size: 6.5pt; }}
}}
"""
_SHARE = {"level": 9.0, "indicator": 13.5, WEIGHT: 5.0, CRITERIA: 26.0, POINTS: 5.5, REASON: 19.5}
_WEIGHT_TAIL = re.compile(r"（[\d.]+分）$")
_BRACKET_TAIL = re.compile(r"（[^（）]*）$")


def _widths(table: SheetTable) -> list[float]:
    widths = [_SHARE["level"]] * table.levels + [_SHARE[k] for k in ("indicator", WEIGHT, CRITERIA, POINTS, REASON)]
    total = sum(widths)
    return [round(100 * w / total, 1) for w in widths]


def _label_html(text: str) -> str:
    """A section label whose weight never breaks: `决策<span class="w">（21分）</span>`."""
    tail = _WEIGHT_TAIL.search(text)
    if tail is None:
        return html.escape(text)
    return f'{html.escape(text[: tail.start()])}<span class="w">{html.escape(tail.group())}</span>'


def _td(cell: Cell) -> str:
    spans = (f' rowspan="{cell.rows}"' if cell.rows > 1 else "") + (f' colspan="{cell.cols}"' if cell.cols > 1 else "")
    text = _label_html(cell.text) if cell.role == "level" else html.escape(cell.text)
    return f'<td class="{cell.role}"{spans}>{text}</td>'


def _info_html(header: SheetHeader) -> str:
    esc = html.escape
    titles, amounts = budget_rows(header)

    def pair(key: str, span: int) -> str:
        label = _BY_NAME[key].label
        return f'<th>{esc(label)}</th><td class="value" colspan="{span}">{esc(header.text(key))}</td>'

    rows = [
        f"<tr>{pair('project_name', 4)}</tr>",
        f"<tr>{pair('department', 1)}{pair('unit', 2)}</tr>",
        f'<tr><th rowspan="2">{esc(titles[0])}</th>' + "".join(f"<th>{esc(t)}</th>" for t in titles[1:]) + "</tr>",
        '<tr><td class="number">' + '</td><td class="number">'.join(esc(a) for a in amounts[1:]) + "</td></tr>",
        f"<tr>{pair('evaluation_date', 4)}</tr>",
    ]
    cols = '<col style="width: 20%">' * 5
    return f'<table class="info">\n<colgroup>{cols}</colgroup>\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>"


def _sign_html() -> str:
    blank, short = '<span class="blank"></span>', '<span class="blank short"></span>'
    date = f"日期：{short}年{short}月{short}日"
    return f'<div class="sign"><span>评价人：{blank}</span><span>复核人：{blank}</span><span>{date}</span></div>'


def render_html(table: SheetTable) -> str:
    """A self-contained HTML page (no scripts, fonts or links) that prints on A4 portrait."""
    esc = html.escape
    grid = layout(table)
    body = []
    for index, row in enumerate(grid):
        kind = ' class="footer"' if index >= len(table.rows) else ""
        body.append(f"<tr{kind}>" + "".join(_td(c) for c in row if c is not None) + "</tr>")
    cols = "".join(f'<col style="width: {w}%">' for w in _widths(table))
    head = "".join(f"<th>{esc(h)}</th>" for h in table.headers)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="zh-CN">',
            '<head><meta charset="utf-8">',
            f"<title>{esc(table.title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            f"<h1>{esc(table.title)}</h1>",
            f'<p class="subtitle">{esc(table.subtitle)}</p>',
            _info_html(table.header),
            f'<table class="sheet">\n<colgroup>{cols}</colgroup>\n<thead><tr>{head}</tr></thead>\n<tbody>',
            *body,
            "</tbody>\n</table>",
            _sign_html(),
            f'<footer class="audit">{esc(table.audit)}</footer>',
            "</body>",
            "</html>",
            "",
        ]
    )


# --- XLSX -----------------------------------------------------------------------------------------------

_XLSX_WIDTH = {"level": 10.5, "indicator": 14.0, WEIGHT: 6.0, CRITERIA: 30.0, POINTS: 6.5, REASON: 24.0}
_BODY_FONT = "宋体"
_FONT_SIZE = 10
_LINE_HEIGHT = 13.5  # points per line of 10pt 宋体
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_NAME_LIMIT = 31


@dataclass(slots=True)
class _Written:
    """Where one sheet's cells went, and the values to cache beside its formulas."""

    cached: dict[str, Decimal | str] = field(default_factory=dict)
    last_row: int = 0


def sheet_names(names: Iterable[str]) -> list[str]:
    """Excel sheet names for `names`: forbidden characters replaced, at most 31 characters, unique
    (Excel compares them case-insensitively), never empty."""
    chosen: list[str] = []
    taken: set[str] = set()
    for number, name in enumerate(names, 1):
        base = _FORBIDDEN.sub("_", name).strip().strip("'") or f"评分表{number}"
        candidate, copy = base[:_SHEET_NAME_LIMIT], 1
        while candidate.casefold() in taken:
            copy += 1
            suffix = f"({copy})"
            candidate = base[: _SHEET_NAME_LIMIT - len(suffix)] + suffix
        taken.add(candidate.casefold())
        chosen.append(candidate)
    return chosen


def render_xlsx(table: SheetTable, path: str | Path) -> None:
    """An Excel workbook of one sheet: see `render_xlsx_book`."""
    render_xlsx_book([("评分表", table)], path)


def render_xlsx_book(sheets: Sequence[tuple[str, SheetTable]], path: str | Path) -> None:
    """A workbook with one worksheet per (name, table) (names as `sheet_names` makes them): merged cells for
    the hierarchy and the header block, 宋体, wrapped text, A4 portrait fitted to the width with the column
    headings repeated on every page, totals, subtotals, the grade and the 执行率 as formulas with their
    values cached, and the rubric's id, version and hash in the page footer and document properties."""
    from openpyxl import Workbook
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.workbook.properties import CalcProperties

    if not sheets:
        raise SheetError("no sheets to write", "没有要写出的评分表")
    book = Workbook()
    book.remove(book.active)
    written = []
    for name, table in zip(sheet_names(n for n, _ in sheets), (t for _, t in sheets), strict=True):
        written.append(_xlsx_sheet(book.create_sheet(name), table))
    first = sheets[0][1]
    if first.record is not None:
        _xlsx_record(book.create_sheet(RECORD_SHEET), first.record)
    book.properties.title = first.title if len(sheets) == 1 else f"{first.title}（{len(sheets)}个项目）"
    book.properties.subject = "评分表"
    book.properties.creator = "rubric sheet"
    book.properties.keywords = " ".join(value for _, value in first.provenance)
    book.properties.description = first.audit
    for name, value in first.provenance:
        book.custom_doc_props.append(StringProperty(name=f"rubric:{name}", value=value or "—"))
    # openpyxl writes a formula without its value; the values are cached below, and Excel and
    # LibreOffice are also told to recalculate when the file is opened.
    book.calculation = CalcProperties(fullCalcOnLoad=True)
    buffer = io.BytesIO()
    book.save(buffer)
    Path(path).write_bytes(_cache_values(buffer.getvalue(), [w.cached for w in written]))


def _xlsx_record(sheet: Any, record: SheetRecord) -> None:
    """The hidden worksheet `rubric import` reads: a note, then `指标 id 评分标准` per body row, `加减分 id
    评分标准` per 加分/扣分 row and `规则 line` per line of the rubric's text (one line a row: a cell holds at
    most 32,767 characters)."""
    sheet.sheet_state = "hidden"
    rows = [("说明", RECORD_NOTE), *(("指标", i, c) for i, c in record.indicators)]
    rows += [("加减分", i, c) for i, c in record.lines]
    rows += [("规则", line) for line in record.source.splitlines()]
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(r, c, value or None)
            cell.data_type = "s"  # text as written, even where it starts with `=`
    sheet.column_dimensions["B"].width = 100


def _groups(widths: Sequence[float], count: int) -> list[tuple[int, int]]:
    """`widths` cut into `count` runs of adjacent columns of about equal width: (first, last), 1-based.
    The sheets have a handful of columns, so every way of cutting is tried."""
    target = sum(widths) / count
    best: tuple[float, tuple[int, ...]] | None = None
    for cuts in itertools.combinations(range(1, len(widths)), count - 1):
        bounds = (0, *cuts, len(widths))
        spread = sum((sum(widths[a:b]) - target) ** 2 for a, b in itertools.pairwise(bounds))
        if best is None or spread < best[0]:
            best = (spread, bounds)
    assert best is not None, "fewer columns than groups"
    return [(a + 1, b) for a, b in itertools.pairwise(best[1])]


def _xlsx_sheet(sheet: Any, table: SheetTable) -> _Written:
    from openpyxl.utils import get_column_letter

    done = _Written()
    widths = [_XLSX_WIDTH["level"]] * table.levels + [_XLSX_WIDTH[h] for h in table.headers[table.levels + 1 :]]
    widths.insert(table.levels, _XLSX_WIDTH["indicator"])
    width = len(widths)
    for c, w in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = w
    heights: dict[int, float] = {}

    def put(r: int, c1: int, c2: int, value: Any, role: str, rows: int = 1) -> Any:
        if role == "label" and _columns(str(value)) > sum(widths[c1 - 1 : c2]) * 0.85 - 1:
            value = _BRACKET_TAIL.sub(lambda m: "\n" + m.group(), str(value))  # "项目资金\n（万元）"
        cell = _xlsx_cell(sheet, r, c1, value, role)
        for c in range(c1, c2 + 1):
            for rr in range(r, r + rows):
                sheet.cell(rr, c).border = _style("border", "thin")
        if c2 > c1 or rows > 1:
            sheet.merge_cells(start_row=r, start_column=c1, end_row=r + rows - 1, end_column=c2)
        text = "" if value is None or str(value).startswith("=") else str(value)  # a formula shows a number
        lines = _lines(text, sum(widths[c1 - 1 : c2]), role in ("header", "footer"))
        heights[r] = max(heights.get(r, 1.0), lines * _LINE_HEIGHT / rows)
        return cell

    for r, (text, role) in enumerate(((table.title, "title"), (table.subtitle, "subtitle")), start=1):
        cell = sheet.cell(r, 1, text)
        cell.font = _style("font", role)
        cell.alignment = _style("alignment", "center")
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
    sheet.row_dimensions[1].height = 24
    r = _xlsx_info(table.header, put, _groups(widths, 5), done)
    header_row = r
    for c, text in enumerate(table.headers, start=1):
        put(header_row, c, c, text, "header")
    grid = layout(table)
    first_body = header_row + 1
    points_col = get_column_letter(table.points_column + 1)
    total_cell = ""
    for r, row in enumerate(grid, start=first_body):
        for c, cell in enumerate(row, start=1):
            if cell is None:
                continue
            value: Any = cell.number if cell.number is not None else cell.text
            role = cell.role
            if cell.role == "level" and _columns(cell.text) > sum(widths[c - 1 : c - 1 + cell.cols]) - 1:
                value = _WEIGHT_TAIL.sub(lambda m: "\n" + m.group(), cell.text)  # the weight on a line of its own
            if cell.sums is not None:
                span = f"{points_col}{first_body + cell.sums[0]}:{points_col}{first_body + cell.sums[1]}"
                value = _sum_formula(span, table.total_rounding if cell.sums == (0, len(table.rows) - 1) else None)
                if cell.role == "footer" and (table.adjustments or table.overridden):
                    value = _adjusted_formula(table, span, points_col, first_body)
                if cell.number is not None:
                    done.cached[f"{points_col}{r}"] = cell.number
                if cell.role == "footer":
                    total_cell = f"{points_col}{r}"
            elif cell.grade and total_cell and not table.overridden and table.grades:
                value = _grade_formula(total_cell, table.grades)
                if cell.text:
                    done.cached[f"{points_col}{r}"] = cell.text
            put(r, c, c + cell.cols - 1, value, role, cell.rows)
    last = first_body + len(grid) - 1
    sign = last + 2
    for (c1, c2), name in zip(_groups(widths, 3), SIGNATURES, strict=True):
        blank = "＿＿＿＿年＿＿月＿＿日" if name == "日期" else "＿" * 8
        cell = sheet.cell(sign, c1, f"{name}：{blank}")
        cell.font = _style("font", "body")
        cell.alignment = _style("alignment", "left")
        if c2 > c1:
            sheet.merge_cells(start_row=sign, start_column=c1, end_row=sign, end_column=c2)
    heights[sign] = 2 * _LINE_HEIGHT
    for row_number, height in heights.items():
        sheet.row_dimensions[row_number].height = max(_LINE_HEIGHT + 3, height + 3)
    _xlsx_page(sheet, table, header_row, sign, get_column_letter(width))
    done.last_row = sign
    return done


def _xlsx_info(header: SheetHeader, put: Callable[..., Any], groups: list[tuple[int, int]], done: _Written) -> int:
    """The header block from row 3 down; gives the row after it."""
    from openpyxl.utils import get_column_letter

    (g0, _), (g1, _), (g2, e2), (g3, e3), (g4, e4) = groups

    def pair(r: int, key: str, c1: int, c2: int, v1: int, v2: int) -> None:
        put(r, c1, c2, _BY_NAME[key].label, "label")
        put(r, v1, v2, header.text(key), "value")

    pair(3, "project_name", g0, groups[0][1], g1, e4)
    pair(4, "department", g0, groups[0][1], g1, e2)
    pair(4, "unit", g3, e3, g4, e4)
    titles, _ = budget_rows(header)
    put(5, g0, groups[0][1], titles[0], "label", rows=2)
    for (c1, c2), title in zip(groups[1:], titles[1:], strict=True):
        put(5, c1, c2, title, "label")
    for (c1, c2), key in zip(groups[1:4], ("budget_initial", "budget_full_year", "spent"), strict=True):
        amount = getattr(header, key)
        put(6, c1, c2, amount, "number").number_format = "General"
    full, spent = (f"{get_column_letter(g)}6" for g in (g2, g3))
    rate = put(6, g4, e4, f'=IF(OR({spent}="",{full}="",{full}=0),"",{spent}/{full})', "number")
    rate.number_format = "0.00%"
    if header.rate is not None:
        done.cached[f"{get_column_letter(g4)}6"] = _EXACT.divide(header.rate, Decimal(100))
    pair(7, "evaluation_date", g0, groups[0][1], g1, e4)
    return 8


def _sum_formula(span: str, rounding: tuple[str, int] | None) -> str:
    total = f"SUM({span})" if rounding is None else f"{rounding[0]}(SUM({span}),{rounding[1]})"
    return f'=IF(COUNT({span})=0,"",{total})'


def _adjusted_formula(table: SheetTable, span: str, points_col: str, first_body: int) -> Decimal | str | None:
    """总分 with 加分/扣分 rows: the body's sum plus the signed rows, limited to the final range; where a veto
    that fired zeroed the total or fixed the grade, the value as scored (the formula cannot see the facts)."""
    if table.overridden:
        return _decimal(table.footer[0].value)
    first = first_body + len(table.rows)
    lines = f"{points_col}{first}:{points_col}{first + len(table.adjustments) - 1}"
    total = f"SUM({span})+SUM({lines})"
    if table.total_rounding is not None:
        total = f"{table.total_rounding[0]}({total},{table.total_rounding[1]})"
    if table.final_range is not None:
        low, high = table.final_range
        total = f"MIN({fmt(high)},MAX({fmt(low)},{total}))"
    return f'=IF(COUNT({span})=0,"",{total})'


def _grade_formula(total: str, grades: Sequence[GradeInfo]) -> str:
    """`=IF(G30="","",IF(G30>=90,"优",IF(G30>=80,"良",…)))` from the ordered cutoffs."""
    text, closing = f'=IF({total}="",""', ")"
    for grade in grades:
        label = grade.label.replace('"', '""')
        if grade.minimum is None:
            return f'{text},"{label}"{closing}'
        text += f',IF({total}>={fmt(grade.minimum)},"{label}"'
        closing += ")"
    return f'{text},""{closing}'


def _xlsx_page(sheet: Any, table: SheetTable, header_row: int, last_row: int, last_col: str) -> None:
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_area = f"A1:{last_col}{last_row}"
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    margins = sheet.page_margins
    margins.left = margins.right = 0.45
    margins.top, margins.bottom, margins.footer = 0.55, 0.7, 0.3
    audit = table.audit.replace("&", "&&")
    sheet.oddFooter.left.text = audit
    sheet.oddFooter.left.size = 6
    sheet.oddFooter.left.font = _BODY_FONT
    sheet.oddFooter.right.text = "第 &P 页，共 &N 页"
    sheet.oddFooter.right.size = 8
    sheet.oddFooter.right.font = _BODY_FONT


def _xlsx_cell(sheet: Any, r: int, c: int, value: Any, role: str) -> Any:
    cell = sheet.cell(r, c, value if value != "" else None)
    left = role in ("criteria", "reason", "value", "subtotal", "veto")
    cell.alignment = _style("alignment", "left" if left else "center")
    bold = role in ("header", "footer", "grade", "label", "subtotal")
    cell.font = _style("font", "bold" if bold else "small" if role == "reason" else "body")
    if role in ("header", "label"):
        cell.fill = _style("fill", "header")
    return cell


def _columns(text: str) -> int:
    """How many character columns `text` takes: a CJK character about two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _lines(text: str, width: float, bold: bool = False) -> int:
    """Rows of wrapped text a cell needs (Excel does not grow rows for text it did not lay out itself)."""
    usable = max(1, int(width * (0.85 if bold else 0.95)) - 1)
    return sum(max(1, -(-_columns(part) // usable)) for part in text.split("\n"))


_CACHED_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"([^>]*)><f>(.*?)</f>(?:<v\s*/>|<v></v>)?</c>', re.DOTALL)


def _cache_values(data: bytes, cached: list[dict[str, Decimal | str]]) -> bytes:
    """The saved workbook with each formula's value written beside it (`<v>`), as Excel itself does, so
    that readers that do not calculate (viewers, `openpyxl` with `data_only`) see the values."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            if match and int(match[1]) <= len(cached) and cached[int(match[1]) - 1]:
                fill = functools.partial(_with_value, values=cached[int(match[1]) - 1])
                content = _CACHED_CELL.sub(fill, content.decode("utf-8")).encode("utf-8")
            target.writestr(info, content)
    return out.getvalue()


def _with_value(match: re.Match[str], values: Mapping[str, Decimal | str]) -> str:
    coordinate, attributes, formula = match.groups()
    value = values.get(coordinate)
    if value is None:
        return match.group()
    if isinstance(value, str):
        return f'<c r="{coordinate}"{attributes} t="str"><f>{formula}</f><v>{html.escape(value)}</v></c>'
    return f'<c r="{coordinate}"{attributes}><f>{formula}</f><v>{fmt(value)}</v></c>'


@functools.cache
def _style(kind: str, name: str) -> Any:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="000000")
    font = functools.partial(Font, name=_BODY_FONT, charset=134)
    styles: dict[tuple[str, str], Callable[[], Any]] = {
        ("font", "title"): lambda: font(bold=True, size=15),
        ("font", "subtitle"): lambda: font(size=11),
        ("font", "body"): lambda: font(size=_FONT_SIZE),
        ("font", "small"): lambda: font(size=_FONT_SIZE - 1),
        ("font", "bold"): lambda: font(bold=True, size=_FONT_SIZE),
        ("alignment", "center"): lambda: Alignment(horizontal="center", vertical="center", wrap_text=True),
        ("alignment", "left"): lambda: Alignment(horizontal="left", vertical="center", wrap_text=True),
        ("border", "thin"): lambda: Border(left=thin, right=thin, top=thin, bottom=thin),
        ("fill", "header"): lambda: PatternFill("solid", fgColor="EEEEEE"),
    }
    return styles[kind, name]()


# --- the command's entry point ---------------------------------------------------------------------------


def write_sheet(
    rubric: CompiledRubric,
    result: Result | None,
    sheet_format: Format,
    output: str | Path,
    header: SheetHeader | Mapping[str, Any] | None = None,
) -> None:
    """Write the score sheet of `rubric` (scored when `result` is given) as `sheet_format` to `output`.

    `output` "-" writes Markdown or HTML to stdout; XLSX needs a file.
    """
    table = sheet_table(rubric, result, header)
    if sheet_format == "xlsx":
        if str(output) == "-":
            raise ValueError("an XLSX sheet needs an output file (-o FILE), not stdout")
        render_xlsx(table, output)
        return
    text = render_text(table, sheet_format)
    if str(output) == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")


def render_text(table: SheetTable, sheet_format: Format) -> str:
    """Markdown or HTML."""
    return render_markdown(table) if sheet_format == "md" else render_html(table)
