"""`rubric fmt`: golden pairs, identity files, round trips and idempotence.

Golden pairs are `x.rubric` / `x.rubric.formatted` under tests/testdata/fmt; each output is parsed
again and formatted again. Files under identity/ are canonical and must come back unchanged. Run
with UPDATE_GOLDENS=1 to rewrite the `.formatted` files after an intended change.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rubric_dsl.formatter import format_source
from rubric_dsl.parser import parse
from rubric_dsl.source import SourceFile
from tests.conftest import RUBRICS

DATA = Path(__file__).parent / "testdata" / "fmt"
PAIRS = sorted(DATA.glob("*.rubric"))
IDENTITY = sorted((DATA / "identity").glob("*.rubric")) + sorted(RUBRICS.rglob("*.rubric"))


def shape(node: Any) -> Any:
    """A syntax tree without positions, to compare meaning."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        fields = [f.name for f in dataclasses.fields(node) if not f.name.endswith("span")]
        return (type(node).__name__, *(shape(getattr(node, f)) for f in fields))
    if isinstance(node, tuple | list):
        return tuple(shape(n) for n in node)
    return node


def tree_of(text: str) -> Any:
    tree, problems = parse(SourceFile("t.rubric", text))
    assert problems == [] and tree is not None, problems
    # the order of header fields carries no meaning; the formatter puts them in a fixed order
    header = tuple(sorted(tree.header, key=lambda f: f.key))
    rounding = tuple(sorted(tree.rounding, key=lambda r: r.scope))
    return shape(dataclasses.replace(tree, header=header, rounding=rounding))


def formatted(text: str) -> str:
    out, problems = format_source(text, "t.rubric")
    assert out is not None, problems
    return out


@pytest.mark.parametrize("path", PAIRS, ids=[p.stem for p in PAIRS])
def test_golden_pair(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    out = formatted(text)
    golden = path.with_name(path.name + ".formatted")
    if os.environ.get("UPDATE_GOLDENS"):
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")
    assert tree_of(out) == tree_of(text)
    assert formatted(out) == out


@pytest.mark.parametrize("path", IDENTITY, ids=[p.stem for p in IDENTITY])
def test_canonical_files_come_back_unchanged(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert formatted(text) == text


def test_comments_stay_with_their_code() -> None:
    out = formatted((DATA / "messy.rubric").read_text(encoding="utf-8"))
    assert re.search(r"# the only indicator\n\s+indicator it ", out)
    assert "otherwise  0  # 其余不得分" in out
    assert "total 10  # the whole" in out


def test_syntax_errors_are_reported_not_formatted() -> None:
    out, problems = format_source('rubric a "x" {', "t.rubric")
    assert out is None and problems[0].code == "rubric_syntax_error"


# --- properties --------------------------------------------------------------------------------------

names = st.sampled_from(["n", "rate", "x", "fast"])
atoms = st.one_of(
    names,
    st.integers(0, 999).map(str),
    st.decimals(0, 100, places=2, allow_nan=False, allow_infinity=False).map(lambda d: f"{d}%"),
    st.sampled_from(["true", "false"]),
)


def compose(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "and", "or", ">=", "<", "==", "!="]), children)
    return st.one_of(
        binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})" if t[1] in (">=", "<", "==", "!=") else f"{t[0]} {t[1]} {t[2]}"),
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"not {c}"),
        children.map(lambda c: f"({c})"),
        st.tuples(children, children).map(lambda t: f"min({t[0]}, {t[1]})"),
        st.tuples(children, children, children).map(lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"),
    )


expressions = st.recursive(atoms, compose, max_leaves=12)


def let_rubric(expr: str) -> str:
    return f'rubric p.p "p" {{\n  let v = {expr}\n  indicator i "i" 1 {{ points 1 }}\n}}\n'


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_formatting_an_expression_keeps_its_meaning(expr: str) -> None:
    text = let_rubric(expr)
    if parse(SourceFile("t.rubric", text))[0] is None:
        return  # e.g. chained comparisons, which the grammar rejects
    out = formatted(text)
    assert tree_of(out) == tree_of(text)
    assert formatted(out) == out


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from([" ", "  ", "\n", "\t"]), min_size=1, max_size=200), st.randoms())
def test_spacing_does_not_change_the_canonical_layout(spaces: list[str], random: Any) -> None:
    source = (DATA / "identity" / "every_rule.rubric").read_text(encoding="utf-8")
    lines = [line for line in source.splitlines() if not line.lstrip().startswith("#")]
    tokens = " ".join(lines).split(" ")
    respaced = "".join(t + random.choice(spaces) for t in tokens if t)
    if parse(SourceFile("t.rubric", respaced))[0] is None:
        return
    canonical = formatted("\n".join(lines) + "\n")
    assert formatted(respaced) == canonical
