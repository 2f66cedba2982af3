"""Spark: score or compare a Spark DataFrame with the columnar core, for data that outgrows one machine.

Takes a DataFrame whose columns are facts (string columns as a CSV holds them, or typed ones) and a
`columnar.BatchPlan`; gives a DataFrame of per-record results by `mapInArrow` with an explicit schema
(`spark_schema`: totals and points `DecimalType(38, scale)`, never double), the same rows the
columnar core gives in this process. The plan travels to executors as rubric sources and content
hashes; each Python worker compiles each rubric once (`schemes.compile_refs` keeps them per process)
and refuses one that compiles to another hash. Each task also returns its `Tallies` (one extra row,
`tally`, dropped from the records), which the driver merges into summaries as exact as in-process.

`compare_file` is `rubric compare --engine spark`: it reads the file with Spark (CSV, UTF-8 or
GB18030 as the local reader finds it, and JSONL as strings, Parquet as typed; an XLSX worksheet is
read on the driver, cells as text), scores it on the cluster, writes the
per-record results with Spark (`--records-out` names a directory of Parquet, CSV or JSON part files)
and returns the summaries. Needs the `spark` extra (`pip install 'rubric-engine[spark]'`) and a Java
17+ runtime; the executors need Python with this package and pyarrow installed.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from rubric_dsl.compare.columnar import BatchPlan, BatchScorer, Tallies
from rubric_dsl.compare.engine import Comparison
from rubric_dsl.compare.records import CompareError
from rubric_dsl.compare.schemes import Rubrics, Scheme
from rubric_dsl.compare.stream import read_batches, text_encoding
from rubric_dsl.diagnostics import did_you_mean, did_you_mean_zh

TALLY = "tally"  # the column that carries each task's pickled tallies


def spark_schema(plan: BatchPlan, *, tallies: bool = False) -> Any:
    """The Spark schema of the result rows (with the `tally` column when asked)."""
    from pyspark.sql.types import (
        ArrayType,
        BinaryType,
        DecimalType,
        StringType,
        StructField,
        StructType,
    )

    def spark_type(kind: pa.DataType) -> Any:
        if pa.types.is_decimal(kind):
            return DecimalType(kind.precision, kind.scale)
        if pa.types.is_list(kind):
            return ArrayType(spark_type(kind.value_type), True)
        if pa.types.is_struct(kind):
            return StructType([StructField(f.name, spark_type(f.type), True) for f in kind])
        return StringType()

    fields = [StructField(f.name, spark_type(f.type), True) for f in plan.schema]
    if tallies:
        fields.append(StructField(TALLY, BinaryType(), True))
    return StructType(fields)


def _scored(plan: BatchPlan) -> Any:
    """The function `mapInArrow` runs on each partition: result batches, then one row of tallies."""

    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        context = TaskContext.get()
        partition = context.partitionId() if context is not None else 0
        scorer = BatchScorer(plan)
        total = Tallies.new(len(plan.schemes), plan.scale)
        start = 1
        where = f"partition {partition} record {{}}"
        for batch in batches:
            results, tallies = scorer.score(batch, start, where)
            start += batch.num_rows
            total.merge(tallies)
            yield pa.RecordBatch.from_arrays(
                [*results.columns, pa.nulls(results.num_rows, pa.binary())],
                names=[*results.schema.names, TALLY],
            )
        row = [pa.nulls(1, f.type) for f in plan.schema]
        yield pa.RecordBatch.from_arrays(
            [*row, pa.array([pickle.dumps(total, protocol=pickle.HIGHEST_PROTOCOL)], pa.binary())],
            names=[*plan.schema.names, TALLY],
        )

    return score


def score_dataframe(frame: Any, plan: BatchPlan) -> tuple[Any, Tallies]:
    """The per-record results of `frame` under the plan's schemes (a cached DataFrame, one row per record
    and scheme) and the merged tallies of all its records."""
    from pyspark.sql import functions

    mapped = frame.mapInArrow(_scored(plan), spark_schema(plan, tallies=True)).cache()
    tallies = Tallies.new(len(plan.schemes), plan.scale)
    for row in mapped.where(functions.col(TALLY).isNotNull()).select(TALLY).collect():
        tallies.merge(pickle.loads(row[TALLY]))
    return mapped.where(functions.col(TALLY).isNull()).drop(TALLY), tallies


def session(master: str = "local[*]", app: str = "rubric compare") -> Any:
    """A Spark session on `master`, with Arrow on and the UI off; local Python workers run this
    interpreter (PYSPARK_PYTHON, unless set), which has this package."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    return (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.legacy.javaCharsets", "true")  # Spark 4 reads CSV in GB18030 only with this
        .getOrCreate()
    )


def read_frame(spark: Any, path: str | Path) -> Any:
    """The data file as a DataFrame: CSV and JSONL cells as strings (so "98.02" and "true" keep their
    meaning; JSON numbers as written), Parquet as typed, an XLSX worksheet read here with cells as text.
    A path with a scheme (hdfs://, s3a://) is the cluster's to read: a local CSV's encoding is found
    here (UTF-8 with or without BOM, else GB18030, Excel's Chinese CSV), a remote one is read as UTF-8."""
    where = str(path)
    remote = "://" in where
    file = Path(where)
    suffix = file.suffix.lower()
    if not remote and not file.exists():
        raise CompareError(f"data {file}: no such file", f"数据 {file}：没有这个文件")
    if suffix == ".csv":
        encoding = "GB18030" if not remote and text_encoding(file) == "gb18030" else "UTF-8"
        return spark.read.csv(where, header=True, inferSchema=False, encoding=encoding)
    if suffix in (".jsonl", ".ndjson"):
        return spark.read.json(where, primitivesAsString=True)
    if suffix == ".parquet":
        return spark.read.parquet(where)
    if suffix == ".xlsx" and not remote:  # a worksheet fits one machine (Excel stops at 1,048,576 rows)
        return spark.createDataFrame(pa.Table.from_batches(list(read_batches(file))))
    if suffix == ".xlsx":
        raise CompareError(
            f"data {where}: an .xlsx file is read on this machine: give its local path",
            f"数据 {where}：.xlsx 文件在本机读取，请给出它在本机的路径",
        )
    raise CompareError(
        f"data {where}: Spark reads .csv, .jsonl, .xlsx or .parquet files",
        f"数据 {where}：Spark 只读取 .csv、.jsonl、.xlsx 或 .parquet 文件",
    )


def compare_file(
    schemes: Sequence[Scheme],
    rubrics: Rubrics,
    path: str | Path,
    *,
    master: str = "local[*]",
    records_out: str | Path | None = None,
    id_column: str | None = None,
    weight_column: str | None = None,
    rubric_column: str | None = None,
) -> Comparison:
    """`rubric compare --engine spark`: the summaries; per-record results written by Spark to `records_out`."""
    plan = BatchPlan.of(schemes, rubrics, id_column=id_column, weight_column=weight_column, rubric_column=rubric_column)
    spark = session(master)
    frame = read_frame(spark, path)
    for option, name in (
        ("--id-column", id_column),
        ("--weight-column", weight_column),
        ("--rubric-column", rubric_column),
    ):
        if name is not None and name not in frame.columns:
            raise CompareError(
                f"{option} `{name}`: the data has no such column{did_you_mean(name, frame.columns)}",
                f"{option} `{name}`：数据中没有这一列{did_you_mean_zh(name, frame.columns)}",
            )
    records, tallies = score_dataframe(frame, plan)
    if records_out is not None:
        out = str(records_out)
        suffix = Path(out).suffix.lower()
        writer = records.write.mode("overwrite")
        if suffix == ".csv":
            from pyspark.sql import functions

            writer = records.withColumn("points", functions.to_json("points")).write.mode("overwrite")
            writer.csv(out, header=True)
        elif suffix in (".jsonl", ".json"):
            writer.json(out)
        else:
            writer.parquet(out)
    return tallies.comparison(plan, rubrics, str(path), [], None if records_out is None else str(records_out))
