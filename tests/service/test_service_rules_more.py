"""Issue 11's rules through the real server: GetRubric shows what may be not applicable, Score replies with the
weights actually used, and a judged score outside the range its measure picks is refused naming both facts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from service_harness import rich_error, serving_files

SCHEME = Path(__file__).resolve().parents[1] / "testdata" / "rules_more" / "procurement.rubric"
FACTS = {
    "involves_procurement": "false",
    "expense": "98.5",
    "budget": "100",
    "completion_rate": "80",
    "quality_score": "12",
}


@pytest.fixture(scope="module")
def stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with serving_files(tmp_path_factory.mktemp("rules_more"), SCHEME) as served:
        yield served


def test_get_rubric_names_the_policy_and_each_condition(stub: Any) -> None:
    rubric = stub.GetRubric(pb.GetRubricRequest(rubric="demo.rules_more"), timeout=10).rubric
    assert rubric.not_applicable == "share"
    conditions = {i.id: i.applicable_when for i in rubric.indicators}
    assert conditions == {"procurement": "involves_procurement", "execution": "", "quality": ""}
    assert [i.rule for i in rubric.indicators] == ["proportional", "steps", "judgedby"]


@pytest.mark.parametrize("explain", [False, True])
def test_score_replies_with_the_weights_used_when_an_item_does_not_apply(stub: Any, explain: bool) -> None:
    response = stub.Score(pb.ScoreRequest(rubric="demo.rules_more", facts=FACTS, explain=explain), timeout=10)
    rows = {i.id: i for i in response.indicators}
    procurement, execution = rows["procurement"], rows["execution"]
    assert (procurement.not_applicable, procurement.max_points, procurement.weight) == (True, "0", "5")
    assert (execution.not_applicable, execution.max_points, execution.weight) == (False, "20", "15")
    # 98.5% is 1.5 points below 100%, 1 point per 1% pro rata: 15 − 1.5 = 13.5, × 20/15 = 18
    assert execution.points == "18"
    assert [(s.id, s.points, s.max_points, s.weight) for s in response.sections] == [("process", "18", "20", "20")]
    assert response.total == "30"  # 18 + the judged 12
    if explain:
        assert "re-weighted 15 → 20" in execution.explanation
        assert procurement.explanation.startswith("not applicable")
    else:
        assert execution.explanation == "" and not response.lost


def test_a_judged_score_outside_the_picked_range_is_refused_naming_both_facts(stub: Any) -> None:
    facts = {**FACTS, "quality_score": "18"}
    with pytest.raises(grpc.RpcError) as failed:
        stub.Score(pb.ScoreRequest(rubric="demo.rules_more", facts=facts), timeout=10)
    code, violations, _ = rich_error(failed.value)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    [(field, description)] = violations.items()
    assert field == "facts.quality_score"
    assert "`quality_score` = 18" in description and "completion_rate = 80%" in description
    assert "10..15 points" in description
