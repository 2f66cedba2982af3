"""Bearer tokens: every RPC but health needs one when tokens are configured; compared in constant time."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from rubric_service import auth
from rubric_service.auth import TokenConfigError, TokenSet, bearer_token, load_tokens
from rubric_service.client import client_main
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import CASEWORK_FACTS, ServerProcess, copy_rubrics, rich_error

TOKENS = ("first-token-aaaaaaaaaaaaaaaa", "second-token-bbbbbbbbbbbbbbb")
SCORE = pb.ScoreRequest(rubric="wuping.casework", facts=CASEWORK_FACTS)

Call = Callable[[grpc.Channel, Any], Any]  # (channel, metadata) -> response


def _score(channel: grpc.Channel, metadata: Any) -> Any:
    return pb_grpc.RubricServiceStub(channel).Score(SCORE, timeout=10, metadata=metadata)


def _stream(channel: grpc.Channel, metadata: Any) -> Any:
    return list(pb_grpc.RubricServiceStub(channel).ScoreStream(iter([SCORE, SCORE]), timeout=10, metadata=metadata))


def _list(channel: grpc.Channel, metadata: Any) -> Any:
    return pb_grpc.RubricServiceStub(channel).ListRubrics(pb.ListRubricsRequest(), timeout=10, metadata=metadata)


def _get(channel: grpc.Channel, metadata: Any) -> Any:
    request = pb.GetRubricRequest(rubric="wuping.casework")
    return pb_grpc.RubricServiceStub(channel).GetRubric(request, timeout=10, metadata=metadata)


def _check(channel: grpc.Channel, metadata: Any) -> Any:
    request = pb.CheckRubricRequest(source="rubric a.b {", path="x.rubric")
    return pb_grpc.RubricServiceStub(channel).CheckRubric(request, timeout=10, metadata=metadata)


def _reflect(channel: grpc.Channel, metadata: Any) -> Any:
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    return list(stub.ServerReflectionInfo(iter([request]), timeout=10, metadata=metadata))


def _unknown(channel: grpc.Channel, metadata: Any) -> Any:
    call = channel.unary_unary("/rubric.v1.RubricService/NoSuchMethod")
    return call(b"", timeout=10, metadata=metadata)


GUARDED: dict[str, Call] = {
    "Score": _score,
    "ScoreStream": _stream,
    "ListRubrics": _list,
    "GetRubric": _get,
    "CheckRubric": _check,
    "reflection": _reflect,
}


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    base = tmp_path_factory.mktemp("auth")
    token_file = base / "tokens.txt"
    token_file.write_text("\n".join(["# tokens for the auth tests", *TOKENS, ""]), encoding="utf-8")
    token_file.chmod(0o600)
    process = ServerProcess(copy_rubrics(base / "rubrics"), "--token-file", str(token_file))
    yield process
    assert process.terminate() == 0


@pytest.fixture(scope="module")
def channel(token_server: ServerProcess) -> Iterator[grpc.Channel]:
    with token_server.channel() as ch:
        yield ch


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def _refusal(call: Call, channel: grpc.Channel, metadata: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as caught:
        call(channel, metadata)
    code, _, info = rich_error(caught.value)
    return code, info.reason


@pytest.mark.parametrize("call", GUARDED.values(), ids=GUARDED.keys())
def test_every_rpc_needs_a_token(channel: grpc.Channel, call: Call):
    assert _refusal(call, channel, None) == (grpc.StatusCode.UNAUTHENTICATED, "MISSING_TOKEN")
    assert _refusal(call, channel, _bearer("not-a-token")) == (grpc.StatusCode.UNAUTHENTICATED, "BAD_TOKEN")


@pytest.mark.parametrize("call", GUARDED.values(), ids=GUARDED.keys())
@pytest.mark.parametrize("token", TOKENS, ids=["first", "second"])
def test_every_rpc_answers_with_any_accepted_token(channel: grpc.Channel, call: Call, token: str):
    assert call(channel, _bearer(token))


@pytest.mark.parametrize(
    "metadata",
    [
        [("authorization", f"Basic {TOKENS[0]}")],
        [("authorization", TOKENS[0])],
        [("authorization", "Bearer ")],
        [("x-token", TOKENS[0])],
        _bearer(TOKENS[0][:-1]),
        _bearer(TOKENS[0] + "x"),
        _bearer(TOKENS[0].upper()),
    ],
    ids=["basic-scheme", "no-scheme", "empty", "other-header", "prefix", "longer", "other-case"],
)
def test_near_misses_are_refused(channel: grpc.Channel, metadata: Any):
    code, reason = _refusal(_score, channel, metadata)
    assert code == grpc.StatusCode.UNAUTHENTICATED and reason in ("MISSING_TOKEN", "BAD_TOKEN")


def test_scheme_is_case_insensitive(channel: grpc.Channel):
    assert _score(channel, [("authorization", f"bearer {TOKENS[1]}")]).total == "94.6"


def test_unknown_methods_are_refused_before_saying_they_do_not_exist(channel: grpc.Channel):
    assert _refusal(_unknown, channel, None) == (grpc.StatusCode.UNAUTHENTICATED, "MISSING_TOKEN")
    with pytest.raises(grpc.RpcError) as caught:
        _unknown(channel, _bearer(TOKENS[0]))
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_health_needs_no_token(channel: grpc.Channel):
    stub = health_pb2_grpc.HealthStub(channel)
    assert stub.Check(health_pb2.HealthCheckRequest(), timeout=10).status == health_pb2.HealthCheckResponse.SERVING
    watch = stub.Watch(health_pb2.HealthCheckRequest(service="rubric.v1.RubricService"), timeout=10)
    assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
    watch.cancel()


def test_tokens_never_reach_the_log(channel: grpc.Channel, token_server: ServerProcess):
    _score(channel, _bearer(TOKENS[0]))
    with pytest.raises(grpc.RpcError):
        _score(channel, _bearer("leaked-secret-attempt"))
    logged = json.dumps(token_server.events, ensure_ascii=False)
    assert all(secret not in logged for secret in [*TOKENS, "leaked-secret-attempt"])


def test_rubric_call_sends_the_token(token_server: ServerProcess, capsys: pytest.CaptureFixture[str], monkeypatch):
    assert client_main(["ListRubrics", "--target", token_server.target]) == 1
    assert "MISSING_TOKEN" in capsys.readouterr().err
    assert client_main(["ListRubrics", "--target", token_server.target, "--token", TOKENS[0]]) == 0
    capsys.readouterr()
    monkeypatch.setenv("RUBRIC_TOKEN", TOKENS[1])
    assert client_main(["ListRubrics", "--target", token_server.target]) == 0


def test_tokens_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RUBRIC_TOKENS", f" env-token-one , {TOKENS[1]},")
    server = ServerProcess(copy_rubrics(tmp_path / "rubrics"))
    try:
        assert server.wait_for(lambda e: e.get("event") == "serving")["tokens"] == 2
        with server.channel() as channel:
            assert _score(channel, _bearer("env-token-one")).total == "94.6"
            assert _score(channel, _bearer(TOKENS[1])).total == "94.6"
            assert _refusal(_score, channel, None)[0] == grpc.StatusCode.UNAUTHENTICATED
    finally:
        assert server.terminate() == 0


# -- the token set on its own --------------------------------------------------------


def test_every_token_is_compared_whatever_matches(monkeypatch: pytest.MonkeyPatch):
    tokens = TokenSet.of(["a" * 20, "b" * 20, "c" * 20])
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", counting)
    for presented in ["a" * 20, "c" * 20, "nope"]:
        compared.clear()
        tokens.accepts(presented)
        assert len(compared) == 3  # no early exit on a match
        assert {len(a) for pair in compared for a in pair} == {32}  # digests: equal lengths, whatever was sent


def test_token_set_accepts_only_its_tokens():
    tokens = TokenSet.of(TOKENS)
    assert all(tokens.accepts(t) for t in TOKENS)
    assert not any(tokens.accepts(t) for t in ["", " ", TOKENS[0][:-1], TOKENS[0] + " ", "x"])


@pytest.mark.parametrize(
    ("metadata", "token"),
    [
        ([("authorization", "Bearer abc")], "abc"),
        ([("authorization", "  bearer   abc  ")], "abc"),
        ([("x", "y"), ("authorization", "BEARER abc")], "abc"),
        ([("authorization", "Basic abc")], None),
        ([("authorization-bin", b"Bearer abc")], None),
        ([], None),
        (None, None),
    ],
)
def test_bearer_token_parsing(metadata: Any, token: str | None):
    assert bearer_token(metadata) == token


def test_load_tokens(tmp_path: Path):
    assert load_tokens(None, {}) is None
    file = tmp_path / "tokens"
    file.write_text("# comment\n\n  one  \ntwo\n", encoding="utf-8")
    tokens = load_tokens(file, {"RUBRIC_TOKENS": "three"})
    assert tokens is not None and len(tokens) == 3 and tokens.accepts("one") and tokens.accepts("three")
    with pytest.raises(TokenConfigError, match="names no token"):
        load_tokens(None, {"RUBRIC_TOKENS": " , "})
    with pytest.raises(TokenConfigError, match="cannot read"):
        load_tokens(tmp_path / "missing", {})
