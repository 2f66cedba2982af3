"""CheckRubric's work, done in a process of its own and bounded by a budget.

Takes: the text to check, its path, the texts of its parent chain (or the directory to look for parents in),
and a ``CheckBudget``. Guarantees:

* the check runs in a separate Python process (``python -m rubric_service.check_worker``), started at the
  first check and again after one was stopped, so its CPU time never holds the scoring process's GIL and its
  memory is never the server's; the server's side only sends the texts and reads back the diagnostics. The
  process runs at the lowest CPU priority (nice 19): when the cores are busy scoring, checks wait, not scoring;
* the budget: the source's size in bytes (refused before anything is sent), its indicators (counted on the
  parsed tree, before it is checked), the size of the code it compiles to (the rubric is compiled after a
  clean check, so that what would be served is what was checked), the CPU seconds one check may use
  (``RLIMIT_CPU``, whole seconds), the seconds it may take in all (``wall_seconds``, however busy the machine:
  the process is killed past them) and the memory the process may take (its address space). Beyond any,
  ``BudgetExceeded`` names what (``source_bytes``, ``indicators``, ``code_bytes``, ``cpu_seconds``,
  ``seconds``, ``memory_bytes``), the limit, and how much was asked when it is known;
* one check at a time per process: callers wait their turn (the servicer admits at most ``MAX_CHECKS``);
* the process keeps the compile caches (``rubric_dsl.cache``), so the served parents are parsed once, not per
  check; it ends when the server closes its input (or dies).
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

MAX_CHECK_SOURCE_BYTES = 256 * 1024  # the largest real scheme is a few kilobytes
MAX_CHECK_INDICATORS = 500
MAX_CHECK_CODE_BYTES = 2 * 1024 * 1024
CHECK_CPU_SECONDS = 5  # RLIMIT_CPU counts whole seconds
CHECK_SECONDS = 30.0  # in all, waiting for the CPU at the lowest priority included
CHECK_MEMORY_BYTES = 1024 * 1024 * 1024
START_SECONDS = 60.0  # the worker's own start (imports) is not the check's time
HEADER = struct.Struct("<Q")


@dataclass(frozen=True)
class CheckBudget:
    source_bytes: int = MAX_CHECK_SOURCE_BYTES
    indicators: int = MAX_CHECK_INDICATORS
    code_bytes: int = MAX_CHECK_CODE_BYTES
    cpu_seconds: int = CHECK_CPU_SECONDS
    wall_seconds: float = CHECK_SECONDS
    memory_bytes: int = CHECK_MEMORY_BYTES


class BudgetExceeded(Exception):
    def __init__(self, what: str, limit: float, actual: float | None = None) -> None:
        self.what, self.limit, self.actual = what, limit, actual
        asked = f" ({number(actual)} asked)" if actual is not None else ""
        super().__init__(f"the check exceeded its budget of {what}: at most {number(limit)}{asked}")


def number(value: float) -> str:
    """``1000000``, ``2.5``: a budget's figure as written in options."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class CheckFailed(Exception):
    """The worker could not check the text (it died, or a bug in it): no diagnostics to give."""


class CheckWorker:
    """The server's handle on the check process."""

    def __init__(self, budget: CheckBudget | None = None) -> None:
        self.budget = budget or CheckBudget()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self.started = 0  # processes started so far (a killed one is replaced)

    def check(self, source: str, path: str, parents: dict[str, str] | None, search_dir: str | None) -> list[Any]:
        """The diagnostics of ``source``; raises ``BudgetExceeded`` or ``CheckFailed``."""
        size = len(source.encode("utf-8"))
        if size > self.budget.source_bytes:
            raise BudgetExceeded("source_bytes", self.budget.source_bytes, size)
        job = pickle.dumps((source, path, parents, search_dir, self.budget), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            proc = self._running()
            try:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(HEADER.pack(len(job)) + job)
                proc.stdin.flush()
                reply = _read_message(proc.stdout, self.budget.wall_seconds)
            except TimeoutError:
                self._stop()
                raise BudgetExceeded("seconds", self.budget.wall_seconds) from None
            except (OSError, EOFError, ValueError) as exc:
                code = self._stop()
                raise CheckFailed(f"the check process ended (exit code {code})") from exc
        kind, *rest = pickle.loads(reply)  # our own child's answer
        if kind == "ok":
            return list(rest[0])
        if kind == "exceeded":
            raise BudgetExceeded(*rest)
        raise CheckFailed(str(rest[0]))

    def start_soon(self) -> None:
        """Start the process now, in the background, so that the first check does not wait for its imports."""

        def start() -> None:
            with self._lock:
                try:
                    self._running()
                except (OSError, EOFError, TimeoutError, ValueError):
                    self._stop()  # the first check starts it again, and says why if it cannot

        threading.Thread(target=start, name="check-worker-start", daemon=True).start()

    def _running(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            path = [*_import_roots(), *filter(None, [os.environ.get("PYTHONPATH")])]
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "rubric_service.check_worker", str(self.budget.memory_bytes)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
            self.started += 1
            # a handle dropped without close() (a servicer made and forgotten) still ends its process
            weakref.finalize(self, _end, self._proc)
            assert self._proc.stdout is not None
            _read_message(self._proc.stdout, START_SECONDS)  # "ready": its imports are done
        return self._proc

    def _stop(self) -> int | None:
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        return code

    def close(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()  # the worker ends at the end of its input
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Close the pipes of ``proc`` and see it end (it ends at the end of its input; killed if it does not)."""
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _import_roots() -> list[str]:
    """Where this process found ``rubric_service`` and ``rubric_dsl``, for the worker to find them too."""
    import rubric_dsl

    return [str(Path(__file__).resolve().parent.parent), str(Path(rubric_dsl.__file__).resolve().parent.parent)]


def _read_message(stream: IO[bytes], seconds: float) -> bytes:
    head = _read_exactly(stream, HEADER.size, seconds)
    return _read_exactly(stream, HEADER.unpack(head)[0], seconds)


def _read_exactly(stream: IO[bytes], size: int, seconds: float) -> bytes:
    import time

    deadline = time.monotonic() + seconds
    chunks: list[bytes] = []
    fd = stream.fileno()
    while size:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


# -- the worker process ------------------------------------------------------------------------------------


def _count_indicators(nodes: Any) -> int:
    from rubric_dsl import ast

    count, stack = 0, list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Indicator):
            count += 1
        elif isinstance(node, ast.Section):
            stack.extend(node.children)
    return count


def work(source: str, path: str, parents: dict[str, str] | None, search_dir: str | None, budget: CheckBudget) -> Any:
    """One check, in the worker: ("ok", diagnostics) or ("exceeded", what, limit, actual)."""
    from rubric_dsl.api import build_library, sources_for
    from rubric_dsl.parser import parse_kept
    from rubric_dsl.source import SourceFile

    tree, _ = parse_kept(SourceFile(path, source))
    if tree is not None:
        indicators = _count_indicators(tree.body)
        if indicators > budget.indicators:
            return ("exceeded", "indicators", budget.indicators, indicators)
    if parents is None:  # the chain is not among the served texts: the directory's files, as before
        parents = sources_for({path: source}, [search_dir] if search_dir is not None else [])
    library = build_library({**parents, path: source})
    for rubric in library.rubrics.values():
        if rubric.path == path:
            code = len(rubric.generated_source.encode("utf-8"))
            if code > budget.code_bytes:
                return ("exceeded", "code_bytes", budget.code_bytes, code)
    return ("ok", library.files.get(path, []))


class OutOfCpu(Exception):
    pass


def _out_of_cpu(signum: int, frame: Any) -> None:
    raise OutOfCpu


def _cpu_limit(seconds: int) -> None:
    """SIGXCPU once this process has used ``seconds`` more CPU seconds than so far."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = math.ceil(used.ru_utime + used.ru_stime)
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    soft = spent + seconds
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def main(argv: list[str]) -> int:
    memory = int(argv[0]) if argv else CHECK_MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    os.nice(19)  # scoring first: checks take what the cores leave
    signal.signal(signal.SIGXCPU, _out_of_cpu)
    import rubric_dsl.api  # noqa: F401  (the imports are the start's time, not a check's)
    from rubric_dsl.parser import lark_parser

    lark_parser()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    _send(stdout, b"ready")
    while True:
        head = stdin.read(HEADER.size)
        if len(head) < HEADER.size:
            return 0
        job = stdin.read(HEADER.unpack(head)[0])
        try:
            source, path, parents, search_dir, budget = pickle.loads(job)
            _cpu_limit(budget.cpu_seconds)
            reply: Any = work(source, path, parents, search_dir, budget)
        except OutOfCpu:
            reply = ("exceeded", "cpu_seconds", budget.cpu_seconds, None)
        except MemoryError:
            reply = ("exceeded", "memory_bytes", memory, None)
        except RecursionError:
            reply = ("error", "the text nests too deeply to check")
        except Exception as exc:  # a bug: said to the server, which logs it; the worker goes on
            reply = ("error", repr(exc)[:500])
        _send(stdout, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))


def _send(stream: IO[bytes], data: bytes) -> None:
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
