"""The help of `rubric` and argparse's own words (usage line, headings, usage errors) in Chinese.

Takes: help written as `text(en, zh)` beside the option it describes (a `Text` is the English string,
with its Chinese kept alongside), and the command line. `help_language(argv)` picks the language as the
messages do: the last `--lang en|zh` on the command line, else the environment (`choose_language`).
`Parser(lang=...)` is an `argparse.ArgumentParser` in that language, `formatter(lang, raw)` the help
formatter it is built with.

Guarantees: in English, `Parser` and `formatter` are argparse unchanged, so the English help is what it
was. In Chinese, every `Text` shows its Chinese; argparse's own words are looked up in `ARGPARSE_ZH`,
keyed by argparse's message ids as a gettext catalogue is; a usage error is translated by the same
catalogue (still naming the option, still exit 2); Chinese lines are wrapped by their width on screen.
A text with no Chinese form (a plain `str`) is shown as written.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

from rubric_dsl.diagnostics import Language, choose_language


class Text(str):
    """An English text (the string itself) with its Chinese form in `zh`."""

    zh: str

    def __new__(cls, en: str, zh: str) -> Text:
        made = super().__new__(cls, en)
        made.zh = zh
        return made


def text(en: str, zh: str) -> Text:
    """A help text in both languages: argparse shows `en` in English and `zh` in Chinese (an empty `en`:
    no help line in English, where the option had none and the English help is kept as it was)."""
    return Text(en, zh)


def help_language(argv: Sequence[str]) -> Language:
    """The language of the help and usage errors: the last `--lang en|zh` before `--`, else the environment."""
    flag = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            flag = argv[i + 1]
        elif arg.startswith("--lang="):
            flag = arg.partition("=")[2]
    return choose_language(flag)


# argparse's own words, keyed by its message ids (`%s`, `%r` and `%(name)s` as argparse fills them in).
ARGPARSE_ZH: dict[str, str] = {
    "usage: ": "用法： ",  # as wide on screen as `usage: `, so that the usage lines below stay aligned
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s: 错误: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "one of the arguments %s is required": "须给出参数 %s 之一",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的取值 %(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的%(type)s",
    "expected one argument": "需要给出一个值",
    "expected at most one argument": "最多给出一个值",
    "expected at least one argument": "至少给出一个值",
    "expected %s argument": "需要给出 %s 个值",
    "expected %s arguments": "需要给出 %s 个值",
    "ignored explicit argument %r": "此选项不带值，却给了 %r",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是 %(matches)s",
    "unexpected option string: %s": "意外的选项：%s",
    # what the value checkers of `rubric serve` (rubric_service.options) say
    "must be positive, not %s": "应为正数，而不是 %s",
}

# How `invalid %(type)s value` names a value's type: the name of the function that reads it.
TYPES_ZH = {
    "int": "整数",
    "float": "数",
    "Path": "路径",
    "_positive_int": "正整数",
    "_positive_float": "正数",
}


def in_chinese(words: str) -> str:
    """`words` in Chinese: a `Text`'s Chinese, argparse's own words from `ARGPARSE_ZH`, else as written."""
    if isinstance(words, Text):
        return words.zh
    return ARGPARSE_ZH.get(words, words)


def _pattern(msgid: str) -> re.Pattern[str]:
    """A message id as a pattern of the messages argparse fills it in to, one named group per field."""
    fields = iter(range(100))
    parts = re.split(r"(%(?:\((\w+)\))?[sr])", msgid)
    regex = ""
    for k in range(0, len(parts), 3):
        regex += re.escape(parts[k])
        if k + 1 < len(parts):
            regex += f"(?P<{parts[k + 2] or f'_{next(fields)}'}>.+?)"
    return re.compile(regex, re.DOTALL)


_MESSAGES = [(_pattern(msgid), zh) for msgid, zh in ARGPARSE_ZH.items() if "%" in msgid and not msgid.startswith("%")]


def translate(message: str) -> str:
    """A usage error argparse worded (or a value checker's reason inside it) in Chinese, the names and
    values it quotes kept as given; a message the catalogue does not hold stays as it is."""
    if message in ARGPARSE_ZH:
        return ARGPARSE_ZH[message]
    for pattern, zh in _MESSAGES:
        found = pattern.fullmatch(message)
        if found is not None:
            return _fill(zh, found.groupdict())
    return message


def _fill(zh: str, fields: dict[str, str]) -> str:
    """The Chinese message id `zh` filled in with what argparse filled the English one with."""
    if "message" in fields:
        fields["message"] = translate(fields["message"])
    if "type" in fields:
        fields["type"] = TYPES_ZH.get(fields["type"], fields["type"])
    positional = iter(value for name, value in fields.items() if name.startswith("_"))
    return re.sub(r"%(?:\((\w+)\))?[sr]", lambda m: fields[m[1]] if m[1] else next(positional), zh)


# --- the formatter --------------------------------------------------------------------------------------


def _width(words: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in words)


_CLOSING = set("，。；：、）」』”’！？%")  # never at the start of a line
_OPENING = set("（「『“‘")  # never at the end of one


def wrap(words: str, width: int) -> list[str]:
    """`words` in lines at most `width` columns wide on screen: broken at spaces or between Chinese
    characters, never inside an English word or a name, never before closing punctuation."""
    tokens: list[str] = []
    for token in re.findall(r"\s+|[^\s\u2000-\u206f\u2e80-\uffef]+|.", " ".join(words.split())):
        if tokens and (token[0] in _CLOSING or tokens[-1][-1] in _OPENING) and not token.isspace():
            tokens[-1] += token
        else:
            tokens.append(token)
    lines: list[str] = []
    line = ""
    for token in tokens:
        if line and _width(line + token) > width:
            lines.append(line.rstrip())
            line = "" if token.isspace() else token
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


class _Chinese(argparse.HelpFormatter):
    """The Chinese help: each text shown in Chinese, lines wrapped by their width on screen."""

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action], groups: Any, prefix: Any = None) -> None:
        super().add_usage(usage, actions, groups, in_chinese("usage: ") if prefix is None else prefix)

    def start_section(self, heading: str | None) -> None:
        super().start_section(None if heading is None else in_chinese(heading))

    def add_text(self, text: str | None) -> None:
        super().add_text(text if text is None or text == argparse.SUPPRESS else in_chinese(text))

    def add_argument(self, action: argparse.Action) -> None:
        if isinstance(action.help, Text):  # so that a help without English (`text("", zh)`) is shown too
            chinese = action.help.zh
            action = copy.copy(action)
            action.help = chinese
        super().add_argument(action)

    def _format_action(self, action: argparse.Action) -> str:
        formatted = super()._format_action(action)
        invocation = " " * self._current_indent + self._format_action_invocation(action)
        wider = _width(invocation) - len(invocation)  # a Chinese metavar: its help starts that much further on
        if wider and formatted.startswith(invocation + " " * (wider + 2)):
            formatted = invocation + formatted[len(invocation) + wider :]
        return formatted

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return None if action.help is None else in_chinese(action.help)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(text, width)


class _ChineseFilled(_Chinese):
    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap(text, width - len(indent)))


class _ChineseRaw(_Chinese, argparse.RawDescriptionHelpFormatter):
    pass


def formatter(lang: Language, raw: bool = False) -> type[argparse.HelpFormatter]:
    """The help formatter of a parser in `lang`; `raw`: descriptions laid out as written."""
    if lang == "zh":
        return _ChineseRaw if raw else _ChineseFilled
    return argparse.RawDescriptionHelpFormatter if raw else argparse.HelpFormatter


# --- the parser -----------------------------------------------------------------------------------------


class Parser(argparse.ArgumentParser):
    """An argument parser in one language (`lang`); its subparsers are made in the same language."""

    def __init__(self, *args: Any, lang: Language = "en", **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", formatter(lang))
        super().__init__(*args, **kwargs)
        self.lang: Language = lang

    def error(self, message: str) -> NoReturn:
        if self.lang != "zh":
            super().error(message)
        self.print_usage(sys.stderr)
        self.exit(2, in_chinese("%(prog)s: error: %(message)s\n") % {"prog": self.prog, "message": translate(message)})


def add_chinese(parser: argparse.ArgumentParser, helps: Mapping[str, str], titles: Mapping[str, str]) -> None:
    """Give the options another module added (`rubric_service.options`, whose English stays its own) their
    Chinese help: `helps` by the option's long name, `titles` by the English title of its group."""
    for action in parser._actions:
        name = action.option_strings[-1] if action.option_strings else action.dest
        if name in helps:
            action.help = text(action.help or "", helps[name])
    for group in parser._action_groups:
        if group.title is not None and group.title in titles:
            group.title = text(group.title, titles[group.title])
