"""Bonus/penalty lines, the final range and vetoes through the real server: GetRubric shows them, Score
returns base_total, each line's signed amount and the vetoes that fired (never silently)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from service_harness import serving_files

import rubric_dsl

ACCEPTANCE = Path(__file__).resolve().parents[1] / "testdata" / "adjust" / "acceptance.rubric"
FACTS = {
    "completion_rate": "90",
    "satisfaction": "80",
    "benefit_score": "20",
    "recognition": "2",
    "major_accidents": "2",
    "serious_accidents": "0",
    "photos_provided": "false",
    "false_material": "false",
    "serious_violation": "false",
}


@pytest.fixture(scope="module")
def adjusted_stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with serving_files(tmp_path_factory.mktemp("adjust") / "rubrics", ACCEPTANCE) as stub:
        yield stub


def test_get_rubric_lists_lines_vetoes_and_the_final_range(adjusted_stub: Any) -> None:
    rubric = adjusted_stub.GetRubric(pb.GetRubricRequest(rubric="tests.acceptance"), timeout=10).rubric
    assert [(a.id, a.kind, a.rule, a.HasField("max_amount")) for a in rubric.adjustment_lines] == [
        ("innovation", "bonus", "bands", True),
        ("accidents", "penalty", "each", False),
        ("photos", "penalty", "formula", True),
    ]
    vetoes = {v.id: v for v in rubric.vetoes}
    assert vetoes["false_material"].zero and vetoes["false_material"].grade == "不达标"
    assert vetoes["serious_violation"].at_most and vetoes["weak_benefit"].condition == "points(benefit) < 60% * 30"
    assert (rubric.final_minimum, rubric.final_maximum) == ("0", "105")


@pytest.mark.parametrize("explain", [False, True], ids=["plain", "explained"])
def test_score_returns_signed_lines_and_the_vetoes_that_fired(adjusted_stub: Any, explain: bool) -> None:
    request = pb.ScoreRequest(rubric="tests.acceptance", facts={**FACTS, "serious_accidents": "1"}, explain=explain)
    response = adjusted_stub.Score(request, timeout=10)
    # 36 + 20 + 24 = 80; + 3 − 2 − 3 = 78; the veto fixes the grade and every point stands
    assert (response.base_total, response.total, response.grade) == ("80", "78", "不达标")
    assert [(a.id, a.sign, a.amount, a.signed) for a in response.adjustments] == [
        ("innovation", 1, "3", "+3"),
        ("accidents", -1, "2", "−2"),
        ("photos", -1, "3", "−3"),
    ]
    assert all(bool(a.explanation) == explain for a in response.adjustments)
    [veto] = response.vetoes
    assert (veto.id, veto.kind, veto.grade, veto.zeroed) == ("major_accident", "veto", "不达标", False)
    assert "serious_accidents > 0" in veto.why
    if explain:
        assert "major_accident" in [item.id for item in response.lost]


def test_a_zeroing_veto_reaches_the_client(adjusted_stub: Any) -> None:
    request = pb.ScoreRequest(rubric="tests.acceptance", facts={**FACTS, "false_material": "true"})
    response = adjusted_stub.Score(request, timeout=10)
    assert (response.base_total, response.total, response.grade) == ("80", "0", "不达标")
    assert [(v.id, v.zeroed) for v in response.vetoes] == [("false_material", True)]
    assert [i.points for i in response.indicators] == ["36", "20", "24"]


@pytest.mark.parametrize("explain", [True, False], ids=["explained", "plain"])
def test_the_reply_carries_what_the_json_prints(adjusted_stub: Any, explain: bool) -> None:
    facts = {**FACTS, "serious_accidents": "1", "serious_violation": "true"}
    response = adjusted_stub.Score(pb.ScoreRequest(rubric="tests.acceptance", facts=facts, explain=explain), timeout=10)
    wire = json_format.MessageToDict(
        response, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    del wire["request_id"]
    for row in wire["adjustments"]:
        row.setdefault("max_amount", None)  # an unset optional field is JSON's null
    for row in (*wire["sections"], *wire["indicators"]):  # set only for a rubric that declares not_applicable
        assert (row.pop("not_applicable"), row.pop("weight")) == (False, "")
    local = rubric_dsl.compile_source(ACCEPTANCE.read_text(encoding="utf-8"), "acceptance.rubric").score(facts)
    expected = json.loads(json.dumps(local.to_dict()))
    if not explain:  # explanations, and the reasons for lost points, only when asked for (a veto's why always)
        for row in (*expected["indicators"], *expected["adjustments"]):
            row["explanation"] = ""
        expected["lost"] = []
    assert wire == expected
