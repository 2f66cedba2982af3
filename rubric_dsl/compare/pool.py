"""Scoring a table's records in this process or in worker processes, chunk by chunk."""

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
from typing import TextIO

from rubric_dsl.api import build_library
from rubric_dsl.compare.records import CompareError
from rubric_dsl.compare.scoring import Chunk, Plan, Scorer, Work
from rubric_dsl.program import CompiledRubric

CHUNK = 2_000  # records per task sent to a worker
POOL_THRESHOLD = 5_000  # fewer records than this are scored in this process: starting workers costs more

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
