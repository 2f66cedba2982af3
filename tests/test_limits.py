"""Limits: a rubric file or a request that is too big or too deep is refused with a clear error."""

from __future__ import annotations

from decimal import Decimal

import pytest

import rubric_dsl
from rubric_dsl import InvalidFacts, limits
from rubric_dsl.diagnostics import HINT_NAME_LENGTH, HINTED_NAMES, closest
from tests.conftest import RUBRICS, compile_text, one_indicator


def codes(text: str) -> set[str]:
    return {d.code for d in rubric_dsl.check_source(text, "big.rubric")}


def test_source_size() -> None:
    text = one_indicator("points 1", "", "1") + "#" * limits.MAX_SOURCE_BYTES
    (problem,) = rubric_dsl.check_source(text, "big.rubric")
    assert problem.code == "rubric_limit_exceeded" and "split it with `extends`" in problem.message


@pytest.mark.parametrize(
    "expr",
    ["(" * 500 + "1" + ")" * 500, "not " * 500 + "true", "- " * 500 + "1", " + ".join(["1"] * 500)],
    ids=["parentheses", "not-chain", "minus-chain", "long-sum"],
)
def test_expression_depth(expr: str) -> None:
    problems = rubric_dsl.check_source(one_indicator(f"points {expr}", "", "1"), "deep.rubric")
    assert [p.code for p in problems] == ["rubric_limit_exceeded"]
    assert "use `let` values" in problems[0].message and problems[0].span.line > 1


def test_reasonable_depth_is_fine() -> None:
    rubric = compile_text(one_indicator("points " + " + ".join(["0.01"] * 60), "", "1"))
    assert rubric.score({}).total == Decimal("0.6")


def test_section_nesting_depth() -> None:
    depth = limits.MAX_TREE_DEPTH
    body = "".join(f'section s{i} "s" 1 {{ ' for i in range(depth)) + 'indicator i "i" 1 { points 1 }' + " }" * depth
    text = f'rubric a.b "t" {{ version "1" total 1 {body} grades {{ 好 otherwise }} }}'
    assert codes(text) == {"rubric_limit_exceeded"}


def test_number_of_indicators() -> None:
    count = limits.MAX_INDICATORS + 1
    body = " ".join(f'indicator i{n} "i" 1 {{ points 1 }}' for n in range(count))
    text = f'rubric a.b "t" {{ version "1" total {count} {body} grades {{ 好 otherwise }} }}'
    assert "rubric_limit_exceeded" in codes(text)


@pytest.fixture(scope="module")
def rubric() -> rubric_dsl.CompiledRubric:
    return compile_text(one_indicator("linear x from 0 to 10", 'input x number "x"', "10"))


@pytest.mark.parametrize(
    ("value", "reason"),
    [("1" * (limits.MAX_FACT_TEXT + 1), "wrong_type"), ("1e31", "out_of_range"), ("-9" * 40, "wrong_type")],
    ids=["long-text", "magnitude", "long-negative"],
)
def test_fact_limits(rubric: rubric_dsl.CompiledRubric, value: str, reason: str) -> None:
    with pytest.raises(rubric_dsl.InvalidFacts) as refused:
        rubric.score({"x": value})
    assert [(p.fact, p.reason) for p in refused.value.problems] == [("x", reason)]


def test_number_of_facts(rubric: rubric_dsl.CompiledRubric) -> None:
    facts = {f"extra{n}": "1" for n in range(limits.MAX_FACTS)} | {"x": "1"}
    with pytest.raises(rubric_dsl.InvalidFacts) as refused:
        rubric.score(facts, allow_extra_facts=True)
    assert [(p.fact, p.reason) for p in refused.value.problems] == [("facts", "too_many")]
    assert rubric.score({"x": "1"}).total == 1


def test_a_long_bad_value_is_echoed_cut() -> None:
    rubric = rubric_dsl.load_dir(RUBRICS)["leting.casework_funds"]
    tier = next(i.name for i in rubric.inputs if i.kind == "choice")
    with pytest.raises(InvalidFacts) as caught:
        rubric.score({tier: "达成" * 75_000}, allow_extra_facts=True)
    problem = next(p for p in caught.value.problems if p.fact == tier)
    assert len(problem.message) < 200 and "…" in problem.message


def test_did_you_mean_is_bounded_per_file() -> None:
    # A did-you-mean compares names pairwise: 100 unknown names over 100 declared ones took a minute.
    inputs = "\n".join(f'  input declared_{k} number "值{k}"' for k in range(100))
    uses = " + ".join(f"declared_{k}x" for k in range(100))
    text = f"""
rubric many.unknown "多" {{
  version "1"
  total 1
{inputs}
  indicator i "指标" 1 {{ points min(1, {uses}) }}
  grades {{ 好 otherwise }}
}}
"""
    unknown = [d for d in rubric_dsl.check_source(text, "many.rubric") if d.code == "rubric_unknown_name"]
    assert len(unknown) == 100
    hinted = [d for d in unknown if "did you mean" in d.message]
    assert [d.message.split("`")[1] for d in hinted] == [f"declared_{k}x" for k in range(HINTED_NAMES)]


def test_did_you_mean_skips_names_no_one_could_mistype() -> None:
    assert closest("execution_rat", ["execution_rate"]) == "execution_rate"
    assert closest("x" * (HINT_NAME_LENGTH + 1), ["x" * HINT_NAME_LENGTH]) is None
    assert closest("rate", ["r" + "a" * 40 + "te"]) is None  # lengths too far apart to compare


def test_unknown_facts_get_a_bounded_number_of_suggestions(bundled: dict[str, rubric_dsl.CompiledRubric]) -> None:
    rubric = bundled["wuping.casework"]
    facts = {f"satisfactio{k}": "1" for k in range(500)}
    with pytest.raises(InvalidFacts) as refused:
        rubric.score(facts)
    unknown = [p for p in refused.value.problems if p.reason == "unknown"]
    assert len(unknown) == 500
    assert sum("did you mean `satisfaction`" in p.message for p in unknown) == HINTED_NAMES
