"""The `rubric` command's errors: located, on stderr, with the documented exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rubric_cli.main import main
from rubric_dsl import compare
from tests.conftest import RUBRICS, SEED_CASEWORK
from tests.test_seed_sheets import run_cli


def test_bad_facts_name_every_fact_and_exit_2() -> None:
    done = run_cli(
        "score",
        "--rubric",
        "wuping.casework",
        "--facts",
        "-",
        stdin=json.dumps({**SEED_CASEWORK, "satisfaction": "9802", "on_tim": True}),
    )
    assert done.returncode == 2
    assert "satisfaction: '9802' is outside 0%..100%" in done.stderr
    assert "on_tim: this rubric declares no such fact; did you mean `on_time`?" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_rubric_suggests_a_name() -> None:
    done = run_cli("score", "--rubric", "wuping.casewrk", "--facts", "-", stdin="{}")
    assert done.returncode == 2
    assert "did you mean `wuping.casework`?" in done.stderr


def test_facts_that_are_not_json_are_located() -> None:
    done = run_cli("score", "--rubric", "wuping.casework", "--facts", "-", stdin='{"a": 1,,}')
    assert done.returncode == 2
    assert "facts -:1:" in done.stderr and "not valid JSON" in done.stderr


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


def _copied_rubrics(tmp_path: Path) -> Path:
    root = tmp_path / "rubrics"
    shutil.copytree(RUBRICS, root, ignore=shutil.ignore_patterns("samples"))
    return root


def test_check_and_test_find_parents_in_another_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """rubrics/leting extends rubrics/national: checking one region finds the other, from anywhere."""
    root = _copied_rubrics(tmp_path)
    broken = root / "wuping" / "inspection.rubric"  # a problem elsewhere is not this check's
    broken.write_text(broken.read_text(encoding="utf-8") + "\n}}\n", encoding="utf-8")
    assert main(["check", str(root / "leting" / "casework_funds.rubric")]) == 0
    assert main(["check", str(root / "leting")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "1 files checked: 0 errors, 0 warnings",
        "4 files checked: 0 errors, 0 warnings",
    ]
    monkeypatch.chdir(root / "leting")
    assert main(["check", "casework_funds.rubric", "self_evaluation.rubric"]) == 0
    # one file named twice (two spellings) is one file, not a duplicate id
    assert main(["check", "casework_funds.rubric", str(root / "leting" / "casework_funds.rubric"), "."]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "4 files checked: 0 errors, 0 warnings"
    assert main(["test", "."]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines()[-1] == "18 passed, 0 failed"
    assert "inspection.rubric" not in printed.err  # another region's problem is not this run's
    assert main(["check", str(broken)]) == 1


def test_a_draft_outside_the_tree_names_where_its_parents_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copied_rubrics(tmp_path)
    source = (root / "leting" / "casework_funds.rubric").read_text(encoding="utf-8")
    draft = tmp_path / "drafts" / "draft.rubric"
    draft.parent.mkdir()
    draft.write_text(source.replace("rubric leting.casework_funds ", "rubric leting.draft ", 1), encoding="utf-8")
    assert main(["check", str(draft)]) == 1
    assert "rubric_unknown_parent" in capsys.readouterr().err
    assert main(["check", "--rubrics", str(root), str(draft)]) == 0
    facts = tmp_path / "facts.json"
    facts.write_text("{}", encoding="utf-8")
    assert main(["score", "--rubrics", str(root), "--rubric", str(draft), "--facts", str(facts)]) == 2
    assert "invalid facts for rubric `leting.draft`" in capsys.readouterr().err  # compiled: only facts are missing


def test_drafts_kept_elsewhere_find_their_siblings_first_then_the_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A draft region beside the tree: its own abstract parent (a sibling) extends one in rubrics/."""
    root = _copied_rubrics(tmp_path)
    drafts = tmp_path / "drafts"
    shutil.copytree(root / "leting", drafts)
    for file in drafts.glob("*"):  # new ids, so that nothing clashes with the tree's 乐亭 rubrics
        file.write_text(file.read_text(encoding="utf-8").replace("leting.", "draft."), encoding="utf-8")
    assert main(["check", "--rubrics", str(root), str(drafts / "casework_funds.rubric")]) == 0
    assert main(["test", "--rubrics", str(root), str(drafts)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "18 passed, 0 failed"
    # The sibling wins over a rubric of the same id elsewhere in the tree (here a broken one).
    decoy = root / "kaiping" / "decoy.rubric"
    decoy.write_text('abstract rubric draft.self_evaluation "冒名" {\n  bogus\n}\n', encoding="utf-8")
    assert main(["check", "--rubrics", str(root), str(drafts / "casework_funds.rubric")]) == 0


def test_each_path_is_looked_up_beside_itself_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _copied_rubrics(tmp_path)
    drafts = tmp_path / "drafts"
    shutil.copytree(root / "leting", drafts)
    for file in drafts.glob("*"):
        file.write_text(file.read_text(encoding="utf-8").replace("leting.", "draft."), encoding="utf-8")
    decoy = root / "kaiping" / "decoy.rubric"  # a broken rubric of the drafts' parent's id, in the tree
    decoy.write_text('abstract rubric draft.self_evaluation "冒名" {\n  bogus\n}\n', encoding="utf-8")
    ours, theirs = str(drafts / "casework_funds.rubric"), str(root / "leting" / "casework_funds.rubric")
    assert main(["check", "--rubrics", str(root), theirs, ours]) == 0
    assert main(["check", "--rubrics", str(root), ours, theirs]) == 0
    assert capsys.readouterr().out.splitlines() == ["2 files checked: 0 errors, 0 warnings"] * 2


def test_compare_finds_a_files_parents_in_its_own_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`rubric compare --rubric FILE` without --rubrics: the file's own rubrics/ tree, not ./rubrics."""
    root = _copied_rubrics(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere" / "rubrics" / "national"
    elsewhere.mkdir(parents=True)
    (elsewhere / "self_evaluation.rubric").write_text(
        'abstract rubric national.self_evaluation "坏" {\n  bogus\n}\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path / "elsewhere")
    schemes, rubrics = compare.load_schemes([str(root / "leting" / "casework_funds.rubric")], None, mixed=False)
    assert [rubrics.compiled[s].id for s in schemes[0].members] == ["leting.casework_funds"]


def test_a_rubrics_directory_that_does_not_exist_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["check", "rubrics/leting"], ["test", "rubrics/leting"]):
        assert main([*command, "--rubrics", "no/such/dir"]) == 2
        assert "--rubrics no/such/dir: no such directory" in capsys.readouterr().err
