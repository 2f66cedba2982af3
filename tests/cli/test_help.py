"""`rubric --help`, `rubric COMMAND --help` and argparse's usage errors: the English help is byte for byte
the golden made before the help had a Chinese form (tests/testdata/help/en.json); in Chinese (LANG=zh*
or `--lang zh`) the help has no English word outside what is typed as shown, and a usage error is
Chinese, names the option and exits 2."""

from __future__ import annotations

import json
import re

import pytest

from rubric_cli.help_zh import _width, translate, wrap
from rubric_cli.main import DISTRIBUTION, build_parser
from rubric_dsl.sheet import HEADER_FIELDS
from tests.cli.help_outputs import COMMAND_NAMES, GOLDEN, helps, run
from tests.test_loop_languages import ENGLISH_WORD


def test_the_english_help_is_unchanged() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert helps([]) == golden
    assert helps([], lang_env="en_US.UTF-8") == golden


# --- Chinese ---------------------------------------------------------------------------------------------

# Names a Chinese reader sees as they are: formats, protocols, products, keys.
NAMES = (
    "gRPC", "HTTP", "JSON", "JSONL", "CSV", "XLSX", "Parquet", "Excel", "Word", "Spark", "TLS", "PEM", "CA",
    "LSP", "LANG", "README", "Prometheus", "OpenTelemetry", "OTLP", "SIGKILL", "ScoreStream", "Ctrl-C",
)  # fmt: skip


def _typed() -> set[str]:
    """What a person types and sees as typed: the program, the commands, every option, metavar and choice,
    and the header keys `rubric sheet` lists."""
    names = {"rubric", DISTRIBUTION, *COMMAND_NAMES, *(f.key for f in HEADER_FIELDS)}
    for parser in [build_parser()[0], *build_parser()[1].values()]:
        for action in parser._actions:
            names |= set(action.option_strings) | {str(c) for c in action.choices or ()}
            metavar = action.metavar or (action.dest.upper() if action.option_strings else action.dest)
            for shown in metavar if isinstance(metavar, tuple) else [metavar]:
                names |= {shown, *re.split(r"[=|]", shown)}  # KEY=VALUE, and KEY alone
    return names


def _shown(help_text: str, typed: set[str]) -> str:
    """`help_text` without what stays as typed: the example command lines, `code` and 'quoted' text, paths,
    file names, dotted ids and KEY=VALUE pairs, the typed names and NAMES."""
    lines = help_text.splitlines()
    kept = []
    for k, line in enumerate(lines):
        if line.rstrip().endswith("\\") or (k and lines[k - 1].rstrip().endswith("\\")):
            continue  # an example: a command line and its continuation
        line = re.sub(r"`[^`]*`|'[^']*'|\{[^}]*\}", " ", line)
        line = re.sub(r"[^\s，。；：、（）“”]*[./=_$*\[][^\s，。；：、（）“”]*", " ", line)
        for name in sorted(typed | set(NAMES), key=len, reverse=True):
            line = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", line)
        kept.append(line)
    return "\n".join(kept)


def test_the_chinese_help_has_no_english_word() -> None:
    typed = _typed()
    found = helps([], lang_env="zh_CN.UTF-8")
    assert helps(["--lang", "zh"]) == found  # the flag, as the environment
    assert run(["sheet", "--lang", "zh", "--help"])[1] == found["sheet"]  # where a person puts it
    english = {}
    for name, shown in found.items():
        words = ENGLISH_WORD.findall(_shown(shown, typed))
        if words:
            english[name] = words
    assert english == {}
    assert found["sheet"].startswith("用法： rubric sheet [-h] [--lang {en,zh}] --rubric ID|FILE")
    assert "\n选项:\n  -h, --help            显示本帮助并退出\n" in found["sheet"]
    assert "  --rubric ID|FILE      评分规则编号，或 .rubric 文件\n" in found["sheet"]
    assert "\n位置参数:\n  PATH                  评分规则文件或目录\n" in found["check"]
    assert "\n流式调用的限制:\n" in found["serve"] and "\nTLS 与令牌:\n" in found["serve"]
    assert "  --explain             Score：要求说明每项得分\n" in found["call"]
    assert "    sheet     生成评分规则的评分表\n" in found[""]
    assert "  --version   显示 rubric-engine 的版本并退出\n" in found[""]


def test_the_chinese_help_fits_a_terminal_100_columns_wide() -> None:
    for name, shown in helps(["--lang", "zh"]).items():
        lines = [line for line in shown.splitlines() if not line.startswith("用法：") and not line.endswith("\\")]
        wide = [line for line in lines if _width(line) > 100]  # the usage line and examples are as in English
        assert wide == [], name


def _error(args: list[str], lang_env: str | None = "zh_CN.UTF-8") -> str:
    code, out, err = run(args, lang_env)
    assert code == 2 and out == "", (code, out, err)
    return err


# (arguments, the last line of the Chinese error, of the English one)
ERRORS = {
    "missing required": (
        ["sheet", "--format", "html"],
        "rubric sheet: 错误: 缺少必需的参数：--rubric",
        "rubric sheet: error: the following arguments are required: --rubric",
    ),
    "one of a group": (
        ["score", "--rubric", "x"],
        "rubric score: 错误: 须给出参数 --facts --data 之一",
        "rubric score: error: one of the arguments --facts --data is required",
    ),
    "invalid choice": (
        ["sheet", "--rubric", "x", "--format", "pdf"],
        "rubric sheet: 错误: 参数 --format：无效的取值 'pdf'（可选：'md', 'html', 'xlsx'）",
        "rubric sheet: error: argument --format: invalid choice: 'pdf' (choose from 'md', 'html', 'xlsx')",
    ),
    "unknown command": (
        ["shet"],
        "rubric: 错误: 参数 COMMAND：无效的取值 'shet'（可选：" + ", ".join(f"'{n}'" for n in COMMAND_NAMES) + "）",
        "rubric: error: argument COMMAND: invalid choice: 'shet' (choose from "
        + ", ".join(f"'{n}'" for n in COMMAND_NAMES)
        + ")",
    ),
    "unrecognized": (
        ["check", "rubrics", "--strict"],
        "rubric check: 错误: 无法识别的参数：--strict",
        "rubric check: error: unrecognized arguments: --strict",
    ),
    "expected one": (
        ["score", "--rubric"],
        "rubric score: 错误: 参数 --rubric：需要给出一个值",
        "rubric score: error: argument --rubric: expected one argument",
    ),
    "invalid int": (
        ["compare", "--rubric", "a", "--data", "d.csv", "--workers", "two"],
        "rubric compare: 错误: 参数 --workers：'two' 不是有效的整数",
        "rubric compare: error: argument --workers: invalid int value: 'two'",
    ),
    "not allowed with": (
        ["sheet", "--rubric", "x", "--facts", "f.json", "--data", "d.csv"],
        "rubric sheet: 错误: 参数 --data：不能与参数 --facts 同时使用",
        "rubric sheet: error: argument --data: not allowed with argument --facts",
    ),
    "a checker's reason": (
        ["serve", "--processes", "0"],
        "rubric serve: 错误: 参数 --processes：应为正数，而不是 0",
        "rubric serve: error: argument --processes: must be positive, not 0",
    ),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_a_usage_error_is_in_chinese_and_names_the_option(case: str) -> None:
    args, chinese, english = ERRORS[case]
    err = _error(args)
    assert err.splitlines()[-1] == chinese
    assert err.startswith("用法： rubric ")
    assert _error([*args, "--lang", "zh"], lang_env=None) == err  # the flag, wherever it is, as LANG
    assert _error(args, lang_env=None).splitlines()[-1] == english  # English as argparse words it
    assert _error([*args, "--lang=en"]).splitlines()[-1] == english  # the flag wins over LANG


def test_translate_fills_in_what_argparse_filled_in() -> None:
    assert translate("argument --x: expected 2 arguments") == "参数 --x：需要给出 2 个值"
    assert translate("argument --x: invalid Path value: 'a\\x00'") == "参数 --x：'a\\x00' 不是有效的路径"
    assert translate("something else: %s") == "something else: %s"  # not argparse's: kept as it is


def test_wrap_breaks_chinese_by_its_width_on_screen() -> None:
    words = "按评分规则编号查找评分规则的目录（默认：./rubrics）；给出 .rubric 文件时，先在其所在目录查找。"
    lines = wrap(words, 30)
    assert "".join(lines).replace(" ", "") == words.replace(" ", "")
    assert all(_width(line) <= 30 for line in lines) and len(lines) > 2
    assert not [line for line in lines if line[0] in "，。；：、）"]
    assert wrap("keep names such as --rubric-column whole", 12) == ["keep names", "such as", "--rubric-column", "whole"]
