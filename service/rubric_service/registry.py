"""The registry of compiled rubrics that the service scores against.

Takes: a directory of ``*.rubric`` files, loaded with ``rubric_dsl.load_library``.
Guarantees:

* Readers take one ``Snapshot`` (a single reference read) and use it for the whole
  request, so each request sees exactly one version of each rubric. A reload builds
  a new immutable snapshot and swaps the reference; nothing is mutated in place.
* A broken edit never replaces what is served: when a file that served rubric X no
  longer compiles, or can no longer be read or decoded, X stays at its previous version
  and the log says why, one short event per diagnostic located as ``path:line:col``; the
  other files reload as usual. A deleted file stops being served; a file that cannot be
  looked at (an unreadable directory) is never taken for deleted.
* ``reload`` never raises; when the directory itself is missing (deleted, or a deploy
  between renames), or reading it fails, the old snapshot stays and the log says why.
* ``listener`` (if given) hears every snapshot swapped in, so that health can say
  NOT_SERVING while nothing valid is served; ``on_reload`` (if set) hears how each load went
  (``ok``, ``with_errors``, ``kept_previous``, ``failed``, ``directory_missing``) and what is served after it.
* Only files whose real path lies inside the directory are read (``rubric_dsl.rubric_files``):
  a ``*.rubric`` symlink to a file or directory outside it is refused, and each reload
  logs it (``rubric_file_refused``). Requests name rubrics by id, looked up in the
  snapshot; no id or path from a request is ever used to open a file.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import rubric_dsl
from rubric_dsl import CompiledRubric, Diagnostic
from rubric_dsl.api import RUBRIC_ID, RUBRIC_SUFFIX
from rubric_dsl.diagnostics import nearest
from rubric_service.logs import get_logger

log = get_logger("rubric_service.registry")

# A log line quotes paths and messages cut to these lengths: a file's bytes never reach the log.
LOGGED_PATH = 300
LOGGED_ERROR = 500


class RubricNotFound(LookupError):
    """No served rubric has this id, or it is served at another version."""

    def __init__(
        self, rubric: str, version: str, served_version: str | None, suggestions: tuple[str, ...] = ()
    ) -> None:
        self.rubric = rubric
        self.version = version
        self.served_version = served_version
        self.suggestions = suggestions  # the nearest served ids, when no rubric has this one
        shown, wanted = _cut(rubric), _cut(version)  # a request's text echoed: cut, whatever its length
        if served_version is None:
            hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
            text = f"no rubric {shown!r} is being served{hint}"
        else:
            text = f"rubric {shown!r} is served at version {served_version!r}, not {wanted!r}"
        super().__init__(text)


def _cut(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Snapshot:
    """One immutable generation of served rubrics."""

    generation: int
    rubrics: Mapping[str, CompiledRubric]
    ids: tuple[str, ...] = field(default=())
    texts: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # rubric id -> (path, text) of every file

    def chain(self, parent: str | None) -> dict[str, str] | None:
        """The files of ``parent`` and the rubrics it extends, by path: what checking a rubric that extends
        ``parent`` needs, and no more (a CheckRubric call parses that chain, not the served directory).
        None when a link of the chain is not among the served directory's files as read at the last load."""
        found: dict[str, str] = {}
        while parent is not None:
            if parent not in self.texts:
                return None
            path, text = self.texts[parent]
            if path in found:
                break  # a cycle: the checker reports it
            found[path] = text
            parent = parent_in_head(text)
        return found

    def get(self, rubric: str, version: str = "") -> CompiledRubric:
        """The served rubric ``rubric``; with ``version`` set, only if that version is served."""
        found = self.rubrics.get(rubric)
        if found is None:
            raise RubricNotFound(rubric, version, None, tuple(nearest(rubric, self.ids, 3)))
        if version and found.version != version:
            raise RubricNotFound(rubric, version, found.version)
        return found


EXTENDS = re.compile(  # the head of a rubric file: `rubric ID "TITLE" extends PARENT`
    r"^\s*(?:abstract\s+)?rubric\s+[^\W\d][\w.]*\s+\"(?:[^\"\\\n]|\\.)*\"\s+extends\s+([^\W\d][\w.]*)", re.M
)


def parent_in_head(text: str) -> str | None:
    found = EXTENDS.search(text)
    return found.group(1) if found else None


def _snapshot(
    generation: int, rubrics: dict[str, CompiledRubric], texts: Mapping[str, tuple[str, str]] | None = None
) -> Snapshot:
    return Snapshot(
        generation, MappingProxyType(dict(rubrics)), tuple(sorted(rubrics)), MappingProxyType(dict(texts or {}))
    )


def _norm(path: str) -> str:
    return os.path.realpath(path)


def location(diagnostic: Diagnostic) -> str:
    """``path:line:col`` of a diagnostic."""
    span = diagnostic.span
    return f"{span.path}:{span.line}:{span.column}"


def merge(
    previous: Mapping[str, CompiledRubric], loaded: Mapping[str, CompiledRubric]
) -> tuple[dict[str, CompiledRubric], list[CompiledRubric]]:
    """What to serve next, and which previously served rubrics were kept.

    A previously served rubric missing from ``loaded`` is kept when its file still
    exists and no longer yields any rubric (it has errors); it is dropped when the
    file is gone or now compiles to other rubrics.
    """
    serving = dict(loaded)
    loaded_paths = {_norm(r.path) for r in loaded.values()}
    kept = []
    for rubric_id, old in previous.items():
        if rubric_id in serving:
            continue
        path = _norm(old.path)
        if not _gone(path) and path not in loaded_paths:
            serving[rubric_id] = old
            kept.append(old)
    return serving, kept


def _gone(path: str) -> bool:
    """Whether the file at ``path`` is known to be deleted; one that cannot be looked at is not."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


class Registry:
    """Compiled rubrics from one directory, swapped atomically on reload."""

    def __init__(self, directory: str | os.PathLike[str], listener: Callable[[Snapshot], None] | None = None) -> None:
        self.directory = Path(directory)
        self.listener = listener
        self._snapshot = _snapshot(0, {})
        self._reload_lock = threading.Lock()
        self.on_reload: Callable[[str, Snapshot], None] | None = None

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def reload(self) -> Snapshot:
        """Load the directory again and swap in the result; returns what is now served."""
        with self._reload_lock:
            previous = self._snapshot
            if not self.directory.is_dir():
                log.error(
                    "rubrics_directory_missing",
                    directory=str(self.directory)[:LOGGED_PATH],
                    serving=len(previous.rubrics),
                    reason="the rubrics directory is not there; the rubrics loaded last stay in service",
                )
                self._notify(previous, "directory_missing")
                return previous
            try:
                library = rubric_dsl.load_library(self.directory)
            except Exception as exc:  # a reload must never take the server down
                log.error("reload_failed", directory=str(self.directory)[:LOGGED_PATH], error=repr(exc)[:LOGGED_ERROR])
                self._notify(previous, "failed")
                return previous
            serving, kept = merge(previous.rubrics, library.rubrics)
            self._log_refused()
            self._log_diagnostics(library.diagnostics)
            texts = {
                found[0]: (path, text)
                for path, text in library.sources.items()
                if (found := RUBRIC_ID.findall(text)[:1])
            }
            self._snapshot = current = _snapshot(previous.generation + 1, serving, texts)
            self._log_swap(previous, current, kept, library.files)
            errors = any(d.severity == "error" for d in library.diagnostics)
            self._notify(current, "kept_previous" if kept else "with_errors" if errors else "ok")
            return current

    def _notify(self, snapshot: Snapshot, result: str) -> None:
        if self.listener is not None:
            self.listener(snapshot)
        if self.on_reload is not None:
            self.on_reload(result, snapshot)

    def _log_refused(self) -> None:
        for path in outside_files(self.directory):
            log.error(
                "rubric_file_refused",
                path=str(path),
                reason="it resolves to a file outside the rubrics directory (a symlink out); it is not read",
            )

    def _log_diagnostics(self, diagnostics: list[Diagnostic]) -> None:
        for d in diagnostics:
            emit = log.error if d.severity == "error" else log.warning
            emit(
                "rubric_diagnostic",
                location=location(d)[:LOGGED_PATH],
                code=d.code,
                severity=d.severity,
                message=d.message[:LOGGED_ERROR],
            )

    def _log_swap(
        self,
        previous: Snapshot,
        current: Snapshot,
        kept: list[CompiledRubric],
        files: Mapping[str, list[Diagnostic]],
    ) -> None:
        for old in kept:
            errors = [
                f"{location(d)}: {d.message}"[:LOGGED_ERROR]
                for d in _diagnostics_for(files, old.path)
                if d.severity == "error"
            ][:5]
            log.error(
                "rubric_kept",
                rubric=old.id,
                version=old.version,
                content_hash=old.content_hash,
                path=old.path,
                reason="the file has errors; the previous version stays in service",
                errors=errors,
            )
        before, after = previous.rubrics, current.rubrics
        log.info(
            "rubrics_loaded" if previous.generation == 0 else "reload",
            directory=str(self.directory),
            generation=current.generation,
            serving={rid: f"{r.version} {r.content_hash}" for rid, r in sorted(after.items())},
            added=sorted(set(after) - set(before)),
            removed=sorted(set(before) - set(after)),
            changed=sorted(
                rid for rid in set(before) & set(after) if before[rid].content_hash != after[rid].content_hash
            ),
            kept_previous=sorted(r.id for r in kept),
        )


def outside_files(directory: str | os.PathLike[str]) -> list[Path]:
    """``*.rubric`` files under ``directory`` whose real path lies outside it (never read). A directory
    named ``x.rubric`` is no file, and not reported."""
    root = Path(directory).resolve()
    return sorted(
        p for p in Path(directory).rglob(f"*{RUBRIC_SUFFIX}") if p.is_file() and not p.resolve().is_relative_to(root)
    )


def _diagnostics_for(files: Mapping[str, list[Diagnostic]], path: str) -> list[Diagnostic]:
    target = _norm(path)
    return [d for file, diags in files.items() if _norm(file) == target for d in diags]
