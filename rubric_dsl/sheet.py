"""Render the official score sheet (评分表) of a rubric as Markdown, HTML or XLSX.

Takes a `CompiledRubric` and, optionally, the `Result` of scoring one set of facts; gives the
table the seeds lay out (项目支出部门评价表): one row per indicator with its sections in the
level columns (绩效指标 / 一级指标 / 二级指标, each as "决策（21分）" and merged over the rows it
spans), the 三级指标, 分值, 评分标准 (worded from the rule itself by `wording.py`), 得分 when
scored, then 总分 and 自评等次 with the grade scale. `sheet_table` builds a plain `SheetTable`;
the renderers only lay it out. Every sheet ends with the rubric id, version and content hash so
that a printed score can be traced back to the exact rubric that produced it.
"""

from __future__ import annotations

import functools
import html
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from rubric_dsl.diagnostics import fmt
from rubric_dsl.program import CompiledRubric, GradeInfo, SectionInfo
from rubric_dsl.results import Result
from rubric_dsl.wording import criteria_text

Format = Literal["md", "html", "xlsx"]
FORMATS: tuple[Format, ...] = ("md", "html", "xlsx")
WEIGHT, CRITERIA, POINTS = "分值", "评分标准", "得分"
_NUMERALS = "一二三四五六七八九十"

# --- the table --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SheetRow:
    levels: tuple[str, ...]  # one label per level column, e.g. "决策（21分）"; "" where the indicator sits higher
    indicator: str
    weight: Decimal
    criteria: str
    points: Decimal | None


@dataclass(frozen=True, slots=True)
class Merge:
    """A block of body cells shown as one: a section label over the rows (and empty levels) it spans."""

    row: int
    col: int
    rows: int
    cols: int


@dataclass(frozen=True, slots=True)
class FooterRow:
    label: str
    weight: Decimal | None  # 总分 shows the rubric's total under 分值; 自评等次 has none
    value: Decimal | str | None  # the total or the grade, when scored


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


def sheet_table(rubric: CompiledRubric, result: Result | None = None) -> SheetTable:
    """The score sheet of `rubric`, with 得分, 总分 and 等次 from `result` when given."""
    if result is not None and (result.rubric, result.content_hash) != (rubric.id, rubric.content_hash):
        raise ValueError(f"the result was scored under {result.rubric} {result.content_hash}, not {rubric!r}")
    scope = rubric.checked.scope
    paths = _paths(rubric)
    levels = max((len(p) for p in paths.values()), default=0)
    points = result.points if result is not None else {}
    rows = []
    for indicator, _ in scope.indicators:
        path = paths[indicator.id]
        labels = tuple(_section_label(path[k]) if k < len(path) else "" for k in range(levels))
        criteria = criteria_text(indicator.rule, indicator.weight, scope)
        rows.append(SheetRow(labels, indicator.label, indicator.weight, criteria, points.get(indicator.id)))
    grades = f"自评等次：{grade_scale(rubric.grades)}"
    footer = (
        FooterRow("总分", rubric.total, result.total if result else None),
        FooterRow(grades, None, result.grade if result else None),
    )
    headers = (*_level_headers(levels), WEIGHT, CRITERIA, *((POINTS,) if result else ()))
    year = rubric.metadata.get("year")
    return SheetTable(
        title=rubric.title,
        subtitle=f"评分表（{year}年度）" if year else "评分表",
        headers=headers,
        levels=levels,
        rows=tuple(rows),
        merges=tuple(_merges(rubric, [paths[i.id] for i, _ in scope.indicators], levels)),
        footer=footer,
        audit=_audit(rubric),
        scored=result is not None,
    )


def grade_scale(grades: list[GradeInfo]) -> str:
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


def _section_label(section: SectionInfo) -> str:
    return f"{section.label}（{fmt(section.weight)}分）"


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


def _merges(rubric: CompiledRubric, paths: list[tuple[SectionInfo, ...]], levels: int) -> list[Merge]:
    """Each section spans its rows; one that holds only indicators also spans the empty levels right of it."""
    merges = []
    for section in rubric.sections:
        rows = [r for r, path in enumerate(paths) if section.id in {s.id for s in path}]
        if not rows:
            continue
        direct = all(len(paths[r]) == section.depth + 1 for r in rows)
        cols = levels - section.depth if direct else 1
        if len(rows) > 1 or cols > 1:
            merges.append(Merge(rows[0], section.depth, len(rows), cols))
    return merges


def _audit(rubric: CompiledRubric) -> str:
    source = rubric.metadata.get("source")
    text = f"规则 {rubric.id}，版本 {rubric.version or '—'}，{rubric.content_hash}"
    return f"{text}；依据：{source}" if source else text


# --- layout shared by the renderers --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    role: Literal["level", "indicator", "number", "criteria", "footer", "grade"]
    number: Decimal | None = None  # set where the cell is a number (XLSX writes it as one)
    rows: int = 1
    cols: int = 1


def _number(value: Decimal | None) -> Cell:
    if value is None:
        return Cell("", "number")
    shown = fmt(value)
    return Cell(shown, "number", Decimal(shown))


def layout(table: SheetTable) -> list[list[Cell | None]]:
    """Body and footer rows as a grid; `None` where a cell is covered by a merged one."""
    grid: list[list[Cell | None]] = [_body_row(table, row) for row in table.rows]
    for merge in table.merges:
        origin = grid[merge.row][merge.col]
        for r in range(merge.row, merge.row + merge.rows):
            for c in range(merge.col, merge.col + merge.cols):
                grid[r][c] = None
        if origin is not None:
            grid[merge.row][merge.col] = replace(origin, rows=merge.rows, cols=merge.cols)
    grid.extend(_footer_row(table, footer) for footer in table.footer)
    return grid


def _body_row(table: SheetTable, row: SheetRow) -> list[Cell | None]:
    cells: list[Cell | None] = [Cell(label, "level") for label in row.levels]
    cells += [Cell(row.indicator, "indicator"), _number(row.weight), Cell(row.criteria, "criteria")]
    if table.scored:
        cells.append(_number(row.points))
    return cells


def _footer_row(table: SheetTable, footer: FooterRow) -> list[Cell | None]:
    width = len(table.headers)
    if footer.weight is not None:
        span = table.levels + 1
        cells: list[Cell | None] = [Cell(footer.label, "footer", cols=span), *[None] * (span - 1)]
        cells += [_number(footer.weight), Cell("", "criteria")]
    else:
        span = width - 1 if table.scored else width
        cells = [Cell(footer.label, "footer", cols=span), *[None] * (span - 1)]
    if table.scored:
        value = footer.value
        cells.append(Cell(value, "grade") if isinstance(value, str) else _number(value))
    return cells


# --- Markdown -----------------------------------------------------------------------------------------


def render_markdown(table: SheetTable) -> str:
    """A Markdown table; merged labels show once, on the first row they span."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    numeric = {WEIGHT, POINTS}
    rule = ["---:" if h in numeric else "---" for h in table.headers]
    out = [f"# {table.title}", "", table.subtitle, "", line(list(table.headers)), "|" + "|".join(rule) + "|"]
    out += [line([c.text if c else "" for c in row]) for row in layout(table)]
    out += ["", table.audit, ""]
    return "\n".join(out)


# --- HTML ---------------------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 15mm 12mm; }
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; font-size: 10.5pt; color: #000; margin: 0; }
h1 { font-size: 16pt; text-align: center; margin: 0 0 4pt; }
.subtitle { text-align: center; margin: 0 0 8pt; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { border: 0.75pt solid #000; padding: 3pt 4pt; vertical-align: middle; overflow-wrap: anywhere; }
th { background: #eee; text-align: center; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
td.level, td.indicator, td.number, td.grade { text-align: center; }
td.footer, td.grade, tr.footer td.number { font-weight: bold; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
.audit { margin-top: 6pt; font-size: 8pt; color: #333; }
"""


def _widths(table: SheetTable) -> list[float]:
    share = {"level": 10.0, WEIGHT: 6.0, POINTS: 6.0, "indicator": 14.0}
    widths = [share["level"]] * table.levels + [share["indicator"], share[WEIGHT], 0.0]
    if table.scored:
        widths.append(share[POINTS])
    widths[table.levels + 2] = max(30.0, 100.0 - sum(widths))
    total = sum(widths)
    return [round(100 * w / total, 1) for w in widths]


def _td(cell: Cell) -> str:
    spans = (f' rowspan="{cell.rows}"' if cell.rows > 1 else "") + (f' colspan="{cell.cols}"' if cell.cols > 1 else "")
    return f'<td class="{cell.role}"{spans}>{html.escape(cell.text)}</td>'


def render_html(table: SheetTable) -> str:
    """A self-contained HTML page (no scripts, fonts or links) that prints on A4."""
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
            f"<table>\n<colgroup>{cols}</colgroup>\n<thead><tr>{head}</tr></thead>\n<tbody>",
            *body,
            "</tbody>\n</table>",
            f'<p class="audit">{esc(table.audit)}</p>',
            "</body>",
            "</html>",
            "",
        ]
    )


# --- XLSX -----------------------------------------------------------------------------------------------

_TITLE_ROWS = 2  # title, subtitle; the header row follows
_XLSX_WIDTH = {"level": 14.0, "indicator": 20.0, "number": 8.0, "criteria": 48.0}


def render_xlsx(table: SheetTable, path: str | Path) -> None:
    """An Excel workbook: merged cells for the hierarchy, wrapped text, borders, A4 page setup."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "评分表"
    book.properties.title = table.title
    width = len(table.headers)
    _xlsx_banner(sheet, table, width)
    header_row = _TITLE_ROWS + 1
    for c, text in enumerate(table.headers, start=1):
        _xlsx_cell(sheet, header_row, c, text, "header")
    grid = layout(table)
    for r, row in enumerate(grid, start=header_row + 1):
        _xlsx_row(sheet, r, row)
    audit_row = header_row + len(grid) + 1
    sheet.cell(audit_row, 1, table.audit).font = _style("font", "audit")
    sheet.merge_cells(start_row=audit_row, start_column=1, end_row=audit_row, end_column=width)
    _xlsx_layout(sheet, table, grid, header_row)
    book.save(path)


def _xlsx_banner(sheet: Any, table: SheetTable, width: int) -> None:
    for r, (text, role) in enumerate(((table.title, "title"), (table.subtitle, "subtitle")), start=1):
        cell = sheet.cell(r, 1, text)
        cell.font = _style("font", role)
        cell.alignment = _style("alignment", "center")
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)


def _xlsx_row(sheet: Any, r: int, row: list[Cell | None]) -> None:
    for c, cell in enumerate(row, start=1):
        if cell is None:
            sheet.cell(r, c).border = _style("border", "thin")
            continue
        value: Any = cell.number if cell.number is not None else cell.text
        _xlsx_cell(sheet, r, c, value, cell.role)
        if cell.rows > 1 or cell.cols > 1:
            sheet.merge_cells(start_row=r, start_column=c, end_row=r + cell.rows - 1, end_column=c + cell.cols - 1)


def _xlsx_cell(sheet: Any, r: int, c: int, value: Any, role: str) -> None:
    cell = sheet.cell(r, c, value if value != "" else None)
    cell.border = _style("border", "thin")
    cell.alignment = _style("alignment", "left" if role == "criteria" else "center")
    if role in ("header", "footer", "grade"):
        cell.font = _style("font", "bold")
    if role == "header":
        cell.fill = _style("fill", "header")


def _xlsx_layout(sheet: Any, table: SheetTable, grid: list[list[Cell | None]], header_row: int) -> None:
    from openpyxl.utils import get_column_letter

    roles = ["level"] * table.levels + ["indicator", "number", "criteria"] + (["number"] if table.scored else [])
    widths = [_XLSX_WIDTH[role] for role in roles]
    for c, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    for r, row in enumerate(grid, start=header_row + 1):
        # Excel does not grow rows for wrapped text it did not lay out itself, so estimate the height.
        lines = [_lines(cell.text, sum(widths[c : c + cell.cols])) for c, cell in enumerate(row) if cell]
        sheet.row_dimensions[r].height = max(1, *lines) * 15
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _lines(text: str, width: float) -> int:
    """Rows of wrapped text a cell needs; a CJK character is about two columns wide."""
    columns = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return -(-columns // max(1, int(width) - 1))


@functools.cache
def _style(kind: str, name: str) -> Any:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="000000")
    styles: dict[tuple[str, str], Callable[[], Any]] = {
        ("font", "title"): lambda: Font(bold=True, size=14),
        ("font", "subtitle"): lambda: Font(size=11),
        ("font", "bold"): lambda: Font(bold=True),
        ("font", "audit"): lambda: Font(size=8, italic=True, color="555555"),
        ("alignment", "center"): lambda: Alignment(horizontal="center", vertical="center", wrap_text=True),
        ("alignment", "left"): lambda: Alignment(horizontal="left", vertical="center", wrap_text=True),
        ("border", "thin"): lambda: Border(left=thin, right=thin, top=thin, bottom=thin),
        ("fill", "header"): lambda: PatternFill("solid", fgColor="EEEEEE"),
    }
    return styles[kind, name]()


# --- the command's entry point ---------------------------------------------------------------------------


def write_sheet(rubric: CompiledRubric, result: Result | None, sheet_format: Format, output: str | Path) -> None:
    """Write the score sheet of `rubric` (scored when `result` is given) as `sheet_format` to `output`.

    `output` "-" writes Markdown or HTML to stdout; XLSX needs a file.
    """
    table = sheet_table(rubric, result)
    if sheet_format == "xlsx":
        if str(output) == "-":
            raise ValueError("an XLSX sheet needs an output file (-o FILE), not stdout")
        render_xlsx(table, output)
        return
    text = render_markdown(table) if sheet_format == "md" else render_html(table)
    if str(output) == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
