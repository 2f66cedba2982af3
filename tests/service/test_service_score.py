"""Score over the wire: the seed sheets, proto3 JSON requests, errors with details, logs."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from service_harness import CASEWORK_FACTS, INSPECTION_FACTS, ServerProcess, rich_error

import rubric_dsl

SEEDS = [
    pytest.param("wuping.inspection", INSPECTION_FACTS, "85.6", "良", id="inspection-85.6-良"),
    pytest.param("wuping.casework", CASEWORK_FACTS, "94.6", "优", id="casework-94.6-优"),
]


def _fails(call: Any, request: Any, **kwargs: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(request, timeout=10, **kwargs)
    return caught.value


@pytest.mark.parametrize(("rubric", "facts", "total", "grade"), SEEDS)
def test_seed_sheet_scores_over_the_wire(stub: Any, rubric: str, facts: dict[str, str], total: str, grade: str):
    response = stub.Score(pb.ScoreRequest(rubric=rubric, facts=facts), timeout=10)
    assert (response.total, response.grade) == (total, grade)
    served = stub.GetRubric(pb.GetRubricRequest(rubric=rubric), timeout=10).rubric
    assert (response.rubric, response.version, response.content_hash) == (
        rubric,
        served.version,
        served.content_hash,
    )
    assert response.content_hash.startswith("sha256:")
    assert response.indicators and response.sections
    assert all(i.explanation == "" for i in response.indicators)  # explain is off


@pytest.mark.parametrize("explain", [True, False], ids=["explained", "plain"])
@pytest.mark.parametrize(("rubric", "facts", "total", "grade"), SEEDS)
def test_response_carries_what_the_cli_json_prints(
    stub: Any, server: ServerProcess, rubric: str, facts: dict[str, str], total: str, grade: str, explain: bool
):
    response = stub.Score(pb.ScoreRequest(rubric=rubric, facts=facts, explain=explain), timeout=10)
    wire = json_format.MessageToDict(
        response, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    del wire["request_id"]
    for row in [*wire["sections"], *wire["indicators"]]:  # set only for a rubric that declares `not_applicable`
        assert (row.pop("not_applicable"), row.pop("weight")) == (False, "")
    local = rubric_dsl.load_library(server.rubrics_dir).rubrics[rubric].score(facts).to_dict()
    for key in ("base_total", "total_explanation", "adjustments", "vetoes"):  # JSON: only for rubrics with lines
        if key not in local:  # or vetoes (tests/service/test_service_adjustments.py); the reply leaves them empty
            assert wire.pop(key) in ("", [])
    if not explain:  # explanations, and the reasons for lost points, only when asked for
        for indicator in local["indicators"]:
            indicator["explanation"] = ""
        local["lost"] = []
    assert wire == json.loads(json.dumps(local))
    assert all(bool(i.explanation) == explain for i in response.indicators)


def test_proto3_json_request_with_string_facts(stub: Any):
    text = json.dumps({"rubric": "wuping.casework", "facts": CASEWORK_FACTS})
    response = stub.Score(json_format.Parse(text, pb.ScoreRequest()), timeout=10)
    assert (response.total, response.grade) == ("94.6", "优")


def test_typed_facts_score_like_strings(stub: Any):
    typed: dict[str, Any] = {k: json.loads(v) for k, v in INSPECTION_FACTS.items()}
    assert typed["on_time"] is True and typed["satisfaction"] == 98.02
    request = json_format.ParseDict({"rubric": "wuping.inspection", "typed_facts": typed}, pb.ScoreRequest())
    response = stub.Score(request, timeout=10)
    assert (response.total, response.grade) == ("85.6", "良")


def test_bad_facts_name_every_bad_fact(stub: Any):
    facts = {**CASEWORK_FACTS, "on_time": "maybe", "bogus": "1"}
    del facts["satisfaction"]
    error = _fails(stub.Score, pb.ScoreRequest(rubric="wuping.casework", facts=facts))
    code, violations, info = rich_error(error)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violations) == {"facts.on_time", "facts.bogus", "facts.satisfaction"}
    assert all(violations.values())
    assert (info.reason, info.domain) == ("INVALID_FACTS", "rubric.v1")


def test_out_of_range_fact_is_a_field_violation(stub: Any):
    facts = {**CASEWORK_FACTS, "execution_rate": "9802"}
    code, violations, _ = rich_error(_fails(stub.Score, pb.ScoreRequest(rubric="wuping.casework", facts=facts)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert list(violations) == ["facts.execution_rate"]


def test_typed_fact_that_is_not_a_value_is_a_field_violation(stub: Any):
    request = json_format.ParseDict(
        {"rubric": "wuping.casework", "facts": CASEWORK_FACTS, "typed_facts": {"extra": [1, 2]}},
        pb.ScoreRequest(),
    )
    code, violations, info = rich_error(_fails(stub.Score, request))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert list(violations) == ["facts.extra"]
    assert info.reason == "INVALID_FACTS"


def test_allow_extra_facts_ignores_undeclared_facts(stub: Any):
    facts = {**CASEWORK_FACTS, "remark": "not a declared input"}
    with pytest.raises(grpc.RpcError):
        stub.Score(pb.ScoreRequest(rubric="wuping.casework", facts=facts), timeout=10)
    response = stub.Score(pb.ScoreRequest(rubric="wuping.casework", facts=facts, allow_extra_facts=True), timeout=10)
    assert response.total == "94.6"


def test_unknown_rubric_is_not_found(stub: Any):
    code, violations, info = rich_error(_fails(stub.Score, pb.ScoreRequest(rubric="no.such", facts={})))
    assert code == grpc.StatusCode.NOT_FOUND
    assert info.reason == "RUBRIC_NOT_FOUND"
    assert violations == {}


def test_version_pin(stub: Any):
    served = stub.GetRubric(pb.GetRubricRequest(rubric="wuping.casework"), timeout=10).rubric.version
    pinned = pb.ScoreRequest(rubric="wuping.casework", version=served, facts=CASEWORK_FACTS)
    assert stub.Score(pinned, timeout=10).version == served
    pinned.version = served + ".not-served"
    code, _, info = rich_error(_fails(stub.Score, pinned))
    assert code == grpc.StatusCode.NOT_FOUND
    assert (info.reason, info.metadata["served_version"]) == ("VERSION_NOT_FOUND", served)


def test_missing_rubric_name_is_invalid_argument(stub: Any):
    code, violations, _ = rich_error(_fails(stub.Score, pb.ScoreRequest(facts=CASEWORK_FACTS)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert list(violations) == ["rubric"]


def test_oversized_message_is_refused(stub: Any):
    huge = pb.CheckRubricRequest(source="#" * (5 * 1024 * 1024))
    with pytest.raises(grpc.RpcError) as caught:
        stub.CheckRubric(huge, timeout=10)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_one_decision_line_per_scored_record_without_facts(stub: Any, server: ServerProcess):
    request = pb.ScoreRequest(rubric="wuping.inspection", facts=INSPECTION_FACTS, request_id="decision-1")
    response = stub.Score(request, timeout=10)
    line = server.wait_for(lambda e: e.get("event") == "decision" and e.get("request_id") == "decision-1")
    assert line["outcome"] == "ok"
    assert (line["rubric"], line["version"], line["content_hash"]) == (
        response.rubric,
        response.version,
        response.content_hash,
    )
    assert (line["total"], line["grade"]) == ("85.6", "良")
    assert line["latency_ms"] >= 0
    assert "facts" not in line
    failed = pb.ScoreRequest(rubric="wuping.inspection", facts={}, request_id="decision-2")
    _fails(stub.Score, failed)
    line = server.wait_for(lambda e: e.get("event") == "decision" and e.get("request_id") == "decision-2")
    assert line["outcome"] == "invalid_facts"
    assert len([e for e in server.events if e.get("request_id") == "decision-1"]) == 1
