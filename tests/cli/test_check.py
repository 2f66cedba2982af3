"""`rubric check`: every problem, located with a caret, in the chosen language; exit 1 on errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import BROKEN, run_cli


def test_check_prints_located_errors_with_a_caret(tmp_path: Path) -> None:
    broken = tmp_path / "broken.rubric"
    broken.write_text(
        'rubric t.t "坏" {\n  version "1"\n  total 100\n  indicator a "甲" 5 { points x }\n'
        "  grades { 好 otherwise }\n}\n",
        encoding="utf-8",
    )
    done = run_cli("check", str(broken))
    assert done.returncode == 1
    assert f"{broken}:4:30: error: `x` is not a declared input or let value" in done.stderr
    # the caret sits under `x`: 甲 takes two columns on a terminal
    assert '\n    indicator a "甲" 5 { points x }\n' + " " * 32 + "^\n" in done.stderr
    assert f"{broken}:3:3: error: the rubric declares `total 100` but its top-level sections add up to 5" in done.stderr


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    text = (
        'rubric t.t "警告" {\n  version "1"\n  total 1\n  input spare number "多余"\n'
        '  indicator a "甲" 1 { points 1 }\n  grades { 好 otherwise }\n}\n'
    )
    (tmp_path / "warn.rubric").write_text(text, encoding="utf-8")
    done = run_cli("check", str(tmp_path))
    assert done.returncode == 0
    assert "warning: input `spare` is declared but no rule" in done.stderr


def test_bundled_rubrics_check_clean() -> None:
    checked = run_cli("check", "rubrics")
    assert checked.returncode == 0, checked.stderr
    assert "0 errors, 0 warnings" in checked.stdout


def check(path: Path, *args: str, lang_env: str | None = None) -> str:
    done = run_cli("check", *args, str(path), lang_env=lang_env)
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


def test_json_names_each_problem_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "bad.rubric"
    path.write_text(BROKEN, encoding="utf-8")
    done = run_cli("check", str(path), "--format", "json")
    assert done.returncode == 1 and done.stderr == ""
    report = json.loads(done.stdout)
    assert report["files"] == 1 and report["errors"] == len(report["diagnostics"]) >= 2
    first = report["diagnostics"][0]
    assert first["path"] == str(path) and first["line"] >= 1 and first["code"].startswith("rubric_")
    assert first["message"] and first["message_zh"]
