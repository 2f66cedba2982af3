"""Several server processes on one port: ``supervise`` runs ``--processes N`` workers and keeps them running.

Takes: the parsed options of ``rubric serve`` (``options.add_server_arguments``) with ``processes`` > 1, the
stream the log lines go to and the one a refused option goes to. Guarantees:

* this process forks its workers before any gRPC object, log writer, watcher or thread exists in it (it
  makes none at all: it only forks, relays lines and waits), so each worker starts clean;
* the port is checked first as one server binds it (a listener on it means it is in use): a port in use
  gets the one-line error of a single server and exit code 2, before anything is forked;
* a socket bound with ``SO_REUSEPORT`` (never listening) holds the port as long as this process runs, so
  ``--port 0`` picks one port for all, a restarted worker binds it again, and no other server can take it;
  the workers listen on it with ``grpc.so_reuseport`` on and the kernel spreads connections among them;
* each worker is a whole server (``server.run_server``): its own registry and watcher, reloading on its own;
  its log lines reach ``out`` through this process whole (never cut into another worker's), each with the
  worker's ``pid``; this process writes its own lines (``component`` ``rubric_service.supervisor``) the same way;
* once every worker serves, one ``workers_serving`` line names the port and the pids, and the port is
  written to ``--port-file``;
* a worker that ends while the server is not stopping is logged (``worker_exited``: pid, exit code or
  signal) and replaced (``worker_started``); one that dies within ``QUICK_DEATH_SECONDS`` of starting is
  replaced only after that long, so a crash loop cannot spin. A worker that ends with exit code 2 before
  it ever served (a bad option, e.g. TLS files) stops the whole server with exit code 2;
* the HTTP port (``--http-port``) is held and shared the same way;
* metrics (``--metrics-port``): the port is held as the gRPC port is and every worker answers ``/metrics`` on
  it for all workers, from a per-run directory (prometheus-client's multiprocess mode) made before the first
  fork and removed at the end; a dead worker's live gauges are dropped from it;
* on SIGTERM or SIGINT every worker is sent SIGTERM and drains as a single server does; exit code 0 once
  all have ended with 0 (1 otherwise). A worker still running ``drain + refuse + grace + KILL_AFTER_SECONDS``
  later is killed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime
import json
import os
import selectors
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

COMPONENT = "rubric_service.supervisor"
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's multiprocess mode
QUICK_DEATH_SECONDS = 1.0
KILL_AFTER_SECONDS = 10.0
CHUNK = 1 << 16
# A worker: run_server(args, out, err, on_start), called in the forked process; on_start hears it serve.
WorkerMain = Callable[[argparse.Namespace, TextIO, TextIO, Callable[[Any], None]], int]


class PortInUse(OSError):
    pass


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` with SO_REUSEPORT (not listening), after checking that no server listens
    there; raises ``PortInUse`` (its message is the single server's) when one does or the address is not ours."""
    problem = (
        f"cannot bind {host}:{port}: the port is in use (is another server running?)"
        " or the address is not this machine's"
    )
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise PortInUse(problem) from exc
    family, kind, proto, _, address = found[0]
    if port != 0:
        with socket.socket(family, kind, proto) as probe:  # as gRPC binds: TIME_WAIT is no obstacle, a listener is
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                raise PortInUse(problem) from exc
    held = socket.socket(family, kind, proto)
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        held.bind(address)
    except OSError as exc:
        held.close()
        raise PortInUse(problem) from exc
    return held


@dataclass
class Worker:
    slot: int
    pid: int
    started: float
    log_fd: int
    ready_fd: int
    pending: bytes = b""
    ready: bool = False
    exit_code: int | None = None


@dataclass
class Supervisor:
    args: argparse.Namespace
    out: TextIO
    err: TextIO
    port: int = 0
    metrics_port: int | None = None
    http_port: int | None = None
    workers: dict[int, Worker] = field(default_factory=dict)  # by pid
    open_fds: dict[int, Worker] = field(default_factory=dict)  # log and ready pipes still open, to their worker
    restarts: list[tuple[float, int]] = field(default_factory=list)  # (when, slot)
    stopping: bool = False
    stop_deadline: float = 0.0
    announced: bool = False
    failed: int | None = None
    unclean: bool = False  # a worker ended with another exit code than 0 while stopping
    selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)
    close_in_child: list[Any] = field(default_factory=list)

    # -- logging -------------------------------------------------------------------------------------

    def log(self, event: str, level: str = "info", **fields: Any) -> None:
        now = datetime.datetime.now(tz=datetime.UTC).isoformat().replace("+00:00", "Z")
        line = {"component": COMPONENT, **fields, "event": event, "level": level, "timestamp": now, "pid": os.getpid()}
        self.write(json.dumps(line, ensure_ascii=False) + "\n")

    def write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.out.write(text)
            self.out.flush()

    # -- workers -------------------------------------------------------------------------------------

    def fork(self, slot: int, worker_main: WorkerMain) -> None:
        log_r, log_w = os.pipe()
        ready_r, ready_w = os.pipe()
        with contextlib.suppress(AttributeError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                os.close(log_r)
                os.close(ready_r)
                signal.set_wakeup_fd(-1)
                for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
                    signal.signal(signum, signal.SIG_DFL)
                for thing in self.close_in_child:
                    with contextlib.suppress(OSError):
                        thing.close()
                for fd in list(self.open_fds):
                    with contextlib.suppress(OSError):
                        os.close(fd)
                out = os.fdopen(log_w, "w", encoding="utf-8", errors="backslashreplace")
                code = worker_main(self.worker_args(), out, self.err, lambda server: _say_ready(ready_w))
                logs = sys.modules.get("rubric_service.logs")  # os._exit runs no exit handler: write what is queued
                writer = logs.line_writer() if logs is not None else None
                if writer is not None:
                    writer.flush()
            except BaseException:  # nothing of a worker may unwind into the supervisor's stack
                with contextlib.suppress(BaseException):
                    import traceback

                    traceback.print_exc(file=self.err)
            finally:
                os._exit(code)
        os.close(log_w)
        os.close(ready_w)
        worker = Worker(slot, pid, time.monotonic(), log_r, ready_r)
        self.workers[pid] = worker
        for fd in (log_r, ready_r):
            os.set_blocking(fd, False)
            self.open_fds[fd] = worker
            self.selector.register(fd, selectors.EVENT_READ)
        self.log("worker_started", worker=slot, worker_pid=pid)

    def worker_args(self) -> argparse.Namespace:
        args = copy.copy(self.args)
        args.processes = 1
        args.port = self.port
        args.metrics_port = self.metrics_port
        args.http_port = self.http_port
        args.port_file = None
        args.reuse_port = True
        return args

    def read(self, fd: int) -> None:
        worker = self.open_fds[fd]
        try:
            data = os.read(fd, CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if fd == worker.ready_fd:
            if data and not worker.ready:
                worker.ready = True
                self.log("worker_serving", worker=worker.slot, worker_pid=worker.pid)
                self.announce()
        else:
            text = worker.pending + data
            end = text.rfind(b"\n") + 1
            if end:
                self.write(text[:end].decode("utf-8", "replace"))
            worker.pending = text[end:]
            if not data and worker.pending:  # the last line, unterminated
                self.write(worker.pending.decode("utf-8", "replace") + "\n")
                worker.pending = b""
        if not data:
            self.selector.unregister(fd)
            del self.open_fds[fd]
            os.close(fd)

    def announce(self) -> None:
        if self.announced or self.stopping:
            return
        if len(self.workers) < self.args.processes or not all(w.ready for w in self.workers.values()):
            return
        self.announced = True
        pids = sorted(w.pid for w in self.workers.values())
        if self.args.port_file is not None:
            scratch = self.args.port_file.with_name(self.args.port_file.name + ".tmp")
            scratch.write_text(f"{self.port}\n", encoding="utf-8")
            os.replace(scratch, self.args.port_file)
        self.log(
            "workers_serving",
            host=self.args.host,
            port=self.port,
            http_port=self.http_port,
            metrics_port=self.metrics_port,
            workers=pids,
        )

    def reap(self, worker_main: Any) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            worker = self.workers.pop(pid, None)
            if worker is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            worker.exit_code = code
            from rubric_service.metrics import mark_dead  # prometheus-client, only now: the directory is set

            mark_dead(pid)
            fields: dict[str, Any] = {"worker": worker.slot, "worker_pid": pid}
            fields.update({"signal": signal.Signals(-code).name} if code < 0 else {"exit_code": code})
            if self.stopping:
                self.log("worker_stopped", **fields)
                self.unclean = self.unclean or code != 0
                continue
            if code == 2 and not worker.ready:
                self.log("worker_refused_to_start", level="error", **fields)
                self.failed = 2
                self.stop()
                continue
            lived = time.monotonic() - worker.started
            self.log("worker_exited", level="error", **fields, seconds=round(lived, 3), reason="restarting it")
            delay = QUICK_DEATH_SECONDS if lived < QUICK_DEATH_SECONDS else 0.0
            self.restarts.append((time.monotonic() + delay, worker.slot))

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        self.restarts.clear()
        wait = self.args.drain_seconds + self.args.refuse_seconds + self.args.grace_seconds + KILL_AFTER_SECONDS
        self.stop_deadline = time.monotonic() + wait
        self.log("stopping_workers", workers=sorted(self.workers))
        for pid in self.workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def _say_ready(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, b"1")
        os.close(fd)


def supervise(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    worker_main: WorkerMain,
) -> int:
    """Run ``args.processes`` workers, each ``worker_main(args, out, err, ready)``, until SIGTERM/SIGINT."""
    boss = Supervisor(args, out, err)
    if not args.rubrics.is_dir():  # said once here, not once by each worker
        boss.log("no_rubrics_directory", level="error", directory=str(args.rubrics))
        print(f"rubric serve: {args.rubrics}: not a directory", file=err)
        return 2
    try:
        held = reserve_port(args.host, args.port)
    except PortInUse as exc:
        boss.log("cannot_bind", level="error", host=args.host, port=args.port, error=str(exc))
        print(f"rubric serve: {exc}", file=err)
        return 2
    boss.port = held.getsockname()[1]
    extra: dict[str, socket.socket] = {}  # the HTTP and metrics ports, held as the gRPC port is
    for name in ("http_port", "metrics_port"):
        wanted = getattr(args, name, None)
        if wanted is None:
            continue
        try:
            extra[name] = reserve_port(args.host, wanted)
        except PortInUse as exc:
            for sock in (held, *extra.values()):
                sock.close()
            boss.log("cannot_bind", level="error", host=args.host, port=wanted, error=str(exc))
            print(f"rubric serve: {exc}", file=err)
            return 2
        setattr(boss, name, extra[name].getsockname()[1])
    metrics_dir = tempfile.mkdtemp(prefix="rubric-metrics-")  # this run's: no sample of an earlier run counts
    previous_dir = os.environ.get(METRICS_DIR_ENV)
    os.environ[METRICS_DIR_ENV] = metrics_dir
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signals: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        signals.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD)}
    old_wakeup = signal.set_wakeup_fd(wake_w)
    boss.selector.register(wake_r, selectors.EVENT_READ)
    boss.close_in_child = [held, *extra.values()]
    children_close = [wake_r, wake_w]
    boss.log("supervising", host=args.host, port=boss.port, metrics_port=boss.metrics_port, processes=args.processes)
    try:
        for slot in range(args.processes):
            boss.fork(slot, _closing(children_close, worker_main))
        while boss.workers or boss.open_fds:
            timeout = 1.0
            if boss.restarts:
                timeout = max(0.0, min(t for t, _ in boss.restarts) - time.monotonic())
            for key, _ in boss.selector.select(timeout):
                fd = int(key.fd)
                if fd == wake_r:
                    with contextlib.suppress(BlockingIOError):
                        os.read(wake_r, CHUNK)
                else:
                    boss.read(fd)
            while signals:
                signum = signals.pop(0)
                if signum in (signal.SIGTERM, signal.SIGINT):
                    boss.log("signal", signal=signal.Signals(signum).name)
                    boss.stop()
            boss.reap(worker_main)
            now = time.monotonic()
            for due in [r for r in boss.restarts if r[0] <= now]:
                boss.restarts.remove(due)
                boss.fork(due[1], _closing(children_close, worker_main))
            if boss.stopping and now > boss.stop_deadline:
                for pid in boss.workers:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                boss.stop_deadline = now + KILL_AFTER_SECONDS
    finally:
        signal.set_wakeup_fd(old_wakeup)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for fd in (wake_r, wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        for sock in (held, *extra.values()):
            sock.close()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        if previous_dir is None:
            os.environ.pop(METRICS_DIR_ENV, None)
        else:
            os.environ[METRICS_DIR_ENV] = previous_dir
    if boss.failed is not None:
        return boss.failed
    boss.log("stopped")
    return 1 if boss.unclean else 0


def _closing(fds: list[int], worker_main: Any) -> Any:
    def run(args: argparse.Namespace, out: TextIO, err: TextIO, ready: Callable[[Any], None]) -> int:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        return int(worker_main(args, out, err, ready))

    return run
