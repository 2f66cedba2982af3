"""Diagnostics speak English and Chinese; the catalogue in docs/diagnostics.md is current."""

from __future__ import annotations

import re
import sys

import rubric_dsl
from tests.conftest import ROOT

CASES = ROOT / "tests" / "testdata" / "diagnostics"
CJK = re.compile(r"[\u4e00-\u9fff]")


def every_diagnostic() -> list[rubric_dsl.Diagnostic]:
    sys.path.insert(0, str(ROOT / "scripts"))
    import gen_diagnostics_doc

    return [d for _, files in gen_diagnostics_doc.cases() for d in rubric_dsl.build_library(files).diagnostics]


def test_every_diagnostic_has_a_chinese_message() -> None:
    found = every_diagnostic()
    assert len({d.code for d in found}) >= 20
    missing = [d.render() for d in found if not CJK.search(d.message_zh)]
    assert missing == []


def test_catalogue_is_current_and_lists_every_code() -> None:
    import gen_diagnostics_doc

    doc = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    assert doc == gen_diagnostics_doc.render(), "run `python scripts/gen_diagnostics_doc.py`"
    for code in {d.code for d in every_diagnostic()}:
        assert f"## `{code}`" in doc
