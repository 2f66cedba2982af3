"""The service's errors in Chinese and English: a `google.rpc.LocalizedMessage` detail in zh-CN and en-US on
every status (a `localized_messages` pair on every ScoreError), the main message in the language of the
request's `accept-language`, en-US when it names neither; the same over HTTP (`Accept-Language`, a
`Content-Language` header). Every refusal too (tokens, stream and batch limits, health, the check budget,
shutting down), and no Chinese message holds an English word but the names it echoes. The real server, real
gRPC and HTTP clients."""

from __future__ import annotations

import json
import queue
import re
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from rubric_service import errors
from rubric_service.check_worker import MAX_CHECK_SOURCE_BYTES
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from rubric_service.health import MAX_WATCHES
from rubric_service.servicer import MAX_COMPARE_EVALUATIONS
from service_harness import (
    CASEWORK_FACTS,
    INSPECTION_FACTS,
    WAIT,
    Http,
    ServerProcess,
    copy_rubrics,
    http_port,
    rich_error,
)

from tests.conftest import ENGLISH_WORD

ZH_ASKS = ["zh-CN", "zh-CN,zh;q=0.9,en;q=0.8", "zh", "zh-TW", "en;q=0.5, zh"]
EN_ASKS = ["en-US", "en", "en-GB,zh;q=0.3", "fr-FR", "", "*", "zh;q=0, en;q=0.1"]
_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"\b[A-Za-z]{3,}\b")


def _metadata(accept: str) -> tuple[tuple[str, str], ...]:
    return (("accept-language", accept),) if accept else ()


def _status(call: Any, request: Any, accept: str) -> tuple[Any, grpc.RpcError]:
    with pytest.raises(grpc.RpcError) as caught:
        call(request, timeout=10, metadata=_metadata(accept))
    status = rpc_status.from_call(caught.value)
    assert status is not None
    return status, caught.value


def _localized(status: Any) -> dict[str, str]:
    found = {}
    for detail in status.details:
        message = error_details_pb2.LocalizedMessage()
        if detail.Unpack(message):
            found[message.locale] = message.message
    return found


def _chinese(text: str) -> bool:
    """Chinese as a person reads it: Han characters (``_english`` checks the words)."""
    return bool(_HAN.search(text))


def _echoed(status: Any) -> list[str]:
    """What a status's message may echo as typed: its fields at fault (a fact's name) and the values of its
    ErrorInfo (the rubric ids it suggests, the facts it names)."""
    names = []
    for detail in status.details:
        bad, info = error_details_pb2.BadRequest(), error_details_pb2.ErrorInfo()
        if detail.Unpack(bad):
            names += [v.field for v in bad.field_violations] + [
                v.field.removeprefix("facts.") for v in bad.field_violations
            ]
        elif detail.Unpack(info):
            names += [part for value in info.metadata.values() for part in value.split(", ")]
    return names


def _english(text: str, typed: Iterable[str] = ()) -> list[str]:
    """The English words of a Chinese message, but for what it echoes as typed: `quoted` text (an option, a
    header), “echoed” names (a rubric id, a path), 'values' as given, and `typed` (see ``_echoed``)."""
    text = re.sub(r"`[^`]*`|“[^”]*”|'[^']*'", "", text)
    for name in sorted(typed, key=len, reverse=True):
        text = text.replace(name, "")
    return ENGLISH_WORD.findall(text)


# The calls that fail, one per kind of error the servicer words.
FAILING = {
    "missing rubric": ("Score", pb.ScoreRequest(facts=CASEWORK_FACTS)),
    "unknown rubric": ("Score", pb.ScoreRequest(rubric="wuping.casewrk", facts=CASEWORK_FACTS)),
    "other version": ("Score", pb.ScoreRequest(rubric="wuping.casework", version="1999", facts=CASEWORK_FACTS)),
    "bad facts": ("Score", pb.ScoreRequest(rubric="wuping.casework", facts={"execution_rate": "abc"})),
    "missing facts": ("Score", pb.ScoreRequest(rubric="wuping.casework", facts={})),
    "get without id": ("GetRubric", pb.GetRubricRequest()),
    "bad page": ("ListRubrics", pb.ListRubricsRequest(page_size=-1)),
    "bad token": ("ListRubrics", pb.ListRubricsRequest(page_token="nope")),
}


@pytest.mark.parametrize("case", list(FAILING))
@pytest.mark.parametrize("accept", ["zh-CN,zh;q=0.9", "en-US"])
def test_every_status_holds_both_languages_and_speaks_the_asked_one(stub: Any, case: str, accept: str):
    rpc, request = FAILING[case]
    status, error = _status(getattr(stub, rpc), request, accept)
    localized = _localized(status)
    assert set(localized) == {"zh-CN", "en-US"}
    assert _chinese(localized["zh-CN"]) and not _chinese(localized["en-US"]), localized
    chosen = "zh-CN" if accept.startswith("zh") else "en-US"
    assert status.message == localized[chosen] == error.details()
    assert ("content-language", chosen) in error.trailing_metadata()
    typed = _echoed(status)
    for detail in status.details:  # each violation worded in the asked-for language too
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            for violation in bad.field_violations:
                assert _chinese(violation.description) == (chosen == "zh-CN"), violation
                assert violation.localized_message.locale == chosen
                if chosen == "zh-CN":
                    assert _english(violation.description, typed) == [], violation
    assert _english(localized["zh-CN"], typed) == []


def test_chinese_messages_use_the_fields_words(stub: Any):
    status, _ = _status(stub.Score, FAILING["unknown rubric"][1], "zh-CN")
    assert status.message.startswith("没有在用的评分规则“wuping.casewrk”；是否要找：wuping.casework、")
    status, _ = _status(stub.Score, FAILING["other version"][1], "zh-CN")
    assert re.fullmatch(r"评分规则“wuping.casework”现行版本为“[^”]+”，不是“1999”", status.message)
    status, _ = _status(stub.Score, FAILING["missing facts"][1], "zh-CN")
    assert status.message.startswith("评分规则“wuping.casework”有") and "项事实有误：" in status.message
    bad = error_details_pb2.BadRequest()
    assert any(d.Unpack(bad) for d in status.details)
    assert {v.description for v in bad.field_violations} == {"缺少必填事实"}


@pytest.mark.parametrize("accept", ZH_ASKS + EN_ASKS)
def test_the_language_is_chosen_from_accept_language(stub: Any, accept: str):
    status, _ = _status(stub.Score, FAILING["unknown rubric"][1], accept)
    assert _chinese(status.message) == (accept in ZH_ASKS), (accept, status.message)


def test_without_accept_language_the_default_is_english_and_says_so_in_the_details(stub: Any):
    status, error = _status(stub.Score, FAILING["missing facts"][1], "")
    assert errors.DEFAULT_LOCALE == "en-US"
    assert status.message.startswith("13 bad fact(s)") or "bad fact(s)" in status.message
    assert ("content-language", "en-US") in error.trailing_metadata()
    assert _chinese(_localized(status)["zh-CN"])


@pytest.mark.parametrize("accept", ["zh-CN", "en-US", ""])
def test_a_stream_records_error_has_both_languages(stub: Any, accept: str):
    requests = [
        pb.ScoreRequest(rubric="wuping.inspection", facts=INSPECTION_FACTS, request_id="good"),
        pb.ScoreRequest(rubric="wuping.inspection", facts={"execution_rate": "200"}, request_id="bad"),
        pb.ScoreRequest(rubric="no.such", facts={}, request_id="unknown"),
    ]
    replies = list(stub.ScoreStream(iter(requests), timeout=10, metadata=_metadata(accept)))
    assert replies[0].total == "85.6"
    for reply in replies[1:]:
        error = reply.error
        locales = [m.locale for m in error.localized_messages]
        chosen = "zh-CN" if accept == "zh-CN" else "en-US"
        assert locales == sorted(["zh-CN", "en-US"], key=lambda lc: lc != chosen)
        assert error.message == error.localized_messages[0].message
        assert _chinese(error.message) == (chosen == "zh-CN")
        for violation in error.field_violations:
            assert _chinese(violation.description) == (chosen == "zh-CN"), violation
    assert replies[1].error.field_violations[0].field == "facts.execution_rate"


def test_a_compared_records_error_is_in_the_asked_language(stub: Any):
    setup = pb.CompareSetup(schemes=[pb.Scheme(name="c", rubrics=[pb.RubricRef(rubric="wuping.casework")])])
    record = pb.CompareRecord(id="r", facts={"execution_rate": "abc"})
    replies = list(
        stub.Compare(iter([pb.CompareRequest(setup=setup, records=[record])]), timeout=30, metadata=_metadata("zh-CN"))
    )
    outcome = replies[0].records[0].outcomes[0]
    assert outcome.HasField("error")
    assert _chinese(outcome.error.message)
    assert [m.locale for m in outcome.error.localized_messages] == ["zh-CN", "en-US"]


def test_a_compare_status_is_in_the_asked_language(stub: Any):
    requests = iter([pb.CompareRequest()])  # no setup
    with pytest.raises(grpc.RpcError) as caught:
        list(stub.Compare(requests, timeout=10, metadata=_metadata("zh-CN")))
    status = rpc_status.from_call(caught.value)
    assert status is not None and status.message == "setup：第一个请求必须带比较设置"
    assert _localized(status)["en-US"] == "setup: the first request must carry the setup"


@pytest.mark.parametrize("accept", ["zh-CN", "en-US"])
def test_the_message_in_chinese_stays_within_the_status_budget(stub: Any, accept: str):
    facts = {f"x{n}_{'长' * 50}": "1" for n in range(400)}
    status, error = _status(stub.Score, pb.ScoreRequest(rubric="wuping.casework", facts=facts), accept)
    assert len(status.message.encode("utf-8")) <= errors.STATUS_MESSAGE_BYTES + 4
    assert all(len(m.encode("utf-8")) <= errors.STATUS_MESSAGE_BYTES + 4 for m in _localized(status).values())
    assert sum(len(v) for _, v in error.trailing_metadata() if isinstance(v, bytes)) < 6000


@pytest.mark.parametrize(
    ("given", "chosen"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en-US,en;q=0.9", "en-US"),
        ("de, en;q=0.2, zh;q=0.5", "zh-CN"),
        ("zh;q=abc, en", "en-US"),
        ("", "en-US"),
        ("x" * 5000 + ",zh", "en-US"),
    ],
)
def test_choose_locale(given: str, chosen: str):
    assert errors.choose_locale((("accept-language", given),)) == chosen


# --- refusals: the guard's, health's, the HTTP front's, the check budget's, shutting down --------------------

TOKEN = "s3cret"
ZH_ASK, EN_ASK = "zh-CN,zh;q=0.9", "en-US"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server with tokens, an HTTP port and tight stream limits: every refusal within reach."""
    folder = tmp_path_factory.mktemp("refusals")
    tokens = folder / "tokens"
    tokens.write_text(TOKEN + "\n", encoding="utf-8")
    tokens.chmod(0o600)
    limits = ("--max-stream-records", "2", "--max-streams", "1", "--max-streams-per-peer", "1")
    server = ServerProcess(
        copy_rubrics(folder / "rubrics"), "--http-port", "0", "--token-file", str(tokens), *limits,
        "--max-call-seconds", "1",
    )  # fmt: skip
    yield server
    assert server.terminate() == 0


def _with(accept: str, token: str | None = TOKEN) -> list[tuple[str, str]]:
    metadata = [("accept-language", accept)]
    return [*metadata, ("authorization", f"Bearer {token}")] if token else metadata


def _record(n: int = 0) -> pb.ScoreRequest:
    return pb.ScoreRequest(rubric="wuping.casework", facts=CASEWORK_FACTS, request_id=str(n))


def _too_many_streams(channel: grpc.Channel, accept: str) -> None:
    stub = pb_grpc.RubricServiceStub(channel)
    held: queue.Queue[pb.ScoreRequest | None] = queue.Queue()
    first = stub.ScoreStream(iter(held.get, None), timeout=WAIT, metadata=_with(accept))
    held.put(_record())
    try:
        assert next(first).total == "94.6"  # the one stream the server keeps open, admitted
        list(stub.ScoreStream(iter([_record()]), timeout=WAIT, metadata=_with(accept)))
    finally:
        held.put(None)
        list(first)


def _call_too_long(channel: grpc.Channel, accept: str) -> None:
    def late() -> Iterator[pb.ScoreRequest]:
        yield _record(1)
        time.sleep(1.3)  # past --max-call-seconds 1, within the second of grace before the call is cancelled
        yield _record(2)

    list(pb_grpc.RubricServiceStub(channel).ScoreStream(late(), timeout=WAIT, metadata=_with(accept)))


def _too_many_watches(channel: grpc.Channel, accept: str) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    request = health_pb2.HealthCheckRequest(service="")
    watches = [stub.Watch(request, timeout=WAIT) for _ in range(MAX_WATCHES)]
    try:
        assert {next(w).status for w in watches} == {health_pb2.HealthCheckResponse.SERVING}
        next(stub.Watch(request, timeout=WAIT, metadata=_with(accept, None)))
    finally:
        for watch in watches:
            watch.cancel()


def _compare_too_large(channel: grpc.Channel, accept: str) -> None:
    schemes = [pb.Scheme(name=n, rubrics=[pb.RubricRef(rubric="wuping.casework")]) for n in ("a", "b")]
    records = [pb.CompareRecord(id=str(n)) for n in range(MAX_COMPARE_EVALUATIONS // 2 + 1)]
    request = pb.CompareRequest(setup=pb.CompareSetup(schemes=schemes), records=records)
    list(pb_grpc.RubricServiceStub(channel).Compare(iter([request]), timeout=WAIT, metadata=_with(accept)))


# reason -> the call that is refused for it, given a channel and the accept-language to send
GRPC_REFUSALS: dict[str, Callable[[grpc.Channel, str], Any]] = {
    "MISSING_TOKEN": lambda ch, a: pb_grpc.RubricServiceStub(ch).ListRubrics(
        pb.ListRubricsRequest(), timeout=WAIT, metadata=_with(a, None)
    ),
    "BAD_TOKEN": lambda ch, a: pb_grpc.RubricServiceStub(ch).Score(_record(), timeout=WAIT, metadata=_with(a, "wrong")),
    "STREAM_TOO_LONG": lambda ch, a: list(
        pb_grpc.RubricServiceStub(ch).ScoreStream(iter([_record(n) for n in range(3)]), timeout=WAIT, metadata=_with(a))
    ),
    "TOO_MANY_STREAMS": _too_many_streams,
    "CALL_TOO_LONG": _call_too_long,
    "TOO_MANY_WATCHES": _too_many_watches,
    "UNKNOWN_SERVICE": lambda ch, a: health_pb2_grpc.HealthStub(ch).Check(
        health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=WAIT, metadata=_with(a, None)
    ),
    "CHECK_BUDGET_EXCEEDED": lambda ch, a: pb_grpc.RubricServiceStub(ch).CheckRubric(
        pb.CheckRubricRequest(source="#" * (MAX_CHECK_SOURCE_BYTES + 1), path="big.rubric"),
        timeout=WAIT,
        metadata=_with(a),
    ),
    "COMPARE_REQUEST_TOO_LARGE": _compare_too_large,
}


def _checked_status(status: Any, chosen: str) -> dict[str, str]:
    """Both languages in the details, the message in `chosen`, the violations' descriptions too, and no
    English word in the Chinese; the LocalizedMessages by locale."""
    localized = _localized(status)
    assert set(localized) == {"zh-CN", "en-US"}, status
    assert _chinese(localized["zh-CN"]) and not _chinese(localized["en-US"]), localized
    assert status.message == localized[chosen]
    typed = _echoed(status)
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            for violation in bad.field_violations:
                assert _chinese(violation.description) == (chosen == "zh-CN"), violation
                if chosen == "zh-CN":
                    assert _english(violation.description, typed) == [], violation
    assert _english(localized["zh-CN"], typed) == [], localized["zh-CN"]
    return localized


@pytest.mark.parametrize("reason", list(GRPC_REFUSALS))
@pytest.mark.parametrize("accept", [ZH_ASK, EN_ASK])
def test_every_grpc_refusal_speaks_the_asked_language(guarded: ServerProcess, reason: str, accept: str):
    with guarded.channel() as channel, pytest.raises(grpc.RpcError) as caught:
        GRPC_REFUSALS[reason](channel, accept)
    code, _, info = rich_error(caught.value)
    assert info is not None and info.reason == reason, (code, caught.value.details())
    chosen = "zh-CN" if accept == ZH_ASK else "en-US"
    status = rpc_status.from_call(caught.value)
    localized = _checked_status(status, chosen)
    assert caught.value.details() == localized[chosen]
    assert ("content-language", chosen) in caught.value.trailing_metadata()


def _batch(records: int) -> bytes:
    return "\n".join(
        json.dumps({"rubric": "wuping.casework", "facts": CASEWORK_FACTS}) for _ in range(records)
    ).encode()


# reason -> (HTTP status, the call: token, method, path, body, extra headers)
HTTP_REFUSALS: dict[str, tuple[int, str | None, str, str, bytes | None, dict[str, str]]] = {
    "MISSING_TOKEN": (401, None, "POST", "/v1/score", b"{}", {}),
    "BAD_TOKEN": (401, "wrong", "GET", "/v1/rubrics", None, {}),
    "STREAM_TOO_LONG": (429, TOKEN, "POST", "/v1/score/batch", _batch(3), {}),
    "MESSAGE_TOO_LARGE": (413, TOKEN, "POST", "/v1/score", b'{"requestId": "' + b"x" * (5 << 20) + b'"}', {}),
    "CROSS_ORIGIN": (403, TOKEN, "POST", "/v1/score", b"{}", {"origin": "http://elsewhere.example"}),
    "READ_ONLY": (403, TOKEN, "POST", "/v1/studio/save", b'{"path": "wuping/casework.rubric", "source": ""}', {}),
    "NO_SUCH_ACTION": (404, TOKEN, "POST", "/v1/studio/nothing", b"{}", {}),
    "RUBRIC_NOT_FOUND": (404, TOKEN, "POST", "/v1/score", b'{"rubric": "wuping.casewrk"}', {}),
    "INVALID_FACTS": (400, TOKEN, "POST", "/v1/score", b'{"rubric": "wuping.casework", "facts": {"x": "1"}}', {}),
    "INVALID_REQUEST": (400, TOKEN, "GET", "/v1/rubrics?pageSize=many", None, {}),
    "UNDECODABLE_REQUEST": (400, TOKEN, "POST", "/v1/score", b"{not json", {}),
}


@pytest.mark.parametrize("reason", list(HTTP_REFUSALS))
@pytest.mark.parametrize("accept", [ZH_ASK, EN_ASK, ""])
def test_every_http_refusal_speaks_the_asked_language(guarded: ServerProcess, reason: str, accept: str):
    expected, token, method, path, body, headers = HTTP_REFUSALS[reason]
    http = Http(http_port(guarded), token, {"accept-language": accept} if accept else {})
    got, raw, answered = http.exchange(method, path, body, headers)
    status = json_format.Parse(raw.decode("utf-8"), status_pb2.Status())
    info = error_details_pb2.ErrorInfo()
    assert got == expected and status.details[0].Unpack(info) and info.reason == reason, raw[:300]
    chosen = "zh-CN" if accept == ZH_ASK else "en-US"  # en-US when it names neither, as over gRPC
    _checked_status(status, chosen)
    assert answered["content-language"] == chosen


def test_a_batch_record_error_over_http_is_in_the_asked_language(guarded: ServerProcess):
    line = json.dumps({"rubric": "wuping.casework", "facts": {"execution_rate": "abc"}}).encode()
    got, raw, _ = Http(http_port(guarded), TOKEN, {"accept-language": ZH_ASK}).exchange("POST", "/v1/score/batch", line)
    error = json.loads(raw)["error"]
    assert got == 200 and _chinese(error["message"]) and error["localizedMessages"][0]["locale"] == "zh-CN"


def test_shutting_down_is_refused_in_the_asked_language_over_grpc_and_http(tmp_path: Path):
    server = ServerProcess(copy_rubrics(tmp_path / "rubrics"), "--http-port", "0", "--refuse-seconds", "10")
    try:
        port = http_port(server)
        mark = server.mark()
        server.proc.send_signal(signal.SIGTERM)
        server.wait_for(lambda e: e.get("event") == "refusing_new_calls", since=mark)
        with server.channel() as channel:
            for accept, chosen in ((ZH_ASK, "zh-CN"), (EN_ASK, "en-US")):
                with pytest.raises(grpc.RpcError) as caught:
                    pb_grpc.RubricServiceStub(channel).Score(_record(), timeout=WAIT, metadata=_with(accept, None))
                assert rich_error(caught.value)[2].reason == "SHUTTING_DOWN"
                _checked_status(rpc_status.from_call(caught.value), chosen)
                got, raw, answered = Http(port, None, {"accept-language": accept}).exchange("GET", "/v1/rubrics")
                assert got == 503 and answered["content-language"] == chosen
                _checked_status(json_format.Parse(raw.decode("utf-8"), status_pb2.Status()), chosen)
        assert server.proc.wait(WAIT) == 0
    finally:
        server.kill()


def test_every_wording_of_the_service_in_chinese_has_no_english_word():
    """The wordings made in errors.py, those a test above cannot reach on a real server too (TOO_MANY_CHECKS,
    a batch past its bytes or time): each reason's Chinese, and each refusal's."""
    from rubric_service.servicer import _BUDGET_ZH

    made = [
        errors.missing_token(), errors.missing_token("header"), errors.bad_token(), errors.shutting_down(),
        errors.stream_too_long(2), errors.stream_too_long(2, 3), errors.call_too_long(1.5),
        errors.call_too_long(1.5, 7), errors.too_many_streams(4), errors.too_many_streams(4, 2),
        errors.message_too_large(100), errors.message_too_large(100, 3), errors.batch_too_large(100),
        errors.too_many_watches(16), errors.unknown_service("x.Y"), errors.deadline_exceeded(),
        errors.internal(RuntimeError("boom")), errors.undecodable("bad bytes"),
    ]  # fmt: skip
    texts = {f"{e.reason} {e.message}": e.text(errors.ZH) for e in made}
    texts |= {f"{e.reason} {v.field}": v.text(errors.ZH) for e in made for v in e.violations}
    texts |= {f"REASONS_ZH {reason}": text for reason, text in errors.REASONS_ZH.items()}
    texts |= {f"budget {what}": text for what, text in _BUDGET_ZH.items()}
    fields = {v.field for e in made for v in e.violations}
    assert {key: _english(text, fields) for key, text in texts.items() if _english(text, fields)} == {}
    assert all(_chinese(text) for text in texts.values())


def _no_english_in_score_error(error: Any) -> None:
    """A ScoreError asked for in zh-CN: its message and violations Chinese, no English word but what they echo."""
    typed = [v.field for v in error.field_violations] + [v.field.removeprefix("facts.") for v in error.field_violations]
    assert _chinese(error.message) and _english(error.message, typed) == [], error
    for violation in error.field_violations:
        assert _chinese(violation.description) and _english(violation.description, typed) == [], violation


def test_every_compare_record_error_is_chinese_when_asked(stub: Any):
    setup = pb.CompareSetup(
        schemes=[
            pb.Scheme(name="casework", rubrics=[pb.RubricRef(rubric="wuping.casework")]),
            pb.Scheme(
                name="two heirs",
                rubrics=[
                    pb.RubricRef(rubric="wuping.casework.kaiping_scale"),
                    pb.RubricRef(rubric="wuping.casework.national_weights"),
                ],
            ),
        ]
    )
    records = [
        pb.CompareRecord(id="bad fact", facts={"execution_rate": "abc"}),  # a rubric's own refusal
        pb.CompareRecord(id="unknown", facts={**CASEWORK_FACTS, "executon_rate": "1"}),  # did you mean
        pb.CompareRecord(id="weight", facts=CASEWORK_FACTS, weight="n/a"),
        pb.CompareRecord(id="nameless", facts=CASEWORK_FACTS),  # fits no rubric of `two heirs`
        pb.CompareRecord(id="heirs", facts=CASEWORK_FACTS, rubric="wuping.casework"),  # several heirs
        pb.CompareRecord(id="mislabelled", facts=CASEWORK_FACTS, rubric="wuping.inspection"),
        pb.CompareRecord(id="x" * 2000, facts=CASEWORK_FACTS),  # an id too long
    ]
    replies = list(
        stub.Compare(iter([pb.CompareRequest(setup=setup, records=records)]), timeout=30, metadata=_metadata(ZH_ASK))
    )
    found = {}
    for result in replies[0].records:
        for error in [result.error] + [o.error for o in result.outcomes]:
            if error.reason:
                _no_english_in_score_error(error)
                found.setdefault(result.id[:20], []).append(error.reason)
    assert found == {
        "bad fact": ["INVALID_FACTS", "NO_RUBRIC_FITS"],
        "unknown": ["INVALID_FACTS"],
        "weight": ["INVALID_REQUEST", "NO_RUBRIC_FITS"],
        "nameless": ["NO_RUBRIC_FITS"],
        "heirs": ["NO_RUBRIC_FITS"],
        "mislabelled": ["NO_RUBRIC_FITS", "NO_RUBRIC_FITS"],
        "x" * 20: ["INVALID_REQUEST"],
    }


@pytest.mark.parametrize(
    "setup",
    [
        pb.CompareSetup(),
        pb.CompareSetup(schemes=[pb.Scheme(name="empty")]),
        pb.CompareSetup(schemes=[pb.Scheme(rubrics=[pb.RubricRef(rubric="wuping.casework")] * 2)]),
        pb.CompareSetup(schemes=[pb.Scheme(pairs=[pb.RubricPair()] * 2)]),
        pb.CompareSetup(schemes=[pb.Scheme(name="长" * 300, rubrics=[pb.RubricRef(rubric="wuping.casework")])]),
    ],
    ids=["no scheme", "no rubric", "named twice", "bad pairs", "long name"],
)
def test_every_compare_setup_problem_is_chinese_when_asked(stub: Any, setup: pb.CompareSetup):
    with pytest.raises(grpc.RpcError) as caught:
        list(stub.Compare(iter([pb.CompareRequest(setup=setup)]), timeout=30, metadata=_metadata(ZH_ASK)))
    status = rpc_status.from_call(caught.value)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    _checked_status(status, "zh-CN")
