"""Spark in local mode agrees with the in-process columnar core, record for record (the `spark` extra;
.ci/run installs it and a Java runtime)."""

from __future__ import annotations

import csv
import json
import os
import random
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

if os.environ.get("CI"):  # .ci/run installs the extra: there a missing pyspark fails, never skips
    import pyspark  # noqa: F401
else:
    pytest.importorskip("pyspark", reason="the spark extra: pip install '.[spark]'")

from rubric_dsl import compare
from rubric_dsl.compare.stream import compare_file

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from compare_bench import COLUMNS, SCHEMES, synthetic_record  # noqa: E402

RUBRICS = ROOT / "rubrics"
SAMPLES = ROOT / "rubrics" / "samples"
OPTIONS = {"id_column": "project", "weight_column": "funds", "rubric_column": "rubric"}
KEYS = ("record", "scheme", "rubric", "version", "content_hash", "total", "grade", "points", "delta", "change", "error")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from rubric_dsl import spark as on_spark

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the JVM's start-up chatter
        session = on_spark.session("local[2]", "rubric tests")
    yield session
    session.stop()


def rows(table: Any) -> list[tuple[Any, ...]]:
    return sorted((tuple(r[k] for k in KEYS) for r in table.to_pylist()), key=lambda r: (r[0], r[1]))


def both(spark: Any, tmp_path: Path, schemes: list[str], data: Path) -> tuple[Any, Any, Any, Any]:
    from rubric_dsl import spark as on_spark

    found, rubrics = compare.load_schemes(schemes, RUBRICS, mixed=True)
    here = compare_file(found, rubrics, data, records_out=tmp_path / "here.parquet", **OPTIONS)
    there = on_spark.compare_file(found, rubrics, data, records_out=tmp_path / "there.parquet", **OPTIONS)
    return here, pq.read_table(tmp_path / "here.parquet"), there, pq.read_table(tmp_path / "there.parquet")


@pytest.mark.parametrize(
    ("sample", "schemes"),
    [
        ("wuping.csv", ["wuping.inspection,wuping.casework", "wuping.*.kaiping_scale", "wuping.*.national_weights"]),
        ("kaiping.csv", ["kaiping.project"]),
        ("leting.csv", ["leting.casework_funds,leting.informatization,leting.inspection_tours"]),
    ],
)
def test_spark_scores_the_samples_as_this_process_does(spark: Any, tmp_path: Path, sample: str, schemes: list[str]):
    here, here_rows, there, there_rows = both(spark, tmp_path, schemes, SAMPLES / sample)
    assert here_rows.schema.field("total").type == there_rows.schema.field("total").type  # decimal128, not double
    assert rows(there_rows) == rows(here_rows)
    assert [s.grades for s in there.summaries] == [s.grades for s in here.summaries]
    assert [(s.mean, s.median, s.weighted_mean) for s in there.summaries] == [
        (s.mean, s.median, s.weighted_mean) for s in here.summaries
    ]


def test_spark_agrees_record_for_record_on_100_000_generated_records(spark: Any, tmp_path: Path) -> None:
    rng = random.Random(11)
    data = tmp_path / "records.csv"
    with data.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for number in range(100_000):
            record = synthetic_record(rng, number)
            writer.writerow([record.get(c, "") for c in COLUMNS])
    here, here_rows, there, there_rows = both(spark, tmp_path, list(SCHEMES), data)
    assert here.record_count == there.record_count == 100_000
    assert there_rows.num_rows == here_rows.num_rows == 300_000
    assert rows(there_rows) == rows(here_rows)
    assert [s.lost for s in there.summaries] == [s.lost for s in here.summaries]
    assert there.grade_transitions() == here.grade_transitions()


def test_rubric_compare_engine_spark_writes_part_files_and_the_summary(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rubric_cli.main import main

    out = tmp_path / "records.parquet"
    args = ["compare", "--engine", "spark", "--master", "local[2]", "--rubrics", str(RUBRICS)]
    args += ["--data", str(SAMPLES / "wuping.csv"), "--records-out", str(out), "--format", "json"]
    args += ["--rubric-column", "rubric", "--id-column", "project", "--weight-column", "funds"]
    args += ["--rubric", "wuping.inspection,wuping.casework", "--rubric", "wuping.*.national_weights"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["record_count"] == 3
    assert [s["weighted_mean"] for s in report["summary"]] == ["85.97", "74.60"]
    assert out.is_dir() and pq.read_table(out).num_rows == 6


def test_spark_reads_files_as_people_save_them(spark: Any, tmp_path: Path) -> None:
    """A CSV saved by Excel in a Chinese locale (GB18030) or with a BOM, and an XLSX worksheet, score on Spark
    as the UTF-8 CSV does here."""
    from openpyxl import Workbook

    from rubric_dsl import spark as on_spark

    wuping = SAMPLES / "wuping.csv"
    text = wuping.read_text(encoding="utf-8")
    assert any(ord(c) > 127 for c in text)  # project names in Chinese: a wrong decoding would change them
    (tmp_path / "gbk.csv").write_bytes(text.encode("gb18030"))
    (tmp_path / "bom.csv").write_bytes(text.encode("utf-8-sig"))
    book = Workbook()
    for row in csv.reader(text.splitlines()):
        book.active.append([float(c) if c.replace(".", "", 1).isdigit() else c or None for c in row])
    book.save(tmp_path / "book.xlsx")
    schemes = ["wuping.inspection,wuping.casework", "wuping.*.national_weights"]
    found, rubrics = compare.load_schemes(schemes, RUBRICS, mixed=True)
    compare_file(found, rubrics, wuping, records_out=tmp_path / "here.parquet", **OPTIONS)
    expected = rows(pq.read_table(tmp_path / "here.parquet"))
    assert len(expected) == 6 and all(r[5] is not None for r in expected)
    for name in ("gbk.csv", "bom.csv", "book.xlsx"):
        out = tmp_path / f"{name}.parquet"
        there = on_spark.compare_file(found, rubrics, tmp_path / name, records_out=out, **OPTIONS)
        assert rows(pq.read_table(out)) == expected, name
        assert there.record_count == 3
