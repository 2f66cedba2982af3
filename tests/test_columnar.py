"""The columnar core and streaming compare agree with the in-memory comparison, record for record."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import pickle
import random
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rubric_cli.main import main
from rubric_dsl import cache, compare
from rubric_dsl.compare import CompareError, columnar
from rubric_dsl.compare.columnar import BatchPlan, BatchScorer, PortableRubric
from rubric_dsl.compare.stream import compare_file, read_batches

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from compare_bench import COLUMNS, SCHEMES, synthetic_record  # noqa: E402

RUBRICS = ROOT / "rubrics"
WUPING = ROOT / "rubrics" / "samples" / "wuping.csv"
WUPING_SCHEMES = ["wuping.inspection,wuping.casework", "wuping.*.kaiping_scale", "wuping.*.national_weights"]
COLUMN_OPTIONS = {"id_column": "project", "weight_column": "funds", "rubric_column": "rubric"}


def synthetic_csv(path: Path, records: int) -> Path:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for number in range(records):
            record = synthetic_record(rng, number)
            writer.writerow([record.get(c, "") for c in COLUMNS])
    return path


def in_memory(schemes: list[str], data: Path) -> compare.Comparison:
    found, rubrics = compare.load_schemes(schemes, RUBRICS, mixed=True)
    return compare.compare(found, rubrics, compare.read_table(data), workers=1, **COLUMN_OPTIONS)


def expected_rows(comparison: compare.Comparison) -> list[tuple[object, ...]]:
    """Per record and scheme, what the result batches must hold, from the in-memory comparison."""
    compiled = comparison.rubrics.compiled
    rows = []
    for record in comparison.records:
        for index, outcome in enumerate(record.outcomes):
            difference = record.differences[index - 1] if index else None
            scored = isinstance(outcome, compare.Scored)
            rows.append(
                (
                    record.id,
                    comparison.schemes[index].name,
                    compiled[outcome.slot].id if outcome.slot is not None else None,
                    outcome.total if scored else None,
                    outcome.grade if scored else None,
                    difference.delta if difference else None,
                    difference.change if difference else None,
                    None if scored else outcome.problem,
                )
            )
    return rows


def streamed_rows(path: Path) -> list[tuple[object, ...]]:
    keys = ("record", "scheme", "rubric", "total", "grade", "delta", "change", "error")
    return [tuple(row[k] for k in keys) for row in pq.read_table(path).to_pylist()]


def unplaced(records: list[compare.RecordComparison]) -> list[compare.RecordComparison]:
    return [r._replace(where="") for r in records]


def summaries(comparison: compare.Comparison) -> list[object]:
    return [dataclasses.replace(s, scheme=s.scheme.name) for s in comparison.summaries]


def test_results_are_exact_decimals_at_the_rounding_scale_never_float(tmp_path: Path) -> None:
    found, rubrics = compare.load_schemes(WUPING_SCHEMES, RUBRICS, mixed=True)
    plan = BatchPlan.of(found, rubrics, **COLUMN_OPTIONS)
    batch = next(read_batches(WUPING))
    results, _ = BatchScorer(plan).score(batch)
    assert results.schema.field("total").type == pa.decimal128(38, 1)  # Wuping rounds to 0.1
    points = results.schema.field("points").type.value_type.field("points").type
    assert points == pa.decimal128(38, 1)
    first = results.to_pylist()[0]
    assert (first["rubric"], first["total"], first["grade"]) == ("wuping.inspection", Decimal("85.6"), "良")
    assert first["content_hash"] == rubrics.compiled[0].content_hash
    assert sum(p["points"] for p in first["points"]) == first["total"]


def test_streamed_compare_equals_the_in_memory_one_on_the_samples(tmp_path: Path) -> None:
    expected = in_memory(WUPING_SCHEMES, WUPING)
    found, rubrics = compare.load_schemes(WUPING_SCHEMES, RUBRICS, mixed=True)
    out = tmp_path / "records.parquet"
    streamed = compare_file(found, rubrics, WUPING, records_out=out, **COLUMN_OPTIONS)
    assert streamed_rows(out) == expected_rows(expected)
    assert summaries(streamed) == summaries(expected)
    assert streamed.record_count == 3
    assert streamed.grade_transitions() == expected.grade_transitions()
    assert streamed.grade_transitions()[2, "良", "中"] == (1, Decimal("286"))


@pytest.mark.parametrize("workers", [1, 2])
def test_streamed_compare_equals_the_in_memory_one_on_generated_records(tmp_path: Path, workers: int) -> None:
    data = synthetic_csv(tmp_path / "records.csv", 1_500)
    expected = in_memory(list(SCHEMES), data)
    found, rubrics = compare.load_schemes(list(SCHEMES), RUBRICS, mixed=True)
    out = tmp_path / "records.parquet"
    streamed = compare_file(found, rubrics, data, records_out=out, workers=workers, batch_size=200, **COLUMN_OPTIONS)
    rows = streamed_rows(out)
    assert rows == expected_rows(expected)
    assert any(row[-1] for row in rows), "the generated data has records that cannot be scored"
    assert summaries(streamed) == summaries(expected)
    for other in (1, 2):  # the score charts' points, counted while streaming
        assert {k: n for k, (n, _) in streamed.score_pairs(other).items()} == {
            k: n for k, (n, _) in expected.score_pairs(other).items()
        }
    notable = [r for r in expected.records if compare.notable(r.outcomes, r.differences)]
    assert streamed.notable_count == len(notable) > 0
    # the first ones in input order, whole, whichever worker scored them ("record 2" where a table says "row 3")
    assert unplaced(streamed.notable) == unplaced(notable[: columnar.NOTABLE])


def test_a_streamed_report_has_the_charts_and_lists_of_the_in_memory_one_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rubric_dsl import compare_report

    monkeypatch.setattr(columnar, "NOTABLE", 60)
    monkeypatch.setattr(columnar, "MAX_PAIRS", 40)  # more distinct pairs than this: counted in whole points
    data = synthetic_csv(tmp_path / "records.csv", 600)
    expected = in_memory(list(SCHEMES), data)
    found, rubrics = compare.load_schemes(list(SCHEMES), RUBRICS, mixed=True)
    out = tmp_path / "records.parquet"
    streamed = compare_file(found, rubrics, data, records_out=out, workers=2, batch_size=50, **COLUMN_OPTIONS)
    notable = [r for r in expected.records if compare.notable(r.outcomes, r.differences)]
    assert unplaced(streamed.notable) == unplaced(notable[:60]) and streamed.notable_count == len(notable)
    assert streamed.pair_step == 1
    exact = expected.score_pairs(1)
    whole: dict[tuple[Decimal, Decimal], int] = {}
    for (a, b), (n, _) in exact.items():
        key = (a.to_integral_value(rounding="ROUND_FLOOR"), b.to_integral_value(rounding="ROUND_FLOOR"))
        whole[key] = whole.get(key, 0) + n
    assert {k: n for k, (n, _) in streamed.score_pairs(1).items()} == whole
    page = compare_report.to_html(streamed, "zh")
    # grades, distribution, B and C against A, mean points lost: as in memory
    assert page.count("<svg") == compare_report.to_html(expected, "zh").count("<svg") == 5
    assert "总分按 1 分向下归并后作图" in page
    assert f"这里列出等次有变化或未能评分的 {len(notable)} 条中的前 60 条。全部逐条结果见 {out}" in page
    assert [r.id for r in notable[:60] if f"<td>{r.id}</td>" in page] == [r.id for r in notable[:60]]
    unscored = [r for r in notable[:60] if any(isinstance(o, compare.Unscored) for o in r.outcomes)]
    assert unscored and all(r.id in page.split("未评分的记录")[1] for r in unscored)
    report = compare_report.to_dict(streamed)
    assert report["notable"]["count"] == len(notable) and len(report["notable"]["records"]) == 60
    assert report["records"] == [] and report["records_out"] == str(out)


def test_every_input_format_gives_the_same_results(tmp_path: Path) -> None:
    data = synthetic_csv(tmp_path / "records.csv", 300)
    table = compare.read_table(data)
    jsonl = tmp_path / "records.jsonl"
    jsonl.write_text(
        "".join(
            json.dumps({c: v for c, v in zip(table.columns, row, strict=True) if v is not None}, ensure_ascii=False)
            + "\n"
            for row in table.rows
        ),
        encoding="utf-8",
    )
    parquet = tmp_path / "records.parquet"
    pq.write_table(pa.table({c: [row[i] for row in table.rows] for i, c in enumerate(table.columns)}), parquet)
    found, rubrics = compare.load_schemes(list(SCHEMES), RUBRICS, mixed=True)
    outputs = []
    for source in (data, jsonl, parquet):
        out = tmp_path / f"out-{source.suffix[1:]}.parquet"
        compare_file(found, rubrics, source, records_out=out, batch_size=64, **COLUMN_OPTIONS)
        outputs.append(streamed_rows(out))
    assert outputs[0] == outputs[1] == outputs[2]


def test_text_outputs_hold_the_same_decimals(tmp_path: Path) -> None:
    found, rubrics = compare.load_schemes(WUPING_SCHEMES, RUBRICS, mixed=True)
    for suffix in ("csv", "jsonl"):
        compare_file(found, rubrics, WUPING, records_out=tmp_path / f"r.{suffix}", **COLUMN_OPTIONS)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    lines = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (
        [r["total"] for r in rows]
        == [r["total"] for r in lines]
        == ["85.6", "85.6", "74.1"] + ["94.6"] * 2 + ["86.1"] + ["94.6"] * 2 + ["86.1"]
    )
    assert json.loads(rows[0]["points"])["completion"] == "0.0"


def test_a_record_that_cannot_be_scored_gets_an_error_and_the_batch_goes_on() -> None:
    found, rubrics = compare.load_schemes(["wuping.casework"], RUBRICS, mixed=False)
    plan = BatchPlan.of(found, rubrics)
    batch = pa.RecordBatch.from_pydict(
        {"satisfaction": ["98.02", "abc", None], "execution_rate": ["100", "100", "100"]}
    )
    results = BatchScorer(plan).score(batch)[0].to_pylist()
    assert results[0]["error"] and "completion_rate" in results[0]["error"]  # a required fact is missing
    assert "satisfaction" in results[1]["error"]
    assert [r["record"] for r in results] == ["record 1", "record 2", "record 3"]
    assert all(r["total"] is None for r in results)


def test_typed_columns_keep_their_values_exact() -> None:
    found, rubrics = compare.load_schemes(["wuping.casework"], RUBRICS, mixed=False)
    facts = json.loads((RUBRICS / "wuping" / "seed-casework.facts.json").read_text(encoding="utf-8"))
    typed = {k: [float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v] for k, v in facts.items()}
    results = BatchScorer(BatchPlan.of(found, rubrics)).score(pa.RecordBatch.from_pydict(typed))[0].to_pylist()
    assert (results[0]["total"], results[0]["grade"], results[0]["error"]) == (Decimal("94.6"), "优", None)


def test_a_portable_rubric_recompiles_when_unpickled_and_refuses_another_hash() -> None:
    _, rubrics = compare.load_schemes(["wuping.casework"], RUBRICS, mixed=False)
    portable = PortableRubric(rubrics.refs[0], rubrics.compiled[0])
    cache.forget()  # else the process's compile cache hands back the very rubric compiled above
    again = pickle.loads(pickle.dumps(portable))
    assert again.compiled is not portable.compiled
    assert again.compiled.content_hash == portable.compiled.content_hash
    assert len(pickle.dumps(portable)) < 64_000  # sources, not code
    ref = rubrics.refs[0]
    edited = tuple((path, text.replace("above 70", "above 75")) for path, text in ref.sources)
    tampered = pickle.dumps(PortableRubric(dataclasses.replace(ref, sources=edited), rubrics.compiled[0]))
    with pytest.raises(CompareError, match=r"a worker compiled different rubrics: wuping\.casework"):
        pickle.loads(tampered)


def test_rubric_compare_records_out_writes_results_and_keeps_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "records.parquet"
    args = ["compare", "--rubrics", str(RUBRICS), "--data", str(WUPING), "--records-out", str(report)]
    args += ["--rubric-column", "rubric", "--id-column", "project", "--weight-column", "funds"]
    args += [*(a for s in WUPING_SCHEMES for a in ("--rubric", s)), "--format", "json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["record_count"] == 3 and summary["records"] == []
    assert summary["summary"][0]["weighted_mean"] == "85.97"
    assert pq.read_table(report).num_rows == 9


def test_rubric_score_scores_a_file_in_batches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "kaiping.jsonl"
    data = ROOT / "rubrics" / "samples" / "kaiping.csv"
    args = ["score", "--rubrics", str(RUBRICS), "--rubric", "kaiping.project", "--data", str(data)]
    assert main([*args, "--records-out", str(out), "--id-column", "project"]) == 0
    printed = capsys.readouterr()
    assert "kaiping.project: 8 条记录, 8 条已评分, 0 条未评分" in printed.out
    assert "column `funds` is not a fact" in printed.err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    totals = [(r["record"], Decimal(r["total"]), r["grade"]) for r in rows]
    assert [t for _, t, _ in totals] == [
        Decimal(v) for v in ("97.5", "96", "96.5", "94.89", "96.5", "95.75", "97", "96.5")
    ]
    assert {g for _, _, g in totals} == {"优秀"} and totals[0][0] == "大案要案"


def test_hostile_and_wrong_data_get_clear_errors(tmp_path: Path) -> None:
    found, rubrics = compare.load_schemes(["wuping.casework"], RUBRICS, mixed=False)
    huge = tmp_path / "huge.csv"
    huge.write_text("satisfaction,execution_rate\n" + "9" * 200_000 + ",100\n", encoding="utf-8")
    with pytest.raises(CompareError, match=r"huge\.csv:2: not readable as CSV: field larger than field limit"):
        compare_file(found, rubrics, huge)
    with pytest.raises(CompareError, match=r"--weight-column `fund`: the data has no such column; did you mean"):
        compare_file(found, rubrics, WUPING, weight_column="fund")
    with pytest.raises(CompareError, match=r"expected a \.csv, \.jsonl, \.xlsx or \.parquet file"):
        compare_file(found, rubrics, tmp_path / "records.txt")


def test_an_xlsx_file_streams_as_its_csv_does(tmp_path: Path) -> None:
    from openpyxl import Workbook

    table = compare.read_table(WUPING)
    book = Workbook()
    sheet = book.active
    sheet.append(list(table.columns))
    for row in table.rows:  # numbers as numbers, as Excel keeps them
        sheet.append([float(c) if c and c.replace(".", "", 1).isdigit() else c for c in row])
    xlsx = tmp_path / "wuping.xlsx"
    book.save(xlsx)
    found, rubrics = compare.load_schemes(WUPING_SCHEMES, RUBRICS, mixed=True)
    outs = []
    for source in (WUPING, xlsx):
        out = tmp_path / f"{source.suffix[1:]}.parquet"
        compare_file(found, rubrics, source, records_out=out, **COLUMN_OPTIONS)
        outs.append(streamed_rows(out))
    assert outs[0] == outs[1] and len(outs[0]) == 9


def test_parquet_results_are_gathered_into_row_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row group per batch would keep thousands of row groups' metadata in memory until the file closes."""
    from rubric_dsl.compare import stream

    monkeypatch.setattr(stream, "ROW_GROUP", 500)
    data = synthetic_csv(tmp_path / "records.csv", 600)
    found, rubrics = compare.load_schemes(list(SCHEMES), RUBRICS, mixed=True)
    out = tmp_path / "records.parquet"
    compare_file(found, rubrics, data, records_out=out, batch_size=50, **COLUMN_OPTIONS)  # 150 rows a batch
    written = pq.ParquetFile(out)
    assert written.metadata.num_rows == 1_800
    assert [written.metadata.row_group(i).num_rows for i in range(written.num_row_groups)] == [600, 600, 600]
    assert streamed_rows(out) == expected_rows(in_memory(list(SCHEMES), data))
