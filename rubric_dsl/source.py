"""Source text and positions.

Takes rubric text and the path it came from; gives `Span`s (1-based lines and columns, end
exclusive) that every later stage carries, and the line lookups diagnostics need to show a
caret under the problem.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


def display_width(text: str) -> int:
    """Columns a terminal gives the text: Chinese (wide and full-width) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@dataclass(frozen=True, slots=True)
class Span:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str
    text: str

    def line_text(self, line: int) -> str:
        lines = self.text.split("\n")  # as spans count lines
        return lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""

    def span_at(self, offset: int, length: int = 1) -> Span:
        """The span of `length` characters starting at character `offset`."""
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return Span(self.path, line, column, line, column + max(length, 1))
