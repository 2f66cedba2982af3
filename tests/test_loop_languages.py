"""`rubric test` (failures, coverage, broken rubrics) and `rubric compare` in both languages: the English
output is byte for byte the golden made before the Chinese wording existed (tests/loop_outputs.py), and
the Chinese output has no English word outside what a person must see as typed (ids, paths, file keys)."""

from __future__ import annotations

import json

from tests.loop_outputs import GOLDEN, outputs


def test_the_english_output_is_unchanged() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert outputs([]) == golden
    assert outputs(["--lang", "en"], lang_env="zh_CN.UTF-8") == golden  # the flag wins over LANG
