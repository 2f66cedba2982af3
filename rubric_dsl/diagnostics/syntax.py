"""Messages of the parser: text that is not the language, and limits on the size of a file."""

from __future__ import annotations

from rubric_dsl.diagnostics import (
    Diagnostic,
    codes,
    error,
)
from rubric_dsl.source import Span


def unexpected_token(found: str, expected: str, expected_zh: str, span: Span) -> Diagnostic:
    return error(codes.SYNTAX_ERROR, f"unexpected {found}{expected}", f"此处不应出现 {found}{expected_zh}", span)


def unexpected_character(char: str, expected: str, expected_zh: str, span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        f"unexpected character `{char}`{expected}",
        f"此处不应出现字符 `{char}`{expected_zh}",
        span,
    )


def full_width_character(char: str, ascii_char: str, span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        f"full-width `{char}` is not allowed here; type the ASCII `{ascii_char}` instead",
        f"此处不能用全角字符 `{char}`，请改用半角 `{ascii_char}`",
        span,
    )


def semicolon(span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        "`;` is not used in rubric files; put each row or statement on its own line",
        "评分规则文件不使用 `;`，请把每一行规则或语句各写一行",
        span,
    )


def file_ends_early(expected: str, expected_zh: str, span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        f"the file ends too early{expected}; is a closing `}}` missing?",
        f"文件提前结束{expected_zh}；是否缺少右括号 `}}`？",
        span,
    )


def empty_file(span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        'the file is empty; a rubric file starts with `rubric <id> "<title>" {`',
        '文件是空的；评分规则文件以 `rubric <编号> "<名称>" {` 开头',
        span,
    )


def missing_weight(span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        'the weight (分值) is missing before `{`; write it after the label, e.g. `section decision "决策" 21 {`',
        '`{` 前缺少分值；请写在名称之后，例如 `section decision "决策" 21 {`',
        span,
    )


def band_not_interval(text: str, span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        f"a band row starts with an interval, not `{text}`: write e.g. `[90%, 95%) 4` for 90% (included) "
        "up to 95% (not included), then the points",
        f"区间行应以区间开头，而不是 `{text}`：例如 `[90%, 95%) 4` 表示 90%（含）至 95%（不含）得 4 分",
        span,
    )


def source_too_large(size: int, limit: int, span: Span) -> Diagnostic:
    return error(
        codes.LIMIT_EXCEEDED,
        f"the file has {size:,} bytes, more than the {limit:,} a rubric may have; split it with `extends`",
        f"文件有 {size:,} 字节，超过评分规则文件的上限 {limit:,}；请用 `extends` 拆分",
        span,
    )


def number_too_long(text: str, limit: int, span: Span) -> Diagnostic:
    shown = text if len(text) <= 20 else text[:17] + "…"
    return error(
        codes.LIMIT_EXCEEDED,
        f"the number {shown} has more than {limit} digits; no rubric needs such a number",
        f"数字 {shown} 超过 {limit} 位；评分规则不需要这样的数字",
        span,
    )


def nesting_too_deep(limit: int, span: Span) -> Diagnostic:
    return error(
        codes.LIMIT_EXCEEDED,
        f"the rubric nests deeper than {limit} levels here; use `let` values to break long or nested expressions up",
        f"此处嵌套超过 {limit} 层；请用派生值（let）拆分过长或嵌套过深的表达式",
        span,
    )


def too_many(what: str, count: int, limit: int, span: Span) -> Diagnostic:
    zh = {"indicators": "指标", "inputs": "输入"}[what]
    return error(
        codes.LIMIT_EXCEEDED,
        f"the rubric has {count} {what}, more than the {limit} allowed",
        f"评分规则有 {count} 个{zh}，超过上限 {limit}",
        span,
    )


def file_unreadable(reason: str, span: Span) -> Diagnostic:
    return error(
        codes.FILE_UNREADABLE,
        f"the file cannot be read ({reason}); the other files are read as usual",
        f"无法读取该文件（{reason}）；其他文件照常读取",
        span,
    )


def file_encoding(encoding: str, span: Span) -> Diagnostic:
    return Diagnostic(
        codes.FILE_ENCODING,
        "warning",
        f"the file is saved as {encoding}, not UTF-8; it was read as {encoding}. "
        "Save it as UTF-8 (in WPS or Notepad: 另存为, 编码 UTF-8) so that every tool reads it the same way",
        span,
        f"该文件的编码是 {encoding}，不是 UTF-8，已按 {encoding} 读取。"
        "请另存为 UTF-8 编码（WPS 或记事本：另存为，编码选 UTF-8），以便各种工具读法一致",
    )


def file_undecodable(span: Span) -> Diagnostic:
    return error(
        codes.FILE_ENCODING,
        "the file is not text in UTF-8, GB18030/GBK or UTF-16 (or it holds NUL characters); "
        "open it in an editor and save it as UTF-8 text",
        "该文件不是 UTF-8、GB18030/GBK 或 UTF-16 编码的文本（或含有空字符）；请用编辑器打开，另存为 UTF-8 文本",
        span,
    )


def full_width_space(span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        "a full-width space (U+3000, typed by a Chinese input method) is not allowed here; type an ordinary space",
        "此处不能用全角空格（中文输入法输入的空格，U+3000），请改用半角空格",
        span,
    )


def full_width_out_of_place(char: str, expected: str, expected_zh: str, span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        f"unexpected full-width `{char}`: neither it nor its ASCII twin belongs here{expected}",
        f"此处不应出现全角字符 `{char}`（半角也不行）{expected_zh}",
        span,
    )


def band_dash(span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        "a band's two ends are separated by a comma, not a dash: write `[90%, 95%)` for 90% (included) "
        "up to 95% (not included)",
        "区间的两端用逗号分隔，不用横线：写成 `[90%, 95%)`，表示 90%（含）至 95%（不含）",
        span,
    )


def checklist_needs_each(span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        "a checklist says what each failed item costs and ends with `each`: "
        "write e.g. `checklist failed_items deduct 1 each`",
        "清单扣分规则要写明每个不符项扣几分，并以 `each` 结尾，例如 `checklist failed_items deduct 1 each`",
        span,
    )


def number_with_unit(number: str, unit: str, span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        f"write the number without its unit: `{number}`, not `{number}{unit}` "
        f'(an input states its unit once: `unit "{unit}"`)',
        f'数字后面不写单位：写 `{number}`，不写 `{number}{unit}`（单位在输入项中声明一次：`unit "{unit}"`）',
        span,
    )


def missing_close_brace(found: str, line: int, span: Span) -> Diagnostic:
    return error(
        codes.SYNTAX_ERROR,
        f"unexpected {found}: a `}}` is missing before it; the `{{` on line {line} is never closed",
        f"此处不应出现 {found}：前面缺少一个 `}}`，第 {line} 行的 `{{` 没有闭合",
        span,
    )
