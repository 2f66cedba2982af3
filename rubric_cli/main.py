"""The `rubric` command: check, test and score rubrics; serve them over gRPC; call the service.

Exit codes: 0 success; 1 a rubric has errors or a test failed; 2 bad usage, bad facts, an
unknown rubric, or a scoring error. Problems go to stderr as `path:line:col: error: message`
with the source line and a caret.

Each subcommand is a module of `rubric_cli.commands`, listed in its `COMMANDS` table (see
`rubric_cli.command`): this module makes one subparser per entry and runs the one asked for. The help
and argparse's usage errors are in the language of the messages (`rubric_cli.help_zh`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from rubric_cli.command import Command, UsageProblem
from rubric_cli.commands import COMMANDS
from rubric_cli.help_zh import Parser, formatter, help_language, text
from rubric_dsl.diagnostics import Language, choose_language
from rubric_dsl.errors import RubricDslError, RubricError
from rubric_dsl.files import read_source

DISTRIBUTION = "rubric-engine"
DESCRIPTION = text(
    __doc__.split("\n")[0] if __doc__ else "",
    "`rubric` 命令：检查、测试评分规则并按其评分；以 gRPC 提供或调用评分服务。",
)


class _Version(argparse.Action):
    """`--version`: the installed distribution's version, looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version(DISTRIBUTION)
        except PackageNotFoundError:
            chinese = isinstance(parser, Parser) and parser.lang == "zh"
            found = f"版本未知（未安装 {DISTRIBUTION}）" if chinese else f"unknown ({DISTRIBUTION} is not installed)"
        print(f"{parser.prog} {found}")
        parser.exit()


def build_parser(lang: Language = "en") -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser of `rubric` in `lang` (its help and usage errors), and the subparser of each command by name."""
    parser = Parser(prog="rubric", description=DESCRIPTION, lang=lang)
    parser.add_argument(
        "--version",
        action=_Version,
        help=text(f"print the version of {DISTRIBUTION} and exit", f"显示 {DISTRIBUTION} 的版本并退出"),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    subparsers: dict[str, argparse.ArgumentParser] = {}
    for command in COMMANDS:
        subparser = commands.add_parser(
            command.NAME,
            help=command.HELP,
            description=command.DESCRIPTION,
            formatter_class=formatter(lang, raw=True),  # descriptions are laid out as written
            lang=lang,
        )
        command.add_arguments(subparser)
        subparsers[command.NAME] = subparser
    return parser, subparsers


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    parser, subparsers = build_parser(help_language(args))
    options, unknown = parser.parse_known_args(args)
    if unknown:  # the command's own parser says so, with its usage line
        subparsers[options.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    command: Command = {c.NAME: c for c in COMMANDS}[options.command]
    try:
        code = command.run(options, sys.stdout, sys.stderr)
        sys.stdout.flush()  # here, where a reader that went away is handled, not at exit
        return code
    except (UsageProblem, RubricDslError) as problem:
        print(f"rubric {command.NAME}: {describe(problem, _language(options))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that flushing stdout at exit raises nothing either
        return 1
    except KeyboardInterrupt:  # Ctrl-C
        print(f"rubric {command.NAME}: {'已中断' if _language(options) == 'zh' else 'interrupted'}", file=sys.stderr)
        return 130


def _language(options: argparse.Namespace) -> Language:
    return choose_language(options.lang) if "lang" in vars(options) else "en"


def describe(problem: UsageProblem | RubricDslError, lang: Language) -> str:
    """A command's problem in `lang`, as worded where it was raised; a rubric's diagnostics with their
    source lines and carets."""
    if isinstance(problem, RubricError):  # it may keep no sources: its rubrics were read from these files
        return "\n".join(d.render(_source(d.span.path), lang) for d in problem.diagnostics)
    return problem.text(lang)


def _source(path: str) -> str | None:
    try:
        return read_source(path)[0]
    except ValueError:  # not even a path (a NUL byte)
        return None


if __name__ == "__main__":
    raise SystemExit(main())
