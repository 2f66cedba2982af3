"""Hot reload on the real server: good edits are served, broken edits are refused, deletions drop."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import CASEWORK_FACTS, ServerProcess, copy_rubrics, rich_error

import rubric_dsl

RUBRIC = "wuping.casework"
DIVIDE = """rubric test.divide "除法" {
  version "1"
  total 10
  input a number "分子"
  input n count "分母"
  section all "全部" 10 {
    indicator ratio "比值" 10 {
      points a / n
    }
  }
  grades { 优 >= 9  差 otherwise }
}
"""


@pytest.fixture
def live(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(copy_rubrics(tmp_path / "rubrics"))
    yield process
    assert process.terminate() == 0


def _stub(server: ServerProcess) -> Any:
    return pb_grpc.RubricServiceStub(server.channel())


def _casework_file(server: ServerProcess) -> Path:
    return Path(rubric_dsl.load_library(server.rubrics_dir).rubrics[RUBRIC].path)


def _served(server: ServerProcess, since: int, rubric: str, predicate: Any) -> dict[str, Any]:
    """Wait for a reload whose served entry for ``rubric`` ("version hash", or None) passes ``predicate``."""
    return server.wait_for(lambda e: e.get("event") == "reload" and predicate(e["serving"].get(rubric)), since=since)


def test_good_edit_is_served(live: ServerProcess):
    stub = _stub(live)
    before = stub.GetRubric(pb.GetRubricRequest(rubric=RUBRIC), timeout=10).rubric
    path = _casework_file(live)
    edited = path.read_text(encoding="utf-8").replace(f'"{before.title}"', f'"{before.title}（修订）"', 1)
    assert edited != before.source_text
    mark = live.mark()
    path.write_text(edited, encoding="utf-8")
    _served(live, mark, RUBRIC, lambda entry: entry is not None and not entry.endswith(before.content_hash))
    after = stub.GetRubric(pb.GetRubricRequest(rubric=RUBRIC), timeout=10).rubric
    assert (after.title, after.source_text) == (f"{before.title}（修订）", edited)
    assert after.content_hash == rubric_dsl.load_library(live.rubrics_dir).rubrics[RUBRIC].content_hash
    scored = stub.Score(pb.ScoreRequest(rubric=RUBRIC, facts=CASEWORK_FACTS), timeout=10)
    assert (scored.content_hash, scored.total, scored.grade) == (after.content_hash, "94.6", "优")


def test_broken_edit_is_refused_and_the_old_version_kept(live: ServerProcess):
    stub = _stub(live)
    before = stub.Score(pb.ScoreRequest(rubric=RUBRIC, facts=CASEWORK_FACTS), timeout=10)
    path = _casework_file(live)
    source = path.read_text(encoding="utf-8")
    mark = live.mark()
    path.write_text(source[: source.rstrip().rfind("}")], encoding="utf-8")  # lose the closing brace
    kept = live.wait_for(lambda e: e.get("event") == "rubric_kept" and e["rubric"] == RUBRIC, since=mark)
    assert kept["content_hash"] == before.content_hash
    assert kept["errors"] and all(re.match(rf"{re.escape(str(path))}:\d+:\d+: ", e) for e in kept["errors"])
    location = re.compile(rf"{re.escape(str(path))}:\d+:\d+")
    diagnostic = live.wait_for(
        lambda e: e.get("event") == "rubric_diagnostic" and location.fullmatch(e["location"]) is not None,
        since=mark,
    )
    assert diagnostic["severity"] == "error" and diagnostic["code"]
    _served(live, mark, RUBRIC, lambda entry: entry == f"{before.version} {before.content_hash}")
    after = stub.Score(pb.ScoreRequest(rubric=RUBRIC, facts=CASEWORK_FACTS), timeout=10)
    assert (after.version, after.content_hash, after.total) == (before.version, before.content_hash, "94.6")


def test_deleted_file_stops_being_served_and_a_new_file_starts(live: ServerProcess):
    stub = _stub(live)
    path = _casework_file(live)
    mark = live.mark()
    path.unlink()
    _served(live, mark, RUBRIC, lambda entry: entry is None)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Score(pb.ScoreRequest(rubric=RUBRIC, facts=CASEWORK_FACTS), timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert RUBRIC not in {r.id for r in stub.ListRubrics(pb.ListRubricsRequest(), timeout=10).rubrics}

    mark = live.mark()
    (live.rubrics_dir / "divide.rubric").write_text(DIVIDE, encoding="utf-8")
    _served(live, mark, "test.divide", lambda entry: entry is not None)
    response = stub.Score(pb.ScoreRequest(rubric="test.divide", facts={"a": "5", "n": "2"}), timeout=10)
    assert (response.rubric, response.total, response.grade) == ("test.divide", "2.5", "差")
    with pytest.raises(grpc.RpcError) as caught:
        stub.Score(pb.ScoreRequest(rubric="test.divide", facts={"a": "5", "n": "0"}), timeout=10)
    code, violations, info = rich_error(caught.value)
    assert code == grpc.StatusCode.FAILED_PRECONDITION  # facts valid one by one, the rubric cannot use them
    assert (info.reason, info.metadata["indicator"], violations) == ("EVALUATION_FAILED", "ratio", {})
