"""Streaming on one machine: a data file read in batches, scored by the columnar core, written as it goes.

Takes a data file (CSV, JSONL, XLSX or Parquet), a `columnar.BatchPlan` and where per-record results
go (`--records-out`: Parquet, CSV or JSONL by its suffix; or nowhere). Reads BATCH records at a time
(CSV and JSONL cells as text, so "98.02" and "true" keep their meaning; XLSX numbers through their
shortest repr; Parquet columns as typed), scores each batch in this process or in worker processes
(each compiles the rubrics once, from their sources, and checks their hashes), writes each batch's
results in input order and merges its `Tallies`. At most 2 × workers batches are in flight, so peak
memory depends on the batch size and the rubrics, never on the number of records. Gives the merged
tallies: summaries exact as the in-memory path's (medians from counts, weighted means in Decimal).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, TextIO

import pyarrow as pa

from rubric_dsl.compare.columnar import NOTABLE, BatchPlan, BatchScorer, Tallies
from rubric_dsl.compare.engine import Comparison
from rubric_dsl.compare.pool import Progress, start_method
from rubric_dsl.compare.records import WORKERS_FAILED_ZH, CompareError, _xlsx_cell, jsonl_object
from rubric_dsl.compare.rules import FactRule, unknown_column_warning
from rubric_dsl.compare.schemes import Rubrics, Scheme
from rubric_dsl.diagnostics import did_you_mean, did_you_mean_zh

BATCH = 2_000  # records per batch: a batch of 10,000 made the peak 100 MiB higher and no faster (bench/stream_bench.py)
ROW_GROUP = 20_000  # result rows per Parquet row group (records × schemes): about 15 MB held before writing
SUFFIXES = (".csv", ".jsonl", ".ndjson", ".xlsx", ".parquet")
OUT_SUFFIXES = (".parquet", ".csv", ".jsonl")


# --- reading ------------------------------------------------------------------------------------------------


def read_batches(path: str | Path, batch_size: int = BATCH) -> Iterator[pa.RecordBatch]:
    """The file's records, `batch_size` at a time (Parquet: as its row groups allow)."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in SUFFIXES:
        raise CompareError(
            f"data {file}: expected a .csv, .jsonl, .xlsx or .parquet file",
            f"数据 {file}：应为 .csv、.jsonl、.xlsx 或 .parquet 文件",
        )
    if not file.is_file():
        raise CompareError(f"data {file}: no such file", f"数据 {file}：没有这个文件")
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            # pre_buffer (the default) reads ahead every row group's columns: the whole file in memory
            yield from pq.ParquetFile(file, pre_buffer=False).iter_batches(batch_size=batch_size)
        except pa.ArrowException as error:
            raise CompareError(
                f"data {file}: not a readable Parquet file: {error}", f"数据 {file}：不是可读取的 Parquet 文件"
            ) from None
    elif suffix == ".csv":
        yield from _csv_batches(file, batch_size)
    elif suffix == ".xlsx":
        yield from _xlsx_batches(file, batch_size)
    else:
        yield from _jsonl_batches(file, batch_size)


def text_encoding(file: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030 (Excel in a Chinese locale saves CSV so)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with file.open("rb") as raw:
        try:
            while block := raw.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


def _text_batches(rows: Iterator[list[Any]], columns: list[str], batch_size: int) -> Iterator[pa.RecordBatch]:
    """String columns from rows of cells; empty rows are skipped, a short row's missing cells are null."""
    width = len(columns)
    pending: list[list[Any]] = []
    for row in rows:
        if len(row) > width and any(c not in (None, "") for c in row[width:]):
            raise CompareError(
                f"a row has more cells than the header names columns: {row[:3]}…",
                f"有一行的单元格比表头的列多：{row[:3]}…",
            )
        if not any(c not in (None, "") for c in row):
            continue
        pending.append(row[:width] + [None] * (width - len(row)))
        if len(pending) >= batch_size:
            yield _string_batch(pending, columns)
            pending = []
    if pending:
        yield _string_batch(pending, columns)


def _string_batch(rows: list[list[Any]], columns: list[str]) -> pa.RecordBatch:
    arrays = [pa.array([row[i] for row in rows], pa.string()) for i in range(len(columns))]
    return pa.RecordBatch.from_arrays(arrays, names=columns)


def _header(file: Path, cells: list[Any]) -> list[str]:
    names = [str(c).strip() if c is not None else "" for c in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise CompareError(f"data {file}: the first row names no columns", f"数据 {file}：第一行没有列名")
    for i, name in enumerate(names):
        if not name:
            raise CompareError(f"data {file}: column {i + 1} has no name", f"数据 {file}：第{i + 1}列没有列名")
        if name in names[:i]:
            raise CompareError(
                f"data {file}: column `{name}` appears twice", f"数据 {file}：表头中列 `{name}` 出现了两次"
            )
    return names


def _csv_batches(file: Path, batch_size: int) -> Iterator[pa.RecordBatch]:
    with file.open(encoding=text_encoding(file), newline="") as text:
        reader = csv.reader(text)
        try:
            columns = _header(file, next(reader, []))
            yield from _text_batches(reader, columns, batch_size)
        except csv.Error as error:  # a cell over the csv module's field size limit, a NUL byte
            raise CompareError(
                f"data {file}:{reader.line_num}: not readable as CSV: {error}",
                f"数据 {file}:{reader.line_num}：无法按 CSV 读取{_csv_why_zh(error)}",
            ) from None


def _csv_why_zh(error: csv.Error) -> str:
    """Why the csv module refused a line, in Chinese, where it is one of the reasons a person meets."""
    text = str(error)
    if "field larger than field limit" in text:
        return "：有单元格超过长度上限"
    if "NUL" in text:
        return "：含有 NUL 字符"
    return ""


def _xlsx_batches(file: Path, batch_size: int) -> Iterator[pa.RecordBatch]:
    from openpyxl import load_workbook

    book = load_workbook(file, read_only=True, data_only=True)
    try:
        rows = book.active.iter_rows(values_only=True)
        columns = _header(file, list(next(rows, ())))
        yield from _text_batches((list(map(_xlsx_text, row)) for row in rows), columns, batch_size)
    finally:
        book.close()


def _xlsx_text(value: Any) -> str | None:
    cell = _xlsx_cell(value)
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return str(cell)


def _jsonl_batches(file: Path, batch_size: int) -> Iterator[pa.RecordBatch]:
    pending: list[dict[str, Any]] = []
    with file.open(encoding="utf-8-sig") as text:
        for number, line in enumerate(text, 1):
            value = jsonl_object(file, number, line)
            if value is None:
                continue
            pending.append({k: _json_text(file, number, k, v) for k, v in value.items()})
            if len(pending) >= batch_size:
                yield _dict_batch(pending)
                pending = []
    if pending:
        yield _dict_batch(pending)


def _json_text(file: Path, number: int, key: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    kind = type(value).__name__
    raise CompareError(
        f"data {file}:{number}: `{key}` is a JSON {kind}, expected text or a number",
        f"数据 {file}:{number}：`{key}` 是 JSON {JSON_KINDS_ZH.get(kind, '值')}，应为文字或数字",
    )


JSON_KINDS_ZH = {"list": "数组", "dict": "对象", "bool": "布尔值", "NoneType": "空值"}


def _dict_batch(rows: list[dict[str, Any]]) -> pa.RecordBatch:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    return pa.RecordBatch.from_arrays([pa.array([r.get(c) for r in rows], pa.string()) for c in columns], names=columns)


# --- writing ------------------------------------------------------------------------------------------------


class Writer(Protocol):
    def write(self, batch: pa.RecordBatch) -> None: ...

    def close(self) -> None: ...


def open_writer(path: str | Path, schema: pa.Schema) -> Writer:
    """Per-record results to `path`, in the format its suffix names."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".parquet":
        return _ParquetWriter(file, schema)
    if suffix in (".csv", ".jsonl"):
        return _TextWriter(file, schema, suffix)
    raise CompareError(
        f"--records-out {file}: expected a .parquet, .csv or .jsonl file",
        f"--records-out {file}：应为 .parquet、.csv 或 .jsonl 文件",
    )


class _ParquetWriter:
    """Results gathered into row groups of about ROW_GROUP rows: a Parquet file keeps each row group's
    metadata in memory until it is closed (about 11 KB each), so one row group per batch of 2,000
    records made memory grow with the records (55 MB at 10⁷ records); in 20,000 rows, 16 MB. Larger row
    groups cost more to hold than they save (measured at 10⁶ records: peak RSS 244 MiB with a row group
    per batch, 266 with 20,000 rows, 299 with 60,000)."""

    def __init__(self, file: Path, schema: pa.Schema) -> None:
        import pyarrow.parquet as pq

        self.writer = pq.ParquetWriter(file, schema)
        self.pending: list[pa.RecordBatch] = []
        self.rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        self.pending.append(batch)
        self.rows += batch.num_rows
        if self.rows >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.writer.write_table(pa.Table.from_batches(self.pending), row_group_size=self.rows)
            self.pending, self.rows = [], 0

    def close(self) -> None:
        self._flush()
        self.writer.close()


class _TextWriter:
    """CSV (the points as one JSON cell) or JSONL (one object per row); decimals as written, exact."""

    def __init__(self, file: Path, schema: pa.Schema, suffix: str) -> None:
        self.names = schema.names
        self.stream: TextIO = file.open("w", encoding="utf-8", newline="")
        self.csv = csv.writer(self.stream) if suffix == ".csv" else None
        if self.csv is not None:
            self.csv.writerow(self.names)

    def write(self, batch: pa.RecordBatch) -> None:
        buffer = io.StringIO()
        for row in batch.to_pylist():
            if self.csv is not None:
                cells = [_text(row[n]) for n in self.names]
                csv.writer(buffer).writerow(cells)
            else:
                buffer.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        self.stream.write(buffer.getvalue())

    def close(self) -> None:
        self.stream.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return json.dumps({p["indicator"]: str(p["points"]) for p in value}, ensure_ascii=False)
    return str(value)


# --- scoring ------------------------------------------------------------------------------------------------

_SCORER: BatchScorer | None = None  # a worker's


def _start(plan: BatchPlan) -> None:
    global _SCORER
    _SCORER = BatchScorer(plan)


def _score(batch: pa.RecordBatch, start: int, notable: int) -> tuple[pa.RecordBatch, Tallies]:
    assert _SCORER is not None
    return _SCORER.score(batch, start, notable=notable)


def stream(
    plan: BatchPlan,
    batches: Iterator[pa.RecordBatch],
    *,
    records_out: str | Path | None = None,
    workers: int = 1,
    progress: TextIO | None = None,
    method: str | None = None,
) -> Tallies:
    """Score every batch, write its results to `records_out` in input order, and merge its tallies."""
    writer = open_writer(records_out, plan.schema) if records_out is not None else None
    tallies = Tallies.new(len(plan.schemes), plan.scale)
    bar = Progress(0, progress)

    def wanted() -> int:  # the notable records still wanted: a batch sends none once the first are in hand
        return NOTABLE - len(tallies.notable)

    def take(found: tuple[pa.RecordBatch, Tallies]) -> None:
        results, part = found
        if writer is not None:
            writer.write(results)
        tallies.merge(part)
        bar.total = bar.done + part.records
        bar.advance(part.records)

    try:
        if workers <= 1:
            scorer = BatchScorer(plan)
            start = 1
            for batch in batches:
                take(scorer.score(batch, start, notable=wanted()))
                start += batch.num_rows
        else:
            _in_pool(plan, batches, workers, take, wanted, method or start_method())
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    return tallies


def _in_pool(
    plan: BatchPlan,
    batches: Iterator[pa.RecordBatch],
    workers: int,
    take: Callable[[tuple[pa.RecordBatch, Tallies]], None],
    wanted: Callable[[], int],
    method: str,
) -> None:
    context = multiprocessing.get_context(method)
    pending: deque[Future[tuple[pa.RecordBatch, Tallies]]] = deque()
    with ProcessPoolExecutor(workers, context, initializer=_start, initargs=(plan,)) as pool:
        try:
            start = 1
            for batch in batches:
                pending.append(pool.submit(_score, batch, start, wanted()))
                start += batch.num_rows
                while len(pending) >= 2 * workers:  # bounded: never more than this many batches in memory
                    take(pending.popleft().result())
            while pending:
                take(pending.popleft().result())
        except BrokenProcessPool as error:
            raise CompareError(f"worker processes failed: {error}", WORKERS_FAILED_ZH) from None
        finally:
            for future in pending:
                future.cancel()


def compare_file(
    schemes: Sequence[Scheme],
    rubrics: Rubrics,
    path: str | Path,
    *,
    id_column: str | None = None,
    weight_column: str | None = None,
    rubric_column: str | None = None,
    records_out: str | Path | None = None,
    workers: int = 1,
    batch_size: int = BATCH,
    progress: TextIO | None = None,
    method: str | None = None,
) -> Comparison:
    """`rubric compare` streamed: the summaries of a `Comparison` whose records went to `records_out`."""
    plan = BatchPlan.of(schemes, rubrics, id_column=id_column, weight_column=weight_column, rubric_column=rubric_column)
    warnings: list[str] = []
    facts = FactRule(rubrics.compiled, allow_extra=True)
    named = {id_column, weight_column, rubric_column}
    seen: set[tuple[str, ...]] = set()

    def checked(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            names = tuple(batch.schema.names)
            if names not in seen:
                seen.add(names)
                for option, name in (
                    ("--id-column", id_column),
                    ("--weight-column", weight_column),
                    ("--rubric-column", rubric_column),
                ):
                    if name is not None and name not in names:
                        raise CompareError(
                            f"{option} `{name}`: the data has no such column{did_you_mean(name, names)}",
                            f"{option} `{name}`：数据中没有这一列{did_you_mean_zh(name, names)}",
                        )
                warnings.extend(
                    unknown_column_warning(c, facts.hints(c))
                    for c in facts.unknown(names)
                    if c not in named and f"column `{c}`" not in " ".join(warnings)
                )
            yield batch

    tallies = stream(
        plan,
        checked(read_batches(path, batch_size)),
        records_out=records_out,
        workers=workers,
        progress=progress,
        method=method,
    )
    return tallies.comparison(plan, rubrics, str(path), warnings, None if records_out is None else str(records_out))
