"""A command refused for what a person typed (a missing file, bad JSON, no rubrics directory, a bad
option value, a data file that cannot be read, a rubric whose arithmetic fails on the facts) says so in
Chinese under `--lang zh`, with no English word but what was typed, and as before in English; exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.help_outputs import run
from tests.conftest import ENGLISH_WORD, RUBRICS

DIVIDES = """
rubric test.divides "完成比例" {
  version "1"
  total 10
  input done count "完成"
  input planned count "计划"
  indicator share "完成比例" 10 { proportional done / planned }
  grades { 好 >= 10 差 otherwise }
}
"""


def _data_cases(tmp: Path) -> list[tuple[list[str], str]]:
    """The comparison's and the data's problems (`CompareError`, `SheetError`, `EvaluationError`)."""
    duplicate = tmp / "duplicate.csv"
    duplicate.write_text("funds,funds\n1,2\n", encoding="utf-8")
    wide = tmp / "wide.csv"
    wide.write_text("funds\n1,2\n", encoding="utf-8")
    broken = tmp / "broken.jsonl"
    broken.write_text('{"funds": 1}\n{funds\n', encoding="utf-8")
    divides = tmp / "divides.rubric"
    divides.write_text(DIVIDES, encoding="utf-8")
    zero = tmp / "zero.json"
    zero.write_text('{"done": 3, "planned": 0}', encoding="utf-8")
    sheets = (RUBRICS / "samples" / "wuping.sheets.csv").read_text(encoding="utf-8").splitlines()
    costly = tmp / "costly.csv"  # its first record's 年初预算数 is no amount
    costly.write_text("\n".join([sheets[0], sheets[1].replace(",286,", ",很多,", 1)]) + "\n", encoding="utf-8")
    unzipped = tmp / "unzipped.xlsx"
    unzipped.write_bytes(b"not a zip")
    data = RUBRICS / "samples" / "wuping.csv"
    compare = ["compare", "--rubrics", str(RUBRICS), "--rubric", "wuping.inspection", "--data"]
    score = ["score", "--rubrics", str(RUBRICS), "--rubric", "wuping.inspection"]
    return [
        ([*compare[:4], "=wuping.inspection", "--rubric-column", "rubric", "--data", str(data)], "配对应写作"),
        ([*compare[:4], ",", "--data", str(data)], "没有指定任何评分规则"),
        ([*compare[:4], "wuping.in*", "--data", str(data)], "请用 --rubric-column 列名 指明每条记录由哪个评分规则评分"),
        ([*compare[:4], "wuping.inspectoin", "--data", str(data)], "中没有评分规则 `wuping.inspectoin`；是不是"),
        ([*compare[:4], "wuping.none*", "--data", str(data)], "相符的评分规则"),
        ([*compare, str(tmp / "missing.csv")], "没有这个文件"),
        ([*compare, str(tmp / "missing.txt")], "应为 .csv、.jsonl 或 .xlsx 文件"),
        ([*compare, str(data), "--weight-column", "fund"], "数据中没有这一列；是不是 `funds`？"),
        ([*compare, str(data), "--id-column", "fund", "--records-out", str(tmp / "out.csv")], "数据中没有这一列"),
        ([*compare, str(broken)], ":2:2：不是有效的 JSON"),
        ([*compare, str(broken), "--records-out", str(tmp / "out.csv")], ":2:2：不是有效的 JSON"),
        ([*compare, str(duplicate)], "表头中列 `funds` 出现了两次"),
        ([*compare, str(wide)], "第2行的单元格比表头的列多"),
        ([*compare, str(data), "--records-out", str(tmp / "out.txt")], "应为 .parquet、.csv 或 .jsonl 文件"),
        ([*score, "--data", str(broken), "--records-out", str(tmp / "out.csv")], ":2:2：不是有效的 JSON"),
        ([*score, "--data", str(tmp / "missing.csv"), "--records-out", str(tmp / "out.csv")], "没有这个文件"),
        (["sheet", "--rubrics", str(RUBRICS), "--rubric", "wuping.inspection", "--header", "年初预算=很多"],
         "年初预算数（很多）：不是金额（万元）"),
        (["sheet", "--rubrics", str(RUBRICS), "--rubric", "wuping.inspection", "--data", str(costly), "--format", "md",
          "-o", str(tmp / "sheets")], "：第2行：年初预算数（很多）：不是金额（万元）"),
        (["import", str(unzipped), "-o", str(tmp / "draft.rubric")], "不是有效的 .xlsx 文件"),
        (["import", str(tmp / "old.xls"), "-o", str(tmp / "draft.rubric")], "只能导入 .xlsx 或 .docx 文件"),
        (["score", "--rubric", str(divides), "--facts", str(zero)], "指标“完成比例”：按这些事实出现除数为零"),
    ]  # fmt: skip


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
    samples = [RUBRICS / "samples" / name for name in ("wuping.csv", "wuping.sheets.csv")]
    columns = {c for sample in samples for c in sample.read_text(encoding="utf-8").splitlines()[0].split(",")}
    for args, expected in _cases(tmp_path) + _data_cases(tmp_path):
        code, _, err = run([*args, "--lang", "zh"])
        assert code == 2 and expected in err, (args, err)
        said = err.replace(f"rubric {args[0]}: ", "")
        # paths, file names, options and their values (md), JSON: as typed
        typed = re.sub(r"\S*[/.]\S*|--[\w-]+|JSON|\b(md|html|xlsx)\b", " ", said)
        typed = re.sub("|".join(sorted(columns, key=len, reverse=True)), " ", typed)  # the data's own column names
        for arg in sorted(args, key=len, reverse=True):  # what the case typed: a rubric id, a column name
            typed = typed.replace(arg, " ")
        assert ENGLISH_WORD.findall(typed) == [], (args, err)
        code, _, english = run([*args, "--lang", "en"])
        assert code == 2 and ENGLISH_WORD.search(english.removeprefix(f"rubric {args[0]}: ")), (args, english)


def test_a_test_case_whose_arithmetic_fails_says_why_in_either_language(tmp_path: Path) -> None:
    (tmp_path / "divides.rubric").write_text(DIVIDES, encoding="utf-8")
    case = 'rubric = "test.divides"\n[[case]]\nname = "零"\nfacts = { done = 3, planned = 0 }\nexpect = { total = 0 }\n'
    (tmp_path / "divides.tests.toml").write_text(case, encoding="utf-8")
    code, out, _ = run(["test", str(tmp_path), "--lang", "zh"])
    assert code == 1 and "  计分失败：评分规则 test.divides：指标“完成比例”：按这些事实出现除数为零；" in out, out
    code, out, _ = run(["test", str(tmp_path), "--lang", "en"])
    assert code == 1 and "  evaluation failed: test.divides: indicator `share`: division by zero with these" in out
