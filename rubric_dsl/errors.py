"""The errors the library raises: every one a `RubricDslError`, each saying what is wrong and where.

`RubricError` carries a file's diagnostics; `InvalidFacts` names every bad fact of a request;
`EvaluationError` names the indicator whose arithmetic failed with the facts given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rubric_dsl.diagnostics import Diagnostic, sort_diagnostics


class RubricDslError(Exception):
    """Base of every error the front door raises."""


class EvaluationError(RubricDslError):
    """Scoring failed inside one indicator (e.g. a division by zero the facts led to)."""

    def __init__(self, rubric: str, indicator: str, message: str, what: str = "indicator") -> None:
        # `what`: "indicator", or "bonus"/"penalty" (an adjustment line), "veto"/"cap" (its condition)
        super().__init__(f"{rubric}: {what} `{indicator}`: {message}")
        self.rubric = rubric
        self.indicator = indicator
        self.message = message


class RubricError(RubricDslError):
    """A rubric has errors; `diagnostics` lists them, `str()` renders them with carets."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: Mapping[str, str] | None = None) -> None:
        self.diagnostics = sort_diagnostics(diagnostics)
        sources = sources or {}
        super().__init__("\n".join(d.render(sources.get(d.span.path)) for d in self.diagnostics))


@dataclass(frozen=True, slots=True)
class FactProblem:
    fact: str
    reason: str  # missing, unknown, wrong_type, out_of_range, not_finite, constraint
    message: str
    message_zh: str = ""  # the same in Chinese (`rubric score --lang zh`)

    def text(self, lang: str = "en") -> str:
        return self.message_zh if lang == "zh" and self.message_zh else self.message


class InvalidFacts(RubricDslError):
    def __init__(self, rubric: str, problems: Sequence[FactProblem]) -> None:
        self.rubric = rubric
        self.problems = list(problems)
        lines = "\n".join(f"  {p.fact}: {p.message}" for p in self.problems)
        super().__init__(f"invalid facts for rubric `{rubric}`:\n{lines}")

    def text(self, lang: str = "en") -> str:
        """`str(self)`, or in Chinese: each problem's Chinese message."""
        if lang != "zh":
            return str(self)
        lines = "\n".join(f"  {p.fact}：{p.text(lang)}" for p in self.problems)
        return f"评价表 `{self.rubric}` 的事实有误：\n{lines}"
