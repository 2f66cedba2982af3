"""The checked-in generated code is what scripts/gen_protos.py makes now, and it imports."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

from google.protobuf import __version__ as protobuf_version

ROOT = Path(__file__).resolve().parents[2]
GEN = ROOT / "service" / "rubric_service" / "gen"


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_checked_in_code_is_what_the_script_generates(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    fresh, checked_in = _files(out), _files(GEN)
    assert sorted(fresh) == sorted(checked_in), "run: python scripts/gen_protos.py"
    stale = [name for name in fresh if fresh[name] != checked_in[name]]
    assert not stale, f"stale generated files {stale}; run: python scripts/gen_protos.py"


def test_gencode_version_agrees_with_the_protobuf_runtime() -> None:
    text = (GEN / "rubric" / "v1" / "rubric_service_pb2.py").read_text(encoding="utf-8")
    match = re.search(r"# Protobuf Python Version: (\d+)\.(\d+)\.(\d+)", text)
    assert match is not None
    gencode = tuple(int(x) for x in match.groups())
    runtime = tuple(int(x) for x in protobuf_version.split(".")[:3])
    assert gencode[0] == runtime[0] and gencode <= runtime, (gencode, runtime)


def test_generated_modules_import_with_typed_stubs() -> None:
    from rubric_service.gen.rubric.v1 import rubric_service_pb2, rubric_service_pb2_grpc

    assert rubric_service_pb2.DESCRIPTOR.package == "rubric.v1"
    assert hasattr(rubric_service_pb2_grpc, "RubricServiceStub")
    for module in ("rubric_service_pb2", "rubric_service_pb2_grpc"):
        assert (GEN / "rubric" / "v1" / f"{module}.pyi").is_file()
        assert importlib.util.find_spec(f"rubric_service.gen.rubric.v1.{module}") is not None
