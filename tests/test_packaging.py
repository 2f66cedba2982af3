"""The wheel claims only its own import names and carries the grammar and the bundled rubrics."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "grammar", "rubric_dsl", "rubric_cli", "rubrics", "service")
# Where each installed package's modules live in the repository.
PACKAGES = {
    "rubric_dsl": ROOT / "rubric_dsl",
    "rubric_cli": ROOT / "rubric_cli",
    "rubric_service": ROOT / "service" / "rubric_service",
}


def test_wheel_has_no_generic_top_level_names_and_ships_its_data(tmp_path: Path):
    source = tmp_path / "source"  # built from a copy: setuptools leaves a build/ folder where it builds
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), "."],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("rubric_engine-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert top == {"rubric_dsl", "rubric_service", "rubric_cli", wheel.name.split("-py")[0] + ".dist-info"}
    assert "rubric_dsl/grammar/rubric.lark" in names
    assert "rubric_dsl/compare/engine.py" in names  # a subpackage, listed in pyproject's packages
    bundled = {name.removeprefix("rubric_dsl/bundled/") for name in names if name.startswith("rubric_dsl/bundled/")}
    shipped = {str(p.relative_to(ROOT / "rubrics")) for p in (ROOT / "rubrics").rglob("*.rubric")}
    assert shipped and shipped <= bundled
    assert "wuping/seed-inspection.facts.json" in bundled
    assert "rubric_service/gen/rubric/v1/rubric_service_pb2.pyi" in names
    static = {f"rubric_service/static/{p.name}" for p in (PACKAGES["rubric_service"] / "static").iterdir()}
    assert "rubric_service/static/index.html" in static and static <= set(names)  # the workbench page, all of it
    commands = {f"rubric_cli/commands/{p.name}" for p in (ROOT / "rubric_cli" / "commands").glob("*.py")}
    assert "rubric_cli/commands/check.py" in commands and commands <= set(names)  # the `rubric` command's table
    modules = {
        f"{package}/{p.relative_to(folder).as_posix()}"
        for package, folder in PACKAGES.items()
        for p in folder.rglob("*.py")
    }
    assert sorted(modules - set(names)) == []  # every module of every subpackage, listed in pyproject or not
