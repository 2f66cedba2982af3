"""JSON over HTTP beside gRPC: the real server (`--http-port 0`), called with a real HTTP client and a real gRPC
stub on the same cases, must give the same replies field for field; errors are HTTP statuses with
``google.rpc.Status`` bodies."""

from __future__ import annotations

import json
import re
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from grpc_status import rpc_status
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import BUNDLED, INSPECTION_FACTS, Http, ServerProcess, copy_rubrics, http_port

from rubric_dsl.api import RUBRIC_ID


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Http, Any]]:
    process = ServerProcess(copy_rubrics(tmp_path_factory.mktemp("http") / "rubrics"), "--http-port", "0")
    try:
        with process.channel() as channel:
            yield Http(http_port(process)), pb_grpc.RubricServiceStub(channel)
    finally:
        assert process.terminate() == 0


def _fact_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if not isinstance(value, Decimal) else format(value, "f")


def bundled_cases() -> list[tuple[str, dict[str, Any]]]:
    """Every case of every bundled ``*.tests.toml``, as a ScoreRequest in JSON (with explanations)."""
    found = []
    for tests in sorted(BUNDLED.rglob("*.tests.toml")):
        data = tomllib.loads(tests.read_text(encoding="utf-8"), parse_float=Decimal)
        rubric = (
            data.get("rubric")
            or RUBRIC_ID.findall(
                tests.with_name(tests.name.removesuffix(".tests.toml") + ".rubric").read_text(encoding="utf-8")
            )[0]
        )
        for number, case in enumerate(data["case"], 1):
            facts = {name: _fact_text(value) for name, value in case.get("facts", {}).items()}
            request = {"rubric": rubric, "facts": facts, "explain": True, "requestId": f"{tests.name}#{number}"}
            if case.get("allow_extra_facts"):
                request["allowExtraFacts"] = True
            found.append((f"{tests.relative_to(BUNDLED)}#{number}", request))
    return found


CASES = bundled_cases()
_HAN = re.compile(r"[\u4e00-\u9fff]")


def grpc_outcome(stub: Any, request: dict[str, Any], accept: str = "") -> tuple[int, dict[str, Any]]:
    """(HTTP status the error maps to or 200, the reply or the google.rpc.Status) of a gRPC Score call."""
    from rubric_service.http import HTTP_STATUS

    metadata = (("accept-language", accept),) if accept else None
    try:
        reply = stub.Score(json_format.ParseDict(request, pb.ScoreRequest()), timeout=30, metadata=metadata)
    except grpc.RpcError as error:
        status = rpc_status.from_call(error)
        assert status is not None
        return HTTP_STATUS[error.code()], json_format.MessageToDict(status)
    return 200, json_format.MessageToDict(reply)


def test_bundled_cases_exist() -> None:
    assert len(CASES) >= 20
    assert any(r["rubric"] == "wuping.inspection" for _, r in CASES)


@pytest.mark.parametrize("accept", ["", "zh-CN,zh;q=0.9"], ids=["default", "zh"])
@pytest.mark.parametrize(("name", "request_json"), CASES, ids=[n for n, _ in CASES])
def test_score_over_http_equals_grpc_field_for_field(
    both: tuple[Http, Any], name: str, request_json: Any, accept: str
) -> None:
    http, stub = both
    headers = {"accept-language": accept} if accept else {}
    got, raw, answered = http.exchange("POST", "/v1/score", json.dumps(request_json).encode(), headers)
    body = json.loads(raw)
    assert (got, body) == grpc_outcome(stub, request_json, accept)
    assert got in (200, 400)
    if got == 400:
        assert answered["content-language"] == ("zh-CN" if accept else "en-US")
    elif accept:  # the explanations in Chinese: not the English ones
        explained = [i["explanation"] for i in body["indicators"]]
        english = [i["explanation"] for i in grpc_outcome(stub, request_json)[1]["indicators"]]
        assert explained != english and all(_HAN.search(e) for e in explained if e), explained


def test_score_batch_equals_score_stream(both: tuple[Http, Any]) -> None:
    http, stub = both
    requests = [r for _, r in CASES]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in requests).encode("utf-8")
    status, raw, media = http.call("POST", "/v1/score/batch", body)
    assert status == 200 and media.startswith("application/x-ndjson")
    over_http = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    streamed = stub.ScoreStream(iter([json_format.ParseDict(r, pb.ScoreRequest()) for r in requests]), timeout=60)
    assert over_http == [json_format.MessageToDict(reply) for reply in streamed]
    assert len(over_http) == len(requests)


def test_compare_ndjson_equals_grpc_compare(both: tuple[Http, Any]) -> None:
    http, stub = both
    lines = (BUNDLED / "samples" / "wuping.compare.jsonl").read_text(encoding="utf-8").splitlines()
    status, raw, _ = http.call("POST", "/v1/compare", "\n".join(lines).encode("utf-8"))
    assert status == 200
    over_http = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    requests = [json_format.Parse(line, pb.CompareRequest()) for line in lines if line.strip()]
    assert over_http == [json_format.MessageToDict(r) for r in stub.Compare(iter(requests), timeout=60)]
    assert any("summaries" in reply for reply in over_http)


def test_list_get_and_check_equal_grpc(both: tuple[Http, Any]) -> None:
    http, stub = both
    status, listed = http.json("GET", "/v1/rubrics?pageSize=3")
    assert status == 200
    assert listed == json_format.MessageToDict(stub.ListRubrics(pb.ListRubricsRequest(page_size=3)))
    status, rest = http.json("GET", f"/v1/rubrics?pageToken={listed['nextPageToken']}")
    assert status == 200 and rest["rubrics"][0]["id"] > listed["rubrics"][-1]["id"]
    for summary in listed["rubrics"]:
        status, got = http.json("GET", f"/v1/rubrics/{summary['id']}")
        assert status == 200
        assert got == json_format.MessageToDict(stub.GetRubric(pb.GetRubricRequest(rubric=summary["id"])))
        source = got["rubric"]["sourceText"]
        broken = {"source": source.rstrip() + "\n}\n", "path": "draft.rubric"}
        for request in ({"source": source, "path": "x.rubric"}, broken):
            status, checked = http.json("POST", "/v1/check", request)
            assert status == 200
            expected = stub.CheckRubric(json_format.ParseDict(request, pb.CheckRubricRequest()))
            assert checked == json_format.MessageToDict(expected)
        assert "ok" not in checked and checked["diagnostics"]  # false is left out of proto3 JSON


def test_the_readme_curl_body_scores_the_seed_85_6(both: tuple[Http, Any]) -> None:
    http, _ = both
    status, body = http.json("POST", "/v1/score", {"rubric": "wuping.inspection", "facts": INSPECTION_FACTS})
    assert status == 200
    assert (body["total"], body["grade"]) == ("85.6", "良")


def test_bad_facts_are_400_with_every_bad_fact_named(both: tuple[Http, Any]) -> None:
    http, stub = both
    facts = {**INSPECTION_FACTS, "execution_rate": "百分百", "satisfaction": "-5", "on_time": "maybe"}
    del facts["planned_units"]
    request = {"rubric": "wuping.inspection", "facts": facts}
    status, body = http.json("POST", "/v1/score", request)
    assert status == 400
    assert body["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    details = {d["@type"].rsplit("/", 1)[1]: d for d in body["details"]}
    assert details["google.rpc.ErrorInfo"]["reason"] == "INVALID_FACTS"
    named = {v["field"] for v in details["google.rpc.BadRequest"]["fieldViolations"]}
    bad = {"execution_rate", "satisfaction", "on_time", "planned_units"}
    assert named == {f"facts.{name}" for name in bad}
    assert all(name in body["message"] for name in bad)
    assert (status, body) == grpc_outcome(stub, request)


def test_many_bad_facts_are_all_named_over_http(both: tuple[Http, Any]) -> None:
    """gRPC trailers hold a few kilobytes; an HTTP body names every bad fact."""
    http, _ = both
    facts = {f"unknown_fact_{n:03}": "1" for n in range(150)}
    status, body = http.json("POST", "/v1/score", {"rubric": "wuping.inspection", "facts": facts})
    assert status == 400
    violations = next(d for d in body["details"] if d["@type"].endswith("BadRequest"))["fieldViolations"]
    named = {v["field"] for v in violations}
    assert {f"facts.{name}" for name in facts} <= named


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "reason"),
    [
        ("POST", "/v1/score", b'{"rubric": "nope.rubric"}', 404, "RUBRIC_NOT_FOUND"),
        ("POST", "/v1/score", b'{"rubric": "wuping.inspection", "colour": 1}', 400, "UNDECODABLE_REQUEST"),
        ("POST", "/v1/score", b"{not json", 400, "UNDECODABLE_REQUEST"),
        ("POST", "/v1/score", b"{}", 400, "INVALID_REQUEST"),
        ("GET", "/v1/rubrics/wuping.inspection?version=1999", None, 404, "VERSION_NOT_FOUND"),
        ("GET", "/v1/rubrics?pageSize=-1", None, 400, "INVALID_REQUEST"),
        ("POST", "/v1/sheet", b'{"rubric": "wuping.inspection", "format": "pdf"}', 400, "INVALID_REQUEST"),
    ],
)
def test_errors_are_statuses_with_rpc_status_bodies(
    both: tuple[Http, Any], method: str, path: str, body: Any, status: int, reason: str
) -> None:
    http, _ = both
    got, raw, media = http.call(method, path, body)
    assert (got, media) == (status, "application/json")
    parsed = json.loads(raw)
    assert parsed["details"][0]["reason"] == reason
    assert parsed["message"]


def test_a_body_past_the_message_limit_is_refused_413(both: tuple[Http, Any]) -> None:
    http, _ = both
    huge = json.dumps({"rubric": "wuping.inspection", "requestId": "x" * (5 * 1024 * 1024)}).encode()
    status, raw, _ = http.call("POST", "/v1/score", huge)
    assert status == 413
    assert json.loads(raw)["details"][0]["reason"] == "MESSAGE_TOO_LARGE"


def test_sheet_renders_the_scored_sheet(both: tuple[Http, Any]) -> None:
    http, _ = both
    body = {"rubric": "wuping.inspection", "facts": INSPECTION_FACTS, "format": "html"}
    status, raw, media = http.call("POST", "/v1/sheet", json.dumps(body).encode())
    assert status == 200 and media.startswith("text/html")
    page = raw.decode("utf-8")
    assert "85.6" in page and "良" in page and "评分表" in page
    status, raw, media = http.call("POST", "/v1/sheet", json.dumps({**body, "format": "xlsx"}).encode())
    assert status == 200 and media.startswith("application/vnd.openxmlformats")
    assert raw[:2] == b"PK"


def test_format_gives_the_canonical_layout(both: tuple[Http, Any]) -> None:
    http, _ = both
    source = (BUNDLED / "wuping" / "inspection.rubric").read_text(encoding="utf-8")
    status, body = http.json("POST", "/v1/format", {"source": source.replace("  input", "input")})
    assert status == 200 and body["ok"] and body["changed"]
    status, again = http.json("POST", "/v1/format", {"source": body["source"]})
    assert again["changed"] is False
    status, broken = http.json("POST", "/v1/format", {"source": "rubric x {"})
    assert broken["ok"] is False and broken["diagnostics"][0]["line"] == 1


def test_openapi_describes_every_route_with_proto_schemas(both: tuple[Http, Any]) -> None:
    http, _ = both
    status, doc = http.json("GET", "/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    assert {"/v1/score", "/v1/score/batch", "/v1/compare", "/v1/check", "/v1/rubrics", "/v1/sheet"} <= set(doc["paths"])
    request = doc["components"]["schemas"]["rubric.v1.ScoreRequest"]["properties"]
    for field in pb.ScoreRequest.DESCRIPTOR.fields:  # every field, new ones too
        assert field.json_name in request
    assert "google.rpc.Status" in doc["components"]["schemas"]


def test_tokens_guard_http_as_they_guard_grpc(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("s3cret\n", encoding="utf-8")
    tokens.chmod(0o600)
    process = ServerProcess(copy_rubrics(tmp_path / "rubrics"), "--http-port", "0", "--token-file", str(tokens))
    try:
        port = http_port(process)
        body = {"rubric": "wuping.inspection", "facts": INSPECTION_FACTS}
        status, missing = Http(port).json("POST", "/v1/score", body)
        assert status == 401 and missing["details"][0]["reason"] == "MISSING_TOKEN"
        status, bad = Http(port, "wrong").json("POST", "/v1/score", body)
        assert status == 401 and bad["details"][0]["reason"] == "BAD_TOKEN"
        status, good = Http(port, "s3cret").json("POST", "/v1/score", body)
        assert status == 200 and good["total"] == "85.6"
        status, page, _ = Http(port).call("GET", "/")
        assert status == 200 and b"workbench.js" in page  # the page carries no data; its calls need the token
        status, _info = Http(port).json("GET", "/v1/studio/info")
        assert status == 401
    finally:
        assert process.terminate() == 0


def test_a_shared_server_never_writes_drafts(both: tuple[Http, Any]) -> None:
    http, _ = both
    status, info = http.json("GET", "/v1/studio/info")
    assert status == 200 and info["writable"] is False and info["mode"] == "server"
    status, body = http.json("POST", "/v1/studio/save", {"path": "wuping/inspection.rubric", "source": "x"})
    assert status == 403 and body["details"][0]["reason"] == "READ_ONLY"
    status, body = http.json("POST", "/v1/studio/analyze", {"path": "../../etc/passwd.rubric", "source": ""})
    assert status == 400
    draft = (BUNDLED / "wuping" / "inspection.rubric").read_text(encoding="utf-8").replace('"产出" 30', '"产出" 31')
    status, body = http.json("POST", "/v1/studio/analyze", {"path": "wuping/inspection.rubric", "source": draft})
    assert status == 200 and body["errors"] >= 1
    assert {d["code"] for d in body["diagnostics"]} and all(d["renderedZh"] for d in body["diagnostics"])


README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_runs_http_and_its_curl_command_scores_the_seed(tmp_path: Path) -> None:
    """README's run command turns HTTP on, and its `curl` line, run by a shell against a real server, gives 85.6 良."""
    import shlex
    import shutil
    import subprocess

    text = README.read_text(encoding="utf-8")
    run = next(line for line in text.splitlines() if "rubric serve" in line and "pip install" in line)
    serve = shlex.split(run.split("&&")[-1])
    assert serve[1:3] == ["serve", "--http-port"]
    port_given = serve[3]
    curl = next(line for line in text.splitlines() if line.startswith("curl ") and "/v1/score" in line)
    assert f"127.0.0.1:{port_given}/" in curl
    if shutil.which("curl") is None:
        pytest.fail("curl is missing: README's example needs it")
    process = ServerProcess(copy_rubrics(tmp_path / "rubrics"), *serve[2:], "--http-port", "0")
    try:
        port = http_port(process)
        done = subprocess.run(
            ["bash", "-c", curl.replace(f"127.0.0.1:{port_given}", f"127.0.0.1:{port}")],
            cwd=README.parent,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        reply = json.loads(done.stdout)
        assert (reply["rubric"], reply["total"], reply["grade"]) == ("wuping.inspection", "85.6", "良")
        assert reply["lost"] and all(item["reason"] for item in reply["lost"])
    finally:
        assert process.terminate() == 0


def test_the_http_port_speaks_mutual_tls_with_the_grpc_port_files(tmp_path: Path) -> None:
    import ssl

    from certs import make_pki

    pki = make_pki(tmp_path / "pki")
    process = ServerProcess(
        copy_rubrics(tmp_path / "rubrics"),
        *("--http-port", "0", "--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key)),
        *("--tls-client-ca", str(pki.ca)),
    )
    try:
        event = process.wait_for(lambda e: e.get("event") == "http_serving")
        assert event["url"].startswith("https://")
        url = f"https://127.0.0.1:{event['port']}/v1/score"
        body = json.dumps({"rubric": "wuping.inspection", "facts": INSPECTION_FACTS}).encode()

        def post(context: ssl.SSLContext | None, address: str = url) -> Any:
            request = urllib.request.Request(address, data=body, method="POST")
            with urllib.request.urlopen(request, timeout=30, context=context) as reply:
                return json.loads(reply.read())

        trusted = ssl.create_default_context(cafile=str(pki.ca))
        trusted.load_cert_chain(str(pki.client_cert), str(pki.client_key))
        assert post(trusted)["total"] == "85.6"
        stranger = ssl.create_default_context(cafile=str(pki.ca))
        stranger.load_cert_chain(str(pki.stranger_cert), str(pki.stranger_key))
        for refused in (ssl.create_default_context(cafile=str(pki.ca)), stranger):
            with pytest.raises((ssl.SSLError, urllib.error.URLError, ConnectionError)):
                post(refused)
        with pytest.raises((urllib.error.URLError, ConnectionError, http_client_errors())):
            post(None, url.replace("https://", "http://"))
    finally:
        assert process.terminate() == 0


def http_client_errors() -> type[Exception]:
    import http.client

    return http.client.HTTPException


def test_a_batch_past_the_record_limit_is_refused_whole(tmp_path: Path) -> None:
    process = ServerProcess(copy_rubrics(tmp_path / "rubrics"), "--http-port", "0", "--max-stream-records", "3")
    try:
        http = Http(http_port(process))
        line = json.dumps({"rubric": "wuping.inspection", "facts": INSPECTION_FACTS})
        status, raw, _ = http.call("POST", "/v1/score/batch", "\n".join([line] * 3).encode())
        assert status == 200 and [json.loads(x)["total"] for x in raw.splitlines()] == ["85.6"] * 3
        status, raw, _ = http.call("POST", "/v1/score/batch", "\n".join([line] * 4).encode())
        assert status == 429 and json.loads(raw)["details"][0]["reason"] == "STREAM_TOO_LONG"
        status, raw, _ = http.call("POST", "/v1/score/batch", f"{line}\nnot json\n{line}".encode())
        replies = [json.loads(x) for x in raw.splitlines()]
        assert status == 200 and [r.get("total") for r in replies] == ["85.6", None, "85.6"]
        assert replies[1]["error"]["reason"] == "UNDECODABLE_REQUEST" and "line 2" in replies[1]["error"]["message"]
    finally:
        assert process.terminate() == 0


def test_a_page_of_another_origin_cannot_call_through_the_browser(both: tuple[Http, Any]) -> None:
    http, _ = both
    body = json.dumps({"rubric": "wuping.inspection", "facts": INSPECTION_FACTS}).encode()
    for origin, expected in (("http://evil.example", 403), (http.base, 200)):
        request = urllib.request.Request(http.base + "/v1/score", data=body, method="POST")
        request.add_header("content-type", "text/plain")  # a "simple" request: a browser sends it without asking
        request.add_header("origin", origin)
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                status = reply.status
        except urllib.error.HTTPError as error:
            status = error.code
            assert json.loads(error.read())["details"][0]["reason"] == "CROSS_ORIGIN"
        assert status == expected
