"""The subcommands of `rubric`, one module each (see `rubric_cli.command.Command`), in one table.

`COMMANDS` is the order `rubric --help` lists them in; a new command is a new module here and a new
entry in the table, nothing else.
"""

from __future__ import annotations

from rubric_cli.command import Command
from rubric_cli.commands import call, check, compare, diff, fmt, import_, lsp, score, serve, sheet, studio, test

COMMANDS: tuple[Command, ...] = (check, fmt, test, score, sheet, import_, compare, diff, serve, studio, call, lsp)
