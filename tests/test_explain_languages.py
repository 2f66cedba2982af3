"""`rubric score --explain` in both languages on every case of every bundled `*.tests.toml`: the English
output is byte for byte the golden made before the Chinese explanations existed, and the Chinese
output has no English word outside the ids a person must see as typed (the rubric id, fact names)."""

from __future__ import annotations

import json
import re

from rubric_dsl.api import load_library
from tests.conftest import ENGLISH_WORD, RUBRICS
from tests.score_outputs import GOLDEN, cases, outputs, run


def test_the_english_output_is_unchanged() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert outputs([]) == golden
    flagged = outputs(["--lang", "en"], lang_env="zh_CN.UTF-8")  # the flag wins over LANG
    assert flagged == golden


def _ids() -> tuple[set[str], set[str]]:
    library = load_library(RUBRICS)
    facts = {item.name for rubric in library.rubrics.values() for item in rubric.inputs}
    facts |= {name for _, _, given, _ in cases() for name in given}  # an unknown fact is named as given
    return set(library.rubrics), facts


def _without_expected_ids(text: str, rubrics: set[str], facts: set[str]) -> str:
    """`text` without what may be English: the exit code and stream markers of `score_outputs.run`,
    the command's name before its message, the rubric id in the title and the error's head, each
    refused fact's name at the start of its line, and the words a flag is typed with."""
    kept = []
    for line in text.splitlines():
        if line.startswith(("exit ", "--- stdout", "--- stderr")):
            continue
        line = line.removeprefix("rubric score: ")
        line = re.sub(r"  \[(\S+) [^\]]*\]$", lambda m: "" if m[1] in rubrics else m[0], line)
        line = re.sub(r"`([^`]+)`", lambda m: "" if m[1] in rubrics | facts else m[0], line)
        line = re.sub(r"^  (\S+?)：", lambda m: "" if m[1] in facts else m[0], line)
        kept.append(line.replace("应为 true 或 false", ""))
    return "\n".join(kept)


def test_the_chinese_output_has_no_english_word() -> None:
    rubrics, facts = _ids()
    found = outputs(["--lang", "zh"])
    assert len(found) == len(json.loads(GOLDEN.read_text(encoding="utf-8")))
    english = {}
    for key, text in found.items():
        if key.startswith("table "):
            shown = _without_expected_ids(text, rubrics, facts)
        else:  # JSON: its keys and ids are the API; the words people read are the explanations and reasons
            body = text.split("--- stdout\n", 1)[1].split("--- stderr\n", 1)[0]
            data = json.loads(body) if body.strip() else {}
            shown = "\n".join(
                [i["explanation"] for i in data.get("indicators", [])] + [i["reason"] for i in data.get("lost", [])]
            )
        words = ENGLISH_WORD.findall(shown)
        if words:
            english[key] = words
    assert english == {}
    assert any("↳ " in text and "失分（从大到小）：" in text for text in found.values())


def test_lang_zh_in_the_environment_explains_in_chinese() -> None:
    args = ["--rubric", "wuping.inspection", "--facts", str(RUBRICS / "wuping" / "seed-inspection.facts.json")]
    by_env = run(["score", *args, "--explain"], lang_env="zh_CN.UTF-8")
    assert by_env == run(["score", "--lang", "zh", *args, "--explain"])
    assert "↳ 实际完成率为60%，属“0%（含）—85%”档，不得分" in by_env
    assert "  实际完成率 扣3分：实际完成率为60%，属“0%（含）—85%”档，不得分" in by_env


def test_each_fact_problem_has_a_chinese_message() -> None:
    from rubric_dsl.errors import InvalidFacts

    rubric = load_library(RUBRICS).rubrics["wuping.inspection"]
    facts = json.loads((RUBRICS / "wuping" / "seed-inspection.facts.json").read_text(encoding="utf-8"))
    bad = {**facts, "execution_rat": "1", "completion_rate": "abc", "quality_rate": "NaN", "satisfaction": "2000"}
    del bad["execution_rate"]
    try:
        rubric.score(bad)
    except InvalidFacts as error:
        messages = {p.fact: (p.reason, p.message_zh) for p in error.problems}
    else:
        raise AssertionError("the facts were accepted")
    assert messages["execution_rate"] == ("missing", "缺少必填事实")
    assert messages["execution_rat"] == ("unknown", "本评价表没有声明此事实；是不是 `execution_rate`？")
    assert messages["completion_rate"] == ("wrong_type", "'abc' 不是数字")
    assert messages["quality_rate"] == ("not_finite", "'NaN' 不是有限数")
    assert messages["satisfaction"][0] == "out_of_range"
    assert messages["satisfaction"][1].startswith("'2000' 超出允许范围")
    echoed = re.compile(r"'[^']*'|`execution_rate`")  # the value as given, the fact meant
    assert not [m for _, m in messages.values() if ENGLISH_WORD.findall(echoed.sub("", m))]
