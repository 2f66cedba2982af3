"""structlog set-up: one JSON object per line on stdout (or a given stream).

Takes: nothing but the stream to write to. Guarantees: every event is a single
line of JSON with ``event``, ``level`` and an ISO-8601 UTC ``timestamp``; Chinese
text stays readable (no ``\\u`` escapes); writes are flushed line by line so that a
supervisor (or a test) reading the pipe sees each event as it happens.
"""

from __future__ import annotations

import sys
from typing import TextIO, cast

import structlog
from structlog.typing import FilteringBoundLogger


def configure_logging(stream: TextIO | None = None) -> None:
    """Route structlog to JSON lines on ``stream`` (stdout by default)."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stdout),
        wrapper_class=structlog.make_filtering_bound_logger(0),
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> FilteringBoundLogger:
    """A structlog logger bound with ``component=name``."""
    return cast(FilteringBoundLogger, structlog.get_logger(component=name))
