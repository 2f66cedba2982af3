"""Hot reload: watch the rubrics directory and reload the registry when files change.

Takes: a ``Registry``. Guarantees: once ``start()`` returns, the directory is being
watched, so any later change to a ``*.rubric`` file leads to a ``Registry.reload``
(changes within ``debounce_ms`` are grouped into one reload); reloads run in one
background daemon thread, one at a time; ``stop()`` ends the thread. The registry
decides what is served; this module only says when to look again.
"""

from __future__ import annotations

import threading

import watchfiles

from rubric_service.logs import get_logger
from rubric_service.registry import Registry

log = get_logger("rubric_service.watcher")

RUBRIC_SUFFIX = ".rubric"


def _is_rubric(change: watchfiles.Change, path: str) -> bool:
    return path.endswith(RUBRIC_SUFFIX)


class RubricWatcher:
    """A background thread that reloads ``registry`` after each batch of file changes."""

    def __init__(self, registry: Registry, *, debounce_ms: int = 300, step_ms: int = 50) -> None:
        self.registry = registry
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
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
        try:
            self._watch()
        except Exception as exc:  # the server keeps serving what it has
            log.error("watcher_failed", directory=str(self.registry.directory), error=repr(exc))
        finally:
            self._ready.set()

    def _watch(self) -> None:
        # yield_on_timeout: the first (empty) batch tells us the watch is in place.
        for changes in watchfiles.watch(
            self.registry.directory,
            watch_filter=_is_rubric,
            debounce=self.debounce_ms,
            step=self.step_ms,
            stop_event=self._stop,
            rust_timeout=200,
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            if not self._ready.is_set():
                log.info("watching", directory=str(self.registry.directory))
                self._ready.set()
            if changes:
                log.info("files_changed", changes=sorted(f"{c.name} {p}" for c, p in changes))
                self.registry.reload()
