"""The `rubric` command's table and dispatch: every command of `COMMANDS`, in order, and nothing else;
usage errors exit 2; a command loads only what it runs (no gRPC or pygls for `check` or `fmt`).

Each command's own behaviour is tested in tests/cli/test_NAME.py.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import rubric_cli.commands
from rubric_cli.commands import COMMANDS
from rubric_cli.main import main
from tests.cli.helpers import run_cli
from tests.conftest import ROOT

NAMES = ["check", "fmt", "test", "score", "sheet", "import", "compare", "diff", "serve", "studio", "call", "lsp"]


def test_the_table_holds_every_command_module_once_in_order() -> None:
    assert [command.NAME for command in COMMANDS] == NAMES
    modules = Path(rubric_cli.commands.__file__).parent.glob("*.py")
    # no module left out of the table; a module named after a Python keyword ends in `_` (import_)
    assert {m.stem.removesuffix("_") for m in modules if m.stem != "__init__"} == set(NAMES)
    assert [command.__name__.removesuffix("_") for command in COMMANDS] == [f"rubric_cli.commands.{n}" for n in NAMES]


def test_help_lists_every_command_of_the_table_in_order() -> None:
    done = run_cli("--help")
    assert done.returncode == 0
    listed = [line.split()[0] for line in done.stdout.splitlines() if line.startswith("    ") and line.split()]
    assert listed == NAMES
    for command in COMMANDS:
        assert f"    {command.NAME:<10}{command.HELP}" in done.stdout


def test_version_is_the_distributions() -> None:
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout == f"rubric {version('rubric-engine')}\n"


def test_an_unknown_command_exits_2_naming_the_commands() -> None:
    done = run_cli("frobnicate")
    assert done.returncode == 2
    assert "rubric: error: argument COMMAND: invalid choice: 'frobnicate'" in done.stderr
    assert "(choose from " + ", ".join(f"'{name}'" for name in NAMES) + ")" in done.stderr
    assert done.stdout == ""


def test_no_command_exits_2() -> None:
    done = run_cli()
    assert done.returncode == 2
    assert "the following arguments are required: COMMAND" in done.stderr


# What each command needs given, so that an unknown option is all that is wrong.
GIVEN = {
    "check": ["rubrics"],
    "fmt": ["rubrics"],
    "test": [],
    "score": ["--rubric", "x", "--facts", "-"],
    "sheet": ["--rubric", "x"],
    "import": ["x.xlsx", "-o", "x.rubric"],
    "compare": ["--rubric", "x", "--data", "x.csv"],
    "diff": ["a", "b"],
    "serve": [],
    "studio": [],
    "call": ["ListRubrics"],
    "lsp": [],
}


@pytest.mark.parametrize("name", NAMES)
def test_an_unknown_option_is_refused_by_the_commands_own_parser(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([name, *GIVEN[name], "--no-such-option"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: rubric {name} ")
    assert f"rubric {name}: error: unrecognized arguments: --no-such-option" in err


# What a command run loaded of gRPC (and of the language server's pygls), printed after the command's own output.
PROBE = """\
import sys
from rubric_cli.main import main
code = main(sys.argv[1:])
heavy = ("grpc", "grpc_health", "grpc_reflection", "grpc_status", "pygls", "lsprotocol")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
print("loaded:", *loaded, file=sys.stderr)
sys.exit(code)
"""


def loaded_grpc(*args: str) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    last = done.stderr.splitlines()[-1]
    assert last.startswith("loaded:"), done.stderr
    return done.returncode, last.split()[1:]


def test_check_and_fmt_do_not_import_grpc_or_pygls(tmp_path: Path) -> None:
    assert loaded_grpc("check", "rubrics") == (0, [])
    canonical = tmp_path / "one.rubric"
    canonical.write_text((ROOT / "rubrics" / "wuping" / "common.rubric").read_text(encoding="utf-8"), "utf-8")
    assert loaded_grpc("fmt", "--check", str(tmp_path)) == (0, [])
    # the probe sees gRPC when a command loads it: `call` does, even for a request it refuses
    code, loaded = loaded_grpc("call", "GetRubric", "--json", '{"rubrik": "x"}')
    assert code == 2 and "grpc" in loaded
