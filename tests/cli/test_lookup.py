"""Where the commands look rubrics and their parents (`extends`) up: beside each file, then under the
nearest `rubrics/` directory, or the tree `--rubrics DIR` names (which must exist)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rubric_cli.main import main
from rubric_dsl import compare
from tests.cli.helpers import copied_rubrics


def test_check_and_test_find_parents_in_another_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """rubrics/leting extends rubrics/national: checking one region finds the other, from anywhere."""
    root = copied_rubrics(tmp_path)
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
    root = copied_rubrics(tmp_path)
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
    root = copied_rubrics(tmp_path)
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
    root = copied_rubrics(tmp_path)
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
    root = copied_rubrics(tmp_path / "project")
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


def test_every_command_that_looks_rubrics_up_refuses_a_rubrics_directory_that_does_not_exist(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for command in (
        ["score", "--rubric", "wuping.casework", "--facts", "-"],
        ["sheet", "--rubric", "wuping.casework"],
        ["compare", "--rubric", "wuping.casework", "--data", "rubrics/samples/wuping.csv"],
    ):
        assert main([*command, "--rubrics", "no/such/dir"]) == 2
        assert f"rubric {command[0]}: --rubrics no/such/dir: no such directory" in capsys.readouterr().err
