"""Generated code: linear in the rubric, each let once, failures where the let is used, an auditable listing."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import rubric_dsl
from tests.conftest import compile_text


def chained_lets(n: int) -> str:
    lets = "\n".join(f"  let v{i} = v{i - 1} + v{i - 1}" for i in range(1, n + 1))
    return f"""
rubric chain.lets "链" {{
  version "1"
  total 100
  input x number "x"
  let v0 = x
{lets}
  indicator a "a" 100 {{ points min(100, v{n}) }}
  grades {{ 优 >= 90  差 otherwise }}
}}
"""


def many_indicators(n: int) -> str:
    rows = "\n".join(f'  indicator i{k} "指标{k}" 1 {{ bands x {{ [50, ∞) 1  otherwise 0 }} }}' for k in range(n))
    return f"""
rubric many.indicators "多" {{
  version "1"
  total {n}
  input x number "x"
{rows}
  grades {{ 优 >= 1  差 otherwise }}
}}
"""


def _sizes(make: object, counts: list[int]) -> list[int]:
    assert callable(make)
    return [len(compile_text(make(n)).generated_source) for n in counts]


@pytest.mark.parametrize("make", [chained_lets, many_indicators], ids=["chained lets", "indicators"])
def test_generated_source_grows_linearly(make: object):
    # Each doubling adds about as much per item as the last one (names grow a digit: allow 25 %);
    # inlining each let into its uses doubled the source with every let (40 lets: terabytes).
    small, medium, large = _sizes(make, [10, 20, 40])
    per_item_first = (medium - small) / 10
    per_item_second = (large - medium) / 20
    assert 0 < per_item_second <= per_item_first * 1.25


def test_each_let_is_computed_once_as_a_local():
    rubric = compile_text(chained_lets(40))
    assert rubric.score({"x": "1"}).total == 100  # 2**40 capped at the weight
    assert rubric.score({"x": "0"}).total == 0
    source = rubric.generated_source
    assert source.count("l40 = ") == 4  # once (its value, or its failure) in each scoring function
    assert "l39 + l39" in source


GUARDED = """
rubric guarded.let "守" {
  version "1"
  total 10
  input done number "完成数"
  input planned number "计划数"
  let rate = done / planned
  indicator a "完成率" 10 {
    when planned == 0 => points 0
    otherwise => proportional rate
  }
  indicator b "复核" 0 { points 0 }
  grades { 优 >= 9  差 otherwise }
}
"""


def test_a_let_that_fails_on_a_branch_not_taken_costs_nothing():
    rubric = compile_text(GUARDED.replace('  indicator b "复核" 0 { points 0 }\n', ""))
    assert rubric.score({"done": "3", "planned": "0"}).total == 0
    assert rubric.score({"done": "3", "planned": "4"}).total == Decimal("7.5")


def test_a_let_that_fails_where_it_is_used_names_that_indicator():
    text = GUARDED.replace("when planned == 0 => points 0", "when planned < 0 => points 0").replace(
        '  indicator b "复核" 0 { points 0 }\n', ""
    )
    rubric = compile_text(text)
    with pytest.raises(rubric_dsl.EvaluationError) as failed:
        rubric.score({"done": "3", "planned": "0"})
    assert failed.value.indicator == "a"
    assert "division by zero" in failed.value.message


def test_listing_shows_each_indicator_and_the_constants():
    rubric = compile_text(many_indicators(3))
    listing = rubric.listing()
    assert listing.startswith(rubric.generated_source)
    for k in range(3):
        assert f"# indicator i{k} (" in listing
    constants = listing.split("# constants:")[1]
    assert "= Decimal('50')" in constants


def _long_bands(n: int) -> str:
    rows = "\n".join(f"      [{i}, {i + 1}) 1" for i in range(n))
    return f"""
rubric long.bands "长区间表" {{
  version "1"
  total 1
  input x number "x"
  indicator a "a" 1 {{
    bands x {{
{rows}
      otherwise 0
    }}
  }}
  grades {{ 优 >= 1  差 otherwise }}
}}
"""


def _long_when(n: int) -> str:
    arms = "\n".join(f"    when x == {i} => points 1" for i in range(n))
    return f"""
rubric long.when "长条件" {{
  version "1"
  total 1
  input x number "x"
  indicator a "a" 1 {{
{arms}
    otherwise => points 0
  }}
  grades {{ 优 >= 1  差 otherwise }}
}}
"""


def _long_grades(n: int) -> str:
    step = Decimal(100) / n
    rows = "\n".join(f"    g{i} >= {100 - (i + 1) * step}" for i in range(n - 1))
    return f"""
rubric long.grades "多等次" {{
  version "1"
  total 100
  input x number "x" range 0 .. 100
  indicator a "a" 100 {{ points x }}
  grades {{
{rows}
    last otherwise
  }}
}}
"""


@pytest.mark.parametrize(
    ("text", "facts", "total", "grade"),
    [
        (_long_bands(3000), {"x": "2999.5"}, 1, "优"),
        (_long_bands(3000), {"x": "3000"}, 0, "差"),
        (_long_when(3000), {"x": "2999"}, 1, "优"),
        (_long_when(3000), {"x": "3000"}, 0, "差"),
        (_long_grades(5000), {"x": "99.99"}, Decimal("99.99"), "g0"),
        (_long_grades(5000), {"x": "0"}, 0, "last"),
    ],
    ids=["3000 bands, last row", "3000 bands, otherwise", "3000 arms, last", "3000 arms, otherwise", "5000 grades, top",
         "5000 grades, last"],
)  # fmt: skip
def test_long_chains_compile_flat_and_score(text: str, facts: dict[str, str], total: Decimal, grade: str):
    # Python's compiler nests each `elif`: about 3,000 rows, arms or grades overflowed its recursion limit,
    # so such a file answered a traceback (CLI), UNKNOWN (CheckRubric) or stopped every reload.
    result = compile_text(text).score(facts)
    assert (result.total, result.grade) == (total, grade)


LEAKS = {
    "checklist zeroed first": "checklist per_item deduct 1 each, zero when serious",
    "band row open at both ends": "bands per_item { (-∞, ∞) 1 }",
}


@pytest.mark.parametrize("rule", LEAKS.values(), ids=LEAKS.keys())
def test_a_failed_let_never_reaches_a_record_unexamined(rule: str):
    # these rules keep their subject in the record without comparing it: a failed let must fail there
    text = f"""
rubric leak.let "漏" {{
  version "1"
  total 1
  input failed count "不符项"
  input checked count "检查项"
  input serious flag "严重"
  let per_item = failed / checked
  indicator i "指标" 1 {{ {rule} }}
  grades {{ 好 otherwise }}
}}
"""
    rubric = compile_text(text)
    with pytest.raises(rubric_dsl.EvaluationError) as failed:
        rubric.score({"failed": "0", "checked": "0", "serious": "true"})
    assert failed.value.indicator == "i" and "division by zero" in failed.value.message
    assert rubric.score({"failed": "1", "checked": "2", "serious": "false"}).total in (Decimal("0.5"), 1)


def test_the_listing_is_the_same_in_every_run():
    script = (
        "import hashlib, rubric_dsl; from tests.test_codegen import chained_lets;"
        "print(hashlib.md5(rubric_dsl.compile_source(chained_lets(12), 'x.rubric').listing().encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            cwd=Path(__file__).resolve().parents[1],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(digests) == 1
