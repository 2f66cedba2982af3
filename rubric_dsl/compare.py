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
columns no compared rubric declares are reported as warnings instead.

Large tables are scored by worker processes, one per core, in chunks; results come back as text.
Compiled rubrics hold generated functions and do not pickle: a forked worker (Linux) starts with
the parent's compiled rubrics and records in memory; a spawned one compiles the rubrics again from
the source texts read here and checks their content hashes, and is sent the records. Both paths run
the same `Scorer`, so the decimals are identical. Statistics are exact decimals: means and weighted
means are rounded half-up to 0.01 for display, the median is exact. `compare_report` lays the
result out and holds the command's options. The service's `Compare` RPC (`rubric_service.compare`) scores
its streamed records itself but uses `route`, `grade_change`, `align`, `top`, `Tally` and `summarize`
from here, so both give the same figures.
"""

from __future__ import annotations

import csv
import fnmatch
import gc
import json
import multiprocessing
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from operator import itemgetter, sub
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from rubric_dsl.api import Library, build_library, compile_file, load_library, search_dirs, sources_for
from rubric_dsl.diagnostics import did_you_mean
from rubric_dsl.errors import EvaluationError, InvalidFacts, RubricDslError, RubricError
from rubric_dsl.parser import parse
from rubric_dsl.program import CompiledRubric
from rubric_dsl.source import SourceFile

CHUNK = 2_000  # records per task sent to a worker
POOL_THRESHOLD = 5_000  # fewer records than this are scored in this process: starting workers costs more
TOP = 3  # indicators shown per record as contributing most to a difference
ZERO = Decimal(0)
CENT = Decimal("0.01")
EXACT = Context(prec=60)  # sums of up to millions of scores stay exact
PATTERN_CHARS = frozenset("*?[")


class CompareError(RubricDslError):
    """A problem with the comparison asked for (data file, columns, rubric names); exit 2."""


# --- the records --------------------------------------------------------------------------------------


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
        raise CompareError(f"data {file}: expected a .csv, .jsonl or .xlsx file")
    if not file.is_file():
        raise CompareError(f"data {file}: no such file")
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
            raise CompareError(f"data {path}: column {number} has no name in the header row")
        if name in seen:
            raise CompareError(f"data {path}: column `{name}` appears twice in the header row")
        seen.add(name)
    if not names:
        raise CompareError(f"data {path}: the first row must name the columns")
    return names


def _fit(path: Path, where: str, cells: list[Any], width: int) -> tuple[Any, ...]:
    if any(c is not None for c in cells[width:]):
        raise CompareError(f"data {path}: {where} has more cells than the header names columns")
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
            rows.append(_fit(path, f"row {number}", cells, len(columns)))
            where.append(f"row {number}")
    return Table(str(path), columns, rows, where)


def _read_jsonl(path: Path) -> Table:
    objects: list[tuple[str, dict[str, Any]]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line, parse_float=Decimal, parse_constant=Decimal)
        except json.JSONDecodeError as error:
            raise CompareError(f"data {path}:{number}:{error.colno}: not valid JSON: {error.msg}") from None
        if not isinstance(value, dict):
            raise CompareError(f"data {path}:{number}: expected a JSON object of column name to value")
        objects.append((f"line {number}", value))
    columns = tuple(dict.fromkeys(k for _, value in objects for k in value))
    if not columns:
        raise CompareError(f"data {path}: no records")
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


# --- rubrics and schemes ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RubricRef:
    """What a worker needs to compile a rubric again: the source texts of it and its ancestors, read
    once, here, so that a file edited during the run cannot make workers score differently."""

    id: str
    origin: str  # the directory or file it was found through; rubrics of one origin compile together
    sources: tuple[tuple[str, str], ...]  # (path, text) of the rubric and each ancestor
    content_hash: str


@dataclass(frozen=True, slots=True)
class Scheme:
    """One column of the comparison: one rubric, or several with records routed among them."""

    name: str  # as given on the command line, e.g. "wuping.*"
    members: tuple[int, ...]  # rubric slots
    pairs: tuple[tuple[str, int], ...] = ()  # FROM=TO: records whose baseline rubric is FROM use slot TO

    def slots(self) -> tuple[int, ...]:
        """Every rubric slot the scheme may score with, members first, each once."""
        return tuple(dict.fromkeys([*self.members, *(slot for _, slot in self.pairs)]))


class Rubrics:
    """Every rubric the schemes name, compiled once each; a rubric's index here is its slot."""

    def __init__(self, directory: str | Path | None) -> None:
        """`directory`: where ids are looked up (None: ./rubrics) and, when given, the parents of files."""
        self.directory = Path(directory) if directory is not None else Path("rubrics")
        self.parents = Path(directory) if directory is not None else None
        self.refs: list[RubricRef] = []
        self.compiled: list[CompiledRubric] = []
        self._library: Library | None = None
        self._families: dict[str, dict[str, str]] = {}

    def find(self, name: str) -> list[int]:
        if name.endswith(".rubric") or Path(name).is_file():
            return [self._file(name)]
        if PATTERN_CHARS & set(name):
            library = self._load()
            found = sorted(i for i in library.rubrics if fnmatch.fnmatchcase(i, name))
            if not found:
                raise CompareError(f"no rubric in {self.directory} matches `{name}`")
            return [self._by_id(i) for i in found]
        return [self._by_id(name)]

    def _load(self) -> Library:
        if self._library is None:
            if not self.directory.is_dir():
                raise CompareError(f"rubric directory {self.directory} does not exist; name one with --rubrics DIR")
            self._library = load_library(self.directory)
        return self._library

    def _by_id(self, name: str) -> int:
        library = self._load()
        if name not in library.rubrics:
            broken = [path for path, rubric_id in library.ids.items() if rubric_id == name]
            if broken:
                raise RubricError([d for d in library.files[broken[0]] if d.severity == "error"], library.sources)
            known = sorted(library.rubrics)
            raise CompareError(f"unknown rubric `{name}` in {self.directory}{did_you_mean(name, known)}")
        return self._add(str(self.directory), library.rubrics[name], library.sources)

    def _file(self, name: str) -> int:
        if not Path(name).is_file():
            raise CompareError(f"{name}: no such file")
        parents = self.parents  # --rubrics when given, else the rubrics/ directory that holds the file
        rubric = compile_file(name, parents)
        sources = sources_for({rubric.path: rubric.source_text}, search_dirs(name, parents))
        return self._add(name, rubric, sources)

    def _add(self, origin: str, rubric: CompiledRubric, sources: Mapping[str, str]) -> int:
        for slot, ref in enumerate(self.refs):
            if (ref.id, ref.origin) == (rubric.id, origin):
                return slot
        files = self._files(origin, sources)
        paths = [rubric.path, *(files[i] for i in rubric.ancestors if i in files)]
        self.refs.append(RubricRef(rubric.id, origin, tuple((p, sources[p]) for p in paths), rubric.content_hash))
        self.compiled.append(rubric)
        return len(self.refs) - 1

    def _files(self, origin: str, sources: Mapping[str, str]) -> dict[str, str]:
        """Rubric id → its file, over the files a rubric's parents are found in."""
        if origin not in self._families:
            found: dict[str, str] = {}
            for path, text in sources.items():
                tree, _ = parse(SourceFile(path, text))
                if tree is not None:
                    found.setdefault(tree.id, path)
            self._families[origin] = found
        return self._families[origin]


def load_schemes(specs: Sequence[str], directory: str | Path | None, *, mixed: bool) -> tuple[list[Scheme], Rubrics]:
    """Each spec is one scheme: ids, .rubric files, patterns (`wuping.*`) and, with a rubric
    column, FROM=TO pairs, separated by commas."""
    rubrics = Rubrics(directory)
    schemes = [_scheme(spec, rubrics, mixed) for spec in specs]
    if not schemes:
        raise CompareError("name at least one rubric with --rubric")
    return schemes, rubrics


def _scheme(spec: str, rubrics: Rubrics, mixed: bool) -> Scheme:
    members: list[int] = []
    pairs: list[tuple[str, int]] = []
    for item in (part.strip() for part in spec.split(",")):
        if "=" in item:
            source, _, target = item.partition("=")
            found = rubrics.find(target.strip())
            if len(found) != 1 or not source.strip():
                raise CompareError(f"`{item}`: a pair is FROM=TO, one rubric id on each side")
            pairs.append((source.strip(), found[0]))
        elif item:
            members.extend(s for s in rubrics.find(item) if s not in members)
    if not members and not pairs:
        raise CompareError(f"--rubric `{spec}` names no rubric")
    if not mixed and (pairs or len(members) > 1):
        ids = ", ".join(rubrics.compiled[s].id for s in members)
        raise CompareError(
            f"`{spec}` names several rubrics ({ids}) or pairs; "
            "say which rubric scores each record with --rubric-column COLUMN"
        )
    return Scheme(spec, tuple(members), tuple(pairs))


def route(
    scheme: Scheme, compiled: Sequence[CompiledRubric], name: str | None, *, ambiguous: str = "pair one with {name}=ID"
) -> int | str:
    """The slot (an index into `compiled`) that scores a record whose baseline rubric is `name` in this
    scheme, or why none does; `ambiguous` says what to do when several of its rubrics extend `name`."""
    if name is None:
        only = len(scheme.members) == 1 and not scheme.pairs
        return scheme.members[0] if only else "the record names no rubric in the rubric column"
    for source, slot in scheme.pairs:
        if source == name:
            return slot
    for slot in scheme.members:
        if compiled[slot].id == name:
            return slot
    heirs = [(compiled[s].ancestors.index(name), s) for s in scheme.members if name in compiled[s].ancestors]
    nearest = [s for distance, s in heirs if distance == min(heirs)[0]] if heirs else []
    if len(nearest) == 1:
        return nearest[0]
    if nearest:
        ids = ", ".join(compiled[s].id for s in nearest)
        return f"several rubrics of `{scheme.name}` extend `{name}` ({ids}); {ambiguous.format(name=name)}"
    known = {rubric.id for rubric in compiled}
    return f"no rubric of `{scheme.name}` is or extends `{name}`{did_you_mean(name, known)}"


# --- scoring (in this process or in workers) ------------------------------------------------------------

Outcome = tuple[int, str | None, str]  # slot (-1: none fits), total as text (None: not scored), grade or problem
Top = tuple[tuple[str, str], ...]  # indicator id, signed difference as text (other − baseline)
Diff = tuple[str, Top]  # the grade change ("same", "up", "down") and the largest indicator differences
RecordOut = tuple[tuple[Outcome, ...], tuple[Diff | None, ...]]
Sums = dict[tuple[int, int], tuple[int, tuple[str, ...]]]  # (scheme, slot) → records scored, points summed
Chunk = tuple[list[RecordOut], Sums]
Work = Sequence[tuple[int, tuple[Any, ...]]]  # (route, row) per record
Scoring = tuple[int, str, str, tuple[Decimal, ...]]  # slot, total as text, grade, points in rubric order


@dataclass(frozen=True, slots=True)
class Plan:
    """What scoring a chunk needs besides the compiled rubrics; sent once to each worker."""

    refs: tuple[RubricRef, ...]
    facts: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...]  # per slot: declared facts with a column, and it
    routes: tuple[tuple[int | str, ...], ...]  # per route: per scheme, the slot or why none fits


class Scorer:
    """Scores chunks of records under every scheme; the same code in this process and in workers."""

    def __init__(self, plan: Plan, compiled: Sequence[CompiledRubric]) -> None:
        self.plan = plan
        self._compiled = compiled
        self._ids = [tuple(i.id for i in rubric.indicators) for rubric in compiled]
        self._changes: dict[tuple[int, str, int, str], str] = {}
        self._pairs: dict[tuple[int, int], Alignment] = {}
        # Rubrics that declare the same facts (a rubric and its variants) share one facts dict per record.
        shapes = {shape: n for n, shape in enumerate(dict.fromkeys(plan.facts))}
        self._shape = [shapes[shape] for shape in plan.facts]
        self._facts: dict[int, dict[str, Any]] = {}

    def _score(self, slot: int, row: tuple[Any, ...]) -> Scoring | str:
        shape = self._shape[slot]
        facts = self._facts.get(shape)
        if facts is None:
            names, columns = self.plan.facts[slot]
            facts = {name: row[c] for name, c in zip(names, columns, strict=True) if row[c] is not None}
            self._facts[shape] = facts
        try:
            result = self._compiled[slot].score(facts)
        except InvalidFacts as error:
            return "; ".join(f"{p.fact}: {p.message}" for p in error.problems)
        except EvaluationError as error:
            return str(error)
        return slot, str(result.total), result.grade, tuple(result.points.values())

    def chunk(self, work: Work) -> Chunk:
        records: list[RecordOut] = []
        points: dict[tuple[int, int], list[tuple[Decimal, ...]]] = {}
        routes = self.plan.routes
        for route_index, row in work:
            self._facts.clear()
            done: dict[int, Scoring | str] = {}
            outcomes: list[Outcome] = []
            scored: list[Scoring | None] = []
            for scheme, slot in enumerate(routes[route_index]):
                if isinstance(slot, str):
                    outcomes.append((-1, None, slot))
                    scored.append(None)
                    continue
                got = done[slot] if slot in done else done.setdefault(slot, self._score(slot, row))
                if isinstance(got, str):
                    outcomes.append((slot, None, got))
                    scored.append(None)
                    continue
                outcomes.append((slot, got[1], got[2]))
                scored.append(got)
                points.setdefault((scheme, slot), []).append(got[3])
            records.append((tuple(outcomes), self._differences(scored)))
        with localcontext(EXACT):
            sums = {
                k: (len(rows), tuple(str(sum(c, ZERO)) for c in zip(*rows, strict=True))) for k, rows in points.items()
            }
        return records, sums

    def _differences(self, scored: Sequence[Scoring | None]) -> tuple[Diff | None, ...]:
        base = scored[0]
        found: list[Diff | None] = []
        for other in scored[1:]:
            if base is None or other is None:
                found.append(None)
                continue
            key = (base[0], base[2], other[0], other[2])
            if key not in self._changes:
                self._changes[key] = grade_change(self._compiled[base[0]], base[2], self._compiled[other[0]], other[2])
            pair = base[0], other[0]
            if pair not in self._pairs:
                self._pairs[pair] = align(self._ids[base[0]], self._ids[other[0]])
            found.append((self._changes[key], top(self._pairs[pair], base[3], other[3])))
        return tuple(found)


# How the points of two rubrics line up by indicator id: the ids of both (the first rubric's order, then
# the second's own), and for each rubric which of its points to take, where an index past its last
# indicator takes a 0 (it does not have that indicator). None: the same ids in the same order.
Alignment = tuple[tuple[str, ...], Callable[[tuple[Decimal, ...]], Sequence[Decimal]] | None, Callable[..., Any] | None]
PAD = (ZERO,)


def align(first: Sequence[str], second: Sequence[str]) -> Alignment:
    if tuple(first) == tuple(second):
        return tuple(first), None, None
    ids = tuple(dict.fromkeys([*first, *second]))
    where_first, where_second = {i: n for n, i in enumerate(first)}, {i: n for n, i in enumerate(second)}
    return (
        ids,
        _picker([where_first.get(i, len(first)) for i in ids]),
        _picker([where_second.get(i, len(second)) for i in ids]),
    )


def _picker(indices: Sequence[int]) -> Callable[[tuple[Decimal, ...]], Sequence[Decimal]]:
    if len(indices) == 1:
        only = indices[0]
        return lambda values: (values[only],)
    return itemgetter(*indices)


def top(alignment: Alignment, first: tuple[Decimal, ...], second: tuple[Decimal, ...]) -> Top:
    """The indicators whose points differ most (second − first), by id, the largest first; an
    indicator of only one rubric counts fully. Ties keep the rubric's order."""
    ids, pick_first, pick_second = alignment
    if pick_first is None or pick_second is None:
        if first == second:
            return ()
        deltas = list(map(sub, second, first))
    else:
        deltas = list(map(sub, pick_second(second + PAD), pick_first(first + PAD)))
    sizes = list(map(abs, deltas))
    largest = sorted(range(len(deltas)), key=sizes.__getitem__, reverse=True)[:TOP]  # sorted is stable
    return tuple((ids[k], str(deltas[k])) for k in largest if sizes[k])


def grade_change(before: CompiledRubric, grade: str, after: CompiledRubric, other: str) -> str:
    """Whether a record's grade changed between two rubrics: `same` when the label is the same, or
    stands at the same place in grade scales of the same length (优 and 优秀, 良 and 良好); else `up`
    or `down` by place in the scale, best first."""
    first = [g.label for g in before.grades]
    second = [g.label for g in after.grades]
    if grade == other or (len(first) == len(second) and first.index(grade) == second.index(other)):
        return "same"
    return "up" if second.index(other) < first.index(grade) else "down"


_WORKER: Scorer | str | None = None  # this worker's scorer, or why it could not start
_CHUNKS: Sequence[Work] = ()  # a forked worker's copy of the parent's chunks: tasks then name them by number
# Set in the parent just before forking workers, which start with the compiled rubrics and the records.
_INHERITED: tuple[Scorer, Sequence[Work]] | None = None


def _start_worker(plan: Plan) -> None:
    global _WORKER, _CHUNKS
    if _INHERITED is not None and _INHERITED[0].plan is plan:  # forked: all of it is here already
        _WORKER, _CHUNKS = _INHERITED
        return
    origins: dict[str, dict[str, str]] = {}
    for ref in plan.refs:
        origins.setdefault(ref.origin, {}).update(ref.sources)
    libraries = {origin: build_library(sources) for origin, sources in origins.items()}
    compiled = [libraries[ref.origin].rubrics.get(ref.id) for ref in plan.refs]
    broken = [ref.id for ref, rubric in zip(plan.refs, compiled, strict=True) if rubric is None]
    changed = [r.id for r, c in zip(plan.refs, compiled, strict=True) if c and c.content_hash != r.content_hash]
    if broken or changed:
        _WORKER = f"a worker compiled different rubrics: {', '.join(broken + changed)}"
    else:
        _WORKER = Scorer(plan, [c for c in compiled if c is not None])


def _work(work: Work | int) -> Chunk:
    """Score one chunk: its records, or (forked) its number in the inherited chunks."""
    if not isinstance(_WORKER, Scorer):
        raise CompareError(_WORKER or "worker not started")
    with paused_gc():
        return _WORKER.chunk(_CHUNKS[work] if isinstance(work, int) else work)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Build many small objects without the cycle collector: a comparison makes no reference cycles,
    and full collections over a large table's objects would take most of the run's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def start_method() -> str:
    """fork starts a worker in milliseconds with the compiled rubrics already in memory; spawn imports
    and compiles everything again (seconds). Fork only on Linux, and only with no other thread running."""
    return "fork" if sys.platform.startswith("linux") and threading.active_count() == 1 else "spawn"


class Progress:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, total: int, stream: TextIO | None) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.start = self.drawn = time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if self.stream is not None and (now - self.drawn >= 0.1 or self.done >= self.total):
            self.drawn = now
            share = self.done / self.total if self.total else 1.0
            bar = "█" * int(30 * share) + "░" * (30 - int(30 * share))
            line = f"\rcompare {bar} {share:4.0%} {self.done:,}/{self.total:,} records {now - self.start:.1f}s"
            self.stream.write(line)
            self.stream.flush()

    def close(self) -> None:
        if self.stream is not None and self.done:
            self.stream.write("\n")
            self.stream.flush()


def progress_stream(wanted: bool | None, records: int) -> TextIO | None:
    """stderr when asked for (`--progress`), or by default on a terminal for a long run."""
    if wanted is None:
        wanted = sys.stderr.isatty() and records >= POOL_THRESHOLD
    return sys.stderr if wanted else None


def score_all(
    plan: Plan,
    compiled: Sequence[CompiledRubric],
    work: Work,
    *,
    workers: int | None = None,
    progress: TextIO | None = None,
    chunk_size: int = CHUNK,
    method: str | None = None,
) -> Iterator[tuple[int, Chunk]]:
    """Score every record, chunk by chunk, yielding (chunk number, results) as chunks finish.
    `workers` None picks this process for small tables, else one worker per core."""
    chunks = [work[i : i + chunk_size] for i in range(0, len(work), chunk_size)]
    if workers is None:
        workers = 1 if len(work) < POOL_THRESHOLD else min(os.cpu_count() or 1, len(chunks))
    bar = Progress(len(work), progress)
    try:
        if workers <= 1:
            scorer = Scorer(plan, compiled)
            for number, chunk in enumerate(chunks):
                yield number, scorer.chunk(chunk)
                bar.advance(len(chunk))
        else:
            yield from _pool(Scorer(plan, compiled), chunks, workers, bar, method or start_method())
    finally:
        bar.close()


def _pool(
    scorer: Scorer, chunks: Sequence[Work], workers: int, bar: Progress, method: str
) -> Iterator[tuple[int, Chunk]]:
    global _INHERITED
    forked = method == "fork"
    _INHERITED = (scorer, chunks) if forked else None
    context = multiprocessing.get_context(method)
    pool = ProcessPoolExecutor(workers, context, initializer=_start_worker, initargs=(scorer.plan,))
    try:
        futures = {pool.submit(_work, number if forked else chunk): number for number, chunk in enumerate(chunks)}
        for future in as_completed(futures):
            yield futures[future], future.result()
            bar.advance(len(chunks[futures[future]]))
    except BrokenProcessPool as error:
        raise CompareError(f"worker processes failed: {error}") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on an error, do not score what nobody will read
        _INHERITED = None


# --- the comparison ---------------------------------------------------------------------------------------


class Scored(NamedTuple):
    slot: int
    total: Decimal
    grade: str


class Unscored(NamedTuple):
    slot: int | None  # None when no rubric of the scheme fits the record
    problem: str


class Difference(NamedTuple):
    """A scheme against the baseline for one record."""

    delta: Decimal  # other − baseline
    change: str  # "same", "up" (a better grade) or "down"
    indicators: tuple[tuple[str, Decimal], ...]  # the largest differences by indicator id, signed


class RecordComparison(NamedTuple):
    id: str
    where: str
    weight: Decimal | None
    outcomes: tuple[Scored | Unscored, ...]  # one per scheme
    differences: tuple[Difference | None, ...]  # one per scheme after the baseline


@dataclass(frozen=True, slots=True)
class Lost:
    id: str
    label: str
    weight: Decimal
    mean: Decimal  # mean points lost over the records scored by a rubric that has the indicator


@dataclass(frozen=True, slots=True)
class Summary:
    scheme: Scheme
    scored: int
    unscored: int
    grades: tuple[tuple[str, int], ...]  # every grade label of the scheme's rubrics, best first
    mean: Decimal | None  # rounded half-up to 0.01
    median: Decimal | None  # exact
    minimum: Decimal | None
    maximum: Decimal | None
    weighted_mean: Decimal | None  # rounded half-up to 0.01; None without a weight column
    weight_total: Decimal | None
    weighted: int  # records in the weighted mean
    lost: tuple[Lost, ...]
    slots: tuple[int, ...]  # the scheme's rubrics that scored at least one record


@dataclass(slots=True)
class Comparison:
    data: str
    schemes: list[Scheme]
    rubrics: Rubrics
    records: list[RecordComparison]
    summaries: list[Summary]
    warnings: list[str] = field(default_factory=list)
    id_column: str | None = None
    weight_column: str | None = None
    rubric_column: str | None = None

    _labels: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def label(self, indicator: str) -> str:
        """An indicator's label, as the first rubric that has it words it."""
        if not self._labels:
            for rubric in reversed(self.rubrics.compiled):  # the first rubric's wording wins
                self._labels.update((info.id, info.label) for info in rubric.indicators)
        return self._labels.get(indicator, indicator)


def compare(
    schemes: Sequence[Scheme],
    rubrics: Rubrics,
    table: Table,
    *,
    id_column: str | None = None,
    weight_column: str | None = None,
    rubric_column: str | None = None,
    workers: int | None = None,
    progress: TextIO | None = None,
    chunk_size: int = CHUNK,
    method: str | None = None,
) -> Comparison:
    """Score every record of `table` under every scheme; `workers` None decides by the table's size,
    `method` (fork or spawn) how workers start (default: `start_method()`)."""
    index = {name: i for i, name in enumerate(table.columns)}
    for option, name in (
        ("--id-column", id_column),
        ("--weight-column", weight_column),
        ("--rubric-column", rubric_column),
    ):
        if name is not None and name not in index:
            raise CompareError(f"{option} `{name}`: the data has no such column{did_you_mean(name, index)}")
    if rubric_column is None and any(len(s.members) != 1 or s.pairs for s in schemes):
        raise CompareError("a scheme of several rubrics needs --rubric-column COLUMN")
    keys, routes, work = _routes(schemes, rubrics, table, index.get(rubric_column or ""))
    plan = Plan(tuple(rubrics.refs), tuple(_fact_columns(r, index) for r in rubrics.compiled), tuple(routes))
    comparison = Comparison(table.path, list(schemes), rubrics, [], [], [], id_column, weight_column, rubric_column)
    used = {slot for found in routes for slot in found if isinstance(slot, int)}
    comparison.warnings.extend(_column_warnings(rubrics, used, table, {id_column, weight_column, rubric_column}))
    columns = index.get(id_column or ""), index.get(weight_column or "")
    parts: dict[int, list[RecordComparison]] = {}
    sums: dict[tuple[int, int], list[Decimal]] = {}
    assemble = _Records(table, columns)
    with paused_gc():
        scored = score_all(
            plan, rubrics.compiled, work, workers=workers, progress=progress, chunk_size=chunk_size, method=method
        )
        for number, (records, chunk_sums) in scored:
            parts[number] = assemble(number * chunk_size, records)
            _add_sums(sums, chunk_sums)
        comparison.records.extend(record for number in sorted(parts) for record in parts[number])
        comparison.warnings.extend(assemble.warnings)
        comparison.summaries.extend(_summary(comparison, i, sums) for i in range(len(schemes)))
    if rubric_column is not None:
        comparison.warnings.extend(_unused_pairs(schemes, rubrics, keys))
    return comparison


def _routes(
    schemes: Sequence[Scheme], rubrics: Rubrics, table: Table, column: int | None
) -> tuple[set[str | None], list[tuple[int | str, ...]], list[tuple[int, tuple[Any, ...]]]]:
    found: dict[str | None, int] = {}
    routes: list[tuple[int | str, ...]] = []
    work: list[tuple[int, tuple[Any, ...]]] = []
    for row in table.rows:
        key = None if column is None or row[column] is None else str(row[column]).strip()
        if key not in found:
            found[key] = len(routes)
            routes.append(tuple(route(s, rubrics.compiled, key) for s in schemes))
        work.append((found[key], row))
    return set(found), routes, work


def _fact_columns(rubric: CompiledRubric, index: Mapping[str, int]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    given = [i.name for i in rubric.inputs if i.name in index]
    return tuple(given), tuple(index[name] for name in given)


def _column_warnings(rubrics: Rubrics, used: set[int], table: Table, named: set[str | None]) -> list[str]:
    """Columns no compared rubric declares (typos), and required facts no record gives to a rubric
    that some record is routed to."""
    declared = {i.name for rubric in rubrics.compiled for i in rubric.inputs}
    warnings = [
        f"column `{c}` is not a fact of any compared rubric{did_you_mean(c, declared)}; it is ignored"
        for c in table.columns
        if c not in declared and c not in named
    ]
    index = {name: i for i, name in enumerate(table.columns)}
    given: dict[str, bool] = {}
    for rubric in (rubrics.compiled[slot] for slot in sorted(used)):
        absent = [i.name for i in rubric.inputs if i.required and not _given(i.name, index, table, given)]
        if absent:
            warnings.append(f"{rubric.id}: no record gives the required facts {', '.join(absent)}")
    return warnings


def _given(name: str, index: Mapping[str, int], table: Table, cache: dict[str, bool]) -> bool:
    if name not in cache:
        column = index.get(name)
        cache[name] = column is not None and any(row[column] is not None for row in table.rows)
    return cache[name]


def _unused_pairs(schemes: Sequence[Scheme], rubrics: Rubrics, keys: set[str | None]) -> list[str]:
    return [
        f"`{scheme.name}`: no record's rubric is `{source}`, so {source}={rubrics.compiled[slot].id} pairs nothing"
        for scheme in schemes
        for source, slot in scheme.pairs
        if source not in keys
    ]


class _Records:
    """Turns scored chunks into `RecordComparison`s; totals and differences take few distinct values,
    so each text is read as a Decimal once."""

    def __init__(self, table: Table, columns: tuple[int | None, int | None]) -> None:
        self._table = table
        self._id, self._weight = columns
        self._warnings: dict[int, list[str]] = {}  # by the chunk's first record: chunks finish in any order
        self._numbers: dict[str, Decimal] = {}

    @property
    def warnings(self) -> list[str]:
        return [warning for start in sorted(self._warnings) for warning in self._warnings[start]]

    def _number(self, text: str) -> Decimal:
        found = self._numbers.get(text)
        if found is None:
            found = self._numbers[text] = Decimal(text)
        return found

    def __call__(self, start: int, records: Sequence[RecordOut]) -> list[RecordComparison]:
        rows, wheres, id_col, weight_col = self._table.rows, self._table.where, self._id, self._weight
        number = self._number
        found = []
        warnings = self._warnings.setdefault(start, [])
        for index, (outcomes, diffs) in enumerate(records, start):
            row, where = rows[index], wheres[index]
            ident = str(row[id_col]) if id_col is not None and row[id_col] is not None else where
            weight = _weight(row[weight_col], where, warnings) if weight_col is not None else None
            scored = tuple(
                [
                    Scored(s, number(t), g) if t is not None else Unscored(s if s >= 0 else None, g)
                    for s, t, g in outcomes
                ]
            )
            base = scored[0]
            differences: list[Difference | None] = []
            for other, diff in zip(scored[1:], diffs, strict=True):
                if diff is None or type(base) is not Scored or type(other) is not Scored:
                    differences.append(None)
                else:
                    indicators = tuple([(i, number(d)) for i, d in diff[1]])
                    differences.append(Difference(other.total - base.total, diff[0], indicators))
            found.append(RecordComparison(ident, where, weight, scored, tuple(differences)))
        return found


def _add_sums(sums: dict[tuple[int, int], list[Decimal]], chunk: Sums) -> None:
    """Add a chunk's per-indicator point sums; the first item of each list counts the records."""
    with localcontext(EXACT):
        for key, (count, points) in chunk.items():
            found = sums.setdefault(key, [ZERO] * (len(points) + 1))
            found[0] += count
            for i, text in enumerate(points, 1):
                found[i] += Decimal(text)


def _weight(raw: Any, where: str, warnings: list[str]) -> Decimal | None:
    try:
        value = Decimal(repr(raw) if isinstance(raw, float) else str(raw).strip()) if raw is not None else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0:
        warnings.append(f"{where}: weight {raw!r} is not a number ≥ 0; the record is left out of weighted means")
        return None
    return value


def _summary(comparison: Comparison, scheme: int, sums: Mapping[tuple[int, int], list[Decimal]]) -> Summary:
    tally = Tally()
    for record in comparison.records:
        outcome = record.outcomes[scheme]
        if type(outcome) is Scored:
            tally.add(outcome.total, outcome.grade, record.weight)
    tally.points.update((slot, found) for (column, slot), found in sums.items() if column == scheme)
    return summarize(
        comparison.schemes[scheme],
        comparison.rubrics.compiled,
        tally,
        len(comparison.records),
        weights=comparison.weight_column is not None,
    )


@dataclass(slots=True)
class Tally:
    """What a scheme's summary needs of its scored records, gathered one record at a time: how often
    each total and grade occurs (totals take few distinct values: counting them beats sorting them),
    the weights, and per rubric the records it scored and their points summed by indicator. Sums are
    exact (`EXACT`) whatever the caller's decimal context."""

    totals: Counter[Decimal] = field(default_factory=Counter)
    grades: Counter[str] = field(default_factory=Counter)
    weight_total: Decimal = ZERO
    weighted_sum: Decimal = ZERO
    weighted: int = 0
    points: dict[int, list[Decimal]] = field(default_factory=dict)  # slot → [records, points summed per indicator…]

    def add(self, total: Decimal, grade: str, weight: Decimal | None) -> None:
        self.totals[total] += 1
        self.grades[grade] += 1
        if weight is not None:
            self.weight_total = EXACT.add(self.weight_total, weight)
            self.weighted_sum = EXACT.add(self.weighted_sum, EXACT.multiply(total, weight))
            self.weighted += 1

    def add_points(self, slot: int, rows: Sequence[Sequence[Decimal]]) -> None:
        """Records scored by rubric `slot`: each one's points by indicator, in the rubric's order."""
        if not rows:
            return
        found = self.points.get(slot)
        if found is None:
            found = self.points[slot] = [ZERO] * (len(rows[0]) + 1)
        found[0] += len(rows)
        with localcontext(EXACT):
            for i, column in enumerate(zip(*rows, strict=True), 1):
                found[i] += sum(column, ZERO)


def summarize(
    scheme: Scheme, compiled: Sequence[CompiledRubric], tally: Tally, records: int, *, weights: bool
) -> Summary:
    """A scheme's statistics over `records` records, of which `tally` holds the scored ones; `weights`:
    whether records carry weights (else the weighted mean and weight total are None)."""
    members = scheme.slots()
    used = tuple(s for s in members if s in tally.points)
    counts = dict.fromkeys((g.label for s in used or members for g in compiled[s].grades), 0)
    for label, count in tally.grades.items():
        counts[label] = counts.get(label, 0) + count
    totals = tally.totals
    with localcontext(EXACT):
        scored = sum(totals.values())
        mean = sum((t * n for t, n in totals.items()), ZERO) / scored if scored else None
        weighted_mean = tally.weighted_sum / tally.weight_total if tally.weight_total else None
        ordered = sorted(totals)
        median = _median(ordered, totals, scored)
    return Summary(
        scheme=scheme,
        scored=scored,
        unscored=records - scored,
        grades=tuple(counts.items()),
        mean=None if mean is None else _cents(mean),
        median=median,
        minimum=ordered[0] if ordered else None,
        maximum=ordered[-1] if ordered else None,
        weighted_mean=_cents(weighted_mean) if weights and weighted_mean is not None else None,
        weight_total=tally.weight_total if weights else None,
        weighted=tally.weighted,
        lost=_lost(compiled, tally.points, members),
        slots=used,
    )


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _median(ordered: Sequence[Decimal], tally: Mapping[Decimal, int], count: int) -> Decimal | None:
    """The exact median of `count` values, given as their distinct values in order and how often each occurs."""
    if not count:
        return None
    low, high = (count - 1) // 2, count // 2  # the middle one, or the middle two
    seen, found = 0, list[Decimal]()
    for value in ordered:
        seen += tally[value]
        while len(found) < 2 and seen > (low, high)[len(found)]:
            found.append(value)
        if len(found) == 2:
            break
    return found[0] if found[0] == found[1] else (found[0] + found[1]) / 2


def _lost(
    compiled: Sequence[CompiledRubric], points: Mapping[int, list[Decimal]], members: Sequence[int]
) -> tuple[Lost, ...]:
    """Mean points lost per indicator id, over the records of the scheme's rubrics that have it."""
    lost: dict[str, list[Any]] = {}  # id → [label, weight, points lost, records]
    with localcontext(EXACT):
        for slot in members:
            if slot not in points:
                continue
            count, *summed_points = points[slot]
            for info, summed in zip(compiled[slot].indicators, summed_points, strict=True):
                entry = lost.setdefault(info.id, [info.label, info.weight, ZERO, 0])
                entry[2] += info.weight * count - summed
                entry[3] += count
        return tuple(Lost(i, label, weight, _cents(total / n)) for i, (label, weight, total, n) in lost.items())
