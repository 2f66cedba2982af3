"""ListRubrics, GetRubric and CheckRubric over the wire."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import grpc
import pytest
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from service_harness import ServerProcess, rich_error

import rubric_dsl

SEED_IDS = {"wuping.inspection", "wuping.casework"}


def _source_of(server: ServerProcess, rubric_id: str) -> tuple[Path, str]:
    rubric = rubric_dsl.load_library(server.rubrics_dir).rubrics[rubric_id]
    return Path(rubric.path), rubric.source_text


def _all_pages(stub: Any, page_size: int) -> list[list[str]]:
    pages, token = [], ""
    while True:
        page = stub.ListRubrics(pb.ListRubricsRequest(page_size=page_size, page_token=token), timeout=10)
        pages.append([r.id for r in page.rubrics])
        token = page.next_page_token
        if not token:
            return pages


def test_list_rubrics_pages_through_every_rubric_in_id_order(stub: Any, server: ServerProcess):
    everything = _all_pages(stub, 0)
    assert len(everything) == 1
    ids = everything[0]
    assert set(ids) >= SEED_IDS and ids == sorted(ids)
    assert set(ids) == set(rubric_dsl.load_library(server.rubrics_dir).rubrics)
    pages = _all_pages(stub, 1)
    assert pages == [[rid] for rid in ids]
    summary = next(
        r for r in stub.ListRubrics(pb.ListRubricsRequest(), timeout=10).rubrics if r.id == "wuping.casework"
    )
    assert summary.version and summary.title and summary.content_hash.startswith("sha256:")


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [({"page_token": "%%%"}, "page_token"), ({"page_size": -1}, "page_size")],
    ids=["bad-token", "negative-size"],
)
def test_list_rubrics_rejects_bad_paging(stub: Any, request_fields: dict[str, Any], field: str):
    with pytest.raises(grpc.RpcError) as caught:
        stub.ListRubrics(pb.ListRubricsRequest(**request_fields), timeout=10)
    code, violations, _ = rich_error(caught.value)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert list(violations) == [field]


def test_get_rubric_gives_structure_source_version_and_hash(stub: Any, server: ServerProcess):
    rubric = stub.GetRubric(pb.GetRubricRequest(rubric="wuping.inspection"), timeout=10).rubric
    local = rubric_dsl.load_library(server.rubrics_dir).rubrics["wuping.inspection"]
    assert (rubric.id, rubric.version, rubric.content_hash) == (local.id, local.version, local.content_hash)
    assert rubric.source_text == Path(local.path).read_text(encoding="utf-8")
    assert rubric.total == str(local.total) and rubric.rounding == local.rounding
    assert [s.id for s in rubric.sections] == [s.id for s in local.sections]
    assert [i.id for i in rubric.indicators] == [i.id for i in local.indicators]
    assert [(g.label, g.HasField("minimum")) for g in rubric.grades] == [
        (g.label, g.minimum is not None) for g in local.grades
    ]
    inputs = {i.name: i for i in rubric.inputs}
    assert {"satisfaction", "on_time", "planned_units"} <= set(inputs)
    assert inputs["satisfaction"].kind == pb.INPUT_KIND_PERCENT
    assert inputs["on_time"].kind == pb.INPUT_KIND_FLAG
    assert all(i.label for i in rubric.inputs)
    assert all(i.kind != pb.INPUT_KIND_UNSPECIFIED for i in rubric.inputs)
    for info in local.inputs:
        assert inputs[info.name].HasField("maximum") == (info.maximum is not None)


def test_get_unknown_rubric_is_not_found(stub: Any):
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetRubric(pb.GetRubricRequest(rubric="no.such"), timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_check_rubric_accepts_a_good_source(stub: Any, server: ServerProcess):
    _, source = _source_of(server, "wuping.casework")
    response = stub.CheckRubric(pb.CheckRubricRequest(source=source, path="casework.rubric"), timeout=10)
    assert response.ok
    assert not [d for d in response.diagnostics if d.severity == pb.SEVERITY_ERROR]


def test_check_rubric_reports_diagnostics_with_positions(stub: Any, server: ServerProcess):
    _, source = _source_of(server, "wuping.casework")
    broken = source[: source.rstrip().rfind("}")]  # drop the closing brace
    response = stub.CheckRubric(pb.CheckRubricRequest(source=broken, path="broken.rubric"), timeout=10)
    assert not response.ok
    errors = [d for d in response.diagnostics if d.severity == pb.SEVERITY_ERROR]
    assert errors
    for d in errors:
        assert d.code and d.message and d.path == "broken.rubric"
        assert d.line >= 1 and d.column >= 1
        assert d.rendered.startswith(f"broken.rubric:{d.line}:{d.column}")


def test_check_rubric_stores_nothing(stub: Any, server: ServerProcess):
    _, source = _source_of(server, "wuping.casework")
    renamed = source.replace("wuping.casework", "wuping.checked_only", 1)
    assert stub.CheckRubric(pb.CheckRubricRequest(source=renamed), timeout=10).ok
    ids = {r.id for r in stub.ListRubrics(pb.ListRubricsRequest(), timeout=10).rubrics}
    assert "wuping.checked_only" not in ids
    assert not list(server.rubrics_dir.glob("*checked_only*"))


def test_percent_ranges_are_in_percent_points_as_facts_are_given(stub: Any):
    rubric = stub.GetRubric(pb.GetRubricRequest(rubric="wuping.casework"), timeout=10).rubric
    execution = next(i for i in rubric.inputs if i.name == "execution_rate")
    assert (execution.minimum, execution.maximum) == ("0", "100")  # the facts say "98.02" for 98.02%


def test_an_unknown_rubric_gets_the_nearest_served_ids(stub: Any):
    with pytest.raises(grpc.RpcError) as missing:
        stub.Score(pb.ScoreRequest(rubric="wuping.casewrk", facts={}), timeout=10)
    code, _, info = rich_error(missing.value)
    assert code == grpc.StatusCode.NOT_FOUND and info.metadata["did_you_mean"].startswith("wuping.casework")
    assert "did you mean 'wuping.casework'" in (missing.value.details() or "")


def test_check_rubric_finds_parents_and_answers_or_refuses_when_many_check_at_once(stub: Any, server: ServerProcess):
    # a rubric that extends a served one checks clean; of many checks at once, those past the limit are
    # refused RESOURCE_EXHAUSTED (never UNKNOWN), so checking in a loop never takes scoring's workers
    casework = Path(rubric_dsl.load_library(server.rubrics_dir).rubrics["wuping.casework"].path)
    source = casework.read_text(encoding="utf-8")
    assert stub.CheckRubric(pb.CheckRubricRequest(source=source, path="draft.rubric"), timeout=10).ok
    arms = "\n".join(f"    when x == {k} => points 1" for k in range(3000))
    head = 'rubric s.t "慢" {\n  version "1"\n  total 1\n  input x number "x"\n  indicator a "a" 1 {\n'
    slow = head + arms + "\n    otherwise => points 0\n  }\n  grades { 好 otherwise }\n}\n"
    assert stub.CheckRubric(pb.CheckRubricRequest(source=slow, path="slow.rubric"), timeout=60).ok  # ~0.4 s of work
    outcomes: list[str] = []

    def check() -> None:
        try:
            stub.CheckRubric(pb.CheckRubricRequest(source=slow, path="slow.rubric"), timeout=60)
            outcomes.append("OK")
        except grpc.RpcError as error:
            code, _, info = rich_error(error)
            outcomes.append(f"{code.name} {info.reason}")

    threads = [threading.Thread(target=check) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert set(outcomes) <= {"OK", "RESOURCE_EXHAUSTED TOO_MANY_CHECKS"} and "OK" in outcomes
