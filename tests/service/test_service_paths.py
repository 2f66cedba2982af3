"""Rubric ids and paths from requests never reach outside the rubric directory.

Requests name rubrics by id (looked up among the served rubrics, never turned into a
path); CheckRubric's ``path`` is a display name that is never opened; the loader reads
no ``*.rubric`` file whose real path lies outside the served directory (a symlink out),
at start or on reload.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import CASEWORK_FACTS, ServerProcess, copy_rubrics, rich_error

from rubric_dsl.api import rubric_files

SECRET = "SECRET-CONTENT-7f3a"


def _rubric(rubric_id: str, version: str = "1", note: str = "") -> str:
    return f"""# {note}
rubric {rubric_id} "路径测试" {{
  version "{version}"
  total 10
  input x number "x" range 0 .. 10
  section all "全部" 10 {{
    indicator a "a" 10 {{
      points x
    }}
  }}
  grades {{ 优 >= 9  差 otherwise }}
}}
"""


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """served/ (a copy of the bundled rubrics) with symlinks out, and outside/ beside it."""
    base = tmp_path_factory.mktemp("paths")
    served = copy_rubrics(base / "served")
    outside = base / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.rubric").write_text(_rubric("outside.secret", note=SECRET), encoding="utf-8")
    (outside / "dir" / "deep.rubric").write_text(_rubric("outside.deep", note=SECRET), encoding="utf-8")
    (served / "link.rubric").symlink_to(outside / "secret.rubric")  # a file symlink out
    (served / "linked_dir").symlink_to(outside / "dir", target_is_directory=True)  # a directory symlink out
    (served / "store").mkdir()
    (served / "store" / "alias.txt").write_text(_rubric("inside.alias"), encoding="utf-8")
    (served / "alias.rubric").symlink_to(Path("store") / "alias.txt")  # a relative symlink that stays inside
    (base / "served_link").symlink_to(served, target_is_directory=True)  # the directory itself, via a symlink
    return base


@pytest.fixture(scope="module")
def server(layout: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(layout / "served_link")
    yield process
    assert process.terminate() == 0


@pytest.fixture(scope="module")
def stub(server: ServerProcess) -> Iterator[Any]:
    with server.channel() as channel:
        yield pb_grpc.RubricServiceStub(channel)


def _served_ids(stub: Any) -> set[str]:
    return {r.id for r in stub.ListRubrics(pb.ListRubricsRequest(page_size=1000), timeout=10).rubrics}


# -- the loader ---------------------------------------------------------------------


def test_rubric_files_refuses_symlinks_out(layout: Path):
    for directory in (layout / "served", layout / "served_link"):
        names = {p.name for p in rubric_files(directory)}
        assert "alias.rubric" in names and "casework.rubric" in names
        assert not names & {"link.rubric", "secret.rubric", "deep.rubric"}


def test_only_files_inside_the_directory_are_served(stub: Any, server: ServerProcess):
    ids = _served_ids(stub)
    assert {"wuping.casework", "inside.alias"} <= ids
    assert not {i for i in ids if i.startswith("outside.")}
    refused = server.wait_for(lambda e: e.get("event") == "rubric_file_refused")
    assert refused["path"].endswith("link.rubric") and refused["level"] == "error"
    assert SECRET not in str(server.events)


def test_a_served_file_swapped_for_a_symlink_out_is_not_read(layout: Path, server: ServerProcess, stub: Any):
    swap = layout / "served" / "swap.rubric"
    mark = server.mark()
    swap.write_text(_rubric("swap.me", version="1"), encoding="utf-8")
    server.wait_for(lambda e: e.get("event") == "reload" and "swap.me" in e["serving"], since=mark)
    (layout / "outside" / "swap.rubric").write_text(_rubric("swap.me", version="2", note=SECRET), encoding="utf-8")
    mark = server.mark()
    scratch = swap.with_name("swap.tmp")
    scratch.symlink_to(layout / "outside" / "swap.rubric")
    os.replace(scratch, swap)
    server.wait_for(lambda e: e.get("event") == "rubric_file_refused" and e["path"].endswith("swap.rubric"), since=mark)
    served = stub.GetRubric(pb.GetRubricRequest(rubric="swap.me"), timeout=10).rubric
    assert served.version == "1" and SECRET not in served.source_text  # the old version stays, the link is not read


# -- ids from requests --------------------------------------------------------------

PATH_LIKE_IDS = [
    "../outside/secret",
    "../outside/secret.rubric",
    "outside.secret",
    "outside.deep",
    "linked_dir/deep",
    "/etc/passwd",
    "../../../../etc/passwd",
    "wuping/casework",
    "wuping/casework.rubric",
    "./wuping.casework",
    "wuping.casework/../wuping.casework",
    "wuping.casework\x00",
    "link",
    "..",
    "%2e%2e%2fetc%2fpasswd",
]


@pytest.mark.parametrize("rubric_id", PATH_LIKE_IDS)
def test_path_like_ids_are_not_found(stub: Any, server: ServerProcess, rubric_id: str):
    for call, request in [
        (stub.Score, pb.ScoreRequest(rubric=rubric_id, facts=CASEWORK_FACTS)),
        (stub.GetRubric, pb.GetRubricRequest(rubric=rubric_id)),
    ]:
        with pytest.raises(grpc.RpcError) as caught:
            call(request, timeout=10)
        code, _, info = rich_error(caught.value)
        assert (code, info.reason) == (grpc.StatusCode.NOT_FOUND, "RUBRIC_NOT_FOUND")


def test_absolute_path_of_a_served_file_is_not_an_id(stub: Any, layout: Path):
    path = str(layout / "served" / "wuping" / "casework.rubric")
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetRubric(pb.GetRubricRequest(rubric=path), timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_stream_records_with_path_like_ids_are_not_found(stub: Any):
    requests = [pb.ScoreRequest(request_id=str(n), rubric=r) for n, r in enumerate(PATH_LIKE_IDS)]
    responses = list(stub.ScoreStream(iter(requests), timeout=30))
    assert [r.error.reason for r in responses] == ["RUBRIC_NOT_FOUND"] * len(PATH_LIKE_IDS)


# -- CheckRubric's path is a display name ------------------------------------------


def test_check_rubric_never_opens_its_path(stub: Any, tmp_path: Path):
    fifo = tmp_path / "trap.rubric"
    os.mkfifo(fifo)  # opening this for reading would block until the deadline
    response = stub.CheckRubric(pb.CheckRubricRequest(source="rubric a.b {", path=str(fifo)), timeout=20)
    assert not response.ok and {d.path for d in response.diagnostics} == {str(fifo)}


@pytest.mark.parametrize("path", ["{secret}", "../outside/secret.rubric", "/etc/passwd", "../../../etc/shadow"])
def test_check_rubric_path_is_only_a_name(stub: Any, layout: Path, path: str):
    path = path.format(secret=layout / "outside" / "secret.rubric")
    response = stub.CheckRubric(pb.CheckRubricRequest(source="rubric a.b {", path=path), timeout=10)
    assert not response.ok
    text = str(response)
    assert SECRET not in text and "root:" not in text
    assert {d.path for d in response.diagnostics} == {path}


def test_check_rubric_cannot_extend_a_rubric_outside(stub: Any):
    source = _rubric("probe.child").replace('"路径测试" {', '"路径测试" extends outside.secret {', 1)
    response = stub.CheckRubric(pb.CheckRubricRequest(source=source, path="probe.rubric"), timeout=10)
    assert not response.ok
    assert [d.code for d in response.diagnostics] == ["rubric_unknown_parent"]
    assert SECRET not in str(response)


def test_check_rubric_path_with_a_nul_byte_is_only_a_name(stub: Any):
    response = stub.CheckRubric(pb.CheckRubricRequest(source="rubric a.b {", path="a\x00b.rubric"), timeout=10)
    assert not response.ok
    assert [d.code for d in response.diagnostics] == ["rubric_syntax_error"]
