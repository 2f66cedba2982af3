"""Fuzzing: whatever the text or the facts, the only outcomes are results or diagnostics/errors.

Rubric sources come from token-level mutations of the bundled rubrics, random Unicode, deep
nesting and huge numbers; each goes through parse → check → compile (and, when it compiles,
scoring), and `outcome` checks what must hold whatever the text: a file compiles exactly when it
has no error, every diagnostic has a catalogued code, a span inside the text and a rendering that
names the file and shows the line, and what scores adds up. Fact sets go through validation and
scoring. The number of examples follows the
hypothesis profile: `dev` (default) is quick, `ci` runs longer, `campaign` is the long run
(HYPOTHESIS_PROFILE=campaign, see tests/conftest.py).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rubric_dsl
from rubric_dsl.api import build_library
from rubric_dsl.diagnostics import has_errors
from rubric_dsl.parser import parse
from rubric_dsl.source import SourceFile
from tests.conftest import ROOT, RUBRICS, assert_adds_up

DOCS = ROOT / "docs"

SOURCES = {str(p): p.read_text(encoding="utf-8") for p in sorted(RUBRICS.rglob("*.rubric"))}
# The abstract frames other rubrics extend: a mutated file is checked beside these, not the whole directory.
FRAMES = {p: t for p, t in SOURCES.items() if t.lstrip("# \n").startswith("abstract") or "\nabstract rubric" in t}
# Tokens of a rubric file, with its comments and line breaks kept as tokens: joined by spaces, the
# tokens of an unmutated file make a file that still compiles (so mutations reach the checker and
# the compiler, not only the parser).
TOKEN = re.compile(
    r'#[^\n]*|\n|"(?:[^"\\\n]|\\.)*"|\d+(?:\.\d+)?%?|[^\W\d]\w*(?:\.[^\W\d]\w*)*|\.\.|=>|->|>=|<=|==|!=|\S'
)
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ODD_TOKENS = [
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    "..",
    "%",
    "-",
    "∞",
    "inf",
    "0",
    "1e9999",
    "99999999999999999999999",
    "section",
    "indicator",
    "override",
    "extends",
    "abstract",
    "when",
    "otherwise",
    "=>",
    "bands",
    "let",
    '"标签"',
    "，",
    "：",
    "\\",
    "\u0000",
    "\u200b",
    "__import__",
    "'",
    '"',
    "#",
]


# The catalogue of codes, each with its severity: "## `rubric_band_gap` (error)".
CATALOGUE = dict(re.findall(r"^## `(\w+)` \((error|warning)\)$", (DOCS / "diagnostics.md").read_text("utf-8"), re.M))
CJK = re.compile(r"[\u4e00-\u9fff]")


def check_diagnostic(d: rubric_dsl.Diagnostic, path: str, text: str) -> None:
    """A diagnostic of the file ``path``: a catalogued code and severity, messages in both languages,
    a span inside the text, and a rendering that names the place and shows the line it points at."""
    assert CATALOGUE.get(d.code) == d.severity, f"{d.code} ({d.severity}) is not in docs/diagnostics.md"
    assert d.message.strip() and CJK.search(d.message_zh), d
    span = d.span
    lines = text.split("\n")  # what spans count lines by; a file that ends in a newline has an empty last line
    assert span.path == path, d
    assert 1 <= span.line <= len(lines) and 1 <= span.column <= len(lines[span.line - 1]) + 1, d
    assert (span.line, span.column) <= (span.end_line, span.end_column), d
    assert span.end_line <= len(lines) and 1 <= span.end_column <= len(lines[span.end_line - 1]) + 2, d
    for lang in ("en", "zh"):
        head, *excerpt = d.render(text, lang).split("\n")  # type: ignore[arg-type]
        assert head.startswith(f"{path}:{span.line}:{span.column}: ") and head.endswith(f"[{d.code}]"), head
        assert d.text(lang) in head  # type: ignore[arg-type]
        # render() counts lines by \n only, as spans do, whatever other line breaks the text holds
        if span.line < len(lines) or lines[-1]:  # a line of the text, not the nothing after its last newline
            shown = lines[span.line - 1].rstrip("\r")
            assert len(excerpt) == 2 and excerpt[0] == "  " + shown and "^" in excerpt[1], d
        else:
            assert excerpt == [], d


def outcome(sources: dict[str, str], target: str) -> None:
    """Build the library from ``sources``, where ``target`` is the file under test and the others are
    untouched bundled files. Every file either compiles (no errors) or has error diagnostics, never
    both; every diagnostic is well-formed and renders; scoring what compiled never crashes."""
    library = build_library(sources)
    assert set(library.files) == set(sources)
    for path, text in sources.items():
        found = library.files[path]
        for d in found:
            check_diagnostic(d, path, text)
        rubric_id = library.ids.get(path)
        compiled = library.rubrics.get(rubric_id) if rubric_id is not None else None
        if has_errors(found) or rubric_id is None:
            # A file that does not parse, or whose rubric another file already defines, says why.
            assert has_errors(found), f"{path} was dropped without an error: {library.render(found)}"
            assert compiled is None or compiled.path != path, f"{path} compiled despite {library.render(found)}"
        else:
            tree, _ = parse(SourceFile(path, text))
            assert tree is not None and tree.id == rubric_id
            assert tree.abstract == (compiled is None), (
                f"{path}: no errors, abstract={tree.abstract}, compiled={compiled}"
            )
            if compiled is not None:
                assert (compiled.path, compiled.source_text, compiled.id) == (path, text, rubric_id)
        if path != target:  # files are parsed one by one: a mutation elsewhere cannot make this one unreadable
            assert not any(d.code == "rubric_syntax_error" for d in found), library.render(found)
    rendered = library.render()
    assert all(f"{d.span.path}:{d.span.line}:{d.span.column}: " in rendered for d in library.diagnostics)
    for rubric in library.rubrics.values():
        facts = {
            i.name: "1" if i.kind not in ("flag", "choice") else (i.choices or ("true",))[0] for i in rubric.inputs
        }
        try:
            result = rubric.score(facts)
        except (rubric_dsl.InvalidFacts, rubric_dsl.EvaluationError) as refused:
            assert str(refused)
            continue
        assert_adds_up(rubric, result)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[dict[str, str], str]:
    path = draw(st.sampled_from(sorted(SOURCES)))
    tokens = TOKEN.findall(SOURCES[path])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(tokens) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace"]))
        if action == "delete":
            del tokens[at]
        elif action == "duplicate":
            tokens.insert(at, tokens[at])
        elif action == "swap" and at + 1 < len(tokens):
            tokens[at], tokens[at + 1] = tokens[at + 1], tokens[at]
        else:
            new = draw(st.sampled_from(ODD_TOKENS) | st.sampled_from(tokens))
            if action == "insert":
                tokens.insert(at, new)
            else:
                tokens[at] = new
    return {**FRAMES, path: " ".join(tokens)}, path


@settings(FUZZ, max_examples=max(20, settings().max_examples // 3))  # each example compiles a rubric: slowest
@given(mutated())
def test_mutated_rubrics_compile_or_get_diagnostics(case: tuple[dict[str, str], str]) -> None:
    outcome(*case)


@FUZZ
@given(st.text(max_size=300))
def test_random_text_gets_diagnostics(text: str) -> None:
    outcome({"r.rubric": text}, "r.rubric")


@FUZZ
@given(st.text(alphabet=st.sampled_from(list('rubic{}()[]"x 0123456789.%-,=><∞\n#')), max_size=400))
def test_rubric_shaped_noise_gets_diagnostics(text: str) -> None:
    outcome({"r.rubric": 'rubric a.b "t" {' + text}, "r.rubric")


@FUZZ
@given(st.integers(1, 3000), st.sampled_from(["(", "-", "not ", "[", "{"]))
def test_deep_nesting_is_refused_not_crashed(depth: int, opener: str) -> None:
    closer = {"(": ")", "[": "]", "{": "}"}.get(opener, "")
    expr = opener * depth + "1" + closer * depth
    text = f'rubric a.b "t" {{ version "1" total 1 indicator i "i" 1 {{ points {expr} }} grades {{ 好 otherwise }} }}'
    outcome({"r.rubric": text}, "r.rubric")


@FUZZ
@given(
    st.sampled_from(["1e9999", "9" * 400, "0.0000000000000000000000000000000000000000001", "1e-9999"]),
    st.sampled_from(["weight", "total", "band", "grade", "step"]),
)
def test_huge_and_tiny_numbers(number: str, where: str) -> None:
    pieces = {"weight": "1", "total": "1", "band": "1", "grade": "1", "step": "1"}
    pieces[where] = number if re.fullmatch(r"\d+(\.\d+)?", number) else "1"
    text = (
        f'rubric a.b "t" {{ version "1" total {pieces["total"]} input x number "x"\n'
        f'indicator i "i" {pieces["weight"]} {{ bands x {{ [{pieces["band"]}, ∞) 1  otherwise 0 }} }}\n'
        f"grades {{ 好 >= {pieces['grade']}  差 otherwise }} }}"
    )
    outcome({"r.rubric": text}, "r.rubric")


FACT_VALUES = st.one_of(
    st.text(max_size=30),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1e999999999", "-1e999999999", "9" * 5000, "1_000", "٣", "１００", "98.02％"]),
    st.lists(st.integers(), max_size=2),
)
BUNDLED = rubric_dsl.load_library(RUBRICS).rubrics  # what compiles; tests/test_seed_sheets.py checks all do


@FUZZ
@given(st.sampled_from(sorted(BUNDLED)), st.dictionaries(st.text(max_size=20), FACT_VALUES, max_size=8), st.data())
def test_any_facts_get_a_result_or_a_validation_error(rubric_id: str, extra: dict[str, Any], data: Any) -> None:
    rubric = BUNDLED[rubric_id]
    names = [i.name for i in rubric.inputs]
    facts: dict[str, Any] = {n: data.draw(FACT_VALUES) for n in data.draw(st.sets(st.sampled_from(names)))}
    facts.update(extra)
    try:
        result = rubric.score(facts, allow_extra_facts=data.draw(st.booleans()))
    except (rubric_dsl.InvalidFacts, rubric_dsl.EvaluationError) as error:
        assert str(error)
        return
    assert Decimal(0) <= result.total <= rubric.total
    assert result.total == sum(i.points for i in result.indicators)
