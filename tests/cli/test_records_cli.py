"""`rubric score` reads a list of records from the facts JSON; `rubric test --coverage` runs TOML cases
whose facts hold arrays of tables; a bad field is named by list, record and field, in Chinese too."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import run_cli
from tests.conftest import ROOT

RECORDS = ROOT / "tests" / "testdata" / "records"
PROJECTS = [
    {"funds": 100, "self_evaluated": True, "key": True, "score": 92},
    {"funds": 300, "self_evaluated": False, "key": True, "score": 85.5},
]


def test_score_reads_records_from_the_facts_json(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"projects": PROJECTS, "rate_all": "90"}), encoding="utf-8")
    done = run_cli("score", "--rubric", str(RECORDS / "department.rubric"), "--facts", str(facts), "--format", "json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    # 4 × 1/2 = 2; (92×100 + 85.5×300)/400 = 87.125 → 4; 5
    assert printed["total"] == "11"
    assert {i["id"]: i["points"] for i in printed["indicators"]}["self_evaluation"] == "2"


def test_a_bad_record_field_is_named_in_chinese(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    bad = [*PROJECTS, {"funds": -1, "self_evaluated": True, "score": 1}]
    facts.write_text(json.dumps({"projects": bad, "rate_all": "90"}), encoding="utf-8")
    done = run_cli("score", "--rubric", str(RECORDS / "department.rubric"), "--facts", str(facts), "--lang", "zh")
    assert done.returncode == 2
    assert "projects[2].funds" in done.stderr and "第3条记录的“资金”" in done.stderr


def test_cases_with_records_pass_with_full_coverage() -> None:
    done = run_cli("test", "--fail-under", "100", str(RECORDS / "department.tests.toml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "100.0%" in done.stdout
