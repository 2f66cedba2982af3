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
