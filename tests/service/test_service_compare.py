"""Compare over the wire: the real server, a real client, records streamed in batches.

The oracle for totals, grades, differences and statistics is ``rubric compare``'s library
(``rubric_dsl.compare.compare``) run in this process on the same records written as CSV: the RPC
must agree with it to the last decimal. The oracle for a bad record's errors is ScoreStream on
the same facts: Compare must give the ScoreError that ScoreStream gives.
"""

from __future__ import annotations

import csv
import json
import queue
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from google.rpc import code_pb2
from rubric_service.client import client_main
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import CASEWORK_FACTS, INSPECTION_FACTS, ServerProcess, copy_rubrics, rich_error

from rubric_dsl import compare
from rubric_dsl.diagnostics import fmt

SAMPLE = Path(__file__).resolve().parents[2] / "rubrics" / "samples" / "wuping.csv"
SCHEMES = {  # name → rubric ids; records are routed by their own rubric
    "wuping": ("wuping.inspection", "wuping.casework"),
    "kaiping scale": ("wuping.inspection.kaiping_scale", "wuping.casework.kaiping_scale"),
    "national weights": ("wuping.inspection.national_weights", "wuping.casework.national_weights"),
}
NOT_FACTS = ("project", "funds", "rubric")
CHANGES = {"same": pb.GRADE_CHANGE_SAME, "up": pb.GRADE_CHANGE_UP, "down": pb.GRADE_CHANGE_DOWN}


def _setup(schemes: dict[str, tuple[str, ...]] = SCHEMES, **options: Any) -> pb.CompareSetup:
    return pb.CompareSetup(
        schemes=[
            pb.Scheme(name=name, rubrics=[pb.RubricRef(rubric=r) for r in rubrics]) for name, rubrics in schemes.items()
        ],
        **options,
    )


def _record(row: dict[str, str]) -> pb.CompareRecord:
    facts = {k: v for k, v in row.items() if k not in NOT_FACTS and v}
    return pb.CompareRecord(id=row["project"], rubric=row["rubric"], weight=row["funds"], facts=facts)


def _compare(stub: Any, requests: list[pb.CompareRequest]) -> list[pb.CompareResponse]:
    return list(stub.Compare(iter(requests), timeout=60))


def _batches(setup: pb.CompareSetup, records: list[pb.CompareRecord], size: int) -> list[pb.CompareRequest]:
    requests = [pb.CompareRequest(records=records[i : i + size]) for i in range(0, len(records), size)]
    requests[0].setup.CopyFrom(setup)
    return requests


def _sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8-sig") as file:
        return list(csv.DictReader(file))


def _generated_rows(count: int) -> list[dict[str, str]]:
    """Synthetic records around the sample's three (not real projects); one in ten lacks 公众满意度."""
    rng = random.Random(20221122)
    base = _sample_rows()
    rows = []
    for n in range(count):
        row = dict(base[n % len(base)], project=f"p{n}")
        row["funds"] = str(rng.randint(1, 30000) / 100)
        row["satisfaction"] = "" if n % 10 == 9 else f"{rng.randint(7000, 10000) / 100}"
        row["completion_rate"] = str(rng.randint(40, 110))
        row["execution_rate"] = str(rng.choice([100, 98.5, 91, 80]))
        row["on_time"] = rng.choice(["true", "false"])
        if row["rubric"] == "wuping.inspection":
            row["inspected_units"] = str(rng.randint(5, 25))
            row["rectified_units"] = str(rng.randint(0, int(row["inspected_units"])))
        else:
            row["eight_rules_people"] = str(rng.randint(0, 80))
        rows.append(row)
    return rows


def _library_comparison(rows: list[dict[str, str]], tmp_path: Path) -> compare.Comparison:
    data = tmp_path / "records.csv"
    with data.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    specs = [",".join(ids) for ids in SCHEMES.values()]
    schemes, rubrics = compare.load_schemes(specs, copy_rubrics(tmp_path / "rubrics"), mixed=True)
    table = compare.read_table(data)
    return compare.compare(
        schemes, rubrics, table, id_column="project", weight_column="funds", rubric_column="rubric", workers=1
    )


def _text(value: Any) -> str:
    return "" if value is None else fmt(value)


def test_results_and_summaries_match_rubric_compare(stub: Any, tmp_path: Path):
    rows = _sample_rows() + _generated_rows(240)
    responses = _compare(stub, _batches(_setup(), [_record(r) for r in rows], 50))
    expected = _library_comparison(rows, tmp_path)

    assert len(responses) == 5 + 1  # one per request, then the summaries
    assert [r.index for response in responses for r in response.records] == list(range(len(rows)))
    got = [record for response in responses for record in response.records]
    scored = 0
    for record, oracle in zip(got, expected.records, strict=True):
        assert record.id == oracle.id
        for outcome, want in zip(record.outcomes, oracle.outcomes, strict=True):
            if isinstance(want, compare.Scored):
                scored += 1
                assert (outcome.total, outcome.grade) == (fmt(want.total), want.grade)
                assert outcome.rubric == expected.rubrics.compiled[want.slot].id
            else:
                assert outcome.HasField("error") and outcome.total == ""
        for outcome, difference in zip(record.outcomes[1:], oracle.differences, strict=True):
            assert outcome.HasField("difference") == (difference is not None)
            if difference is not None:
                assert outcome.difference.total == fmt(difference.delta)
                assert outcome.difference.grade_change == CHANGES[difference.change]
                assert [(i.id, i.points) for i in outcome.difference.indicators] == [
                    (i, fmt(d)) for i, d in difference.indicators
                ]
    assert scored > 600  # most of 243 × 3 scored: the comparison is not vacuous
    assert any(i.points for r in got for o in r.outcomes for i in o.difference.indicators)

    summaries = responses[-1].summaries
    assert [s.name for s in summaries] == list(SCHEMES)
    for summary, want in zip(summaries, expected.summaries, strict=True):
        assert (summary.scored, summary.unscored) == (want.scored, want.unscored)
        assert [(g.label, g.count) for g in summary.grades] == list(want.grades)
        assert (summary.mean, summary.median, summary.minimum, summary.maximum) == (
            _text(want.mean),
            _text(want.median),
            _text(want.minimum),
            _text(want.maximum),
        )
        assert (summary.weighted_mean, summary.weight_total, summary.weighted) == (
            _text(want.weighted_mean),
            _text(want.weight_total),
            want.weighted,
        )
        assert [(x.id, x.label, x.weight, x.mean) for x in summary.lost] == [
            (x.id, x.label, fmt(x.weight), fmt(x.mean)) for x in want.lost
        ]


def test_a_bad_weight_follows_one_rule_in_rubric_compare_and_the_rpc(stub: Any, tmp_path: Path):
    """The same records with bad and empty weights: each bad weight is named (the RPC: the record's
    error; `rubric compare`: a warning for its row), every record is scored, bad and empty weights
    are left out of weighted means, and the summaries agree to the last decimal."""
    rows = _sample_rows() + _generated_rows(27)
    for number, weight in {3: "n/a", 4: "", 5: "0.00000000001", 6: "-1", 7: "1e30", 8: " 12.5 "}.items():
        rows[number]["funds"] = weight
    responses = _compare(stub, _batches(_setup(), [_record(r) for r in rows], 10))
    expected = _library_comparison(rows, tmp_path)

    got = [record for response in responses for record in response.records]
    named = {r.index: r.error.field_violations[0].description for r in got if r.HasField("error")}
    warned = [w for w in expected.warnings if ": weight " in w]
    assert sorted(named) == [3, 5, 6, 7]
    assert [w.split(": weight ")[0] for w in warned] == [f"row {n + 2}" for n in sorted(named)]
    assert all(problem in warning for problem, warning in zip(named.values(), warned, strict=True))
    assert all(len(r.outcomes) == len(SCHEMES) for r in got)
    for summary, want in zip(responses[-1].summaries, expected.summaries, strict=True):
        assert (summary.scored, summary.unscored, summary.weighted) == (want.scored, want.unscored, want.weighted)
        assert (summary.weighted_mean, summary.weight_total) == (_text(want.weighted_mean), _text(want.weight_total))
    assert expected.summaries[0].weighted == expected.summaries[0].scored - 5  # four bad weights, one empty


def test_department_view_of_the_seed(stub: Any):
    """武平's three projects, weighted by funds: 2 优 and 1 良 over 298.34万, and 良好 under 开平's scale."""
    records = [_record(r) for r in _sample_rows()]
    first, last = _compare(stub, _batches(_setup(), records, 10))
    assert [(r.rubric, r.scheme) for r in first.rubrics][:2] == [("wuping.inspection", 0), ("wuping.casework", 0)]
    assert all(r.version and r.content_hash.startswith("sha256:") for r in first.rubrics)
    assert [o.grade for o in first.records[0].outcomes[:2]] == ["良", "良好"]
    wuping, kaiping, _ = last.summaries
    assert [(g.label, g.count) for g in wuping.grades] == [("优", 2), ("良", 1), ("中", 0), ("差", 0)]
    assert [(g.label, g.count) for g in kaiping.grades] == [("优秀", 2), ("良好", 1), ("中等", 0), ("差", 0)]
    assert (wuping.weight_total, wuping.weighted_mean) == ("298.34", "85.97")
    assert last.records == [] and list(last.rubrics) == []


def test_bad_records_get_the_errors_score_gives_and_the_call_goes_on(stub: Any):
    missing = {k: v for k, v in CASEWORK_FACTS.items() if k != "satisfaction"} | {"on_time": "maybe"}
    setup = _setup({"casework": ("wuping.casework",), "inspection": ("wuping.inspection",)})
    records = [
        pb.CompareRecord(id="missing", facts=missing),
        pb.CompareRecord(id="typo", facts=CASEWORK_FACTS | {"satisfacton": "98"}),
        pb.CompareRecord(id="good", facts=CASEWORK_FACTS),
        pb.CompareRecord(id="bad weight", facts=CASEWORK_FACTS, weight="lots"),
        pb.CompareRecord(
            id="both maps", facts=CASEWORK_FACTS, typed_facts={"on_time": struct_pb2.Value(bool_value=True)}
        ),
    ]
    first, last = _compare(stub, [pb.CompareRequest(setup=setup, records=records)])
    bad, typo, good, bad_weight, both = first.records

    oracle = next(stub.ScoreStream(iter([pb.ScoreRequest(rubric="wuping.casework", facts=missing)]), timeout=10))
    assert bad.outcomes[0].error == oracle.error  # what Score says of these facts, to the letter
    assert {v.field: v.reason for v in oracle.error.field_violations} == {
        "facts.satisfaction": "missing",
        "facts.on_time": "wrong_type",
    }

    # A fact no compared rubric declares is the record's error, said once, not once per scheme.
    assert not typo.outcomes and typo.error.reason == "INVALID_FACTS"
    assert [(v.field, v.reason) for v in typo.error.field_violations] == [("facts.satisfacton", "unknown")]
    assert "did you mean `satisfaction`?" in typo.error.field_violations[0].description

    assert (good.outcomes[0].total, good.outcomes[0].grade) == ("94.6", "优")
    # Under inspection only its own facts are checked: casework's extra facts are not "unknown" there.
    assert good.outcomes[1].error.code == code_pb2.INVALID_ARGUMENT
    assert {v.field: v.reason for v in good.outcomes[1].error.field_violations} == {
        "facts.planned_units": "missing",
        "facts.inspected_units": "missing",
        "facts.rectified_units": "missing",
    }

    # A bad weight is an error of the record that names it; the record is still scored and shown.
    assert bad_weight.error.reason == "INVALID_REQUEST" and "the record is scored" in bad_weight.error.message
    assert [v.field for v in bad_weight.error.field_violations] == ["weight"]
    assert "'lots' is not a decimal" in bad_weight.error.field_violations[0].description
    assert (bad_weight.outcomes[0].total, bad_weight.outcomes[0].grade) == ("94.6", "优")
    assert not both.outcomes and both.error.reason == "INVALID_FACTS"
    assert [v.field for v in both.error.field_violations] == ["facts.on_time"]

    casework = last.summaries[0]
    assert (casework.scored, casework.unscored, casework.mean) == (2, 3, "94.6")
    assert (casework.weighted_mean, casework.weighted) == ("", 0)  # "good" has no weight, "bad weight" a bad one


@pytest.mark.parametrize(
    ("weight", "problem"),
    [
        ("298.34", None),
        ("1E+2", None),
        ("0", None),
        ("99999999999999999999999999999.99", None),  # every digit kept in the weight total
        ("0.0000000001", None),
        ("0.00000000001", "weight"),  # more than 10 decimal places
        ("1e-999999", "weight"),
        ("1e30", "weight"),
        ("-1", "weight"),
        ("NaN", "weight"),
        ("9" * 100, "weight"),
    ],
)
def test_weights_are_bounded_decimals(stub: Any, weight: str, problem: str | None):
    setup = _setup({"casework": ("wuping.casework",)})
    record = pb.CompareRecord(id="w", facts=CASEWORK_FACTS, weight=weight)
    first, last = _compare(stub, [pb.CompareRequest(setup=setup, records=[record])])
    if problem is None:
        mean = "94.6" if Decimal(weight) else ""  # no weighted mean over a total weight of 0
        assert (last.summaries[0].weight_total, last.summaries[0].weighted_mean) == (fmt(Decimal(weight)), mean)
    else:
        assert [v.field for v in first.records[0].error.field_violations] == [problem]
        assert "at most 10 decimal places" in first.records[0].error.message
        assert first.records[0].outcomes[0].total == "94.6"  # still scored, and left out of weighted means
        assert (last.summaries[0].scored, last.summaries[0].weighted, last.summaries[0].weight_total) == (1, 0, "")


def test_long_ids_and_rubric_names_are_refused(stub: Any):
    setup = _setup({"casework": ("wuping.casework",)})
    records = [
        pb.CompareRecord(id="x" * 1001, facts=CASEWORK_FACTS),
        pb.CompareRecord(id="y", rubric="r" * 201, facts=CASEWORK_FACTS),
        pb.CompareRecord(id="z" * 1000, facts=CASEWORK_FACTS),
    ]
    first, _ = _compare(stub, [pb.CompareRequest(setup=setup, records=records)])
    long_id, long_rubric, longest = first.records
    assert [v.field for v in long_id.error.field_violations] == ["id"] and len(long_id.id) == 1000
    assert [v.field for v in long_rubric.error.field_violations] == ["rubric"]
    assert longest.id == "z" * 1000 and longest.outcomes[0].total == "94.6"


def test_results_too_large_for_one_reply_come_in_several(stub: Any):
    """3,000 records with no facts under three schemes: ~6 MB of errors, more than a 4 MiB message."""
    setup = _setup({name: ("wuping.casework",) for name in ("a", "b", "c")})
    records = [pb.CompareRecord(id=str(n)) for n in range(3000)]
    responses = _compare(stub, [pb.CompareRequest(setup=setup, records=records)])
    *replies, last = responses
    assert len(replies) > 3
    assert all(r.ByteSize() <= (1 << 20) + 4096 for r in replies)
    assert [r.index for reply in replies for r in reply.records] == list(range(3000))
    assert replies[0].rubrics and not any(r.rubrics for r in replies[1:])
    assert all(o.error.reason == "INVALID_FACTS" for reply in replies for r in reply.records for o in r.outcomes)
    assert [(s.scored, s.unscored) for s in last.summaries] == [(0, 3000)] * 3


def test_allow_extra_facts_and_typed_facts(stub: Any):
    typed = {k: json.loads(v) for k, v in INSPECTION_FACTS.items()}  # numbers and bools, as JSON clients send them
    record = json_format.ParseDict(
        {"id": "x", "typed_facts": typed, "facts": {"remark": "不是事实"}}, pb.CompareRecord()
    )
    setup = _setup({"inspection": ("wuping.inspection",)}, allow_extra_facts=True)
    first, _ = _compare(stub, [pb.CompareRequest(setup=setup, records=[record])])
    assert (first.records[0].outcomes[0].total, first.records[0].outcomes[0].grade) == ("85.6", "良")
    strict = _setup({"inspection": ("wuping.inspection",)})
    first, _ = _compare(stub, [pb.CompareRequest(setup=strict, records=[record])])
    assert [v.field for v in first.records[0].error.field_violations] == ["facts.remark"]


def test_records_are_routed_as_rubric_compare_routes_them(stub: Any):
    records = [
        pb.CompareRecord(id="no rubric", facts=CASEWORK_FACTS),
        pb.CompareRecord(id="typo", rubric="wuping.caseworks", facts=CASEWORK_FACTS),
        pb.CompareRecord(id="mislabelled", rubric="wuping.inspection", facts=CASEWORK_FACTS),
        pb.CompareRecord(id="casework", rubric="wuping.casework", facts=CASEWORK_FACTS),
    ]
    setup = _setup({"wuping": SCHEMES["wuping"], "casework": ("wuping.casework",)})
    setup.schemes.add(
        name="paired",
        pairs=[
            pb.RubricPair(from_rubric="wuping.casework", rubric=pb.RubricRef(rubric="wuping.casework.kaiping_scale"))
        ],
    )
    setup.schemes.add(
        name="two heirs",
        rubrics=[
            pb.RubricRef(rubric="wuping.casework.kaiping_scale"),
            pb.RubricRef(rubric="wuping.casework.national_weights"),
        ],
    )
    first, last = _compare(stub, [pb.CompareRequest(setup=setup, records=records)])
    nameless, typo, mislabelled, casework = first.records
    assert nameless.outcomes[0].error.reason == "NO_RUBRIC_FITS" and nameless.outcomes[0].rubric == ""
    assert "names no rubric" in nameless.outcomes[0].error.message
    assert nameless.outcomes[1].total == "94.6"  # a scheme of one rubric scores a record that names none
    assert not nameless.outcomes[1].HasField("difference")  # the baseline did not score it
    assert "did you mean `wuping.casework`" in typo.outcomes[0].error.message
    # A record that names its rubric is never scored by an unrelated one, as with `rubric compare`.
    assert [o.error.reason for o in mislabelled.outcomes[1:]] == ["NO_RUBRIC_FITS"] * 3
    assert "no rubric of `casework` is or extends `wuping.inspection`" in mislabelled.outcomes[1].error.message
    assert (mislabelled.outcomes[0].rubric, mislabelled.outcomes[0].error.reason) == (
        "wuping.inspection",  # the baseline scheme holds it: scored under it, and its facts do not fit
        "INVALID_FACTS",
    )
    assert [(o.rubric, o.grade) for o in casework.outcomes[:3]] == [
        ("wuping.casework", "优"),
        ("wuping.casework", "优"),
        ("wuping.casework.kaiping_scale", "优秀"),
    ]
    assert "pair one with it in the scheme's `pairs`" in casework.outcomes[3].error.message
    assert [(s.scored, s.unscored) for s in last.summaries] == [(1, 3), (2, 2), (1, 3), (0, 4)]
    assert (last.summaries[3].mean, list(last.summaries[3].lost)) == ("", [])
    assert [s.name for s in last.summaries][2] == "paired"
    assert [(r.scheme, r.rubric) for r in first.rubrics if r.scheme == 2] == [(2, "wuping.casework.kaiping_scale")]


def _failure(stub: Any, requests: list[pb.CompareRequest]) -> tuple[Any, dict[str, str], Any]:
    with pytest.raises(grpc.RpcError) as caught:
        _compare(stub, requests)
    return rich_error(caught.value)


def test_a_bad_setup_fails_the_call_naming_every_field(stub: Any):
    setup = pb.CompareSetup(
        schemes=[
            pb.Scheme(name="empty"),
            pb.Scheme(rubrics=[pb.RubricRef(rubric="wuping.casework"), pb.RubricRef(rubric="wuping.casework")]),
            pb.Scheme(rubrics=[pb.RubricRef()]),
        ]
    )
    code, violations, info = _failure(stub, [pb.CompareRequest(setup=setup)])
    assert code == grpc.StatusCode.INVALID_ARGUMENT and info.reason == "INVALID_REQUEST"
    assert set(violations) == {
        "setup.schemes[0].rubrics",
        "setup.schemes[1].rubrics[1].rubric",
        "setup.schemes[2].rubrics[0].rubric",
    }
    too_many = _setup({f"s{n}": ("wuping.casework",) for n in range(17)})
    assert set(_failure(stub, [pb.CompareRequest(setup=too_many)])[1]) == {"setup.schemes"}
    assert set(_failure(stub, [pb.CompareRequest(setup=pb.CompareSetup())])[1]) == {"setup.schemes"}


def test_setup_first_and_only_first(stub: Any):
    record = pb.CompareRecord(facts=CASEWORK_FACTS)
    assert _failure(stub, [pb.CompareRequest(records=[record])])[1] == {
        "setup": "the first request must carry the setup"
    }
    assert set(_failure(stub, [])[1]) == {"setup"}
    setup = _setup({"casework": ("wuping.casework",)})
    twice = [pb.CompareRequest(setup=setup), pb.CompareRequest(setup=setup)]
    assert _failure(stub, twice)[1] == {"setup": "only the first request may carry the setup"}


def test_unknown_rubric_or_version_is_not_found(stub: Any):
    code, _, info = _failure(stub, [pb.CompareRequest(setup=_setup({"x": ("wuping.casework", "no.such.rubric")}))])
    assert (code, info.reason, info.metadata["rubric"]) == (
        grpc.StatusCode.NOT_FOUND,
        "RUBRIC_NOT_FOUND",
        "no.such.rubric",
    )
    pinned = pb.CompareSetup(schemes=[pb.Scheme(rubrics=[pb.RubricRef(rubric="wuping.casework", version="1999")])])
    code, _, info = _failure(stub, [pb.CompareRequest(setup=pinned)])
    assert (code, info.reason, info.metadata["version"]) == (grpc.StatusCode.NOT_FOUND, "VERSION_NOT_FOUND", "1999")


def test_results_stream_before_the_client_is_done(stub: Any, server: ServerProcess):
    """A response comes back for each request as it is sent, not when the client closes."""
    requests: queue.Queue[pb.CompareRequest | None] = queue.Queue()
    mark = server.mark()
    call = stub.Compare(iter(requests.get, None), timeout=30)
    setup = _setup({"streamed": ("wuping.casework",)})
    requests.put(pb.CompareRequest(setup=setup, records=[pb.CompareRecord(id="a", facts=CASEWORK_FACTS)]))
    assert next(call).records[0].id == "a"
    requests.put(pb.CompareRequest(records=[pb.CompareRecord(id="b", facts=CASEWORK_FACTS)] * 3))
    assert [r.index for r in next(call).records] == [1, 2, 3]
    requests.put(None)
    assert next(call).summaries[0].scored == 4
    with pytest.raises(StopIteration):
        next(call)
    # Calls of other tests may end after the mark: this call is the one with 4 records under "streamed".
    ended = server.wait_for(lambda e: e.get("event") == "compare_ended" and e["schemes"] == ["streamed"], since=mark)
    assert (ended["records"], ended["outcome"], "error" in ended) == (4, "ok", False)
    assert ended["rubrics"][0]["rubric"] == "wuping.casework" and ended["rubrics"][0]["content_hash"]


def test_a_reload_during_the_call_does_not_change_its_rubrics(tmp_path: Path):
    live = ServerProcess(copy_rubrics(tmp_path / "rubrics"))
    try:
        with live.channel() as channel:
            stub = pb_grpc.RubricServiceStub(channel)
            requests: queue.Queue[pb.CompareRequest | None] = queue.Queue()
            call = stub.Compare(iter(requests.get, None), timeout=60)
            setup = _setup({"casework": ("wuping.casework",)})
            requests.put(pb.CompareRequest(setup=setup, records=[pb.CompareRecord(facts=CASEWORK_FACTS)]))
            first = next(call)
            path = live.rubrics_dir / "wuping" / "common.rubric"  # grades live in the parent
            mark = live.mark()
            path.write_text(path.read_text(encoding="utf-8").replace("优 >= 90", "优 >= 95"), encoding="utf-8")
            live.wait_for(lambda e: e.get("event") == "reload" and "wuping.casework" in e["changed"], since=mark)
            after = stub.Score(pb.ScoreRequest(rubric="wuping.casework", facts=CASEWORK_FACTS), timeout=10)
            assert (after.total, after.grade) == ("94.6", "良")  # the edit is served to new calls
            requests.put(pb.CompareRequest(records=[pb.CompareRecord(facts=CASEWORK_FACTS)]))
            assert next(call).records[0].outcomes[0].grade == "优"  # this call keeps the rubric it started with
            requests.put(None)
            assert next(call).summaries[0].grades[0] == pb.GradeCount(label="优", count=2)
            assert first.rubrics[0].content_hash != after.content_hash
    finally:
        assert live.terminate() == 0


def test_rubric_call_compare_with_json_lines(server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    facts = {k: json.loads(v) for k, v in CASEWORK_FACTS.items()}  # JSON numbers and bools
    lines = [
        {
            "setup": {"schemes": [{"rubrics": [{"rubric": "wuping.casework"}]}]},
            "records": [{"id": "a", "facts": facts}],
        },
        {"records": [{"id": "b", "facts": facts, "weight": 8.76}]},
    ]
    batch = tmp_path / "compare.jsonl"
    batch.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    assert client_main(["Compare", "--target", server.target, "--json", f"@{batch}"]) == 0
    first, second, last = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["records"][0]["outcomes"][0]["total"] == "94.6"
    assert second["records"][0]["index"] == "1"
    assert last["summaries"][0]["weighted_mean"] == "94.6" and last["summaries"][0]["weight_total"] == "8.76"


def test_requests_and_names_are_bounded(stub: Any):
    setup = _setup({"casework": ("wuping.casework",)})
    too_many = [pb.CompareRecord(id=str(n)) for n in range(10_001)]
    code, violations, _ = _failure(stub, [pb.CompareRequest(setup=setup, records=too_many)])
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "send them in several requests" in violations["records"]
    named = _setup({"n" * 201: ("wuping.casework",)})
    assert set(_failure(stub, [pb.CompareRequest(setup=named)])[1]) == {"setup.schemes[0].name"}
    # 500 unknown facts with 300-character names: the record's error lists 100, names cut to 200 characters.
    flood = pb.CompareRecord(id="flood", facts=CASEWORK_FACTS | {f"{n:03}" + "x" * 297: "1" for n in range(500)})
    first, _ = _compare(stub, [pb.CompareRequest(setup=setup, records=[flood])])
    error = first.records[0].error
    assert error.reason == "INVALID_FACTS" and len(error.field_violations) == 100
    assert all(len(v.field) == len("facts.") + 201 and v.reason == "unknown" for v in error.field_violations)
    assert error.message.startswith("500 fact(s) that no compared rubric declares: ") and "first 100" in error.message
    assert first.ByteSize() < flood.ByteSize()
    # 500 typed facts that cannot be facts: 100 listed, and how many there were.
    unreadable = {f"u{n}": struct_pb2.Value(null_value=struct_pb2.NULL_VALUE) for n in range(500)}
    first, _ = _compare(stub, [pb.CompareRequest(setup=setup, records=[pb.CompareRecord(typed_facts=unreadable)])])
    violations = {v.field: v.description for v in first.records[0].error.field_violations}
    assert len(violations) == 101 and violations["typed_facts"] == "500 facts cannot be read; the first 100 are listed"


def test_a_result_that_cannot_fit_a_reply_is_trimmed():
    """The backstop behind the bounds: no input within them makes such a result, so this drives the
    reply splitter directly with a small limit."""
    from rubric_service.servicer import _replies, _too_large

    small = pb.RecordComparison(id="a", index=0)
    violation = pb.FieldViolation(field="facts.x", description="d" * 2000, reason="missing")
    error = pb.ScoreError(
        code=code_pb2.INVALID_ARGUMENT, reason="INVALID_FACTS", message="m", field_violations=[violation]
    )
    big = pb.RecordComparison(
        id="b" * 5000, index=1, outcomes=[pb.SchemeOutcome(total="94.6", grade="优"), pb.SchemeOutcome(error=error)]
    )
    replies = list(_replies([small, big, small], "records", 1000, (), _too_large))
    got = [r for reply in replies for r in reply.records]
    assert [r.index for r in got] == [0, 1, 0]
    scored, failed = got[1].outcomes
    assert (scored.total, scored.grade, len(got[1].id)) == ("94.6", "优", 200)  # still what the summaries counted
    assert failed.error.reason == "INVALID_FACTS" and not failed.error.field_violations
    assert "violations are left out" in failed.error.message
    assert all(reply.ByteSize() <= 1000 for reply in replies)


def test_the_sample_comparison_file(server: ServerProcess, capsys: pytest.CaptureFixture[str]):
    """rubrics/samples/wuping.compare.jsonl, as the samples README runs it: the seed's department view."""
    sample = SAMPLE.with_name("wuping.compare.jsonl")
    assert client_main(["Compare", "--target", server.target, "--json", f"@{sample}"]) == 0
    *replies, last = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    grades = [o["grade"] for reply in replies for r in reply["records"] for o in r["outcomes"]]
    assert grades == ["良", "良好", "中", "优", "优秀", "良", "优", "优秀", "良"]
    wuping = last["summaries"][0]
    assert [(g["label"], g.get("count", "0")) for g in wuping["grades"]] == [
        ("优", "2"),
        ("良", "1"),
        ("中", "0"),
        ("差", "0"),
    ]
    assert (wuping["weighted_mean"], wuping["weight_total"]) == ("85.97", "298.34")


def test_a_setup_with_many_problems_still_fails_as_invalid_argument(stub: Any):
    """The status travels in trailers, which clients refuse past 8 KiB: the violations are listed while
    they fit, then counted."""
    setup = pb.CompareSetup(schemes=[pb.Scheme(rubrics=[pb.RubricRef()] * 64)] * 16)
    code, violations, info = _failure(stub, [pb.CompareRequest(setup=setup)])
    assert (code, info.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST")
    assert 10 < len(violations) < 16 * 64
    assert violations[""].startswith("and ") and violations[""].endswith("more problem(s), not listed")
    pinned = pb.CompareSetup(schemes=[pb.Scheme(rubrics=[pb.RubricRef(rubric="wuping.casework", version="v" * 5000)])])
    assert set(_failure(stub, [pb.CompareRequest(setup=pinned)])[1]) == {"setup.schemes[0].rubrics[0].version"}


def test_score_with_hundreds_of_unknown_facts_still_fails_as_invalid_argument(stub: Any):
    facts = CASEWORK_FACTS | {f"unknown_fact_{n}": "1" for n in range(300)}
    with pytest.raises(grpc.RpcError) as caught:
        stub.Score(pb.ScoreRequest(rubric="wuping.casework", facts=facts), timeout=10)
    code, violations, info = rich_error(caught.value)
    assert (code, info.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FACTS")
    listed = [field for field in violations if field.startswith("facts.unknown_fact_")]  # a map: in no set order
    assert 10 < len(listed) < 300 and violations[""] == f"and {300 - len(listed)} more problem(s), not listed"
