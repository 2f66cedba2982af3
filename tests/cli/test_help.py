"""`rubric --help` and `rubric COMMAND --help`: the English help is byte for byte the golden made before
the help had a Chinese form (tests/testdata/help/en.json)."""

from __future__ import annotations

import json

from tests.cli.help_outputs import GOLDEN, helps


def test_the_english_help_is_unchanged() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert helps([]) == golden
    assert helps([], lang_env="en_US.UTF-8") == golden
