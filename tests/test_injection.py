"""No code from rubric text: names, labels and strings never become Python source.

The compiler generates Python, but every name, label and string of a rubric reaches it as a
closure constant; hostile text either compiles harmlessly (and comes back verbatim in results)
or is refused with a diagnostic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import rubric_dsl
from tests.conftest import compile_text

HOSTILE_LABELS = [
    "'); __import__('os').system('touch PWNED') #",
    '\\"); __import__(\\"os\\").system(\\"touch PWNED\\") #',
    "line one\\nline two",
    "back\\\\slash \\\\n",
    "{0.__class__.__mro__} {rubric} %s %(x)s",
    "${jndi:ldap://x} <script>alert(1)</script>",
    "аdmin — Cyrillic а, fullwidth ｅｖａｌ, zero\u200bwidth",
]


@pytest.mark.parametrize("label", HOSTILE_LABELS, ids=range(len(HOSTILE_LABELS)))
def test_hostile_labels_compile_harmlessly(label: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = f"""
rubric evil.labels "{label}" {{
  version "{label}"
  total 5
  input x number "{label}" unit "{label}"
  input level choice("{label}", "B") "{label}"
  constraint x >= 0 "{label}"
  indicator i "{label}" 5 {{
    when level == "{label}" => points 5
    otherwise => linear x from 0 to 10
  }}
  grades {{ "{label}" >= 4  "差" otherwise }}
}}
"""
    rubric = compile_text(text)
    result = rubric.score({"x": "3", "level": rubric.inputs[1].choices[0]})
    shown = rubric.inputs[0].label
    assert result.indicators[0].label == shown and result.grade == shown
    assert "__import__" not in rubric.generated_source and "PWNED" not in rubric.generated_source
    assert shown not in rubric.generated_source
    assert not (tmp_path / "PWNED").exists()
    with pytest.raises(rubric_dsl.InvalidFacts) as refused:
        rubric.score({"x": "-1", "level": "B"})
    assert refused.value.problems[0].message == shown


@pytest.mark.parametrize(
    "name",
    ["__import__", "__builtins__", "exec", "eval", "a0", "k0", "v", "facts", "_Failed", "get", "x", "t0", "p0", "s0"],
)
def test_names_that_collide_with_python_or_generated_names_are_harmless(name: str) -> None:
    def rubric_named(value: str) -> rubric_dsl.CompiledRubric:
        return compile_text(f"""
rubric evil.names "名字" {{
  version "1"
  total 10
  input {value} number "值" range 0 .. 10
  let {value}_twice = {value} * 2
  indicator {value}_ind "指标" 10 {{ points min({value}_twice, 10) }}
  grades {{ 好 >= 5  差 otherwise }}
}}
""")

    def code(source: str) -> list[str]:
        return [line for line in source.splitlines() if not line.lstrip().startswith("#")]

    rubric = rubric_named(name)
    assert rubric.score({name: "4"}).total == 8
    # the generated Python does not depend on the names at all; only the audit comments name them
    assert code(rubric.generated_source) == code(rubric_named("plain").generated_source)
    assert f"# indicator {name}_ind (" in rubric.generated_source


@pytest.mark.parametrize(
    "source",
    [
        'rubric a.b "x" { version "1" total 1 indicator i "i" 1 { points __import__("os") } grades { 好 otherwise } }',
        'rubric a.b "x" { version "1" total 1 indicator i "i" 1 { points open("f").read() } grades { 好 otherwise } }',
        'rubric a.b "x" { version "1" total 1 indicator i "i" 1 { points x.__class__ } grades { 好 otherwise } }',
        'rubric a.b "x" { version "1" total 1 indicator i "i" 1 { points 1 if 1 else 0 } grades { 好 otherwise } }',
        'rubric a.b "x" { version "1" total 1 indicator i "i" 1 { points [1][0] } grades { 好 otherwise } }',
        'rubric a.b "x" { version "1" total 1 indicator i "i" 1 { points lambda: 1 } grades { 好 otherwise } }',
    ],
    ids=["call", "open", "attribute", "python-if", "subscript", "lambda"],
)
def test_python_in_rules_is_a_diagnostic(source: str) -> None:
    problems = rubric_dsl.check_source(source, "evil.rubric")
    assert problems and all(p.severity == "error" for p in problems)
    assert {p.code for p in problems} <= {"rubric_syntax_error", "rubric_unknown_name"}
