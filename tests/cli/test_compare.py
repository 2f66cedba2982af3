"""`rubric compare`: the department view from the command line; bad usage exits 2. The comparison
itself is tested in tests/test_compare.py, whose rubrics (the Wuping ones and two alternatives) these
tests use too."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.helpers import LANGUAGE_IDS, LANGUAGES, assert_broken_diagnostics, broken_rubric, run_cli
from tests.cli.test_usage_languages import DIVIDES
from tests.test_compare import SAMPLE_CSV, write_library


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_library(tmp_path_factory.mktemp("rubrics"))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("compare", *args)


def test_command_prints_the_department_view_without_a_progress_bar(library: Path) -> None:
    common = ["--rubrics", str(library), "--data", str(SAMPLE_CSV), "--id-column", "project"]
    done = cli(*common, "--weight-column", "funds", "--rubric-column", "rubric", "--rubric", "wuping.*")
    assert done.returncode == 0, done.stderr
    assert "等次  优 2  良 1  中 0  差 0" in done.stdout
    assert "加权平均分 85.97（按 funds 加权, 合计 298.34, 3 条）" in done.stdout
    assert done.stderr == ""  # stderr is not a terminal: no progress bar
    forced = cli(*common, "--rubric", "wuping.casework", "--progress", "--format", "json")
    assert forced.returncode == 0 and "compare █" in forced.stderr and "3/3 records" in forced.stderr
    assert "warning: column `rubric` is not a fact of any compared rubric" in forced.stderr
    assert json.loads(forced.stdout)["summary"][0]["unscored"] == 1  # 定额基本业务费 lacks casework facts


def test_command_refuses_bad_usage_with_exit_2(library: Path, tmp_path: Path) -> None:
    done = cli("--rubrics", str(library), "--data", str(SAMPLE_CSV), "--rubric", "wuping.*")
    assert done.returncode == 2
    assert "--rubric-column" in done.stderr and "Traceback" not in done.stderr
    out = tmp_path / "report.html"
    args = ["--data", str(SAMPLE_CSV), "--rubric", "alt.casework", "--format", "html", "-o", str(out)]
    written = cli("--rubrics", str(library), *args)
    assert written.returncode == 0 and written.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_warnings_from_worker_processes_are_in_chinese_under_lang_zh(library: Path, tmp_path: Path) -> None:
    lines = SAMPLE_CSV.read_text(encoding="utf-8").replace(",286,", ",n/a,", 1).splitlines()
    lines[0] = lines[0].replace(",satisfaction,", ",satisfction,", 1)
    data = tmp_path / "warned.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    common = ["--rubrics", str(library), "--data", str(data), "--rubric", "wuping.inspection"]
    streamed = ["--weight-column", "funds", "--records-out", str(tmp_path / "out.csv"), "--workers", "2"]
    for extra in ([], streamed):
        done = cli(*common, *extra, "--weight-column", "funds", "--lang", "zh")
        assert done.returncode == 0, done.stderr
        said = done.stderr.replace("rubric compare：注意：", "")
        assert "列 `satisfction` 不是任何所比较评分规则的事实（是不是 `satisfaction`？），已忽略" in said
        where = "第1条记录" if extra else "第2行"  # a streamed record is numbered, a table's by its row
        assert f"{where}：权重 'n/a' 不是小于10^30、最多10位小数的非负数（例如“298.34”）" in said
        english = cli(*common, *extra, "--weight-column", "funds", "--lang", "en")
        assert f"rubric compare: warning: {'record 1' if extra else 'row 2'}: weight 'n/a' is not" in english.stderr


def test_a_record_whose_arithmetic_fails_is_reported_in_chinese(tmp_path: Path) -> None:
    rubric = tmp_path / "divides.rubric"
    rubric.write_text(DIVIDES, encoding="utf-8")
    data = tmp_path / "divides.csv"
    data.write_text("done,planned\n3,0\n3,3\n", encoding="utf-8")
    why = "评分规则 test.divides：指标“完成比例”：按这些事实出现除数为零；请在评分规则中为除数为零的情形另设得分"
    for extra, where in (([], "第2行"), (["--records-out", str(tmp_path / "out.csv")], "第1条记录")):
        done = cli("--rubric", str(rubric), "--data", str(data), *extra, "--lang", "zh")
        assert done.returncode == 0 and f"  A {where}：{why}\n" in done.stdout, done.stdout


@pytest.mark.parametrize(("args", "lang_env", "chinese"), LANGUAGES, ids=LANGUAGE_IDS)
def test_a_broken_rubric_is_reported_in_the_chosen_language(
    library: Path, tmp_path: Path, args: tuple[str, ...], lang_env: str | None, chinese: bool
) -> None:
    broken = broken_rubric(tmp_path)
    common = ["--rubrics", str(library), "--data", str(SAMPLE_CSV), "--id-column", "project"]
    done = run_cli("compare", *args, *common, "--rubric", "wuping.casework", "--rubric", str(broken), lang_env=lang_env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"rubric compare: {broken}:3:3: ")
    assert_broken_diagnostics(done.stderr, chinese)
