"""Diagnostics: what is wrong, where, and what to do, in English and Chinese.

Every stage reports problems as `Diagnostic(code, severity, message, span, message_zh)` values
instead of raising, so one run shows all problems of a file. Codes are stable
(`rubric_weight_mismatch`); each problem has a named constructor below that reads as the problem
and writes both messages. `render` prints the cel-go layout: `path:line:col: error: message`,
the source line, a caret under the problem (Chinese characters count two columns).
The catalogue of codes with examples is docs/diagnostics.md, made from the golden tests.

This module holds what every stage shares; the codes are named constants in `codes`, and the
messages are split by the stage that reports them: `syntax` (the parser), `inherit` (merging
`extends`, assembling a set of files) and `check` (the checker).
"""

from __future__ import annotations

import argparse
import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Literal

from rubric_dsl.source import Span, display_width

Severity = Literal["error", "warning"]
Language = Literal["en", "zh"]
SEVERITY_ZH = {"error": "错误", "warning": "警告"}


LANG_HELP = "language of messages (default: zh when LANG is zh*, else en)"


def add_lang_argument(parser: argparse.ArgumentParser, help: str = LANG_HELP) -> None:
    """`--lang en|zh`, the flag every command that prints for a person takes (its default: `choose_language`)."""
    parser.add_argument("--lang", choices=("en", "zh"), help=help)


def choose_language(flag: str | None = None) -> Language:
    """`--lang` if given, else Chinese when the environment's LANG starts with zh, else English."""
    if flag in ("en", "zh"):
        return flag  # type: ignore[return-value]
    return "zh" if os.environ.get("LANG", "").lower().startswith("zh") else "en"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span
    message_zh: str = ""

    def text(self, lang: Language = "en") -> str:
        return self.message_zh if lang == "zh" and self.message_zh else self.message

    def render(self, source_text: str | None = None, lang: Language = "en") -> str:
        severity = SEVERITY_ZH[self.severity] if lang == "zh" else self.severity
        head = f"{self.span}: {severity}: {self.text(lang)} [{self.code}]"
        if source_text is None:
            return head
        lines = source_text.split("\n")  # as spans count lines: \r, \f, \u2028 … do not end one
        if lines[-1] == "":
            lines.pop()  # the nothing after the last newline is no line to show
        if not 0 < self.span.line <= len(lines):
            return head
        line = lines[self.span.line - 1].rstrip("\r")  # a file saved with CRLF
        start = min(self.span.column - 1, len(line))
        end = self.span.end_column - 1 if self.span.end_line == self.span.line else len(line.rstrip())
        end = max(start + 1, min(end, len(line)))
        caret = " " * display_width(line[:start]) + "^" * max(1, display_width(line[start:end]))
        return f"{head}\n  {line}\n  {caret}"


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    unique = dict.fromkeys(diagnostics)
    return sorted(unique, key=lambda d: (d.span.path, d.span.line, d.span.column, d.code))


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


# A did-you-mean compares names pairwise, so its cost is bounded before it starts: a name longer
# than this is no typo, and only names of a similar length are compared, this many at most.
HINT_NAME_LENGTH = 64
HINT_CANDIDATES = 1_000
HINTED_NAMES = 20  # per file or request: the unknown names after these get no did-you-mean


def nearest(name: str, candidates: Iterable[str], most: int = 1) -> list[str]:
    """Up to `most` candidates like `name`, the closest first, at a bounded cost (see the limits above)."""
    if len(name) > HINT_NAME_LENGTH:
        return []
    spread = max(3, len(name) // 2)
    near = [c for c in candidates if abs(len(c) - len(name)) <= spread][:HINT_CANDIDATES]
    return difflib.get_close_matches(name, near, n=most, cutoff=0.6)


def closest(name: str, candidates: Iterable[str]) -> str | None:
    found = nearest(name, candidates)
    return found[0] if found else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    match = closest(name, candidates)
    return f"; did you mean `{match}`?" if match else ""


def did_you_mean_zh(name: str, candidates: Iterable[str]) -> str:
    match = closest(name, candidates)
    return f"；是不是 `{match}`？" if match else ""


def os_reason_zh(error: OSError, verb: str = "读取") -> str:
    """Why a file could not be read (or written: `verb`), in Chinese; the system's own words are English."""
    if isinstance(error, FileNotFoundError):
        return "没有这个文件"
    if isinstance(error, IsADirectoryError):
        return "这是目录，不是文件"
    if isinstance(error, PermissionError):
        return f"没有{verb}权限"
    return f"系统无法{verb}该文件"


class Worded(str):
    """A message that carries its Chinese wording: the English text itself (a `str`, as every reader of
    the message takes it: JSON, logs, tests), and `zh`, the same in Chinese, worded where it is made.
    Pickled (a worker's warning), it keeps `zh`; text made from it (an f-string) is plain English."""

    zh: str

    def __new__(cls, message: str, zh: str = "") -> Worded:
        made = super().__new__(cls, message)
        made.zh = zh
        return made


def worded_zh(message: str) -> str:
    """A message's Chinese where it carries one (`Worded`), else the message as it is."""
    return (message.zh if isinstance(message, Worded) else "") or message


_NO_ROUNDING = Context(prec=1000)  # normalize() in the default context would round past 28 digits


def fmt(value: Decimal | int) -> str:
    """A decimal as people write it: no exponent, no trailing zeros, every digit kept."""
    text = format(Decimal(value).normalize(_NO_ROUNDING), "f")
    return "0" if text in ("-0", "") else text


def where(first: Span, span: Span) -> str:
    return f"{first.line}:{first.column}" if first.path == span.path else str(first)


def error(code: str, en: str, zh: str, span: Span) -> Diagnostic:
    return Diagnostic(code, "error", en, span, zh)


KIND_EN = {
    "number": "a number",
    "literal": "a plain number",
    "percent": "a percent",
    "count": "a count",
    "money": "an amount of money",
    "flag": "a flag (true/false)",
    "choice": "a choice",
    "string": "a text",
    "records": "a list of records",
}
KIND_ZH = {
    "number": "数值",
    "literal": "普通数字",
    "percent": "百分比",
    "count": "计数",
    "money": "金额",
    "flag": "是否（true/false）",
    "choice": "选项",
    "string": "文字",
    "records": "记录列表",
}


Phrase = tuple[str, str]  # the same words in English and Chinese
