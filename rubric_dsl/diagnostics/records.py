"""Messages of the checker about optional inputs, `given(NAME)`, record lists and their aggregates."""

from __future__ import annotations

from collections.abc import Iterable

from rubric_dsl.diagnostics import KIND_EN, KIND_ZH, Diagnostic, codes, did_you_mean, did_you_mean_zh, error
from rubric_dsl.source import Span


def optional_with_default(name: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_INPUT,
        f"input `{name}` is `optional` and has a default: a default means it is never absent; keep one of them",
        f"输入 `{name}` 既声明为 `optional`（可不填）又有默认值：有默认值就不会缺失，请只保留其一",
        span,
    )


def records_option(name: str, option: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_INPUT,
        f"the records `{name}` cannot have a {option}; give it to a field instead",
        f"记录列表 `{name}` 不能设定{'取值范围' if option == 'range' else '默认值' if option == 'default' else '单位'}；"
        "请写在字段上",
        span,
    )


def field_not_plain(records: str, field: str, why: str, span: Span) -> Diagnostic:
    en, zh = {
        "records": ("a field cannot itself be a list of records", "字段本身不能是记录列表"),
        "optional": (
            "a field cannot be `optional`; give it a default where records may leave it out",
            "字段不能声明为 `optional`；记录可不填的字段请给出默认值",
        ),
    }[why]
    return error(codes.INVALID_INPUT, f"field `{records}.{field}`: {en}", f"字段 `{records}.{field}`：{zh}", span)


def field_shadows(records: str, field: str, span: Span) -> Diagnostic:
    return error(
        codes.DUPLICATE_NAME,
        f"field `{records}.{field}` has the name of an input or let value; inside `where` it would hide it: "
        "rename the field",
        f"字段 `{records}.{field}` 与某个输入或派生值同名，在 `where` 中会遮蔽后者：请给字段改名",
        span,
    )


def duplicate_field(records: str, field: str, span: Span) -> Diagnostic:
    return error(
        codes.DUPLICATE_NAME,
        f"the records `{records}` already have a field `{field}`",
        f"记录列表 `{records}` 已有字段 `{field}`",
        span,
    )


def given_not_optional(name: str, has_default: bool, span: Span) -> Diagnostic:
    why = (
        ("has a default, so it is never absent", "有默认值，不会缺失")
        if has_default
        else (
            "is required, so it is always given",
            "是必填事实，总是给出",
        )
    )
    return error(
        codes.GIVEN_NOT_OPTIONAL,
        f"`given({name})` is always true: input `{name}` {why[0]}; declare it `optional` "
        f"(e.g. `input {name} … optional`) to test whether the request gives it",
        f"`given({name})` 恒为真：输入 `{name}` {why[1]}；如要判断请求是否给出它，请声明为 `optional`",
        span,
    )


def not_records(func: str, name: str, kind: str | None, span: Span) -> Diagnostic:
    shown = KIND_EN.get(kind or "", "not an input")
    shown_zh = KIND_ZH.get(kind or "", "不是输入")
    return error(
        codes.INVALID_AGGREGATE,
        f"`{func}` reads a list of records, but `{name}` is {shown}; declare it as "
        f'`input {name} records "…" {{ field kind "label" … }}`',
        f"`{func}` 只能汇总记录列表，而 `{name}` 是{shown_zh}；请声明为 "
        f'`input {name} records "…" {{ 字段 类型 "名称" … }}`',
        span,
    )


def records_outside_aggregate(name: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_AGGREGATE,
        f"`{name}` is a list of records: read it through `count({name})`, `sum({name}, field)` or "
        f"`mean({name}, field)`",
        f"`{name}` 是记录列表：请通过 `count({name})`、`sum({name}, 字段)` 或 `mean({name}, 字段)` 读取",
        span,
    )


def unknown_field(records: str, field: str, fields: Iterable[str], span: Span) -> Diagnostic:
    names = list(fields)
    listed = ", ".join(f"`{f}`" for f in names)
    return error(
        codes.UNKNOWN_FIELD,
        f"the records `{records}` have no field `{field}` (fields: {listed}){did_you_mean(field, names)}",
        f"记录列表 `{records}` 没有字段 `{field}`（字段：{listed}）{did_you_mean_zh(field, names)}",
        span,
    )


def aggregate_not_numeric(func: str, records: str, field: str, kind: str, role: str, span: Span) -> Diagnostic:
    what, what_zh = ("weighted by", "加权依据") if role == "weight" else ("over", "汇总对象")
    return error(
        codes.INVALID_AGGREGATE,
        f"`{func}` {what} `{records}.{field}`, which is {KIND_EN[kind]}: it needs a number, a percent, "
        f"a count or money"
        + (f"; to count records where a flag holds write `count({records} where {field})`" if kind == "flag" else ""),
        f"`{func}` 的{what_zh} `{records}.{field}` 是{KIND_ZH[kind]}，应为数值、百分比、计数或金额"
        + (f"；如要统计该项为“是”的记录数，请写 `count({records} where {field})`" if kind == "flag" else ""),
        span,
    )


def nested_aggregate(span: Span) -> Diagnostic:
    return error(
        codes.INVALID_AGGREGATE,
        "a `where` clause cannot contain another aggregate; compute it as a `let` first",
        "`where` 条件中不能再嵌套汇总；请先用 `let` 算出",
        span,
    )


def weight_may_be_negative(records: str, field: str, span: Span) -> Diagnostic:
    return error(
        codes.INVALID_AGGREGATE,
        f"`{records}.{field}` weighs a mean, so it may not be negative: declare its range, e.g. `range 0 ..`",
        f"`{records}.{field}` 用作加权平均的权重，不能为负数：请声明其取值范围，如 `range 0 ..`",
        span,
    )
