"""Records as a table: CSV, JSONL or XLSX read into rows of cells, one record per row.

Values reach the front door as the table holds them: CSV and JSONL strings as strings (it reads
percent points, "true"/"false"), JSON numbers as `Decimal`, XLSX floats through their shortest
repr (never `Decimal(float)`). An empty cell is an absent fact, so defaults apply.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from rubric_dsl.errors import RubricDslError


class CompareError(RubricDslError):
    """A problem with the comparison asked for (data file, columns, rubric names); exit 2. Raised with
    its English message and the same in Chinese: `CompareError(message, message_zh)`."""


def where_zh(where: str) -> str:
    """Where a record is as a Chinese reader says it: "row 2", "line 2" (`Table.where`) 第2行, "record 2"
    (a streamed record) 第2条记录, "partition 3 record 2" (Spark) 第3分区第2条记录."""
    words = where.split(" ")
    if len(words) == 4 and words[0] == "partition" and words[2] == "record" and words[1].isdigit():
        return f"第{words[1]}分区{where_zh(' '.join(words[2:]))}"
    if len(words) != 2 or not words[1].isdigit():
        return where
    return {"row": f"第{words[1]}行", "line": f"第{words[1]}行", "record": f"第{words[1]}条记录"}.get(words[0], where)


# the Chinese of messages raised in more than one place
SEVERAL_RUBRICS_ZH = "由多个评分规则组成的方案需要 --rubric-column 列名，指明每条记录由哪个评分规则评分"
WORKERS_FAILED_ZH = "工作进程意外终止（例如内存不足），比较未能完成"


@dataclass(frozen=True, slots=True)
class Table:
    """Records as read: `rows[i][j]` is column j of record i, None where the cell is empty."""

    path: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    where: list[str]  # "row 2" (CSV, XLSX; the header is row 1) or "line 1" (JSONL), per record


def read_table(path: str | Path) -> Table:
    file = Path(path)
    readers: dict[str, Callable[[Path], Table]] = {
        ".csv": _read_csv,
        ".jsonl": _read_jsonl,
        ".ndjson": _read_jsonl,
        ".xlsx": _read_xlsx,
    }
    reader = readers.get(file.suffix.lower())
    if reader is None:
        raise CompareError(
            f"data {file}: expected a .csv, .jsonl or .xlsx file", f"数据 {file}：应为 .csv、.jsonl 或 .xlsx 文件"
        )
    if not file.is_file():
        raise CompareError(f"data {file}: no such file", f"数据 {file}：没有这个文件")
    return reader(file)


def _text_cell(value: str) -> str | None:
    value = value.strip()
    return value or None


def _header(path: Path, cells: Iterable[Any]) -> tuple[str, ...]:
    names = tuple(str(c).strip() if c is not None else "" for c in cells)
    while names and not names[-1]:
        names = names[:-1]
    seen: set[str] = set()
    for number, name in enumerate(names, 1):
        if not name:
            raise CompareError(
                f"data {path}: column {number} has no name in the header row", f"数据 {path}：表头第{number}列没有列名"
            )
        if name in seen:
            raise CompareError(
                f"data {path}: column `{name}` appears twice in the header row",
                f"数据 {path}：表头中列 `{name}` 出现了两次",
            )
        seen.add(name)
    if not names:
        raise CompareError(f"data {path}: the first row must name the columns", f"数据 {path}：第一行应为各列的列名")
    return names


def _fit(path: Path, number: int, cells: list[Any], width: int) -> tuple[Any, ...]:
    if any(c is not None for c in cells[width:]):
        raise CompareError(
            f"data {path}: row {number} has more cells than the header names columns",
            f"数据 {path}：第{number}行的单元格比表头的列多",
        )
    return tuple(cells[:width]) + (None,) * (width - len(cells))


def _read_csv(path: Path) -> Table:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:  # Excel in a Chinese locale saves CSV as GBK
        text = path.read_text(encoding="gb18030")
    return _grid(path, list(csv.reader(text.splitlines())), _text_cell)


def _grid(path: Path, lines: Sequence[Sequence[Any]], cell: Callable[[Any], Any]) -> Table:
    """A table from rows of cells (CSV, XLSX): the first names the columns, empty rows are skipped."""
    columns = _header(path, lines[0] if lines else [])
    rows, where = [], []
    for number, line in enumerate(lines[1:], 2):
        cells = [cell(c) for c in line]
        if any(c is not None for c in cells):
            rows.append(_fit(path, number, cells, len(columns)))
            where.append(f"row {number}")
    return Table(str(path), columns, rows, where)


def jsonl_object(path: Path, number: int, line: str) -> dict[str, Any] | None:
    """Line `number` of a JSONL file: its object of column name to value (numbers as Decimal), None
    when blank; anything else is refused, naming the line."""
    if not line.strip():
        return None
    try:
        value = json.loads(line, parse_float=Decimal, parse_constant=Decimal)
    except json.JSONDecodeError as error:
        raise CompareError(
            f"data {path}:{number}:{error.colno}: not valid JSON: {error.msg}",
            f"数据 {path}:{number}:{error.colno}：不是有效的 JSON",
        ) from None
    if not isinstance(value, dict):
        raise CompareError(
            f"data {path}:{number}: expected a JSON object of column name to value",
            f"数据 {path}:{number}：应为 JSON 对象，键为列名，值为该列的值",
        )
    return value


def _read_jsonl(path: Path) -> Table:
    objects: list[tuple[str, dict[str, Any]]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        value = jsonl_object(path, number, line)
        if value is not None:
            objects.append((f"line {number}", value))
    columns = tuple(dict.fromkeys(k for _, value in objects for k in value))
    if not columns:
        raise CompareError(f"data {path}: no records", f"数据 {path}：没有记录")
    rows = [tuple(_json_cell(value.get(c)) for c in columns) for _, value in objects]
    return Table(str(path), columns, rows, [w for w, _ in objects])


def _json_cell(value: Any) -> Any:
    if isinstance(value, str):
        return _text_cell(value)
    return value


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        lines = list(book.active.iter_rows(values_only=True))
    finally:
        book.close()
    return _grid(path, lines, _xlsx_cell)


def _xlsx_cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))  # the number as shown, never the binary value
    if isinstance(value, str):
        return _text_cell(value)
    return str(value)  # dates and times: as text; a fact that needs a number says so
