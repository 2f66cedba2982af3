"""`rubric call`: the service's own client (`rubric_service.client`), with the same options, against a
server that `rubric serve` started. The client itself is tested in tests/service/test_service_client.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from rubric_service import client, options

from rubric_cli.main import main
from tests.conftest import ROOT, RUBRICS
from tests.service.service_harness import ServerProcess, copy_rubrics


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        copy_rubrics(tmp_path_factory.mktemp("call") / "rubrics"), serve=(sys.executable, "-m", "rubric_cli", "serve")
    )
    yield process
    assert process.terminate() == 0


def test_call_takes_the_options_of_the_client_module() -> None:
    env = {**os.environ, "COLUMNS": "100"}
    runs = [
        subprocess.run(
            [sys.executable, "-m", *command, "--help"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        for command in (["rubric_service.client"], ["rubric_cli", "call"])
    ]
    assert [run.returncode for run in runs] == [0, 0]
    assert runs[1].stdout == runs[0].stdout
    assert "{CheckRubric,Compare,GetRubric,Health,ListRubrics,Score,ScoreStream}" in runs[1].stdout


def test_every_method_the_client_calls_is_a_choice() -> None:
    assert sorted(client.METHODS) == list(options.METHOD_NAMES)


def test_call_scores_the_seed_sheet(server: ServerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    facts = RUBRICS / "wuping" / "seed-inspection.facts.json"
    argv = ["call", "Score", "--rubric", "wuping.inspection", "--facts", str(facts), "--explain"]
    assert main([*argv, "--target", server.target]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["rubric"], printed["total"], printed["grade"]) == ("wuping.inspection", "85.6", "良")
    assert all(indicator["explanation"] for indicator in printed["indicators"])


def test_call_streams_a_comparison(server: ServerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    sample = RUBRICS / "samples" / "wuping.compare.jsonl"
    assert main(["call", "Compare", "--json", f"@{sample}", "--target", server.target]) == 0
    responses = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(responses) >= 2 and "summaries" in responses[-1]


def test_call_prints_an_rpc_error_and_exits_1(server: ServerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "GetRubric", "--json", '{"rubric": "no.such"}', "--target", server.target]) == 1
    assert capsys.readouterr().err.startswith("error: NOT_FOUND: ")


def test_call_refuses_a_bad_request_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "GetRubric", "--json", '{"rubrik": "x"}']) == 2
    assert "error: bad request for GetRubric" in capsys.readouterr().err
