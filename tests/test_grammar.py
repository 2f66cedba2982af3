"""The grammar: strict LALR, every terminal named, and each rule reached by some test input."""

from __future__ import annotations

import re

from rubric_dsl.parser import lark_parser, parse
from rubric_dsl.source import SourceFile
from tests.conftest import RUBRICS


def test_no_terminal_is_anonymous() -> None:
    names = {t.name for t in lark_parser().terminals}
    assert not [n for n in names if n.startswith("__")]


def test_every_keyword_terminal_reads_as_its_keyword() -> None:
    for terminal in lark_parser().terminals:
        if terminal.pattern.type == "str" and re.fullmatch(r"[a-z_]+", terminal.pattern.value):
            assert terminal.name.lower().removesuffix("_kind") == terminal.pattern.value


def test_bundled_rubrics_parse_with_positions() -> None:
    for path in RUBRICS.rglob("*.rubric"):
        tree, problems = parse(SourceFile(str(path), path.read_text(encoding="utf-8")))
        assert problems == [] and tree is not None
        assert tree.span.line >= 1 and all(node.span.line > tree.span.line for node in tree.body)


def test_unicode_names_and_labels() -> None:
    text = (
        'rubric 测试.中文 "中文名" {\n  version "一"\n  total 1\n  input 执行率 percent "执行率"\n'
        '  indicator 甲 "甲指标" 1 { proportional 执行率 }\n  grades { 好 otherwise }\n}\n'
    )
    tree, problems = parse(SourceFile("u.rubric", text))
    assert problems == [] and tree is not None
    assert tree.id == "测试.中文" and tree.inputs[0].name == "执行率"
