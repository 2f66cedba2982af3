"""Scoring a table's records in this process or in worker processes, chunk by chunk.

Large tables are scored by worker processes, one per core, in chunks. Compiled rubrics hold
generated functions and do not pickle: a forked worker (Linux) starts with the parent's compiled
rubrics and records in memory; a spawned one compiles the rubrics again from the source texts read
by the parent (`Plan.refs`) and checks their content hashes, and is sent the records. Both run the
one `Scorer`, so the decimals are identical; a chunk's results come back pickled, each distinct
decimal once (the scorer keeps one object per value).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

from rubric_dsl.compare.records import WORKERS_FAILED_ZH, CompareError
from rubric_dsl.compare.schemes import RubricRef, compile_refs
from rubric_dsl.compare.scoring import Columns, Difference, Differences, Outcomes, Route, Scored, Scorer, Sums
from rubric_dsl.program import CompiledRubric

CHUNK = 2_000  # records per task sent to a worker
POOL_THRESHOLD = 5_000  # fewer records than this are scored in this process: starting workers costs more

Work = Sequence[tuple[int, tuple[Any, ...]]]  # (route number, row) per record
Chunk = tuple[list[tuple[Outcomes, Differences]], Sums]  # per record its outcomes and differences; point sums


@dataclass(frozen=True, slots=True)
class Plan:
    """What scoring a chunk needs besides the compiled rubrics; sent once to each worker."""

    refs: tuple[RubricRef, ...]
    facts: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...]  # per slot: declared facts with a column, and it
    routes: tuple[Route, ...]  # per route number: per scheme, the slot or why none fits


class ChunkScorer:
    """Chunks of a table through the one `Scorer`: each record by its route number and its row."""

    def __init__(self, plan: Plan, compiled: Sequence[CompiledRubric], *, plain: bool = False) -> None:
        self.plan = plan
        self.scorer = Scorer(compiled, Columns(plan.facts), plain=plain)

    def chunk(self, work: Work) -> Chunk:
        routes, record = self.plan.routes, self.scorer.record
        return [record(routes[number], row) for number, row in work], self.scorer.sums()


_WORKER: ChunkScorer | CompareError | None = None  # this worker's scorer, or why it could not start
_CHUNKS: Sequence[Work] = ()  # a forked worker's copy of the parent's chunks: tasks then name them by number
# Set in the parent just before forking workers, which start with the compiled rubrics and the records.
_INHERITED: tuple[ChunkScorer, Sequence[Work]] | None = None


def _start_worker(plan: Plan) -> None:
    global _WORKER, _CHUNKS
    if _INHERITED is not None and _INHERITED[0].plan is plan:  # forked: all of it is here already
        _WORKER, _CHUNKS = _INHERITED
        return
    try:
        _WORKER = ChunkScorer(plan, compile_refs(plan.refs), plain=True)
    except CompareError as error:
        _WORKER = error


def _work(work: Work | int) -> Any:
    """Score one chunk: its records, or (forked) its number in the inherited chunks; plain results."""
    if not isinstance(_WORKER, ChunkScorer):
        if isinstance(_WORKER, CompareError):
            raise CompareError(str(_WORKER), _WORKER.message_zh)
        raise CompareError("worker not started", "工作进程未启动")
    with paused_gc():
        return _WORKER.chunk(_CHUNKS[work] if isinstance(work, int) else work)


def _rebuilt(chunk: Any) -> Chunk:
    """A worker's chunk, whose `Scored` and `Difference` come as plain tuples (`Scorer(plain=True)`:
    they pickle in C, a NamedTuple through Python code, several times slower), made whole in C."""
    records, sums = chunk
    new, scored, difference = tuple.__new__, Scored, Difference
    return [
        (
            tuple([new(scored, o) if type(o) is tuple else o for o in outcomes]),
            tuple([None if d is None else new(difference, d) for d in differences]),
        )
        for outcomes, differences in records
    ], sums


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
            scorer = ChunkScorer(plan, compiled)
            for number, chunk in enumerate(chunks):
                yield number, scorer.chunk(chunk)
                bar.advance(len(chunk))
        else:
            yield from _pool(ChunkScorer(plan, compiled, plain=True), chunks, workers, bar, method or start_method())
    finally:
        bar.close()


def _pool(
    scorer: ChunkScorer, chunks: Sequence[Work], workers: int, bar: Progress, method: str
) -> Iterator[tuple[int, Chunk]]:
    global _INHERITED
    forked = method == "fork"
    _INHERITED = (scorer, chunks) if forked else None
    context = multiprocessing.get_context(method)
    pool = ProcessPoolExecutor(workers, context, initializer=_start_worker, initargs=(scorer.plan,))
    try:
        futures = {pool.submit(_work, number if forked else chunk): number for number, chunk in enumerate(chunks)}
        for future in as_completed(futures):
            yield futures[future], _rebuilt(future.result())
            bar.advance(len(chunks[futures[future]]))
    except BrokenProcessPool as error:
        raise CompareError(f"worker processes failed: {error}", WORKERS_FAILED_ZH) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on an error, do not score what nobody will read
        _INHERITED = None
