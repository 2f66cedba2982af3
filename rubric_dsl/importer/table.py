"""Read a 评分表 as policy staff keep it (an Excel workbook or a Word document) into plain rows.

Takes the path of an `.xlsx` or `.docx` file; gives a `SheetRows`: the title lines above the table,
the indicator rows (the section labels of each level column, with merged cells repeated over the rows
and columns they span, the 三级指标, 分值 and 评分标准 as text), the 加分/扣分 rows apart from them (a
row led by "加分项：…"/"扣分项：…", as `rubric sheet` prints them, or one in a 加分项/扣分项 section or
labelled 加分/扣分), the 一票否决 and 等次限制 rows (led by "一票否决：…", in a 一票否决 section, or a row
without 分值 whose 评分标准 says 一票否决), the 自评等次 line, and, for a sheet `rubric sheet` wrote, its
hidden rule record. The header row is found by its titles (一级指标/二级指标/
三级指标, 分值 or 参考分值, 评分标准 or 指标评分说明 …), wherever it is; rows end at 总分 or 合计.
Text is tidied as a person reads it: runs of spaces and line breaks inside a cell are dropped between
Chinese characters (Word and PDF conversions break "产 出 数 量" apart), kept as one space elsewhere.
Bounded before any work: the file's size (`MAX_BYTES`) and the rows and columns read.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rubric_dsl.diagnostics import os_reason_zh
from rubric_dsl.errors import RubricDslError

MAX_BYTES = 20 * 1024 * 1024  # a 评分表 is a few hundred KB; more is not one
MAX_INFLATED = 100 * 1024 * 1024  # what its parts may unpack to (a zip bomb is refused before it is read)
MAX_ROWS = 2000
MAX_COLUMNS = 40
RECORD_SHEET = "规则记录"  # as `rubric_dsl.sheet` writes it

_LEVEL = re.compile(r"^(绩效|绩效指标|[一二三四五]级指标|指标层级)$")
_WEIGHT = re.compile(r"^(分值|参考分值|标准分值|指标分值|权重|权重分|权重（分）|分值（分）|满分)$")
_CRITERIA = re.compile(r"评分(标准|说明|办法|细则|规则|方法)|计分(标准|方法|办法)|打分标准")
_END = re.compile(r"^(总分|合计|总计|得分合计)")
_GRADE = re.compile(r"^(自评)?等次|^评价等次|^自评等级")
_LINE_LEAD = re.compile(r"^(加|扣)分(项|指标|事项)?[：:]\s*(.+)$", re.DOTALL)
_LINE_CELL = re.compile(r"^(加|扣)分(项|指标|事项|项目)?([（(].*[)）])?$")
_VETO_LEAD = re.compile(r"^(一票否决(项|事项|指标)?|否决(项|事项)|等次限制)[：:]\s*(.+)$", re.DOTALL)
_VETO_CELL = re.compile(r"^(一票否决|否决)(项|事项|指标)?([（(].*[)）])?$")
_FIRED = re.compile(r"[（(](已触发|未触发).*$", re.DOTALL)  # what a scored sheet adds after a veto's label


class ImportProblem(RubricDslError):
    """A file that cannot be read as a 评分表; the message says why, in Chinese first: `ImportProblem(zh, en)`
    reads "zh / en", and in Chinese (`text("zh")`) the Chinese alone."""

    def __init__(self, message_zh: str, english: str = "") -> None:
        super().__init__(f"{message_zh} / {english}" if english else message_zh, message_zh)


@dataclass(frozen=True, slots=True)
class SheetRow:
    number: int  # the row in the file (1-based) or in the Word table, for the report
    levels: tuple[str, ...]  # the level columns' text, left to right ("" where empty)
    indicator: str
    weight: str
    criteria: str


@dataclass(frozen=True, slots=True)
class LineRow:
    """A 加分 (bonus) or 扣分 (penalty) row: outside the weighted tree; its 分值 is its cap, if any."""

    number: int
    kind: Literal["bonus", "penalty"]
    label: str
    cap: str
    criteria: str


@dataclass(frozen=True, slots=True)
class VetoRow:
    """A 一票否决 (veto) or 等次限制 (grade cap) row: its text, without the lead and a scored sheet's
    （已触发…）/（未触发）."""

    number: int
    kind: Literal["veto", "cap"]
    text: str


@dataclass(slots=True)
class SheetRows:
    path: str
    titles: list[str] = field(default_factory=list)  # non-empty lines above the header row
    level_headers: tuple[str, ...] = ()
    rows: list[SheetRow] = field(default_factory=list)
    lines: list[LineRow] = field(default_factory=list)
    vetoes: list[VetoRow] = field(default_factory=list)
    grade_line: str = ""
    total: str = ""  # the 分值 of the 总分 row
    record: list[tuple[str, ...]] = field(default_factory=list)  # the hidden rule record's rows, if any
    properties: dict[str, str] = field(default_factory=dict)  # the workbook's custom properties


def tidy(value: Any) -> str:
    """A cell as text: numbers without a trailing `.0`; line breaks and spaces dropped between CJK
    characters (and before full-width brackets), else one space."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\u3000", " ").replace("\xa0", " ").strip()
    text = re.sub(r"\s+", " ", text)
    return re.sub(
        r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])|(?<=[^\x00-\x7f]) (?=[(（\d])|(?<=[\d)）]) (?=[^\x00-\x7f])", "", text
    )


def read_sheet(path: str | Path) -> SheetRows:
    """The 评分表 in `path` (.xlsx or .docx); `ImportProblem` when it is neither or holds no table."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".docx"):
        raise ImportProblem(
            f"{path}：只能导入 .xlsx 或 .docx 文件（.xls、.doc 请先另存为新格式）",
            "only .xlsx and .docx files can be imported (save .xls or .doc in the newer format first)",
        )
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ImportProblem(f"{path}：无法读取（{os_reason_zh(error)}）", "cannot be read") from None
    if size > MAX_BYTES:
        raise ImportProblem(f"{path}：文件过大（{size} 字节，上限 {MAX_BYTES}）", "too large to be a score sheet")
    if not zipfile.is_zipfile(path):
        raise ImportProblem(f"{path}：不是有效的 {suffix} 文件", f"not a valid {suffix} file")
    with zipfile.ZipFile(path) as archive:
        inflated = sum(info.file_size for info in archive.infolist())
    if inflated > MAX_INFLATED:
        raise ImportProblem(f"{path}：解压后过大（{inflated} 字节）", f"unpacks to too much ({inflated} bytes)")
    grids = _xlsx_grids(path) if suffix != ".docx" else _docx_grids(path)
    for grid in grids:
        found = _rows(str(path), grid.cells)
        if found is not None:
            found.record, found.properties = grid.record, grid.properties
            return found
    raise ImportProblem(
        f"{path}：找不到评分表的表头（应有“一级指标”“二级指标”“三级指标”“分值”“评分标准”等列）",
        "no score sheet header found (columns such as 一级指标, 三级指标, 分值, 评分标准)",
    )


@dataclass(slots=True)
class _Grid:
    cells: list[list[str]]
    record: list[tuple[str, ...]] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)


def _xlsx_grids(path: Path) -> list[_Grid]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ImportProblem(
            f"{path}：无法作为 Excel 工作簿打开（{type(error).__name__}）", "not a readable workbook"
        ) from None
    record: list[tuple[str, ...]] = []
    if RECORD_SHEET in book.sheetnames:
        sheet = book[RECORD_SHEET]
        for values in sheet.iter_rows(max_row=MAX_ROWS * 4, max_col=3, values_only=True):
            record.append(tuple("" if v is None else str(v) for v in values))
    properties = {}
    for prop in getattr(book, "custom_doc_props", []) or []:
        properties[str(prop.name)] = str(prop.value)
    grids = []
    for sheet in book.worksheets:
        if sheet.title == RECORD_SHEET or sheet.sheet_state != "visible":
            continue
        rows = min(sheet.max_row, MAX_ROWS)
        cols = min(sheet.max_column, MAX_COLUMNS)
        cells = [["" for _ in range(cols)] for _ in range(rows)]
        for r, values in enumerate(sheet.iter_rows(max_row=rows, max_col=cols, values_only=True)):
            for c, value in enumerate(values):
                cells[r][c] = tidy(value)
        for merged in sheet.merged_cells.ranges:  # the label of a merged block, on every cell it covers
            value = (
                cells[merged.min_row - 1][merged.min_col - 1]
                if merged.min_row <= rows and merged.min_col <= cols
                else ""
            )
            for r in range(merged.min_row - 1, min(merged.max_row, rows)):
                for c in range(merged.min_col - 1, min(merged.max_col, cols)):
                    cells[r][c] = value
        grids.append(_Grid(cells, record, properties))
    return grids


def _docx_grids(path: Path) -> list[_Grid]:
    try:
        import docx
    except ImportError:
        raise ImportProblem(
            "导入 Word 文件需要 python-docx：pip install 'rubric-engine[docx]'",
            "importing a Word file needs python-docx: pip install 'rubric-engine[docx]'",
        ) from None
    try:
        document = docx.Document(str(path))
    except Exception as error:  # python-docx raises many kinds for a damaged file
        raise ImportProblem(
            f"{path}：无法作为 Word 文档打开（{type(error).__name__}）", "not a readable document"
        ) from None
    grids = []
    titles = [tidy(p.text) for p in document.paragraphs if tidy(p.text)][:5]
    for table in document.tables:
        cells = [[t] for t in titles]  # the paragraphs above, as one line each
        for row in table.rows[:MAX_ROWS]:
            # python-docx repeats a merged cell's text over the grid columns and rows it spans
            cells.append([tidy(cell.text) for cell in row.cells[:MAX_COLUMNS]])
        grids.append(_Grid(cells))
    return grids


def _rows(path: str, cells: list[list[str]]) -> SheetRows | None:
    for h, header in enumerate(cells):
        compact = [re.sub(r"\s", "", c) for c in header]
        levels = [c for c, text in enumerate(compact) if _LEVEL.match(text)]
        weight = next((c for c, text in enumerate(compact) if _WEIGHT.match(text)), None)
        criteria = next((c for c, text in enumerate(compact) if _CRITERIA.search(text)), None)
        if not levels or weight is None or criteria is None:  # one level column: indicators with no sections
            continue
        levels = _contiguous(levels, compact)
        found = SheetRows(path, titles=_titles(cells[:h]), level_headers=tuple(compact[c] for c in levels))
        for r in range(h + 1, len(cells)):
            row = cells[r] + [""] * (max(levels[-1], weight, criteria) + 1 - len(cells[r]))
            first = next((text for text in row if text), "")
            if _special(found, r + 1, row, first, levels, weight, criteria):
                continue
            if _GRADE.match(re.sub(r"\s", "", first)):
                found.grade_line = first
                continue
            if _END.match(re.sub(r"\s", "", first)):
                found.total = row[weight] if row[weight] != first else ""
                continue
            if found.total or found.grade_line or first.startswith(("小计", "　小计")):
                continue
            indicator = row[levels[-1]]
            if not indicator or (indicator in {row[c] for c in levels[:-1]} and not row[weight]):
                continue
            found.rows.append(
                SheetRow(r + 1, tuple(row[c] for c in levels[:-1]), indicator, row[weight], row[criteria])
            )
        return found
    return None


def _special(
    found: SheetRows, number: int, row: list[str], first: str, levels: list[int], weight: int, criteria: int
) -> bool:
    """Whether the row is a 加分/扣分 or 一票否决 row (then added to `found`)."""
    lead = _LINE_LEAD.match(first)
    if lead:
        text = row[criteria] if row[criteria] != first else lead.group(3)
        cap = row[weight] if row[weight] != first else ""
        found.lines.append(LineRow(number, "bonus" if lead.group(1) == "加" else "penalty", lead.group(3), cap, text))
        return True
    veto = _VETO_LEAD.match(first)
    if veto:
        text = _FIRED.sub("", veto.group(4)).strip()
        found.vetoes.append(VetoRow(number, "cap" if veto.group(1) == "等次限制" else "veto", text))
        return True
    if found.total or found.grade_line:
        return False
    cells = [re.sub(r"\s", "", row[c]) for c in levels]
    indicator, said = row[levels[-1]], row[criteria]
    marked = next((m for m in map(_LINE_CELL.match, cells) if m), None)
    if marked:
        label = indicator if not _LINE_CELL.match(cells[-1]) else (said or indicator)
        kind: Literal["bonus", "penalty"] = "bonus" if marked.group(1) == "加" else "penalty"
        found.lines.append(LineRow(number, kind, label, row[weight], said or indicator))
        return True
    weightless = not row[weight] or re.fullmatch(r"0+(\.0+)?分?", row[weight]) is not None
    if any(_VETO_CELL.match(c) for c in cells) or (weightless and "一票否决" in said):
        found.vetoes.append(VetoRow(number, "veto", said or indicator))
        return True
    return False


def _contiguous(levels: list[int], header: list[str]) -> list[int]:
    """The level columns: the run that ends at the indicator column (三级指标, or the last level)."""
    run = [levels[-1]]
    for c in reversed(levels[:-1]):
        if c == run[0] - 1:
            run.insert(0, c)
    return run


def _titles(rows: list[list[str]]) -> list[str]:
    seen: list[str] = []
    for row in rows:
        for text in row:
            if text and text not in seen:
                seen.append(text)
                break
    return seen
