"""Fuzzing: whatever the text or the facts, the only outcomes are results or diagnostics/errors.

Rubric sources come from token-level mutations of the bundled rubrics, random Unicode, deep
nesting and huge numbers; each goes through parse → check → compile (and, when it compiles,
scoring). Fact sets go through validation and scoring. The number of examples follows the
hypothesis profile: `dev` (default) is quick, `ci` runs longer, `campaign` is the long run
(HYPOTHESIS_PROFILE=campaign, see tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rubric_dsl
from rubric_dsl.api import build_library
from tests.conftest import RUBRICS

SOURCES = {str(p): p.read_text(encoding="utf-8") for p in sorted(RUBRICS.rglob("*.rubric"))}
# The abstract frames other rubrics extend: a mutated file is checked beside these, not the whole directory.
FRAMES = {p: t for p, t in SOURCES.items() if t.lstrip("# \n").startswith("abstract") or "\nabstract rubric" in t}
TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|\d+(?:\.\d+)?%?|[^\W\d]\w*|\.\.|=>|->|>=|<=|==|!=|\S')
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


def outcome(sources: dict[str, str], target: str) -> None:
    """Build the library; every file either compiles or has diagnostics; scoring never crashes."""
    library = build_library(sources)
    for path in sources:
        assert path in library.files
    for rubric in library.rubrics.values():
        facts = {
            i.name: "1" if i.kind not in ("flag", "choice") else (i.choices or ("true",))[0] for i in rubric.inputs
        }
        with contextlib.suppress(rubric_dsl.InvalidFacts, rubric_dsl.EvaluationError):
            rubric.score(facts)


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
