"""Helpers for the service tests: the real server in a subprocess, an HTTP client for it, seed facts, rich errors.

``ServerProcess`` starts ``python -m rubric_service.server`` (or another command that serves,
such as ``rubric serve``) on 127.0.0.1 port 0, reads
its JSON log lines from stdout in a background thread, learns the bound port from
the ``serving`` event, and lets a test wait for later events (reloads, shutdown).
No timed assertions: waits only bound how long a test may hang.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run from any directory, installed or not
    sys.path.insert(0, str(ROOT))


BUNDLED = ROOT / "rubrics"
WAIT = 30.0  # generous: only bounds how long a broken test hangs

# The seed's facts (seed 004: 85.6 良 and 94.6 优), the files README's commands use.
INSPECTION_FACTS = json.loads((BUNDLED / "wuping" / "seed-inspection.facts.json").read_text(encoding="utf-8"))
CASEWORK_FACTS = json.loads((BUNDLED / "wuping" / "seed-casework.facts.json").read_text(encoding="utf-8"))


class ServerProcess:
    """The real server in a subprocess; ``events`` holds its parsed log lines."""

    def __init__(
        self, rubrics_dir: Path, *extra: str, serve: Sequence[str] = (sys.executable, "-m", "rubric_service.server")
    ) -> None:
        command = [
            *serve,
            "--rubrics", str(rubrics_dir), "--host", "127.0.0.1", "--port", "0",
            "--reload-debounce-ms", "100", "--drain-seconds", "0.5", "--grace-seconds", "20",
            "--processes", "1",  # one server process unless a test asks for more
            *extra,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.rubrics_dir = rubrics_dir
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.events: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = int(self.wait_for(lambda e: e.get("event") == "serving")["port"])
        self.target = f"127.0.0.1:{self.port}"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                event = {"event": "raw", "line": line.rstrip("\n")}
            with self._changed:
                self.events.append(event)
                self._changed.notify_all()
        with self._changed:
            self.events.append({"event": "<exit>"})
            self._changed.notify_all()

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], since: int = 0, timeout: float = WAIT
    ) -> dict[str, Any]:
        """The first event at index >= ``since`` that satisfies ``predicate``."""
        with self._changed:
            found = self._changed.wait_for(
                lambda: any(predicate(e) or e["event"] == "<exit>" for e in self.events[since:]), timeout
            )
            hits = [e for e in self.events[since:] if predicate(e)]
        if not found or not hits:
            tail = "\n".join(json.dumps(e, ensure_ascii=False) for e in self.events[-30:])
            raise AssertionError(f"no matching server event within {timeout}s; last events:\n{tail}")
        return hits[0]

    def mark(self) -> int:
        with self._changed:
            return len(self.events)

    def channel(self) -> grpc.Channel:
        return grpc.insecure_channel(self.target)

    def terminate(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(WAIT)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(WAIT)
        self._reader.join(WAIT)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@contextlib.contextmanager
def serving_files(folder: Path, *files: Path) -> Iterator[Any]:
    """A real server on `files` alone (copied into `folder`), and a stub on it; the server must stop cleanly."""
    folder.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copy(file, folder / file.name)
    server = ServerProcess(folder)
    try:
        with server.channel() as channel:
            yield pb_grpc.RubricServiceStub(channel)
    finally:
        assert server.terminate() == 0


class Http:
    """A real HTTP client (urllib) of the server's ``--http-port``."""

    def __init__(self, port: int, token: str | None = None, headers: dict[str, str] | None = None) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.token = token
        self.headers = headers or {}  # sent with every call (accept-language…)

    def call(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, str]:
        status, raw, answered = self.exchange(method, path, body, headers)
        return status, raw, answered.get("content-type", "")

    def exchange(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, Any]:
        """(status, body, response headers) of one call."""
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("content-type", "application/json")
        if self.token:
            request.add_header("authorization", f"Bearer {self.token}")
        for name, value in {**self.headers, **(headers or {})}.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers

    def json(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        status, raw, _ = self.call(method, path, data)
        return status, json.loads(raw)


def http_port(server: ServerProcess) -> int:
    return int(server.wait_for(lambda e: e.get("event") == "http_serving")["port"])


def copy_rubrics(target: Path) -> Path:
    shutil.copytree(BUNDLED, target)
    return target


def rich_error(error: grpc.RpcError) -> tuple[Any, dict[str, str], Any]:
    """(status code, {field: description} of the BadRequest, the ErrorInfo) of a failed call."""
    status = rpc_status.from_call(error)
    assert status is not None, f"no rich status in {error!r}"
    violations: dict[str, str] = {}
    info = None
    for detail in status.details:
        bad, candidate = error_details_pb2.BadRequest(), error_details_pb2.ErrorInfo()
        if detail.Unpack(bad):
            violations.update({v.field: v.description for v in bad.field_violations})
        elif detail.Unpack(candidate):
            info = candidate
    return error.code(), violations, info
