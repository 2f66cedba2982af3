"""Golden-file tests for every diagnostic the parser, resolver and checker can emit.

Each case lives in `tests/testdata/diagnostics/` and is named after what it shows: either one
file `<name>.rubric`, checked with `rubric_dsl.check_source`, or a directory `<name>/` of rubric
files that extend each other, checked together with `rubric_dsl.build_library`. Its expected
output is `<name>.golden` beside it: every diagnostic rendered with `Diagnostic.render` (head line,
source line, caret), one after another, with paths relative to `tests/testdata/diagnostics` so
that goldens do not depend on the machine.

After an intended change of a message, span or code, rewrite the goldens and read the diff:

    UPDATE_GOLDENS=1 .venv/bin/pytest -q tests/test_diagnostics.py
    git diff tests/testdata/diagnostics

Inline markers, after starlark-go's `### "message"`: a rubric line that ends with
`# !! rubric_code` must carry a diagnostic with that code; `# !! rubric_code "text"` also
requires the message to contain the text (`\\"` for a quote). One line may hold several markers.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from any directory, installed or not
    sys.path.insert(0, str(ROOT))

from rubric_dsl import build_library, cache, check_source  # noqa: E402
from rubric_dsl.diagnostics import Diagnostic, adjust, check, codes, inherit, records, syntax  # noqa: E402

MESSAGES = (syntax, inherit, check, adjust, records)  # the constructors, by the stage that reports them

DATA = Path(__file__).resolve().parent / "testdata" / "diagnostics"
UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"

HEAD = re.compile(r"^(?P<path>\S+?):(?P<line>\d+):(?P<column>\d+): (?:error|warning): .* \[(?P<code>rubric_\w+)\]$")
MARKER = re.compile(r'!!\s*(?P<code>rubric_\w+)(?:\s+"(?P<text>(?:[^"\\]|\\.)*)")?')

# Constructors in rubric_dsl/diagnostics/ that no input can reach, and why. A constructor listed here
# that starts being called fails `test_unreachable_constructors_stay_unreachable`: give it a case.
UNREACHABLE = {
    "source_too_large": "a golden would be a megabyte; tests/test_limits.py covers it",
    "too_many": "a golden would hold 2,001 indicators; tests/test_limits.py covers it",
    "abstract_not_scorable": "raised by compile_source/compile_file, not the checker; tests/test_extends.py covers it",
    "file_unreadable": "about bytes, not text: tests/test_files.py covers it",
    "file_encoding": "about bytes, not text: tests/test_files.py covers it",
    "file_undecodable": "about bytes, not text: tests/test_files.py covers it",
}


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str]  # path relative to DATA -> text
    several: bool  # a directory of files, checked together

    @property
    def golden(self) -> Path:
        return DATA / f"{self.name}.golden"

    def diagnostics(self) -> list[Diagnostic]:
        if self.several:
            return build_library(self.files).diagnostics
        [(path, text)] = self.files.items()
        return check_source(text, path=path)

    def render(self) -> str:
        return "".join(d.render(self.files.get(d.span.path)) + "\n" for d in self.diagnostics())


def load_cases() -> list[Case]:
    cases = []
    for entry in sorted(DATA.iterdir()):
        if entry.is_dir():
            paths = sorted(entry.rglob("*.rubric"))
            cases.append(Case(entry.name, {p.relative_to(DATA).as_posix(): read(p) for p in paths}, True))
        elif entry.suffix == ".rubric":
            cases.append(Case(entry.stem, {entry.name: read(entry)}, False))
    return cases


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


CASES = load_cases()


def goldens() -> list[Path]:
    return sorted(DATA.glob("*.golden"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Case) -> None:
    actual = case.render()
    assert actual, f"case {case.name} shows no diagnostic at all"
    if UPDATE:
        case.golden.write_text(actual, encoding="utf-8")
    assert case.golden.exists(), f"no golden for {case.name}; run with UPDATE_GOLDENS=1 and read it"
    assert actual == read(case.golden)


def test_every_golden_has_a_case() -> None:
    names = {c.name for c in CASES}
    assert [g.name for g in goldens() if g.stem not in names] == []


def codes_in_goldens() -> set[str]:
    return {m["code"] for g in goldens() for line in read(g).splitlines() if (m := HEAD.match(line))}


def test_every_code_has_a_golden() -> None:
    defined = set(codes.ALL) - {codes.FILE_ENCODING, codes.FILE_UNREADABLE}  # bytes, not text: see test_files.py
    assert defined, "found no codes in rubric_dsl/diagnostics/codes.py"
    assert sorted(defined - codes_in_goldens()) == []


def test_codes_are_written_only_as_named_constants() -> None:
    library = ROOT / "rubric_dsl"
    literal = re.compile(r"[\"']rubric_[a-z]+_[a-z_]+[\"']")  # a code has two words at least; not `rubric_root`
    written = [
        str(p.relative_to(ROOT)) for p in library.rglob("*.py") if p.name != "codes.py" and literal.search(read(p))
    ]
    assert written == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_is_sorted(case: Case) -> None:
    assert case.golden.exists(), f"no golden for {case.name}"
    heads = [m for line in read(case.golden).splitlines() if (m := HEAD.match(line))]
    assert heads, f"{case.golden.name} has no diagnostic head line"
    keys = [(m["path"], int(m["line"]), int(m["column"])) for m in heads]
    assert keys == sorted(keys)


# --- inline markers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    path: str
    line: int
    code: str
    text: str | None


def markers(case: Case) -> Iterator[Marker]:
    for path, source in case.files.items():
        for number, line in enumerate(source.splitlines(), start=1):
            comment = re.search(r"#\s*(!!.*)$", line)
            if comment is None:
                continue
            for found in MARKER.finditer(comment.group(1)):
                text = found["text"]
                yield Marker(path, number, found["code"], None if text is None else re.sub(r"\\(.)", r"\1", text))


MARKED = [c for c in CASES if any(markers(c))]


@pytest.mark.parametrize("case", MARKED, ids=[c.name for c in MARKED])
def test_inline_markers(case: Case) -> None:
    found = case.diagnostics()
    missing = []
    for marker in markers(case):
        on_line = [d for d in found if d.span.path == marker.path and d.span.line == marker.line]
        if not any(d.code == marker.code and (marker.text is None or marker.text in d.message) for d in on_line):
            carried = [f"{d.code}: {d.message}" for d in on_line] or ["nothing"]
            missing.append(f"{marker.path}:{marker.line} wants {marker.code} {marker.text!r}, has {carried}")
    assert missing == []


# --- constructors -------------------------------------------------------------------------------


def constructors() -> dict[str, tuple[Any, Callable[..., Diagnostic]]]:
    """Every message constructor by name, with the module that holds it."""
    return {
        name: (module, function)
        for module in MESSAGES
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__
        and not name.startswith("_")
        and typing.get_type_hints(function).get("return") is Diagnostic
    }


@pytest.fixture(scope="module")
def called() -> set[str]:
    """The constructors that running every case calls (from scratch: nothing taken from the memos of earlier work)."""
    seen: set[str] = set()
    cache.forget()
    with pytest.MonkeyPatch.context() as patch:
        for name, (module, function) in constructors().items():
            patch.setattr(module, name, recording(name, function, seen))
        for case in CASES:
            case.diagnostics()
    return seen


def recording(name: str, function: Callable[..., Diagnostic], seen: set[str]) -> Callable[..., Diagnostic]:
    def wrapper(*args: Any, **kwargs: Any) -> Diagnostic:
        seen.add(name)
        return function(*args, **kwargs)

    return wrapper


def test_every_constructor_has_a_case(called: set[str]) -> None:
    assert constructors(), "found no diagnostic constructors"
    assert sorted(set(constructors()) - called - set(UNREACHABLE)) == []


def test_unreachable_constructors_stay_unreachable(called: set[str]) -> None:
    assert set(UNREACHABLE) <= set(constructors())
    assert sorted(called & set(UNREACHABLE)) == []
