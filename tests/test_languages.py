"""Diagnostics speak English and Chinese; the catalogue in docs/diagnostics.md is current."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import rubric_dsl
from tests.conftest import ROOT

CASES = ROOT / "tests" / "testdata" / "diagnostics"
CJK = re.compile(r"[\u4e00-\u9fff]")
BROKEN = (
    'rubric t.t "坏" {\n  version "1"\n  total 100\n  indicator a "甲" 5 { points x }\n  grades { 好 otherwise }\n}\n'
)


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


def check(path: Path, *args: str, lang_env: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "LANG"}
    if lang_env is not None:
        env["LANG"] = lang_env
    done = subprocess.run(
        [sys.executable, "-m", "rubric_cli", "check", *args, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    return done.stderr


@pytest.mark.parametrize(
    ("args", "lang_env", "chinese"),
    [
        ((), None, False),
        ((), "zh_CN.UTF-8", True),
        (("--lang", "en"), "zh_CN.UTF-8", False),
        (("--lang", "zh"), None, True),
    ],
    ids=["default-en", "LANG-zh", "flag-over-env", "flag-zh"],
)
def test_language_follows_the_flag_then_the_environment(
    tmp_path: Path, args: tuple[str, ...], lang_env: str | None, chinese: bool
) -> None:
    broken = tmp_path / "broken.rubric"
    broken.write_text(BROKEN, encoding="utf-8")
    out = check(broken, *args, lang_env=lang_env)
    assert ("错误: `x` 不是已声明的输入" in out) == chinese
    assert ("error: `x` is not a declared input" in out) == (not chinese)
