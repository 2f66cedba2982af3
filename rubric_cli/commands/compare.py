"""`rubric compare --rubric A --rubric B ... --data FILE`: score the same records under several rubrics.

The comparison itself is `rubric_dsl.compare`, its report `rubric_dsl.compare_report`; both are
imported when the command runs, not when `rubric` builds its parser.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from rubric_cli.command import UsageProblem
from rubric_cli.common import add_lang_argument, require_rubrics_dir

NAME = "compare"
HELP = "score the same records under several rubrics and compare them"
DESCRIPTION: str | None = """\
Score the same records under several rubrics and compare them: per record the total and grade
under each scheme, grade changes and the indicators that differ most; per scheme the grade counts,
mean, median, min, max and, with --weight-column, a weighted mean (e.g. weighted by funds).

Each --rubric is one scheme, a column of the comparison. The first is the baseline (A); the others
(B, C, ...) are compared with it. A scheme is a rubric id (looked up in --rubrics DIR), a .rubric
file, a pattern such as 'wuping.*', or several of these separated by commas.

Records of one kind: give one rubric per scheme; it scores every record.

A grade counts as unchanged when its label is the same, or when it stands at the same place in two
scales of the same length (良 and 良好); otherwise ↑ or ↓ says whether it got better or worse.

Mixed records (a department's projects, some scored under wuping.inspection, some under
wuping.casework): --rubric-column names the column that says which rubric scores each record in
the baseline. Each scheme then scores a record under that rubric if the scheme holds it, else under
its rubric that extends it (wuping.casework.kaiping_scale extends wuping.casework). Write FROM=TO
to pair rubrics that do not extend one another (wuping.casework=kaiping.project).

Streaming (--records-out FILE, or Parquet data): the data is read in batches and each record's
results (total, grade and points as exact decimals, the change against A, why a record could not
be scored) are written to FILE (.parquet, .csv or .jsonl) as they are scored; the report keeps the
summaries, exact as ever. --workers N scores batches in N processes. --engine spark runs the same
scoring on a Spark cluster (--master URL, default local[*]).

Data: CSV, JSONL, XLSX or Parquet, a header row naming the columns, one record per row; columns are facts.
An empty cell is an absent fact (its default applies). A record that lacks facts a rubric needs is
listed as not scored under that scheme, and the run goes on; a column no rubric declares is warned
about. Large files are scored by one worker process per core.

example (the department view over mixed projects, weighted by funds):
  rubric compare --rubric-column rubric --rubric 'wuping.*' --rubric 'wuping.*.kaiping_scale' \\
      --data projects.csv --id-column project --weight-column funds --format html -o report.html
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lang_argument(parser)
    parser.add_argument("--rubric", action="append", required=True, metavar="SCHEME", help="repeat: A, then B, …")
    parser.add_argument("--data", required=True, metavar="FILE", help="records: .csv, .jsonl, .xlsx or .parquet")
    parser.add_argument(
        "--rubrics",
        type=Path,
        metavar="DIR",
        help="where rubric ids are looked up (default: ./rubrics); for a .rubric file, where its parents are "
        "looked up after its own directory (default: the nearest directory named `rubrics` that holds it)",
    )
    parser.add_argument("--id-column", metavar="C", help="the column that names each record (default: its row)")
    parser.add_argument("--weight-column", metavar="C", help="weight records by this column (e.g. funds)")
    parser.add_argument("--rubric-column", metavar="C", help="the column naming each record's baseline rubric")
    parser.add_argument(
        "--unit",
        action="append",
        default=[],
        metavar="COLUMN=UNIT",
        help="declare a column's unit for the report (repeat), e.g. funds=万元",
    )
    parser.add_argument("--format", choices=("table", "json", "html"), default="table")
    parser.add_argument("-o", "--output", default="-", metavar="FILE", help="where to write (default: stdout)")
    parser.add_argument(
        "--workers", type=int, metavar="N", help="worker processes (default: 1 for small data, else one per core)"
    )
    parser.add_argument(
        "--records-out",
        metavar="FILE",
        help="stream: read the data in batches and write each record's results to FILE as they are scored "
        "(.parquet, .csv or .jsonl); memory stays flat however many records; the report keeps the summaries",
    )
    parser.add_argument("--batch-size", type=int, default=2_000, metavar="N", help="records per batch when streaming")
    parser.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="spark: score on a Spark cluster (pip install 'rubric-engine[spark]'); implies streaming results",
    )
    parser.add_argument("--master", default="local[*]", metavar="URL", help="the Spark master (default: local[*])")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on stderr (default: on a terminal, for long runs)",
    )


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rubric_dsl.compare import load_schemes
    from rubric_dsl.compare_report import message_zh, render, write_report
    from rubric_dsl.diagnostics import choose_language

    require_rubrics_dir(options.rubrics)
    schemes, rubrics = load_schemes(options.rubric, options.rubrics, mixed=options.rubric_column is not None)
    units = {}
    for spec in options.unit:
        column, _, unit = spec.partition("=")
        if not column.strip() or not unit.strip():
            raise UsageProblem(
                f"--unit `{spec}`: write COLUMN=UNIT, e.g. funds=万元",
                f"--unit `{spec}`：应写作 列名=单位，如 funds=万元",
            )
        units[column.strip()] = unit.strip()
    if options.batch_size < 1:
        raise UsageProblem(f"--batch-size {options.batch_size}: give a number of records ≥ 1")
    if options.engine == "spark" or options.records_out or str(options.data).lower().endswith(".parquet"):
        comparison = _streamed(options, schemes, rubrics, err)
    else:
        comparison = _in_memory(options, schemes, rubrics, err)
    comparison.units.update(units)
    lang = choose_language(options.lang)
    for warning in comparison.warnings:
        if lang == "zh":
            print(f"rubric compare：注意：{message_zh(warning)}", file=err)
        else:
            print(f"rubric compare: warning: {warning}", file=err)
    if options.output == "-":
        out.write(render(comparison, options.format, lang))
    else:
        write_report(comparison, options.format, options.output, lang)
    return 0


def _streamed(options: argparse.Namespace, schemes: Any, rubrics: Any, err: TextIO) -> Any:
    columns = {"id_column": options.id_column, "weight_column": options.weight_column}
    columns["rubric_column"] = options.rubric_column
    if options.engine == "spark":
        from rubric_dsl.spark import compare_file as on_spark

        return on_spark(
            schemes, rubrics, options.data, master=options.master, records_out=options.records_out, **columns
        )
    from rubric_dsl.compare.stream import compare_file

    return compare_file(
        schemes,
        rubrics,
        options.data,
        records_out=options.records_out,
        workers=options.workers or 1,
        batch_size=options.batch_size,
        progress=err if options.progress else None,
        **columns,
    )


def _in_memory(options: argparse.Namespace, schemes: Any, rubrics: Any, err: TextIO) -> Any:
    from rubric_dsl.compare import compare, progress_stream, read_table

    table = read_table(options.data)
    return compare(
        schemes,
        rubrics,
        table,
        id_column=options.id_column,
        weight_column=options.weight_column,
        rubric_column=options.rubric_column,
        workers=options.workers,
        progress=err if progress_stream(options.progress, len(table.rows)) is not None else None,
    )
