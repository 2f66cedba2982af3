"""The layout is the pipeline: no module imports a later stage, the library never imports the service
or the command line, and the service never imports the command line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "rubric_dsl"

# Each library module's stage; a module may import only modules of its own stage or earlier ones.
STAGES: dict[str, int] = {
    "limits": 0,
    "cache": 0,  # what was made once (grammar tables, trees, code objects), kept by the hash of its input
    "source": 0,
    "diagnostics": 1,
    "errors": 2,
    "files": 2,
    "ast": 3,
    "printer": 3,
    "parser": 4,
    "inherit": 5,
    "checker": 6,
    "clauses": 7,
    "facts": 7,
    "wording": 7,  # the sheet's Chinese wording: the 评分表, the Chinese explanations and fact messages
    "reader": 8,
    "applicable": 8,  # the weights once items are not applicable (不适用), which the generated code calls
    "codegen": 9,
    "explain": 10,
    "results": 11,
    "program": 12,
    "api": 13,
    "__init__": 13,
}
TOOLS = 14  # formatter, coverage, sheet, testcases, compare…: on top of the stages, imported by none


def _stage(module: str) -> int:
    return STAGES.get(module.split(".")[0], TOOLS)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def _module_name(path: Path) -> str:
    relative = path.relative_to(LIBRARY).with_suffix("")
    return ".".join(relative.parts) if relative.parts[0] != "__init__" else "__init__"


LIBRARY_FILES = sorted(LIBRARY.rglob("*.py"))


def test_every_library_module_has_a_stage_or_is_a_tool():
    named = {_module_name(p).split(".")[0] for p in LIBRARY_FILES}
    assert set(STAGES) - named == set(), "a stage named here no longer exists"


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_library_imports_run_only_to_earlier_stages(path: Path):
    here = _module_name(path)
    for imported in _imports(path):
        assert not imported.startswith(("rubric_service", "rubric_cli", "service", "grammar")), (here, imported)
        if not imported.startswith("rubric_dsl."):
            continue
        target = imported.removeprefix("rubric_dsl.")
        if target.split(".")[0] not in {p.stem for p in LIBRARY.iterdir()}:
            continue  # `from rubric_dsl import X` names a module as X: checked through its own entry
        assert _stage(target) <= _stage(here), f"{here} (stage {_stage(here)}) imports {target} ({_stage(target)})"


@pytest.mark.parametrize("path", sorted((ROOT / "service").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_service_never_imports_the_command_line(path: Path):
    assert not [m for m in _imports(path) if m.startswith("rubric_cli")]
