"""Compare rubrics on the same records: `rubric compare`.

Takes a table of records (CSV, JSONL or XLSX; one record per row, columns are facts) and two or
more *schemes*, each one rubric or a set of rubrics; gives, per record, the total and grade under
each scheme, whether the grade changed against the first scheme (the baseline) and the indicators
whose points differ most; per scheme, grade counts, mean, median, min, max and a weighted mean.

Mixed records (some projects under one rubric, some under another) name their baseline rubric in
a column (`--rubric-column`). A scheme then scores each record under that rubric itself if it
holds it, else under its rubric that extends it, else under an explicit `FROM=TO` pair. A record
that no rubric of a scheme fits, or that lacks facts the rubric needs, is reported for that
scheme and left out of its statistics; the run goes on.

Values reach the front door as the table holds them: CSV and JSONL strings as strings (it reads
percent points, "true"/"false"), JSON numbers as `Decimal`, XLSX floats through their shortest
repr (never `Decimal(float)`). An empty cell is an absent fact, so defaults apply. Each record is
given only the facts its rubric declares, which is `allow_extra_facts=True` without the slow path;
columns no compared rubric declares are reported as warnings instead. A record's weight and its
facts that no compared rubric declares follow `rules`, the same rules as the `Compare` RPC's.

Large tables are scored by worker processes, one per core, in chunks (`pool`). Compiled rubrics
hold generated functions and do not pickle: a forked worker (Linux) starts with the parent's
compiled rubrics and records in memory; a spawned one compiles the rubrics again from the source
texts read here and checks their content hashes, and is sent the records. Both paths run the same
`Scorer`, so the decimals are identical. Statistics are exact decimals: means and weighted
means are rounded half-up to 0.01 for display, the median is exact. `compare_report` lays the
result out and holds the command's options.

The service's `Compare` RPC (`rubric_service.compare`) runs the same engine on records it is sent
one at a time (`Comparer`): the same routing, rules, scoring and statistics, so both give the same
figures to the last decimal; the service only converts protobuf to the engine's records and its
results back, and bounds the stream.

One module per concern: `records` (reading tables), `rules` (weights, facts no rubric declares),
`schemes` (rubrics and schemes), `routing`, `scoring` (the one `Scorer`), `statistics`, `pool`
(this process or workers) and `engine` (`compare` for a table, `Comparer` for records one at a
time, and what they give).
"""

from __future__ import annotations

from rubric_dsl.compare.engine import Comparer, Comparison, RecordComparison, compare, notable
from rubric_dsl.compare.pool import (
    CHUNK,
    POOL_THRESHOLD,
    Chunk,
    ChunkScorer,
    Plan,
    Progress,
    Work,
    paused_gc,
    progress_stream,
    score_all,
    start_method,
)
from rubric_dsl.compare.records import CompareError, Table, read_table
from rubric_dsl.compare.routing import TABLE, Router, Wording, route
from rubric_dsl.compare.rules import BadWeight, FactRule, UnknownFacts, read_weight
from rubric_dsl.compare.schemes import PATTERN_CHARS, RubricRef, Rubrics, Scheme, load_schemes
from rubric_dsl.compare.scoring import (
    PAD,
    TOP,
    Alignment,
    Columns,
    Declared,
    Difference,
    Differences,
    Outcomes,
    Route,
    Scored,
    Scorer,
    Sums,
    Top,
    Unscored,
    align,
    grade_change,
    top,
)
from rubric_dsl.compare.statistics import CENT, EXACT, ZERO, Lost, Summary, Tally, summarize

__all__ = [
    "CENT",
    "CHUNK",
    "EXACT",
    "PAD",
    "PATTERN_CHARS",
    "POOL_THRESHOLD",
    "TABLE",
    "TOP",
    "ZERO",
    "Alignment",
    "BadWeight",
    "Chunk",
    "ChunkScorer",
    "Columns",
    "CompareError",
    "Comparer",
    "Comparison",
    "Declared",
    "Difference",
    "Differences",
    "FactRule",
    "Lost",
    "Outcomes",
    "Plan",
    "Progress",
    "RecordComparison",
    "Route",
    "Router",
    "RubricRef",
    "Rubrics",
    "Scheme",
    "Scored",
    "Scorer",
    "Summary",
    "Sums",
    "Table",
    "Tally",
    "Top",
    "UnknownFacts",
    "Unscored",
    "Wording",
    "Work",
    "align",
    "compare",
    "grade_change",
    "load_schemes",
    "notable",
    "paused_gc",
    "progress_stream",
    "read_table",
    "read_weight",
    "route",
    "score_all",
    "start_method",
    "summarize",
    "top",
]
