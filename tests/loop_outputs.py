"""`rubric test` (cases, failures, coverage, broken rubrics) and `rubric compare` as text, in-process: what
the English golden (tests/testdata/loop/en.json) holds and what the Chinese test reads.

Regenerate the golden (only when the English output is meant to change):
    python -m tests.loop_outputs > tests/testdata/loop/en.json
"""

from __future__ import annotations

import json
import sys

from tests.conftest import ROOT
from tests.score_outputs import run

GOLDEN = ROOT / "tests" / "testdata" / "loop" / "en.json"
DEMO = "tests/testdata/loop/demo"
SAMPLES = "rubrics/samples"
RUNS: dict[str, list[str]] = {
    "test bundled with coverage": ["test", "rubrics", "--coverage"],
    "test demo failing, coverage below": ["test", DEMO, "--coverage", "--fail-under", "90"],
    "test one file": ["test", f"{DEMO}/demo.tests.toml"],
    "compare two schemes": [
        "compare", "--rubric", "wuping.inspection", "--rubric", "wuping.inspection.national_weights",
        "--data", f"{SAMPLES}/wuping.csv",
    ],
    "compare by column, weighted": [
        "compare", "--rubric-column", "rubric", "--id-column", "project", "--weight-column", "funds",
        "--rubric", "wuping.inspection,wuping.casework", "--rubric", "wuping.*.kaiping_scale",
        "--data", f"{SAMPLES}/wuping.csv",
    ],
    "compare with problems": [
        "compare", "--rubric-column", "rubric", "--id-column", "project", "--weight-column", "funds",
        "--rubric", "wuping.inspection", "--rubric", "wuping.*.kaiping_scale",
        "--data", "tests/testdata/loop/compare.csv",
    ],
}  # fmt: skip


def outputs(lang_args: list[str], lang_env: str | None = None) -> dict[str, str]:
    """Every run, its options after the command's name followed by `lang_args`."""
    return {name: run([args[0], *lang_args, *args[1:]], lang_env) for name, args in RUNS.items()}


if __name__ == "__main__":
    json.dump(outputs([]), sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    sys.stdout.write("\n")
