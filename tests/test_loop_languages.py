"""`rubric test` (failures, coverage, broken rubrics) and `rubric compare` in both languages: the English
output is byte for byte the golden made before the Chinese wording existed (tests/loop_outputs.py), and
the Chinese output has no English word outside what a person must see as typed (ids, paths, file keys)."""

from __future__ import annotations

import json
import re
import tomllib

from rubric_dsl.api import load_library
from rubric_dsl.testcases import Case, Expect
from tests.conftest import ENGLISH_WORD, ROOT, RUBRICS
from tests.loop_outputs import DEMO, GOLDEN, RUNS, SAMPLES, outputs


def test_the_english_output_is_unchanged() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert outputs([]) == golden
    assert outputs(["--lang", "en"], lang_env="zh_CN.UTF-8") == golden  # the flag wins over LANG


TYPED = ("--fail-under", "TOML", "true", "false", "n/a")  # typed as given: an option, a format, literals, a value


def _typed_names() -> set[str]:
    """What a person types and must see as typed: rubric ids, scheme names, fact and indicator ids,
    test-file keys (a misspelt one too), case names (as written in the *.tests.toml), the data's columns."""
    names: set[str] = set(Case.model_fields) | set(Expect.model_fields) | {"case"}
    for root in (RUBRICS, ROOT / DEMO):
        library = load_library(root)
        names |= set(library.rubrics) | {i.name for r in library.rubrics.values() for i in r.inputs}
        names |= {i.id for r in library.rubrics.values() for i in r.indicators}
        for path in root.rglob("*.tests.toml"):
            for case in tomllib.loads(path.read_text(encoding="utf-8")).get("case", []):
                names |= {str(case.get("name", "")), *case.get("expect", {}), *case.get("expect", {}).get("points", {})}
    for args in RUNS.values():
        names |= {a for a in args if not a.startswith("-")}
        names |= {part for a in args for part in a.split(",")}
    for data in (ROOT / SAMPLES / "wuping.csv", ROOT / DEMO / ".." / "compare.csv"):
        names |= set(data.read_text(encoding="utf-8").splitlines()[0].split(","))
    return {n for n in names if n}


def _shown(text: str, typed: set[str]) -> str:
    """`text` without what may stay as typed: the run's exit code and stream markers, the command's
    name, paths and `file:line:col`, `quoted` and [bracketed] names, and the typed names themselves."""
    kept = []
    for line in text.splitlines():
        if line.startswith(("exit ", "--- stdout", "--- stderr")):
            continue
        line = re.sub(r"^rubric (compare|test)[:：]", "", line)
        line = re.sub(r"`[^`]*`|\[[^\]]*\]|\S+\.(rubric|toml|csv)(:\d+:\d+)?", "", line)
        line = re.sub(r"\S+\.\S+", lambda m: "" if m[0].strip("（），,：") in typed else m[0], line)
        for name in sorted(typed, key=len, reverse=True):
            line = line.replace(name, "")
        for word in TYPED:
            line = line.replace(word, "")
        kept.append(line)
    return "\n".join(kept)


def test_the_chinese_output_has_no_english_word() -> None:
    typed = _typed_names()
    english = {}
    for key, text in outputs(["--lang", "zh"]).items():
        words = ENGLISH_WORD.findall(_shown(text, typed))
        if words:
            english[key] = words
    assert english == {}
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))  # the filter leaves the English of each run…
    plain = [key for key, text in golden.items() if not ENGLISH_WORD.findall(_shown(text, typed))]
    assert plain == ["compare by column, weighted"]  # …but this one's, whose table is Chinese in both


def test_lang_zh_in_the_environment_is_chinese_and_the_flag_wins() -> None:
    by_env = outputs([], lang_env="zh_CN.UTF-8")
    assert by_env == outputs(["--lang", "zh"])
    demo = by_env["test demo failing, coverage below"]
    assert "1 个通过，4 个未通过" in demo
    assert "  总分：应为 12，实得 6.6" in demo
    assert "预算执行率为90%，属“80%（含）—95%”档，得3分" in demo  # the indicator explained in Chinese
    assert "  未覆盖：tests/testdata/loop/demo/demo.rubric:23:5：逐项扣分：“存在严重不符”时不得分" in demo
    assert "分支覆盖率 70.0% 低于 --fail-under 90%" in demo
    assert "无法编译 tests/testdata/loop/demo/broken.rubric：" in demo
    problems = by_env["compare with problems"]
    assert "  A 乙（第3行）：方案 `wuping.inspection` 中没有评分规则是或继承 `no.such`" in problems
    assert "rubric compare：注意：第2行：权重 'n/a' 不是小于10^30、最多10位小数的非负数" in problems
