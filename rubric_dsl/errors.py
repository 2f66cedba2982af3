"""The errors the library raises: every one a `RubricDslError`, each saying what is wrong and where,
in English (`str()`) and in Chinese (`text("zh")`) where it is raised.

`RubricError` carries a file's diagnostics; `InvalidFacts` names every bad fact of a request;
`EvaluationError` names the indicator whose arithmetic failed with the facts given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rubric_dsl.diagnostics import Diagnostic, sort_diagnostics


class RubricDslError(Exception):
    """Base of every error the front door raises: `str()` is its English message, `message_zh` the same
    in Chinese (the field's wording), worded where it is raised; `text(lang)` the one a person reads."""

    def __init__(self, message: str = "", message_zh: str = "") -> None:
        super().__init__(message)  # `args` is the English message alone: pickled, `message_zh` goes in __dict__
        self.message_zh = message_zh

    def text(self, lang: str = "en") -> str:
        """The message in `lang` ("zh": Chinese where it has a Chinese wording)."""
        return self.message_zh if lang == "zh" and self.message_zh else str(self)


# what an `EvaluationError` names, in Chinese: an indicator, a bonus or penalty line, a veto or a cap
WHAT_ZH = {"indicator": "指标", "bonus": "加分项", "penalty": "扣分项", "veto": "一票否决项", "cap": "等次限制项"}


class EvaluationError(RubricDslError):
    """Scoring failed inside one indicator (e.g. a division by zero the facts led to)."""

    def __init__(
        self, rubric: str, indicator: str, message: str, what: str = "indicator", message_zh: str = "", label: str = ""
    ) -> None:
        # `what`: "indicator", or "bonus"/"penalty" (an adjustment line), "veto"/"cap" (its condition);
        # `message_zh`: `message` in Chinese; `label`: the indicator's (line's) label, which Chinese names it by
        named = f"“{label}”" if label else f"`{indicator}`"
        whole_zh = f"评分规则 {rubric}：{WHAT_ZH.get(what, what)}{named}：{message_zh}" if message_zh else ""
        super().__init__(f"{rubric}: {what} `{indicator}`: {message}", whole_zh)
        self.rubric = rubric
        self.indicator = indicator
        self.message = message
        self.cause_zh = message_zh


class RubricError(RubricDslError):
    """A rubric has errors; `diagnostics` lists them, `str()` renders them with carets."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: Mapping[str, str] | None = None) -> None:
        self.diagnostics = sort_diagnostics(diagnostics)
        sources = sources or {}
        super().__init__(
            "\n".join(d.render(sources.get(d.span.path)) for d in self.diagnostics),
            "\n".join(d.render(sources.get(d.span.path), "zh") for d in self.diagnostics),
        )


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
