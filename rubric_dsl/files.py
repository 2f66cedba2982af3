"""Read rubric files as people save them.

Takes a path; gives its text and the diagnostics of reading it, never an exception. The policy:

* UTF-8, with or without a byte-order mark (Notepad and WPS write one): read, the mark dropped;
* UTF-16 with a byte-order mark, or GB18030 (and so GBK and GB2312, which Chinese Windows tools
  write by default): read, with a warning naming the encoding and how to save the file as UTF-8.
  The bytes are decoded exactly (both encodings are deterministic), so the rubric means what its
  author wrote, and the content hash is taken of that text. A file that is not valid in any of
  these is not guessed at: it is refused with an error, and so is one holding NUL characters;
* a file that cannot be read (permissions, a directory, vanished) is refused with the reason;
  other files are read as usual, so one bad file never stops the rest.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from rubric_dsl import limits
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.diagnostics import syntax as diag
from rubric_dsl.source import Span


def file_span(path: str) -> Span:
    return Span(path, 1, 1, 1, 2)


def read_source(path: str | Path) -> tuple[str | None, list[Diagnostic]]:
    """The text of the file at `path` (None when it cannot be had) and what reading it found."""
    name = str(path)
    try:
        with open(path, "rb") as file:
            data = file.read(limits.MAX_SOURCE_BYTES + 1)
    except OSError as error:
        return None, [diag.file_unreadable(error.strerror or type(error).__name__, file_span(name))]
    if len(data) > limits.MAX_SOURCE_BYTES:
        size = max(len(data), _size(path))
        return None, [diag.source_too_large(size, limits.MAX_SOURCE_BYTES, file_span(name))]
    return decode(name, data)


def _size(path: str | Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def decode(path: str, data: bytes) -> tuple[str | None, list[Diagnostic]]:
    """The text of a file's bytes by the policy above."""
    span = file_span(path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _try(data, "utf-16")
        found = [diag.file_encoding("UTF-16", span)] if text is not None else []
    else:
        text, found = _try(data, "utf-8-sig"), []
        if text is None:
            text = _try(data, "gb18030")
            found = [diag.file_encoding("GB18030/GBK", span)] if text is not None else []
    if text is None:
        return None, [diag.file_undecodable(span)]
    if "\0" in text:
        return None, [diag.file_undecodable(span)]
    return text, found


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None
