"""Properties (hypothesis): the band checker agrees with brute force, and scores stay in bounds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rubric_dsl
from rubric_dsl.program import InputInfo
from tests.conftest import assert_adds_up, one_indicator

Row = tuple[int, bool, int, bool]  # low, low closed, high, high closed (percent points)

rows_strategy = st.lists(
    st.tuples(st.integers(0, 20), st.booleans(), st.integers(0, 20), st.booleans()).map(
        lambda r: (min(r[0], r[2]) * 5, r[1], max(r[0], r[2]) * 5, r[3])
    ),
    min_size=1,
    max_size=5,
)


def contains(row: Row, x: Decimal) -> bool:
    low, low_closed, high, high_closed = row
    above = x > low or (low_closed and x == low)
    below = x < high or (high_closed and x == high)
    return above and below


def bands_text(rows: list[Row]) -> str:
    body = "  ".join(f"{'[' if lc else '('}{lo}%, {hi}%{']' if hc else ')'} 1" for lo, lc, hi, hc in rows)
    return f"bands rate {{ {body} }}"


@settings(max_examples=300, deadline=None)
@given(rows_strategy)
def test_band_checker_agrees_with_brute_force(rows: list[Row]) -> None:
    text = one_indicator(bands_text(rows), 'input rate percent "率" range 0% .. 100%', "1")
    codes = {d.code for d in rubric_dsl.check_source(text, "p.rubric")}
    samples = [Decimal(n) / 2 for n in range(0, 201)]
    counts = [sum(contains(r, x) for r in rows) for x in samples]
    empty = any(lo == hi and not (lc and hc) for lo, lc, hi, hc in rows)
    if empty:
        assert "rubric_band_empty" in codes
        return
    assert ("rubric_band_gap" in codes) == any(c == 0 for c in counts)
    assert ("rubric_band_overlap" in codes) == any(c > 1 for c in counts)
    if not codes:
        rubric = rubric_dsl.compile_source(text, "p.rubric")
        for x in samples[::7]:
            assert rubric.score({"rate": str(x)}).total == 1


def fact_strategy(item: InputInfo) -> st.SearchStrategy[Any]:
    if item.kind == "flag":
        return st.sampled_from([True, False, "true", "false"])
    if item.kind == "choice":
        return st.sampled_from(item.choices)
    scale = Decimal(100) if item.kind == "percent" else Decimal(1)
    low = item.minimum * scale if item.minimum is not None else Decimal(-1000)
    high = item.maximum * scale if item.maximum is not None else Decimal(1000)
    if item.kind == "count":
        return st.integers(max(int(low), 0), min(int(high), 500)).map(str)
    return st.decimals(low, high, places=2, allow_nan=False, allow_infinity=False).map(str)


@st.composite
def wuping_facts(draw: st.DrawFn, rubric: rubric_dsl.CompiledRubric) -> dict[str, Any]:
    facts = {i.name: draw(fact_strategy(i)) for i in rubric.inputs if i.required or draw(st.booleans())}
    if "rectified_units" in facts:
        facts["rectified_units"] = str(min(int(facts["rectified_units"]), int(facts["inspected_units"])))
    if "planned_units" in facts:
        facts["planned_units"] = str(max(1, int(facts["planned_units"])))
    return facts


BUNDLED = rubric_dsl.load_dir("rubrics")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_scores_stay_in_bounds_and_add_up(data: st.DataObject) -> None:
    for rubric in BUNDLED.values():
        try:
            result = rubric.score(data.draw(wuping_facts(rubric)))
        except rubric_dsl.InvalidFacts as refused:
            # Facts drawn one by one can break a rubric's constraints (a judged score outside its
            # tier, spending that falls); the Wuping rubrics' generator keeps theirs.
            assert not rubric.id.startswith("wuping."), refused
            not_required = {i.name for i in rubric.inputs if not i.required}
            for problem in refused.problems:  # a fact the generator left out, that the path taken reads, is missing
                assert problem.reason in {"constraint", "out_of_range"} or (
                    problem.reason == "missing" and problem.fact in not_required
                ), refused
            continue
        assert_adds_up(rubric, result)


SPELLINGS = st.one_of(
    st.sampled_from(["0", "1", "15", "95", "98.02", "98.02%", " 7 ", "-3", "100", "101", "1e2", "NaN", "inf", "x", ""]),
    st.sampled_from(["true", "false", "TRUE", True, False, 0, 1, 25, 62, Decimal("0.5"), 2.5, None]),
    st.decimals(-200, 200, places=3, allow_nan=False, allow_infinity=False).map(str),
)


def _outcome(rubric: rubric_dsl.CompiledRubric, facts: dict[str, Any], allow_extra: bool) -> Any:
    try:
        result = rubric.score(facts, allow_extra_facts=allow_extra)
    except rubric_dsl.InvalidFacts as error:
        return ("refused", [(p.fact, p.reason, p.message) for p in error.problems])
    except rubric_dsl.EvaluationError as error:
        return ("failed", str(error))
    return ("scored", result.to_dict())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_fact_reader_agrees_with_the_validator(data: st.DataObject) -> None:
    """`score` reads the usual spellings in generated code and leaves the rest to the validator;
    `allow_extra_facts=True` always takes the validator. Without unknown facts, both must agree."""
    rubric = data.draw(st.sampled_from(sorted(BUNDLED.values(), key=lambda r: r.id)))
    base = data.draw(wuping_facts(rubric))
    names = [i.name for i in rubric.inputs]
    changed = data.draw(st.dictionaries(st.sampled_from(names), SPELLINGS, max_size=4))
    dropped = data.draw(st.sets(st.sampled_from(names), max_size=2))
    facts = {k: v for k, v in {**base, **changed}.items() if k not in dropped and v is not None}
    assert _outcome(rubric, facts, False) == _outcome(rubric, facts, True)
