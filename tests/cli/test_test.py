"""`rubric test`: runs the cases beside the rubrics, "N passed, M failed"; `--coverage` names the clauses
no case reaches."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import copied_rubrics, run_cli
from tests.conftest import RUBRICS


def test_test_command_reports_a_failing_case(tmp_path: Path) -> None:
    (tmp_path / "one.rubric").write_text(
        'rubric t.one "一" {\n  version "1"\n  total 5\n  input x number "x"\n'
        '  indicator a "甲" 5 { linear x from 0 to 10 }\n  grades { 好 >= 4  差 otherwise }\n}\n',
        encoding="utf-8",
    )
    (tmp_path / "one.tests.toml").write_text(
        '[[case]]\nname = "half"\nfacts = { x = 5 }\nexpect = { total = "2.5", grade = "差" }\n\n'
        '[[case]]\nname = "wrong on purpose"\nfacts = { x = 10 }\nexpect = { total = "4", points = { a = "4" } }\n',
        encoding="utf-8",
    )
    done = run_cli("test", str(tmp_path))
    assert done.returncode == 1
    assert "FAIL" in done.stdout and "wrong on purpose" in done.stdout
    assert "total: expected 4, got 5" in done.stdout
    assert "甲 (a): expected 4, got 5 — x 10 ≥ 10 → 5" in done.stdout
    assert done.stdout.strip().endswith("1 passed, 1 failed")


def test_test_command_fails_when_it_finds_no_case(tmp_path: Path) -> None:
    done = run_cli("test", str(tmp_path))
    assert done.returncode == 2
    assert "no test cases" in done.stderr


def test_bundled_rubrics_cases_pass() -> None:
    tested = run_cli("test", "rubrics")
    assert tested.returncode == 0, tested.stdout
    assert tested.stdout.strip().endswith(" 0 failed")


def test_bundled_rubrics_reach_full_clause_coverage() -> None:
    done = run_cli("test", "--coverage", "rubrics")
    assert done.returncode == 0, done.stdout
    lines = [line for line in done.stdout.splitlines() if line.startswith("coverage ")]
    assert len(lines) >= 10 and all(line.endswith("(100.0%)") for line in lines), done.stdout


def test_a_rubric_in_scope_that_does_not_compile_fails_the_run(tmp_path: Path) -> None:
    root = copied_rubrics(tmp_path)
    (root / "wuping" / "broken.rubric").write_text('rubric broken.x "坏" {\n  version "1"\n', encoding="utf-8")
    done = run_cli("test", str(root / "wuping"))
    assert done.returncode == 1
    assert f"BROKEN {root / 'wuping' / 'broken.rubric'}: does not compile:" in done.stdout
    assert done.stdout.splitlines()[-1] == "46 passed, 0 failed"  # every case still ran


def test_fail_under_fails_below_the_threshold_and_says_so(tmp_path: Path) -> None:
    root = copied_rubrics(tmp_path)
    tests = root / "wuping" / "casework.tests.toml"
    head, first, *_ = tests.read_text(encoding="utf-8").split("\n[[case]]")
    first_case = f"{head}\n[[case]]{first}\n"
    tests.write_text(first_case, encoding="utf-8")  # one case left: most clauses are no longer reached
    done = run_cli("test", str(root / "wuping"), "--fail-under", "100")
    assert done.returncode == 1 and "is below --fail-under 100%" in done.stdout
    assert run_cli("test", str(RUBRICS / "wuping"), "--fail-under", "100").returncode == 0


def test_json_report_for_ci_and_editors() -> None:
    done = run_cli("test", str(RUBRICS / "wuping"), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["failed"] == 0 and report["passed"] == len(report["cases"]) > 0 and report["broken"] == []
    assert report["coverage"]["percent"] == 100.0
    assert {r["rubric"] for r in report["coverage"]["rubrics"]} >= {"wuping.casework", "wuping.inspection"}


def test_a_rubric_file_that_cannot_be_decoded_is_broken_too(tmp_path: Path) -> None:
    root = copied_rubrics(tmp_path)
    (root / "wuping" / "bad.rubric").write_bytes(b"rubric x\0y")
    done = run_cli("test", str(root / "wuping"))
    assert done.returncode == 1
    assert f"BROKEN {root / 'wuping' / 'bad.rubric'}: does not compile:" in done.stdout
