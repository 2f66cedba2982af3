"""`rubric score` on every case of every bundled `*.tests.toml`, in-process, as text: what the
English golden (tests/testdata/explain/en.json) holds and what the Chinese test reads.

Regenerate the golden (only when the English output is meant to change):
    python -m tests.score_outputs > tests/testdata/explain/en.json
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rubric_cli.main import main
from tests.conftest import ROOT, RUBRICS

GOLDEN = ROOT / "tests" / "testdata" / "explain" / "en.json"
FORMATS = (("table", "--explain"), ("json", "--explain"))


def cases() -> Iterator[tuple[str, str, dict[str, Any], bool]]:
    """(key, rubric id, facts, allow extra facts) for every case of every bundled test file."""
    for path in sorted(RUBRICS.glob("*/*.tests.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        rubric = data.get("rubric") or path.name.removesuffix(".tests.toml")
        for k, case in enumerate(data.get("case", [])):
            key = f"{path.relative_to(RUBRICS)}#{k} {case.get('name', '')}"
            yield key, rubric, case.get("facts", {}), bool(case.get("allow_extra_facts", False))


def run(args: list[str], lang_env: str | None = None) -> str:
    """`rubric ARGS` in the repository, LANG set to `lang_env` (or unset): exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    saved_lang, saved_cwd = os.environ.pop("LANG", None), Path.cwd()
    if lang_env is not None:
        os.environ["LANG"] = lang_env
    try:
        os.chdir(ROOT)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        os.chdir(saved_cwd)
        os.environ.pop("LANG", None)
        if saved_lang is not None:
            os.environ["LANG"] = saved_lang
    return f"exit {code}\n--- stdout\n{out.getvalue()}--- stderr\n{err.getvalue()}"


def outputs(lang_args: list[str], lang_env: str | None = None) -> dict[str, str]:
    """Every case under every format, keyed `FORMAT case-key`."""
    found: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for key, rubric, facts, extra in cases():
            facts_file = Path(tmp) / "facts.json"
            facts_file.write_text(json.dumps(facts, ensure_ascii=False, default=str), encoding="utf-8")
            for fmt, *more in FORMATS:
                args = ["score", *lang_args, "--rubric", rubric, "--facts", str(facts_file), "--format", fmt, *more]
                if extra:
                    args.append("--allow-extra-facts")
                found[f"{fmt} {key}"] = run(args, lang_env)
    return found


if __name__ == "__main__":
    json.dump(outputs([]), sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    sys.stdout.write("\n")
