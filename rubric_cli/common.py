"""What several commands share: `--lang`, `--rubrics` (their help in both languages), finding the rubric
asked for and reading facts."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from rubric_cli.command import UsageProblem
from rubric_cli.help_zh import text
from rubric_dsl.api import RUBRIC_ID, compile_file, load_library
from rubric_dsl.diagnostics import LANG_HELP, closest, did_you_mean, os_reason_zh
from rubric_dsl.diagnostics import add_lang_argument as lang_argument
from rubric_dsl.program import CompiledRubric

DEFAULT_RUBRICS = Path("rubrics")
LOOKUP_HELP = text(
    "where rubric ids are looked up (default: ./rubrics); for a rubric FILE, where its parents (extends) "
    "are looked up after its own directory (default: the nearest directory named `rubrics` that holds it)",
    "按评分规则编号查找评分规则的目录（默认：./rubrics）；给出评分规则文件时，先在其所在目录、再在此目录中"
    "查找它所继承（`extends`）的评分规则（默认：包含它的最近一个名为 `rubrics` 的目录）",
)
PARENTS_HELP = text(
    "where the parents (extends) of the rubrics are looked up after their own directory (default: the "
    "nearest directory named `rubrics` that holds the path, so rubrics/leting finds rubrics/national)",
    "先在评分规则所在目录、再在此目录中查找它们所继承（`extends`）的评分规则（默认：包含该路径的最近一个名为"
    " `rubrics` 的目录，如 rubrics/leting 可找到 rubrics/national）",
)


def add_lang_argument(parser: argparse.ArgumentParser) -> None:
    """The one `--lang` flag (`diagnostics.add_lang_argument`), its help in the help's language."""
    lang_argument(
        parser, text(LANG_HELP, "提示信息的语言：zh 中文，en 英文（默认：环境变量 LANG 为 zh* 时用中文，否则用英文）")
    )


def require_rubrics_dir(rubrics: Path | None) -> None:
    """Refuse a `--rubrics DIR` that is no directory, before anything else is looked at."""
    if rubrics is not None and not rubrics.is_dir():
        raise UsageProblem(f"--rubrics {rubrics}: no such directory", f"--rubrics {rubrics}：没有这个目录")


def find_rubric(name: str, rubrics: Path | None) -> CompiledRubric:
    """The rubric of `--rubric ID|FILE`: a file compiled with its parents, or an id looked up in `rubrics`."""
    if name.endswith(".rubric") or Path(name).is_file():
        if not Path(name).is_file():
            raise UsageProblem(f"{name}: no such file", f"{name}：没有这个文件")
        return compile_file(name, rubrics)
    directory = rubrics or DEFAULT_RUBRICS
    if not directory.is_dir():
        raise UsageProblem(
            f"rubric directory {directory} does not exist; name one with --rubrics DIR",
            f"评分规则目录 {directory} 不存在；请用 --rubrics 目录 指定",
        )
    library = load_library(directory)
    if name in library.rubrics:
        return library.rubrics[name]
    broken = [path for path, rubric_id in library.ids.items() if rubric_id == name] or [
        path for path, text in library.sources.items() if RUBRIC_ID.findall(text)[:1] == [name]
    ]  # a file that does not even parse names its id in its first line
    if broken:
        errors = [d for d in library.files[broken[0]] if d.severity == "error"]
        text = library.sources.get(broken[0])
        raise UsageProblem(
            f"rubric `{name}` ({broken[0]}) has {len(errors)} error(s) and cannot be used:\n"
            + "\n".join(d.render(text) for d in errors),
            f"评分规则 `{name}`（{broken[0]}）有 {len(errors)} 处错误，无法使用：\n"
            + "\n".join(d.render(text, "zh") for d in errors),
        )
    known = sorted(library.rubrics)
    match = closest(name, known)
    raise UsageProblem(
        f"unknown rubric `{name}` in {directory}{did_you_mean(name, known)} (available: {', '.join(known) or 'none'})",
        f"{directory} 中没有评分规则 `{name}`{f'；是不是 `{match}`？' if match else ''}"
        f"（可用的有：{'、'.join(known) or '无'}）",
    )


def read_facts(spec: str) -> dict[str, Any]:
    """The JSON object of facts in the file `spec`, or on stdin for `-`."""
    try:
        text = sys.stdin.read() if spec == "-" else Path(spec).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise UsageProblem(f"cannot read facts: {error}", f"无法读取事实文件 {spec}：{os_reason_zh(error)}") from None
    try:
        facts = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise UsageProblem(
            f"facts {spec}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}",
            f"事实文件 {spec}:{error.lineno}:{error.colno}：不是有效的 JSON",
        ) from None
    if not isinstance(facts, dict):
        raise UsageProblem(
            f"facts {spec}: expected a JSON object of fact name to value",
            f"事实文件 {spec}：应为 JSON 对象，键为事实名称，值为事实的值",
        )
    return facts
