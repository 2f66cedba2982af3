"""What a subcommand of `rubric` is: a module under `rubric_cli.commands` with these five names.

`rubric_cli.commands.COMMANDS` lists the modules in the order `rubric --help` shows them; `rubric_cli.main`
adds one argparse subparser per module (named `NAME`, listed with `HELP`, its help text `DESCRIPTION`
as written) and lets the module add its options (`add_arguments`). `HELP`, `DESCRIPTION` and each
option's help are written `help_zh.text(en, zh)`, so that the help is Chinese when the messages are; a
plain string is shown as it is in both languages. When the module's command is given,
`main` calls its `run` with the parsed options and the streams to print to, and exits with what it
returns: 0 success, 1 a rubric has errors or a test failed, 2 bad usage. A command refuses what it
was asked by raising `UsageProblem` (or a `RubricDslError` of the library): `main` prints it as
`rubric NAME: problem` on stderr, in the language of `--lang` when the command has that option
(`common.add_lang_argument`), and exits 2.

Building the parser imports every command module, so a module imports at its top only what its
options need; what only its run needs, when heavy (gRPC, the comparison engine), it imports in `run`.
"""

from __future__ import annotations

import argparse
from typing import Protocol, TextIO

from rubric_dsl.diagnostics import Language


class Command(Protocol):
    NAME: str  # the word after `rubric`
    HELP: str  # one line in `rubric --help`
    DESCRIPTION: str | None  # the text `rubric NAME --help` shows above the options, or None

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, options: argparse.Namespace, out: TextIO, err: TextIO) -> int: ...


class UsageProblem(Exception):
    """A problem with what the user asked for; printed as one line, exit 2, in Chinese under `--lang zh`
    when it has a Chinese form (`message_zh`)."""

    def __init__(self, message: str, message_zh: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh

    def text(self, lang: Language) -> str:
        return self.message_zh if lang == "zh" and self.message_zh else self.message
