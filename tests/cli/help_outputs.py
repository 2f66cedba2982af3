"""`rubric --help` and every `rubric COMMAND --help`, in-process, 100 columns wide: what the English
golden (tests/testdata/help/en.json) holds and what the Chinese test reads.

Regenerate the golden (only when the English help is meant to change):
    python -m tests.cli.help_outputs > tests/testdata/help/en.json
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
from collections.abc import Iterator

from rubric_service.options import default_processes

from rubric_cli.commands import COMMANDS
from rubric_cli.main import main
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "testdata" / "help" / "en.json"
COMMAND_NAMES = [command.NAME for command in COMMANDS]


@contextlib.contextmanager
def environment(lang_env: str | None) -> Iterator[None]:
    """LANG set to `lang_env` (or unset) and a terminal 100 columns wide, restored afterwards."""
    saved = {name: os.environ.pop(name, None) for name in ("LANG", "COLUMNS")}
    os.environ["COLUMNS"] = "100"
    if lang_env is not None:
        os.environ["LANG"] = lang_env
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value


def run(args: list[str], lang_env: str | None = None) -> tuple[int, str, str]:
    """`rubric ARGS` with LANG set to `lang_env` (or unset): exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with environment(lang_env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def helps(lang_args: list[str], lang_env: str | None = None) -> dict[str, str]:
    """The help of `rubric` (key "") and of each command, `lang_args` after `--help` (where no command's
    parser reads them: `rubric` and some commands have no `--lang`); the number of cores `rubric serve
    --help` shows as its default is written `N`."""
    found = {}
    for name in ["", *COMMAND_NAMES]:
        code, out, err = run([*([name] if name else []), "--help", *lang_args], lang_env)
        assert code == 0 and err == "", (name, code, err)
        found[name] = re.sub(rf"(cores|核数)\s*[(（]{default_processes()}[)）]", r"\1 (N)", out)
    return found


if __name__ == "__main__":
    json.dump(helps([]), sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    sys.stdout.write("\n")
