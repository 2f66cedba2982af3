"""`rubric fmt`: rewrites files in the canonical layout; `--check` shows a diff and changes nothing."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import run_cli
from tests.conftest import ROOT

DATA = ROOT / "tests" / "testdata" / "fmt"


def test_check_mode_shows_a_diff_and_exits_1(tmp_path: Path) -> None:
    messy = tmp_path / "messy.rubric"
    messy.write_text((DATA / "messy.rubric").read_text(encoding="utf-8"), encoding="utf-8")
    checked = run_cli("fmt", "--check", str(tmp_path))
    assert checked.returncode == 1
    assert checked.stdout.startswith(f"--- {messy}\n+++ {messy} (formatted)\n")
    assert messy.read_text(encoding="utf-8") == (DATA / "messy.rubric").read_text(encoding="utf-8")
    assert run_cli("fmt", str(tmp_path)).returncode == 0
    assert run_cli("fmt", "--check", str(tmp_path)).returncode == 0
