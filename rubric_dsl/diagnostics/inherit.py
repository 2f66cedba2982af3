"""Messages of merging `extends` and of assembling a set of rubric files."""

from __future__ import annotations

from collections.abc import Iterable

from rubric_dsl.diagnostics import (
    Diagnostic,
    codes,
    did_you_mean,
    did_you_mean_zh,
    error,
)
from rubric_dsl.source import Span


def duplicate_rubric(rubric_id: str, first: Span, span: Span) -> Diagnostic:
    return error(
        codes.DUPLICATE_NAME,
        f"rubric `{rubric_id}` is already defined in {first.path}; every rubric needs its own id",
        f"评分规则编号 `{rubric_id}` 已在 {first.path} 中使用；每个评分规则的编号必须不同",
        span,
    )


def inherited_grades(first: Span, span: Span) -> Diagnostic:
    return error(
        codes.DUPLICATE_NAME,
        f"the parent rubric already has grades ({first}); write `override grades {{ … }}` to replace them",
        f"上级评分规则已有等次（{first}）；如要替换，请写 `override grades {{ … }}`",
        span,
    )


def unknown_parent(name: str, span: Span, candidates: Iterable[str]) -> Diagnostic:
    names = list(candidates)
    return error(
        codes.UNKNOWN_PARENT,
        f"rubric `{name}` to extend was not found beside this file or in the rubrics directory searched"
        f"{did_you_mean(name, names)}",
        f"在本文件所在目录和所查找的评分规则目录中找不到要继承的评分规则 `{name}`{did_you_mean_zh(name, names)}",
        span,
    )


def parent_has_errors(name: str, span: Span) -> Diagnostic:
    return error(
        codes.PARENT_HAS_ERRORS,
        f"rubric `{name}` that this one extends has errors; fix them first (run `rubric check` on it)",
        f"所继承的评分规则 `{name}` 有错误；请先修正它（对它运行 `rubric check`）",
        span,
    )


def extends_cycle(chain: list[str], span: Span) -> Diagnostic:
    text = " → ".join(chain)
    return error(
        codes.EXTENDS_CYCLE,
        f"rubrics extend each other in a cycle: {text}; one of them must not extend the other",
        f"评分规则互相继承，形成循环：{text}；请去掉其中一处 extends",
        span,
    )


def parent_in_cycle(name: str, chain: list[str], span: Span) -> Diagnostic:
    text = " → ".join(chain)
    return error(
        codes.EXTENDS_CYCLE,
        f"rubric `{name}` that this one extends is in a cycle ({text}); fix that first",
        f"所继承的评分规则 `{name}` 处在继承循环中（{text}）；请先修正",
        span,
    )


def override_missing(kind: str, name: str, span: Span, candidates: Iterable[str]) -> Diagnostic:
    names = list(candidates)
    return error(
        codes.OVERRIDE_MISSING,
        f"`override {kind} {name}` replaces nothing: the parent has no {kind} `{name}`{did_you_mean(name, names)}",
        f"`override {kind} {name}` 没有可替换的对象：上级评分规则中没有 {kind} `{name}`{did_you_mean_zh(name, names)}",
        span,
    )


def override_without_parent(span: Span) -> Diagnostic:
    return error(
        codes.OVERRIDE_MISSING,
        "`override` needs a parent rubric: add `extends <id>` after the title, or remove `override`",
        "`override` 需要上级评分规则：在名称后加 `extends <编号>`，或删去 `override`",
        span,
    )


def abstract_not_overridden(section: str, span: Span) -> Diagnostic:
    return error(
        codes.ABSTRACT_NOT_OVERRIDDEN,
        f"section `{section}` is abstract in the parent rubric; "
        f"write `override section {section} ... {{ ... }}` with its indicators",
        f"上级评分规则中的 `{section}` 是待定（abstract）部分；请写 `override section {section} ... {{ ... }}` 并给出指标",
        span,
    )


def abstract_not_scorable(rubric_id: str, span: Span) -> Diagnostic:
    return error(
        codes.ABSTRACT_NOT_OVERRIDDEN,
        f"rubric `{rubric_id}` is abstract; score a rubric that extends it",
        f"评分规则 `{rubric_id}` 是待定（abstract）框架，不能直接打分；请对继承它的评分规则打分",
        span,
    )
