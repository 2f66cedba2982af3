"""Hot reload: watch the rubrics directory and reload the registry when files change.

Takes: a ``Registry``. Guarantees: once ``start()`` returns, the directory is being
watched, so any later change to a ``*.rubric`` file leads to a ``Registry.reload``
(changes within ``debounce_ms`` are grouped into one reload); reloads run in one
background daemon thread, one at a time; ``stop()`` ends the thread. The registry
decides what is served; this module only says when to look again.

A deploy that replaces the directory itself (deleted and made again, renamed over, a
symlink pointed elsewhere) is seen too: the watch looks at the directory's identity (its
real path, device and inode) every ``check_ms``, and when it changes, or the directory
comes back after being missing, it watches the new one and reloads. While the directory
is missing the registry keeps what it served and says so. A watch that fails is started
again, never given up.
"""

from __future__ import annotations

import os
import threading

import watchfiles

from rubric_service.logs import get_logger
from rubric_service.registry import Registry

log = get_logger("rubric_service.watcher")

RUBRIC_SUFFIX = ".rubric"


class RubricWatcher:
    """A background thread that reloads ``registry`` after each batch of file changes."""

    def __init__(self, registry: Registry, *, debounce_ms: int = 300, step_ms: int = 50, check_ms: int = 200) -> None:
        self.registry = registry
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self.check_ms = check_ms
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rubric-watcher", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            log.warning("watcher_slow_to_start", directory=str(self.registry.directory))

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        watched: Identity | None = None
        reload_when_watching = False  # the directory was replaced or came back: load it once watched again
        while not self._stop.is_set():
            identity = _identity(self.registry.directory)
            if identity is None:
                if watched is not None:  # it was there: the registry says it is missing and keeps serving
                    self.registry.reload()
                    watched = None
                reload_when_watching = True
                self._ready.set()
                self._stop.wait(self.check_ms / 1000)
                continue
            if watched is not None and identity != watched:
                log.info("rubrics_directory_replaced", directory=str(self.registry.directory), real_path=identity[0])
                reload_when_watching = True
            watched = identity
            try:
                replaced = self._watch(identity, reload_when_watching)
            except Exception as exc:  # the server keeps serving what it has, and the watch starts again
                log.error("watcher_failed", directory=str(self.registry.directory), error=repr(exc)[:500])
                self._stop.wait(self.check_ms / 1000)
                replaced = True
            finally:
                self._ready.set()
            reload_when_watching = replaced
            if replaced:
                log.info("rubrics_directory_replaced", directory=str(self.registry.directory), real_path=identity[0])

    def _watch(self, identity: Identity, reload_first: bool) -> bool:
        """Watch the directory with that identity; True when it was deleted or replaced, False when stopped.

        A directory deleted and made again may get the same inode back, so the deletion of the watched
        directory itself, which the watch reports, ends the watch too: a new one is started on the path."""
        root = identity[0]

        def wanted(change: watchfiles.Change, path: str) -> bool:
            return path.endswith(RUBRIC_SUFFIX) or path == root

        # yield_on_timeout: an empty batch every rust_timeout, to look at the directory's identity
        for changes in watchfiles.watch(
            root,
            watch_filter=wanted,
            debounce=self.debounce_ms,
            step=self.step_ms,
            stop_event=self._stop,
            rust_timeout=self.check_ms,
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            if not self._ready.is_set():
                log.info("watching", directory=str(self.registry.directory))
                self._ready.set()
            if reload_first:  # the new watch is in place: nothing written from now on is missed
                reload_first = False
                self.registry.reload()
            if any(path == root for _, path in changes) or _identity(self.registry.directory) != identity:
                return True
            if changes:
                log.info("files_changed", changes=sorted(f"{c.name} {p}" for c, p in changes)[:100])
                self.registry.reload()
        return False


Identity = tuple[str, int, int]  # real path, device, inode


def _identity(directory: os.PathLike[str] | str) -> Identity | None:
    """Which directory ``directory`` names now; None when it names none."""
    try:
        real = os.path.realpath(directory)
        status = os.stat(real)
    except OSError:
        return None
    if not os.path.isdir(real):
        return None
    return real, status.st_dev, status.st_ino
