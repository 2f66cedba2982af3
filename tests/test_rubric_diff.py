"""`rubric diff` on the bundled Wuping rubrics and their 开平-scale and national-weights variants."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rubric_cli.main import main
from rubric_dsl import load_dir
from rubric_dsl.rubric_diff import diff, to_html

ROOT = Path(__file__).resolve().parents[1]
RUBRICS = ROOT / "rubrics"
WUPING = RUBRICS / "samples" / "wuping.csv"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def library() -> dict[str, object]:
    return dict(load_dir(RUBRICS))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["diff", "--rubrics", str(RUBRICS), *args]) == 0
    return capsys.readouterr().out


def test_a_rubric_against_itself_has_no_changes(library: dict[str, object]) -> None:
    found = diff(library["wuping.casework"], library["wuping.casework"])  # type: ignore[arg-type]
    assert found.unchanged and found.changes == [] and found.grades is None


def test_the_kaiping_scale_changes_only_the_title_and_the_grade_cutoffs(capsys: pytest.CaptureFixture[str]) -> None:
    report = json.loads(run(capsys, "wuping.casework", "wuping.casework.kaiping_scale", "--format", "json"))
    assert [c["id"] for c in report["header"]] == ["title"]
    assert report["changes"] == []
    assert report["grades"] == {
        "old": "优（S≥90）良（80≤S<90）中（60≤S<80）差（S<60）",
        "new": "优秀（S≥90）良好（80≤S<90）中等（70≤S<80）差（S<70）",
    }
    assert report["rounding"] is None


def test_national_weights_reweigh_remove_and_reword(capsys: pytest.CaptureFixture[str]) -> None:
    report = json.loads(run(capsys, "wuping.inspection", "wuping.inspection.national_weights", "--format", "json"))
    changes = {(c["kind"], c["id"], c["how"]): c for c in report["changes"]}
    reweighted = changes["indicator", "execution", "reweighted"]
    assert (reweighted["old"], reweighted["new"]) == ("5", "10")
    rule = changes["indicator", "execution", "rule"]
    assert rule["old"].startswith("预算执行率95%以上（含95%）得5分")
    assert rule["new"].startswith("预算执行率95%以上（含95%）得10分")
    assert ("section", "decision", "removed") in changes and changes["section", "decision", "removed"]["old"] == "21"
    assert changes["indicator", "compliance", "removed"]["old"].startswith("8：")
    assert ("indicator", "inspection_count", "reweighted") not in changes  # 个性 产出 stays 15
    assert changes["indicator", "petition", "reweighted"]["new"] == "7.5"


def test_with_data_the_impact_names_records_and_causes(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["wuping.inspection", "wuping.inspection.national_weights", "--data", str(WUPING)]
    args += ["--rubric-column", "rubric", "--id-column", "project"]
    text = run(capsys, *args)
    assert "影响：1 条记录中，1 条总分变化，1 条等次变化" in text
    line = next(line for line in text.splitlines() if line.startswith("  2022年定额基本业务费"))
    assert "85.6 良 → 74.1 中" in line
    assert "资金使用合规性 −8（删除）" in line and "预算执行率 +5（分值 5 → 10、归属调整、评分标准改动）" in line
    report = json.loads(run(capsys, *args, "--format", "json"))
    listed = report["impact"]["listed"]
    assert [(i["old"], i["new"]) for i in listed] == [
        ({"total": "85.6", "grade": "良"}, {"total": "74.1", "grade": "中"})
    ]


def test_a_renamed_grade_at_the_same_place_is_no_grade_change(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["wuping.casework", "wuping.casework.kaiping_scale", "--data", str(WUPING), "--rubric-column", "rubric"]
    text = run(capsys, *args)
    assert "影响：2 条记录中，0 条总分变化，0 条等次变化" in text


def test_the_html_diff_shows_old_and_new_criteria_in_chromium(library: dict[str, object], tmp_path: Path) -> None:
    old, new = library["wuping.inspection"], library["wuping.inspection.national_weights"]
    page = to_html(diff(old, new))  # type: ignore[arg-type]
    assert "http://" not in page and "https://" not in page and "<script" not in page
    file = tmp_path / "diff.html"
    file.write_text(page, encoding="utf-8")
    uri = file.as_uri()
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", uri],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    rows = re.findall(r"<tr>(.*?)</tr>", dom, re.S)
    execution = [r for r in rows if "评分标准改动" in r and "预算执行率" in r]
    assert len(execution) == 1
    assert "<del>预算执行率95%以上（含95%）得5分" in execution[0]
    assert "<ins>预算执行率95%以上（含95%）得10分" in execution[0]
