"""A command refused for what a person typed (a missing file, bad JSON, no rubrics directory, a bad
option value) says so in Chinese under `--lang zh`, with no English word but what was typed, and as
before in English; exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.help_outputs import run
from tests.conftest import ENGLISH_WORD, RUBRICS


def _cases(tmp: Path) -> list[tuple[list[str], str]]:
    bad_json = tmp / "bad.json"
    bad_json.write_text("{", encoding="utf-8")
    array = tmp / "array.json"
    array.write_text("[1]", encoding="utf-8")
    empty = tmp / "empty"
    empty.mkdir()
    score = ["score", "--rubrics", str(RUBRICS), "--rubric", "wuping.inspection"]
    sheet = ["sheet", "--rubrics", str(RUBRICS)]
    data = RUBRICS / "samples" / "wuping.csv"
    return [
        (["check", str(tmp / "missing.rubric")], "没有这个文件或目录"),
        (["fmt", "--check", str(tmp / "missing.rubric")], "没有这个文件或目录"),
        (["check", str(empty)], "中没有找到 .rubric 文件"),
        (["test", str(empty)], "中没有找到测试用例"),
        ([*score, "--facts", str(tmp / "none.json")], "无法读取事实文件"),
        ([*score, "--facts", str(bad_json)], "不是有效的 JSON"),
        ([*score, "--facts", str(array)], "应为 JSON 对象"),
        (["score", "--rubrics", str(tmp / "nowhere"), "--rubric", "x", "--facts", "-"], "没有这个目录"),
        (["score", "--rubric", str(tmp / "gone.rubric"), "--facts", "-"], "没有这个文件"),
        ([*sheet, "--rubric", "wuping.inspection", "--data", str(data)], "每条记录写一个文件"),
        (["compare", "--rubrics", str(RUBRICS), "--rubric", "wuping.inspection", "--data", str(data),
          "--batch-size", "0"], "每批记录数"),
    ]  # fmt: skip


def test_each_usage_problem_is_worded_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no `rubrics` directory here
    columns = (RUBRICS / "samples" / "wuping.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    for args, expected in _cases(tmp_path):
        code, _, err = run([*args, "--lang", "zh"])
        assert code == 2 and expected in err, (args, err)
        said = err.replace(f"rubric {args[0]}: ", "")
        # paths, file names, options and their values (md), JSON: as typed
        typed = re.sub(r"\S*[/.]\S*|--[\w-]+|JSON|\b(md|html|xlsx)\b", " ", said)
        typed = re.sub("|".join(columns), " ", typed)  # the data's own column names
        assert ENGLISH_WORD.findall(typed) == [], (args, err)
        code, _, english = run([*args, "--lang", "en"])
        assert code == 2 and ENGLISH_WORD.search(english.removeprefix(f"rubric {args[0]}: ")), (args, english)
