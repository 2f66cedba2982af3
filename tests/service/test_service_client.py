"""The command-line client (``rubric call``) against the real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rubric_service.client import client_main
from service_harness import CASEWORK_FACTS, INSPECTION_FACTS, ServerProcess


def test_score_from_json_with_typed_values(server: ServerProcess, capsys: pytest.CaptureFixture[str]):
    facts = {k: json.loads(v) for k, v in CASEWORK_FACTS.items()}  # numbers and bools, as people write JSON
    request = json.dumps({"rubric": "wuping.casework", "facts": facts})
    assert client_main(["Score", "--target", server.target, "--json", request]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["rubric"], printed["total"], printed["grade"]) == ("wuping.casework", "94.6", "优")
    assert printed["content_hash"].startswith("sha256:")


def test_score_stream_from_a_file_of_json_lines(
    server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    lines = [
        {"request_id": "a", "rubric": "wuping.inspection", "facts": INSPECTION_FACTS},
        {"request_id": "b", "rubric": "wuping.inspection", "facts": {}},
    ]
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    assert client_main(["ScoreStream", "--target", server.target, "--json", f"@{batch}"]) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert (first["request_id"], first["total"], first["grade"]) == ("a", "85.6", "良")
    assert (second["request_id"], second["error"]["code"]) == ("b", "INVALID_ARGUMENT")
    assert {v["field"] for v in second["error"]["field_violations"]} >= {"facts.satisfaction"}


def test_rpc_error_prints_status_and_every_violation(server: ServerProcess, capsys: pytest.CaptureFixture[str]):
    facts = {**CASEWORK_FACTS, "on_time": "maybe", "bogus": "1"}
    request = json.dumps({"rubric": "wuping.casework", "facts": facts})
    assert client_main(["Score", "--target", server.target, "--json", request]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: INVALID_ARGUMENT")
    assert "INVALID_FACTS (rubric.v1)" in err
    assert "facts.on_time:" in err and "facts.bogus:" in err


def test_bad_json_is_a_usage_error(server: ServerProcess, capsys: pytest.CaptureFixture[str]):
    assert client_main(["GetRubric", "--target", server.target, "--json", '{"rubrik": "x"}']) == 2
    assert "bad request for GetRubric" in capsys.readouterr().err


def test_list_and_health(server: ServerProcess, capsys: pytest.CaptureFixture[str]):
    assert client_main(["ListRubrics", "--target", server.target]) == 0
    ids = {r["id"] for r in json.loads(capsys.readouterr().out)["rubrics"]}
    assert {"wuping.casework", "wuping.inspection"} <= ids
    assert client_main(["Health", "--target", server.target]) == 0
    assert json.loads(capsys.readouterr().out) == {"status": "SERVING"}


def test_score_shortcut_with_a_facts_file(server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(INSPECTION_FACTS), encoding="utf-8")
    argv = ["Score", "--target", server.target, "--rubric", "wuping.inspection", "--facts", str(facts), "--explain"]
    assert client_main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["total"], printed["grade"]) == ("85.6", "良")
    assert all(i["explanation"] for i in printed["indicators"]) and printed["lost"]
