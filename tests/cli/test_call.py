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


def _call(argv: list[str], capsys: pytest.CaptureFixture[str], lang_env: str | None = None) -> tuple[int, str, str]:
    saved = os.environ.pop("LANG", None)
    try:
        if lang_env is not None:
            os.environ["LANG"] = lang_env
        code = main(["call", *argv])
    finally:
        os.environ.pop("LANG", None)
        if saved is not None:
            os.environ["LANG"] = saved
    out, err = capsys.readouterr()
    return code, out, err


def test_call_lang_asks_the_server_for_its_language(server: ServerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    unknown = ["GetRubric", "--json", '{"rubric": "wuping.inspectoin"}', "--target", server.target]
    code, _, err = _call([*unknown, "--lang", "zh"], capsys)
    assert code == 1
    assert err.startswith("错误：NOT_FOUND: 没有在用的评分规则“wuping.inspectoin”；是否要找：wuping.inspection")
    assert "  原因：RUBRIC_NOT_FOUND (rubric.v1)" in err
    assert _call([*unknown], capsys, lang_env="zh_CN.UTF-8") == (code, "", err)  # LANG=zh* by default
    code, _, english = _call([*unknown, "--lang", "en"], capsys, lang_env="zh_CN.UTF-8")  # the flag wins
    assert english.startswith("error: NOT_FOUND: ") and "reason: RUBRIC_NOT_FOUND" in english
    assert "没有" not in english
    code, _, bad = _call(["GetRubric", "--json", '{"rubrik": "x"}', "--lang", "zh"], capsys)
    assert code == 2 and bad.startswith("错误：GetRubric 的请求有误：")


def test_call_lang_zh_gets_chinese_explanations(server: ServerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    facts = RUBRICS / "wuping" / "seed-inspection.facts.json"
    argv = ["Score", "--rubric", "wuping.inspection", "--facts", str(facts), "--explain", "--target", server.target]
    replies = {}
    for lang in ("zh", "en"):
        code, out, _ = _call([*argv, "--lang", lang], capsys)
        assert code == 0
        replies[lang] = json.loads(out)
    zh, en = replies["zh"], replies["en"]
    assert (zh["total"], zh["grade"]) == (en["total"], en["grade"]) == ("85.6", "良")
    by_id = {i["id"]: i["explanation"] for i in zh["indicators"]}
    assert by_id["completion"].startswith("实际完成率为60%，属“0%（含）—85%”档，不得分")
    assert not any("→" in e or "between" in e for e in by_id.values())
    assert all(item["reason"] for item in zh["lost"])
    assert {i["id"] for i in zh["indicators"]} == {i["id"] for i in en["indicators"]}
