"""Records and optional facts through the real server: GetRubric shows a records input's fields and
which inputs are optional; Score takes a list of records in typed_facts or as JSON text in facts, and
refuses a bad field naming the list, the record and the field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from service_harness import ROOT, rich_error, serving_files

DEPARTMENT = ROOT / "tests" / "testdata" / "records" / "department.rubric"
PROJECTS = [
    {"funds": 100, "self_evaluated": True, "key": True, "score": 92},
    {"funds": 300, "self_evaluated": False, "key": True, "score": 85.5},
    {"funds": 50, "self_evaluated": True, "score": 60},
    {"funds": 12.5, "self_evaluated": True, "key": False, "score": 99},
]


@pytest.fixture(scope="module")
def stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with serving_files(tmp_path_factory.mktemp("records") / "rubrics", DEPARTMENT) as served:
        yield served


def test_get_rubric_shows_fields_and_optional_inputs(stub: Any) -> None:
    rubric = stub.GetRubric(pb.GetRubricRequest(rubric="demo.department"), timeout=10).rubric
    projects, general, everything = rubric.inputs
    assert (projects.kind, projects.required, projects.optional) == (pb.INPUT_KIND_RECORDS, True, False)
    assert [(f.name, f.kind, f.required) for f in projects.fields] == [
        ("funds", pb.INPUT_KIND_MONEY, True),
        ("self_evaluated", pb.INPUT_KIND_FLAG, True),
        ("key", pb.INPUT_KIND_FLAG, False),
        ("score", pb.INPUT_KIND_NUMBER, True),
    ]
    assert (projects.fields[0].unit, projects.fields[0].minimum, projects.fields[3].maximum) == ("万元", "0", "100")
    assert (general.optional, general.required) == (True, False)
    assert (everything.optional, everything.required) == (False, False)  # read only when rate_general is absent


def test_typed_facts_list_and_json_text_score_the_same(stub: Any) -> None:
    typed = json_format.ParseDict(
        {"rubric": "demo.department", "typed_facts": {"projects": PROJECTS, "rate_general": 96}}, pb.ScoreRequest()
    )
    text = pb.ScoreRequest(
        rubric="demo.department", facts={"projects": json.dumps(PROJECTS), "rate_general": "96"}, explain=True
    )
    by_list, by_text = stub.Score(typed, timeout=10), stub.Score(text, timeout=10)
    assert by_list.total == by_text.total == "12"  # 3 + 4 + 5
    points = {i.id: i.points for i in by_text.indicators}
    assert points == {"self_evaluation": "3", "key_projects": "4", "execution": "5"}
    assert "87.125" in by_text.indicators[1].explanation


def test_the_other_branch_is_taken_without_the_optional_fact(stub: Any) -> None:
    request = pb.ScoreRequest(rubric="demo.department", facts={"projects": json.dumps(PROJECTS), "rate_all": "81"})
    assert stub.Score(request, timeout=10).total == "11.5"


def test_bad_record_fields_are_field_violations(stub: Any) -> None:
    bad = [*PROJECTS[:3], {"funds": -5, "self_evaluated": True, "score": 70}]
    request = json_format.ParseDict({"rubric": "demo.department", "typed_facts": {"projects": bad}}, pb.ScoreRequest())
    with pytest.raises(grpc.RpcError) as error:
        stub.Score(request, timeout=10)
    code, violations, info = rich_error(error.value)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and info.reason == "INVALID_FACTS"
    assert list(violations) == ["facts.projects[3].funds"]


def test_a_missing_fact_on_the_path_taken_is_named(stub: Any) -> None:
    request = pb.ScoreRequest(rubric="demo.department", facts={"projects": json.dumps(PROJECTS)})
    with pytest.raises(grpc.RpcError) as error:
        stub.Score(request, timeout=10)
    code, violations, _ = rich_error(error.value)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert list(violations) == ["facts.rate_all"]


def test_a_list_of_non_objects_is_refused_before_scoring(stub: Any) -> None:
    request = json_format.ParseDict(
        {"rubric": "demo.department", "typed_facts": {"projects": [1, 2], "rate_all": 90}}, pb.ScoreRequest()
    )
    with pytest.raises(grpc.RpcError) as error:
        stub.Score(request, timeout=10)
    code, violations, _ = rich_error(error.value)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and list(violations) == ["facts.projects"]
