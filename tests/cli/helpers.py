"""Running the `rubric` command in a subprocess, as a user does, and rubrics the command tests share."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, RUBRICS

# A rubric with two errors: `x` is not declared, and the sections add up to 5, not 100.
BROKEN = (
    'rubric t.t "坏" {\n  version "1"\n  total 100\n  indicator a "甲" 5 { points x }\n  grades { 好 otherwise }\n}\n'
)


def run_cli(
    *args: str, stdin: str | None = None, lang_env: str | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """`python -m rubric_cli ARGS` in the repository (so ./rubrics are the bundled rubrics); LANG is
    `lang_env`, or left out when None."""
    env = {k: v for k, v in os.environ.items() if k != "LANG"}
    if lang_env is not None:
        env["LANG"] = lang_env
    return subprocess.run(
        [sys.executable, "-m", "rubric_cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )


def copied_rubrics(tmp_path: Path) -> Path:
    root = tmp_path / "rubrics"
    shutil.copytree(RUBRICS, root, ignore=shutil.ignore_patterns("samples"))
    return root


# (arguments, LANG, whether messages are Chinese): the flag wins over the environment.
LANGUAGES = [
    (("--lang", "zh"), None, True),
    (("--lang", "en"), "zh_CN.UTF-8", False),
    ((), "zh_CN.UTF-8", True),
    ((), None, False),
]
LANGUAGE_IDS = ["flag-zh", "flag-en-over-env", "LANG-zh", "default-en"]


def broken_rubric(tmp_path: Path) -> Path:
    """BROKEN as rubrics/broken.rubric under `tmp_path`."""
    path = tmp_path / "rubrics" / "broken.rubric"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BROKEN, encoding="utf-8")
    return path


def assert_broken_diagnostics(stderr: str, chinese: bool) -> None:
    """BROKEN's two errors, located with the source line and a caret, in the language asked for."""
    assert ("错误: `x` 不是已声明的输入" in stderr) == chinese, stderr
    assert ("错误: 评分规则标明 `total 100`" in stderr) == chinese, stderr
    assert ("error: `x` is not a declared input" in stderr) == (not chinese), stderr
    assert ("error: the rubric declares `total 100`" in stderr) == (not chinese), stderr
    assert '\n    indicator a "甲" 5 { points x }\n' + " " * 32 + "^\n" in stderr
