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
from rubric_cli.help_zh import text

NAME = "compare"
HELP: str = text(
    "score the same records under several rubrics and compare them", "按几个评分规则为同一批记录评分并加以比较"
)
DESCRIPTION: str | None = text(
    """\
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
""",
    """\
按几个评分规则为同一批记录评分并加以比较：逐条记录列出各方案下的总分和等次、等次变化及差别最大的
指标；逐个方案列出各等次的记录数、平均数、中位数、最低分、最高分，给出 --weight-column 时还有加权
平均数（如按资金加权）。

每个 --rubric 是一个方案，即比较中的一列。第一个是基准（A），其余（B、C……）都与它比较。方案可以是
评分规则编号（在 --rubrics DIR 中查找）、.rubric 文件、'wuping.*' 这样的通配名，或用逗号隔开的几个。

同一类记录：每个方案给一个评分规则，用它为每条记录评分。

两个等次名称相同，或在两个级数相同的等次划分中位置相同（良 与 良好），算作等次不变；否则用 ↑ 或 ↓
表示变好还是变差。

混合的记录（一个部门的项目，有的按 wuping.inspection 评分，有的按 wuping.casework）：
--rubric-column 指定一列，写明基准中每条记录按哪个评分规则评分。每个方案含有该评分规则时就按它
评分，否则按方案中继承它的评分规则评分（wuping.casework.kaiping_scale 继承 wuping.casework）。
互不继承的评分规则可写作 FROM=TO 来配对（wuping.casework=kaiping.project）。

流式处理（--records-out FILE，或 Parquet 数据）：分批读入数据，每条记录的结果（总分、等次和各项
得分，均为精确小数；与 A 相比的变化；不能评分的原因）随评随写入 FILE（.parquet、.csv 或 .jsonl）；
报告保留汇总，照样精确。--workers N 用 N 个进程分批评分。--engine spark 在 Spark 集群上做同样的
评分（--master URL，默认 local[*]）。

数据：CSV、JSONL、XLSX 或 Parquet，首行为列名，每行一条记录，各列为事实。空单元格表示没有给出该事实
（用其默认值）。缺少评分规则所需事实的记录在该方案下列为未评分，其余照常进行；没有任何评分规则声明的
列会给出提示。大文件按每个处理器核一个工作进程评分。

示例（一个部门的混合项目，按资金加权）：
  rubric compare --rubric-column rubric --rubric 'wuping.*' --rubric 'wuping.*.kaiping_scale' \\
      --data projects.csv --id-column project --weight-column funds --format html -o report.html
""",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lang_argument(parser)
    parser.add_argument(
        "--rubric",
        action="append",
        required=True,
        metavar="SCHEME",
        help=text("repeat: A, then B, …", "可多次给出：先 A，再 B……"),
    )
    parser.add_argument(
        "--data",
        required=True,
        metavar="FILE",
        help=text("records: .csv, .jsonl, .xlsx or .parquet", "记录：.csv、.jsonl、.xlsx 或 .parquet 文件"),
    )
    parser.add_argument(
        "--rubrics",
        type=Path,
        metavar="DIR",
        help=text(
            "where rubric ids are looked up (default: ./rubrics); for a .rubric file, where its parents are "
            "looked up after its own directory (default: the nearest directory named `rubrics` that holds it)",
            "按评分规则编号查找评分规则的目录（默认：./rubrics）；给出 .rubric 文件时，先在其所在目录、再在此目录"
            "中查找它所继承的评分规则（默认：包含它的最近一个名为 `rubrics` 的目录）",
        ),
    )
    parser.add_argument(
        "--id-column",
        metavar="C",
        help=text("the column that names each record (default: its row)", "标明每条记录名称的列（默认：按行号）"),
    )
    parser.add_argument(
        "--weight-column",
        metavar="C",
        help=text("weight records by this column (e.g. funds)", "按此列为记录加权（如资金）"),
    )
    parser.add_argument(
        "--rubric-column",
        metavar="C",
        help=text("the column naming each record's baseline rubric", "写明每条记录在基准中所用评分规则的列"),
    )
    parser.add_argument(
        "--unit",
        action="append",
        default=[],
        metavar="COLUMN=UNIT",
        help=text(
            "declare a column's unit for the report (repeat), e.g. funds=万元",
            "声明某列在报告中的单位（可多次给出），如 funds=万元",
        ),
    )
    parser.add_argument(
        "--format",
        choices=("table", "json", "html"),
        default="table",
        help=text("", "报告格式：table 文字表格，json 供程序读取，html 网页（默认：table）"),
    )
    parser.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE",
        help=text("where to write (default: stdout)", "输出文件（默认：标准输出）"),
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=text(
            "worker processes (default: 1 for small data, else one per core)",
            "工作进程数（默认：数据少时 1 个，否则每个处理器核一个）",
        ),
    )
    parser.add_argument(
        "--records-out",
        metavar="FILE",
        help=text(
            "stream: read the data in batches and write each record's results to FILE as they are scored "
            "(.parquet, .csv or .jsonl); memory stays flat however many records; the report keeps the summaries",
            "流式处理：分批读入数据，每条记录的结果随评随写入 FILE（.parquet、.csv 或 .jsonl）；记录再多，"
            "内存占用也不增加；报告保留汇总",
        ),
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=2_000,
        metavar="N",
        help=text("records per batch when streaming", "流式处理时每批的记录数"),
    )
    parser.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help=text(
            "spark: score on a Spark cluster (pip install 'rubric-engine[spark]'); implies streaming results",
            "spark：在 Spark 集群上评分（需先 `pip install 'rubric-engine[spark]'`）；结果按流式处理写出",
        ),
    )
    parser.add_argument(
        "--master",
        default="local[*]",
        metavar="URL",
        help=text("the Spark master (default: local[*])", "Spark 主节点地址（默认：local[*]）"),
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=text(
            "show a progress bar on stderr (default: on a terminal, for long runs)",
            "在标准错误上显示进度条（默认：在终端上且耗时较长时显示）",
        ),
    )


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rubric_dsl.compare import load_schemes
    from rubric_dsl.compare_report import render, write_report
    from rubric_dsl.diagnostics import choose_language, worded_zh

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
        raise UsageProblem(
            f"--batch-size {options.batch_size}: give a number of records ≥ 1",
            f"--batch-size {options.batch_size}：每批记录数应不小于1",
        )
    if options.engine == "spark" or options.records_out or str(options.data).lower().endswith(".parquet"):
        comparison = _streamed(options, schemes, rubrics, err)
    else:
        comparison = _in_memory(options, schemes, rubrics, err)
    comparison.units.update(units)
    lang = choose_language(options.lang)
    for warning in comparison.warnings:
        if lang == "zh":
            print(f"rubric compare：注意：{worded_zh(warning)}", file=err)
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
