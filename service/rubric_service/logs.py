"""structlog set-up: one JSON object per line on stdout (or a given stream).

Takes: nothing but the stream to write to. Guarantees: every event is a single
line of JSON with ``event``, ``level`` and an ISO-8601 UTC ``timestamp``; Chinese
text stays readable (no ``\\u`` escapes); lines reach the stream whole and in the
order they were logged, flushed within ``LINGER_SECONDS`` (20 ms) of being
logged, and at interpreter exit.

Why a writer thread: a request thread that writes and flushes its own line
releases the GIL for the system call and then waits for it again behind the other
RPC threads; under load that wait cost Score more than its whole scoring. So the
request thread only appends the rendered line to a queue, and one daemon thread
writes what has gathered, a batch per write. A line still queued when the process
is killed (SIGKILL) is lost, at most ``LINGER_SECONDS`` of lines (at 2,000 calls/s,
about 40 decision lines); SIGTERM and a normal exit flush it. With ``sync`` (``rubric
serve --decision-log-sync``) each line is written and flushed to the operating system
by the thread that logs it before that thread goes on (a reply leaves only after its
decision line was written), so a SIGKILL loses none, at the cost of that write per call.

``LineTemplate`` and ``line_writer`` let a hot path (the decision line) queue its
event to the same writer, to be rendered there exactly as the chain below renders it.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import datetime
import json
import sys
import threading
import time
from collections.abc import Callable, MutableMapping
from typing import Any, TextIO, cast

import structlog
from structlog.typing import FilteringBoundLogger

# How long the writer lets lines gather before one write. Each wake-up of the writer costs
# ~20 µs of CPU (the GIL, a write, a flush): at 2 ms it cost a Score call ~9 µs under load.
LINGER_SECONDS = 0.02

Values = tuple[str | float, ...]  # what fills a LineTemplate's blanks

_sink: LineWriter | None = None
_process_fields: dict[str, Any] = {}  # what every line ends with (a worker's pid under ``--processes N``)


class LineWriter:
    """Writes whole lines to ``stream`` from one background thread; callers never block on I/O.

    ``write_line`` queues a rendered line; ``write_event`` queues an event of a
    ``LineTemplate`` with the time of the call, and the writer renders it with the
    rest of its batch: a hot path then spends ~0.3 µs on its line, and rendering a
    batch in a row costs a fraction of rendering each line between gRPC's work.
    """

    def __init__(self, stream: TextIO, linger: float = LINGER_SECONDS, sync: bool = False) -> None:
        self.stream = stream
        self.linger = linger
        self.sync = sync
        # Rendered lines, or (template, values, ns) to render; append and popleft are atomic.
        self._queue: collections.deque[str | tuple[LineTemplate, Values, int]] = collections.deque()
        self._wake = threading.Event()
        self._write_lock = threading.Lock()  # one batch at a time: the thread's, or flush()'s
        self._broken = False  # the stream failed: lines are dropped rather than kept forever
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()
        atexit.register(self._flush_at_exit)

    def write_line(self, line: str) -> None:
        if self._broken:
            return
        self._queue.append(line)
        if self.sync:
            self._flush_now()
        elif not self._wake.is_set():  # at most one wake-up per batch
            self._wake.set()

    # structlog calls the method named after the level with the rendered line.
    msg = debug = info = warning = warn = error = err = critical = fatal = exception = log = write_line

    def write_event(self, template: LineTemplate, values: Values) -> None:
        """Queue ``template.render(*values)`` as of now, to be rendered by the writer."""
        if self._broken:
            return
        self._queue.append((template, values, time.time_ns()))
        if self.sync:
            self._flush_now()
        elif not self._wake.is_set():
            self._wake.set()

    def _flush_now(self) -> None:
        try:
            self.flush()
        except (OSError, ValueError):  # the stream went away: as the writer thread does, stop writing
            self._broken = True
            self._queue.clear()

    def flush(self) -> None:
        """Write out every line logged so far (in the caller's thread)."""
        with self._write_lock:
            items = []
            while self._queue:
                items.append(self._queue.popleft())
            lines = [item if isinstance(item, str) else item[0].render_at(item[2], item[1]) for item in items]
            if lines:
                self._write("\n".join(lines) + "\n")
            self.stream.flush()

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
        except UnicodeEncodeError:  # a stream that cannot take some character: escape it, keep the rest
            encoding = getattr(self.stream, "encoding", None) or "utf-8"
            self.stream.write(text.encode(encoding, "backslashreplace").decode(encoding))

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.linger)  # let the batch gather
            self._wake.clear()  # before draining: a line queued after the drain wakes us again
            try:
                self.flush()
            except (OSError, ValueError):  # the stream went away (closed pipe, closed file)
                self._broken = True
                self._queue.clear()
                return

    def _flush_at_exit(self) -> None:
        if not self._broken:
            with contextlib.suppress(OSError, ValueError):
                self.flush()


def configure_logging(
    stream: TextIO | None = None, *, sync: bool = False, process_fields: dict[str, Any] | None = None
) -> None:
    """Route structlog to JSON lines on ``stream`` (stdout by default), written by a ``LineWriter``
    (``sync``: each line written before the logging call returns); every line ends with ``process_fields``."""
    global _sink, _process_fields
    _sink = writer = LineWriter(stream or sys.stdout, sync=sync)
    _process_fields = dict(process_fields or {})
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _add_process_fields,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        logger_factory=lambda *args: writer,
        wrapper_class=structlog.make_filtering_bound_logger(0),
        cache_logger_on_first_use=True,
    )


def _add_process_fields(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event.update(_process_fields)
    return event


def get_logger(name: str) -> FilteringBoundLogger:
    """A structlog logger bound with ``component=name``."""
    return cast(FilteringBoundLogger, structlog.get_logger(component=name))


def line_writer() -> LineWriter | None:
    """The writer behind ``configure_logging``'s chain, for events rendered as it renders them; None if
    logging was not configured here."""
    return _sink


_second: tuple[int, str] = (-1, "")  # the last second formatted, and its text


def iso_timestamp(ns: int) -> str:
    """``datetime.now(tz=UTC).isoformat().replace("+00:00", "Z")`` at ``ns`` nanoseconds past the epoch.

    The date and time of day are formatted once a second (a third of the cost of
    ``datetime.now().isoformat()``); like ``isoformat``, a whole second has no fraction.
    """
    global _second
    seconds, micros = divmod(ns // 1000, 1_000_000)
    second, text = _second
    if seconds != second:
        text = datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC).isoformat()[:19]
        _second = (seconds, text)
    return f"{text}.{micros:06d}Z" if micros else f"{text}Z"


BLANK = "\x00blank\x00"  # a field value that ``LineTemplate.render`` fills in


class LineTemplate:
    """An info event with fixed fields and a few blanks, rendered as the chain renders it.

    ``LineTemplate("c", "e", {"a": 1, "b": BLANK}).render("x")`` is the line that
    ``get_logger("c").info("e", a=1, b="x")`` writes: the bound ``component`` first,
    the fields in order, then ``event``, ``level`` and ``timestamp``. Blanks take
    ``str`` or finite ``float`` values, encoded as ``json.dumps`` encodes them.
    """

    def __init__(self, component: str, event: str, fields: dict[str, Any]) -> None:
        whole = {
            "component": component,
            **fields,
            "event": event,
            "level": "info",
            "timestamp": BLANK,
            **_process_fields,
        }
        self.pieces = json.dumps(whole, ensure_ascii=False).split(_BLANK_JSON)

    def render(self, *values: str | float) -> str:
        """The line with the blanks filled in, timestamped now."""
        return self.render_at(time.time_ns(), values)

    def render_at(self, ns: int, values: Values) -> str:
        """The line with the blanks filled in, timestamped ``ns`` nanoseconds past the epoch."""
        pieces = self.pieces
        out = [pieces[0]]
        for value, piece in zip((*values, iso_timestamp(ns)), pieces[1:], strict=True):
            out.append(_json_str(value) if isinstance(value, str) else float.__repr__(value))
            out.append(piece)
        return "".join(out)


_json_str: Callable[[str], str] = json.encoder.encode_basestring
_BLANK_JSON = _json_str(BLANK)
