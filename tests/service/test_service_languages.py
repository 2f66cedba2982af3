"""The service's errors in Chinese and English: a `google.rpc.LocalizedMessage` detail in zh-CN and en-US on
every status (a `localized_messages` pair on every ScoreError), the main message in the language of the
request's `accept-language`, en-US when it names neither. The real server, a real client."""

from __future__ import annotations

import re
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from rubric_service import errors
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from service_harness import CASEWORK_FACTS, INSPECTION_FACTS

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
    """Chinese as a person reads it: Han characters, and no English word but the names it echoes."""
    return bool(_HAN.search(text))


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
    for detail in status.details:  # each violation worded in the asked-for language too
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            for violation in bad.field_violations:
                assert _chinese(violation.description) == (chosen == "zh-CN"), violation
                assert violation.localized_message.locale == chosen


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
