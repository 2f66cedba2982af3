"""Work done once and kept: the grammar's parser tables, parsed trees and code objects, by what they were made from.

Takes: nothing but the environment. Guarantees:

* ``cache_dir()`` is ``$RUBRIC_CACHE_DIR``, else ``$XDG_CACHE_HOME/rubric-engine``, else
  ``~/.cache/rubric-engine``, made on first use (mode 0700); ``RUBRIC_CACHE_DIR=off`` (or empty) turns the disk
  cache off. It is None when the directory cannot be made or written: then nothing is kept on disk and
  everything works as without a cache (slower), never failing for it;
* an entry on disk is named by the SHA-256 of everything it was made from (the text, the path, this Python's
  and this package's versions, the kind of entry), written whole (a temporary file renamed over), so a
  stale or half-written entry is never read; one that cannot be read or decoded counts as missing and is
  made again. Each kind keeps at most ``MAX_ENTRIES`` entries, the least recently written dropped first;
* entries are read with ``pickle``/``marshal``: the directory is the user's own (0700), trusted as the
  user's home is; nothing from a request or a rubric names a cache file (names are hashes);
* ``Memo`` is a bounded in-memory map (least recently used dropped), safe to share between threads.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import pickle
import sys
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import CodeType
from typing import Any, Generic, TypeVar

ENV_DIR = "RUBRIC_CACHE_DIR"
FORMAT = "1"  # bump when what an entry holds changes shape
MAX_ENTRIES = 2_000  # per kind on disk
PRUNE_EVERY = 64  # writes of a kind between two looks at its size
K = TypeVar("K")
V = TypeVar("V")


@cache
def cache_dir() -> Path | None:
    """Where entries are kept on disk, or None when nothing is (see the module's docstring)."""
    chosen = os.environ.get(ENV_DIR)
    if chosen is not None and chosen.strip().lower() in ("", "off", "0", "none"):
        return None
    if chosen is not None:
        root = Path(chosen)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(base) / "rubric-engine"
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".probe-"):
            pass
    except OSError:
        return None
    return root


def digest(*parts: str | bytes) -> str:
    """The hex SHA-256 of ``parts`` (each length-prefixed, so that no two lists of parts collide)."""
    hashed = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hashed.update(len(data).to_bytes(8, "little"))
        hashed.update(data)
    return hashed.hexdigest()


@cache
def version_tag() -> str:
    """What an entry depends on besides its own input: the format, Python's bytecode and the packages."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        lark = version("lark")
    except PackageNotFoundError:  # pragma: no cover - lark is a dependency
        lark = "?"
    return f"{FORMAT}-{sys.implementation.cache_tag}-lark{lark}-{_own_code()}"


def _own_code() -> str:
    """A hash of this package's own code and grammar: a parsed tree pickles our AST classes, so an edit or an
    upgrade of the package (a new field, a new node) must never read an entry written by the old code."""
    package = Path(__file__).resolve().parent
    files = sorted(package.rglob("*.py")) + sorted(package.parent.glob("grammar/*.lark"))
    files += sorted((package / "grammar").glob("*.lark"))  # installed: the grammar is rubric_dsl.grammar
    return digest(*(path.read_bytes() for path in files))[:16]


_writes: dict[str, int] = {}


def entry_path(kind: str, key: str) -> Path | None:
    root = cache_dir()
    return None if root is None else root / kind / f"{key}.bin"


def read_entry(kind: str, key: str) -> bytes | None:
    path = entry_path(kind, key)
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


def write_entry(kind: str, key: str, data: bytes) -> None:
    """Keep ``data`` under ``kind``/``key``; silently nothing when the directory cannot take it."""
    path = entry_path(kind, key)
    if path is None:
        return
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(scratch, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(scratch)
            raise
    except OSError:
        return
    _writes[kind] = _writes.get(kind, 0) + 1
    if _writes[kind] % PRUNE_EVERY == 0:
        prune(path.parent)


def prune(directory: Path, keep: int = MAX_ENTRIES) -> None:
    """Drop the least recently written entries of ``directory`` beyond ``keep``."""
    with contextlib.suppress(OSError):
        entries = sorted(directory.glob("*.bin"), key=lambda p: p.stat().st_mtime)
        for stale in entries[: max(0, len(entries) - keep)]:
            with contextlib.suppress(OSError):
                stale.unlink()


def load_pickled(kind: str, key: str) -> Any | None:
    data = read_entry(kind, key)
    if data is None:
        return None
    try:
        return pickle.loads(data)
    except Exception:  # a broken entry is a missing one
        return None


def store_pickled(kind: str, key: str, value: Any) -> None:
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # not picklable (or too deep): simply not kept
        return
    write_entry(kind, key, data)


def compiled_code(source: str, filename: str) -> CodeType:
    """``compile(source, filename, "exec")``, kept in memory and on disk by the source's hash."""
    key = digest(version_tag(), filename, source)
    found = _code.get(key)
    if found is not None:
        return found
    data = read_entry("code", key)
    code: CodeType | None = None
    if data is not None:
        with contextlib.suppress(Exception):
            loaded = marshal.loads(data)
            code = loaded if isinstance(loaded, CodeType) else None
    if code is None:
        code = compile(source, filename, "exec")
        write_entry("code", key, marshal.dumps(code))
    _code.put(key, code)
    return code


class Memo(Generic[K, V]):
    """A map of at most ``size`` entries; the least recently used goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        _memos.add(self)

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        found = self.get(key)
        if found is None:
            found = make()
            self.put(key, found)
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def forget() -> None:
    """Empty every memo of this process (benchmarks time the work the memos save)."""
    for memo in list(_memos):
        memo.clear()


_memos: weakref.WeakSet[Memo[Any, Any]] = weakref.WeakSet()
_code: Memo[str, CodeType] = Memo(512)
