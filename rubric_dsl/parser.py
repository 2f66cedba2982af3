"""Parse rubric text into a syntax tree.

Takes the text of one rubric file; returns `(Rubric | None, diagnostics)`. The Lark parser is
built once per process (LALR, contextual lexer, positions kept), from its tables kept on disk
(`cache`, keyed by the grammar's hash) when a previous process built them. `parse_kept` keeps what a
text parsed to (in memory, and on disk when asked), by the hash of its path and text. A syntax error becomes one
diagnostic in words a person understands (`expected a number after the weight`), with
file:line:col; the tree is then None and later stages do not run.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any, cast

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from rubric_dsl import ast, cache, limits
from rubric_dsl.diagnostics import Diagnostic, codes
from rubric_dsl.diagnostics import syntax as diag
from rubric_dsl.source import SourceFile, Span

# What each terminal is called in an error message, in English and Chinese.
TERMINAL_WORDS = {
    "LBRACE": ("`{`", "`{`"),
    "RBRACE": ("`}`", "`}`"),
    "LPAR": ("`(`", "`(`"),
    "RPAR": ("`)`", "`)`"),
    "LSQB": ("`[`", "`[`"),
    "RSQB": ("`]`", "`]`"),
    "COMMA": ("`,`", "`,`"),
    "DOT": ("`.`", "`.`"),
    "DOTDOT": ("`..`", "`..`"),
    "EQUALS": ("`=`", "`=`"),
    "ARROW": ("`->`", "`->`"),
    "FAT_ARROW": ("`=>`", "`=>`"),
    "CMP_OP": ("a comparison such as `>=`", "比较符号（如 `>=`）"),
    "PLUS": ("`+`", "`+`"),
    "MINUS": ("`-`", "`-`"),
    "STAR": ("`*`", "`*`"),
    "SLASH": ("`/`", "`/`"),
    "PERCENT": ("a percentage such as `95%`", "百分比（如 `95%`）"),
    "NUMBER": ("a number", "数字"),
    "INT_NUMBER": ("a number", "数字"),
    "STRING": ('a quoted label such as "预算执行率"', '带引号的名称（如 "预算执行率"）'),
    "NAME": ("a name", "名称"),
    "INF": ("`inf`", "`inf`"),
    "INFINITY": ("`∞`", "`∞`"),
    "$END": ("the end of the file", "文件结尾"),
}
# What a token found in the wrong place is called.
FOUND_WORDS = {
    "NAME": ("name", "名称"),
    "STRING": ("label", "名称"),
    "NUMBER": ("number", "数字"),
    "INT_NUMBER": ("number", "数字"),
    "PERCENT": ("percentage", "百分比"),
}
FULL_WIDTH = {
    "，": ",",
    "：": ":",
    "；": ";",
    "（": "(",
    "）": ")",
    "｛": "{",
    "｝": "}",
    "％": "%",
    "＝": "=",
    "“": '"',
    "”": '"',
    "【": "[",
    "】": "]",
    "－": "-",
    "＞": ">",
    "＜": "<",
    "［": "[",
    "］": "]",
    "\u3000": " ",  # the full-width space
}
# A number written with its unit, as a sheet writes it (`80分`): the language writes the number alone.
UNIT_AFTER_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(万元|分|元|人|次|个|项|天|户|家|件|年)")
# Tokens that start an item of the rubric itself: met inside a block, a `}` is missing before them.
RUBRIC_ITEMS = {
    "GRADES",
    "BONUS",
    "PENALTY",
    "VETO",
    "CAP",
    "FINAL",
    "INPUT",
    "LET",
    "CONSTRAINT",
    "ROUND",
    "VERSION",
    "TOTAL",
    "SOURCE",
    "REGION",
    "YEAR",
}
# Listed first when a syntax error names what could come next: the usual fixes.
LIKELY = ("RBRACE", "NUMBER", "INT_NUMBER", "STRING", "NAME", "PERCENT", "LBRACE")
MOST_EXPECTED = 8


def describe_terminal(name: str, lang: int = 0) -> str:
    if name in TERMINAL_WORDS:
        return TERMINAL_WORDS[name][lang]
    return f"`{name.removesuffix('_KIND').lower()}`"


@functools.cache
def lark_parser() -> Lark:
    grammar = resources.files("rubric_dsl.grammar").joinpath("rubric.lark").read_text(encoding="utf-8")
    kept = cache.entry_path("grammar", cache.digest(cache.version_tag(), grammar))
    if kept is not None:
        with contextlib.suppress(OSError):
            kept.parent.mkdir(mode=0o700, exist_ok=True)
    # Lark checks the grammar's hash written in the file, and builds (and writes) the tables when it differs,
    # when the file is missing or broken, or only builds them when it cannot be written
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        strict=True,
        maybe_placeholders=False,
        cache=str(kept) if kept is not None else False,
    )


_trees: cache.Memo[str, tuple[ast.Rubric | None, list[Diagnostic]]] = cache.Memo(1024)


def parse_kept(source: SourceFile, *, on_disk: bool = False) -> tuple[ast.Rubric | None, list[Diagnostic]]:
    """`parse(source)`, kept by the hash of its path and text: in memory, and on disk with `on_disk` (files
    read from a rubrics directory; not texts being edited, which would fill the disk with drafts)."""
    key = cache.digest(cache.version_tag(), "tree", source.path, source.text)
    found = _trees.get(key)
    if found is not None:
        return found[0], list(found[1])
    if on_disk:
        loaded = cache.load_pickled("trees", key)
        if isinstance(loaded, tuple) and len(loaded) == 2:
            found = loaded
    if found is None:
        found = parse(source)
        if on_disk:
            cache.store_pickled("trees", key, found)
    _trees.put(key, found)
    return found[0], list(found[1])


def parse(source: SourceFile) -> tuple[ast.Rubric | None, list[Diagnostic]]:
    size = len(source.text.encode("utf-8"))
    if size > limits.MAX_SOURCE_BYTES:
        return None, [diag.source_too_large(size, limits.MAX_SOURCE_BYTES, source.span_at(0))]
    text, full_width = _ascii_punctuation(source)
    try:
        tree = lark_parser().parse(text)
    except UnexpectedInput as error:
        problem = _syntax_diagnostic(SourceFile(source.path, text), error)
        at = (problem.span.line, problem.span.column)
        replaced = [d for d in full_width if (d.span.line, d.span.column) == at]
        if replaced and problem.code == codes.SYNTAX_ERROR and "expected" in problem.message:
            # the ASCII twin of a full-width character does not belong there either: one diagnostic, not two
            char = source.line_text(problem.span.line)[problem.span.column - 1]
            problem = diag.full_width_out_of_place(char, *_expected(_allowed(error)), problem.span)
            full_width = [d for d in full_width if d not in replaced]
        return None, [*full_width, problem]
    deepest = _too_deep(tree)
    if deepest is not None:
        return None, [*full_width, diag.nesting_too_deep(limits.MAX_TREE_DEPTH, _meta_span(source.path, deepest))]
    builder = _ToAst(source.path)
    rubric = cast(ast.Rubric, builder.transform(tree))
    if builder.too_long:  # a lexical limit: every such number is named, and nothing is checked
        return None, [*full_width, *builder.too_long]
    return rubric, [*full_width, *_too_many(rubric)]


def _too_deep(tree: Tree[Token]) -> Tree[Token] | None:
    """The first subtree deeper than the limit, found without recursion (later stages recurse)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limits.MAX_TREE_DEPTH:
            return node
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return None


def _meta_span(path: str, node: Tree[Token]) -> Span:
    meta = node.meta
    if getattr(meta, "empty", True):
        return Span(path, 1, 1, 1, 2)
    return Span(path, meta.line, meta.column, meta.line, meta.column + 1)


def _too_many(rubric: ast.Rubric) -> list[Diagnostic]:
    indicators, stack = 0, list(rubric.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Section):
            stack.extend(node.children)
        else:
            indicators += 1
    found = []
    if indicators > limits.MAX_INDICATORS:
        found.append(diag.too_many("indicators", indicators, limits.MAX_INDICATORS, rubric.span))
    if len(rubric.inputs) > limits.MAX_INPUTS:
        found.append(diag.too_many("inputs", len(rubric.inputs), limits.MAX_INPUTS, rubric.span))
    return found


def _ascii_punctuation(source: SourceFile) -> tuple[str, list[Diagnostic]]:
    """Full-width punctuation outside labels and comments, reported and read as its ASCII twin.

    A Chinese input method slips `，` or `：` in easily; reading on lets the checker report the
    file's other problems in the same run. Each replacement has the same length, so positions hold.
    """
    chars = list(source.text)
    found: list[Diagnostic] = []
    for offset, char in _code_chars(source.text):
        if char in FULL_WIDTH and char not in "“”":
            span = source.span_at(offset)
            problem = (
                diag.full_width_space(span)
                if char == "\u3000"
                else diag.full_width_character(char, FULL_WIDTH[char], span)
            )
            found.append(problem)
            chars[offset] = FULL_WIDTH[char]
    return "".join(chars), found


# --- syntax errors --------------------------------------------------------------------------


def _syntax_diagnostic(source: SourceFile, error: UnexpectedInput) -> Diagnostic:
    if not source.text.strip():
        return diag.empty_file(source.span_at(0))
    if isinstance(error, UnexpectedCharacters):
        offset = error.pos_in_stream or 0
        char = source.text[offset]
        span = source.span_at(offset)
        if char in FULL_WIDTH:
            return diag.full_width_character(char, FULL_WIDTH[char], span)
        if char == ";":
            return diag.semicolon(span)
        return diag.unexpected_character(char, *_expected(error.allowed), span)
    if isinstance(error, UnexpectedEOF):  # pragma: no cover - LALR reports the end as a `$END` token
        return diag.file_ends_early(*_expected(set(error.expected)), source.span_at(max(len(source.text) - 1, 0)))
    assert isinstance(error, UnexpectedToken)
    token = error.token
    if token.type == "$END" and error.expected <= {"ABSTRACT", "RUBRIC"}:
        return diag.empty_file(source.span_at(0))
    if token.type == "$END":
        return diag.file_ends_early(*_expected(error.expected), source.span_at(max(len(source.text.rstrip()) - 1, 0)))
    span = _token_span(source.path, token)
    if token.type == "LBRACE" and error.expected <= {"NUMBER", "INT_NUMBER"}:
        return diag.missing_weight(span)
    if token.type in ("NUMBER", "INT_NUMBER", "PERCENT") and {"LSQB", "LPAR"} <= set(error.expected):
        return diag.band_not_interval(str(token), span)
    return _slip(source, error, span) or diag.unexpected_token(_token_words(token), *_expected(error.expected), span)


def _allowed(error: UnexpectedInput) -> set[str]:
    if isinstance(error, UnexpectedCharacters):
        return set(error.allowed or ())
    return set(getattr(error, "expected", ()) or ())


def _slip(source: SourceFile, error: UnexpectedToken, span: Span) -> Diagnostic | None:
    """A message for the slips people make, saying what to type; None for any other syntax error."""
    token, expected = error.token, set(error.expected)
    offset = token.start_pos or 0
    line_start = source.text.rfind("\n", 0, offset) + 1
    before = source.text[line_start:offset]
    if token.type == "MINUS" and re.search(r"[\[(]\s*-?[\d.]+%?\s*$", before):
        return diag.band_dash(span)
    if "EACH" in expected:  # shown where `each` goes: after the rule, not at whatever follows it
        return diag.checklist_needs_each(source.span_at(_end_of_code(source.text, offset)))
    previous_line = source.text.rfind("\n", 0, max(line_start - 1, 0)) + 1
    units = [
        m
        for m in UNIT_AFTER_NUMBER.finditer(source.text, previous_line, token.end_pos or offset)
        if _in_code(source.text, m.start())
    ]
    if units:
        unit = units[-1]
        return diag.number_with_unit(unit[1], unit[2], source.span_at(unit.start(2), len(unit[2])))
    if "RBRACE" in expected and token.type in RUBRIC_ITEMS | {"SECTION", "INDICATOR"}:
        opened = _unclosed_brace(source.text, offset)
        if opened is not None and token.type in RUBRIC_ITEMS:
            return diag.missing_close_brace(_token_words(token), source.span_at(opened).line, span)
    return None


def _end_of_code(text: str, offset: int) -> int:
    """Where the code before `offset` ends: after its last character that is neither blank nor comment."""
    end = offset
    while end > 0:
        start = text.rfind("\n", 0, end - 1) + 1
        line = text[start:end]
        hash_at = next((i for i, c in enumerate(line) if c == "#" and line[:i].count('"') % 2 == 0), len(line))
        code = line[:hash_at].rstrip()
        if code:
            return start + len(code)
        end = start
    return 0


def _in_code(text: str, offset: int) -> bool:
    """Whether `offset` lies outside labels and comments (judged on its own line)."""
    start = text.rfind("\n", 0, offset) + 1
    head = text[start:offset]
    return "#" not in head and head.count('"') % 2 == 0


def _unclosed_brace(text: str, offset: int) -> int | None:
    """The offset of the innermost `{` still open at `offset` (outside labels and comments), but the
    rubric's own."""
    stack: list[int] = []
    for at, char in _code_chars(text, offset):
        if char == "{":
            stack.append(at)
        elif char == "}" and stack:
            stack.pop()
    return stack[-1] if len(stack) > 1 else None


def _code_chars(text: str, end: int | None = None) -> Iterator[tuple[int, str]]:
    """Each character before `end` that is code: outside labels (`"…"`, with `\\` escapes) and comments."""
    in_string = in_comment = escaped = False
    for offset, char in enumerate(text[:end]):
        if char == "\n":
            in_string = in_comment = escaped = False
            yield offset, char
        elif in_comment:
            continue
        elif in_string:
            in_string = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"':
            in_string = True
        elif char == "#":
            in_comment = True
        else:
            yield offset, char


def _token_words(token: Token) -> str:
    if token.type in FOUND_WORDS:
        return f"{FOUND_WORDS[token.type][0]} `{token}`"
    return f"`{token}`"


def _expected(names: set[str] | frozenset[str] | None) -> tuple[str, str]:
    if not names:
        return "", ""
    ordered = sorted(names, key=lambda n: (LIKELY.index(n) if n in LIKELY else len(LIKELY), n))
    texts = []
    for lang in (0, 1):
        words = list(dict.fromkeys(describe_terminal(n, lang) for n in ordered))
        more = len(words) > MOST_EXPECTED
        words = words[:MOST_EXPECTED] + (["…"] if more else [])
        texts.append(words)
    en, zh = texts
    english = "; expected " + (en[0] if len(en) == 1 else "one of " + ", ".join(en))
    chinese = "；此处应为" + "、".join(zh)
    return english, chinese


def _token_span(path: str, token: Token) -> Span:
    line, column = token.line or 1, token.column or 1
    end_line = token.end_line or line
    end_column = token.end_column or column + len(token)
    return Span(path, line, column, end_line, end_column)


# --- tree to syntax tree ----------------------------------------------------------------------


def _tokens(children: list[Any], *types: str) -> list[Token]:
    return [c for c in children if isinstance(c, Token) and c.type in types]


def _nodes(children: list[Any]) -> list[Any]:
    return [c for c in children if not isinstance(c, Token)]


def _unquote(token: Token) -> str:
    body = str(token)[1:-1]
    return body.replace('\\"', '"').replace("\\\\", "\\").replace("\\n", "\n")


_CMP = {"≥": ">=", "≤": "<=", "≠": "!="}


@dataclass(frozen=True, slots=True)
class _Applicable:
    """`applicable when COND`, until its indicator or section takes it."""

    expr: ast.Expr


@v_args(meta=True)
class _ToAst(Transformer[Token, Any]):
    """Builds the syntax tree; it judges nothing but the length of numbers (all semantic errors are the
    checker's, so that every problem of a file is reported in one run)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.too_long: list[Diagnostic] = []

    def _span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.path, 1, 1, 1, 2)
        return Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tspan(self, token: Token) -> Span:
        return _token_span(self.path, token)

    def _decimal(self, token: Token) -> Decimal:
        """A number token's value (a percent's in percent points); too many digits is a diagnostic."""
        text = str(token).rstrip("%")
        if sum(c.isdigit() for c in text) > limits.MAX_NUMBER_DIGITS:
            self.too_long.append(diag.number_too_long(text, limits.MAX_NUMBER_DIGITS, self._tspan(token)))
            return Decimal(0)
        return Decimal(text)

    # --- file and header

    def start(self, meta: Any, children: list[Any]) -> ast.Rubric:
        return cast(ast.Rubric, children[0])

    def rubric(self, meta: Any, children: list[Any]) -> ast.Rubric:
        items = _nodes(children)
        rubric_id = items[0]
        extends = items[1] if len(items) > 1 and isinstance(items[1], ast.Name) else None
        body = items[2:] if extends is not None else items[1:]
        title = _unquote(_tokens(children, "STRING")[0])
        grades = [i for i in body if isinstance(i, ast.Grades)]
        final_range = [i for i in body if isinstance(i, ast.FinalRange)]
        return ast.Rubric(
            id=rubric_id.id,
            title=title,
            abstract=bool(_tokens(children, "ABSTRACT")),
            extends=extends,
            header=tuple(i for i in body if isinstance(i, ast.HeaderField)),
            rounding=tuple(i for i in body if isinstance(i, ast.Rounding)),
            inputs=tuple(i for i in body if isinstance(i, ast.Input)),
            constraints=tuple(i for i in body if isinstance(i, ast.Constraint)),
            lets=tuple(i for i in body if isinstance(i, ast.Let)),
            body=tuple(i for i in body if isinstance(i, ast.Section | ast.Indicator)),
            grades=grades[-1] if grades else None,
            span=self._span(meta),
            adjustments=tuple(i for i in body if isinstance(i, ast.Adjustment)),
            vetoes=tuple(i for i in body if isinstance(i, ast.Veto)),
            final_range=final_range[-1] if final_range else None,
            not_applicable=next((i for i in reversed(body) if isinstance(i, ast.NotApplicable)), None),
        )

    def rubric_id(self, meta: Any, children: list[Any]) -> ast.Name:
        return ast.Name(".".join(str(t) for t in _tokens(children, "NAME")), self._span(meta))

    def extends_clause(self, meta: Any, children: list[Any]) -> ast.Name:
        return cast(ast.Name, _nodes(children)[0])

    def _field(self, key: str, meta: Any, children: list[Any]) -> ast.HeaderField:
        token = children[1]
        value = _unquote(token) if token.type == "STRING" else str(token)
        return ast.HeaderField(cast(Any, key), value, self._span(meta))

    def version_field(self, meta: Any, children: list[Any]) -> ast.HeaderField:
        return self._field("version", meta, children)

    def source_field(self, meta: Any, children: list[Any]) -> ast.HeaderField:
        return self._field("source", meta, children)

    def region_field(self, meta: Any, children: list[Any]) -> ast.HeaderField:
        return self._field("region", meta, children)

    def year_field(self, meta: Any, children: list[Any]) -> ast.HeaderField:
        return self._field("year", meta, children)

    def total_field(self, meta: Any, children: list[Any]) -> ast.HeaderField:
        return self._field("total", meta, children)

    def rounding(self, meta: Any, children: list[Any]) -> ast.Rounding:
        scope = "indicator" if children[1].type == "INDICATOR" else "total"
        mode = cast(Any, str(children[3]))
        return ast.Rounding(cast(Any, scope), self._decimal(children[2]), mode, self._span(meta))

    def round_mode(self, meta: Any, children: list[Any]) -> Token:
        return cast(Token, children[0])

    # --- inputs

    def input_decl(self, meta: Any, children: list[Any]) -> ast.Input:
        name = _tokens(children, "NAME")[0]
        kind, choices = next(n for n in _nodes(children) if isinstance(n, tuple))
        label = _unquote(_tokens(children, "STRING")[0])
        options: dict[str, Any] = {"minimum": None, "maximum": None, "default": None, "unit": None}
        for option in _nodes(children):
            if isinstance(option, dict):
                options.update(option)
        return ast.Input(
            name=str(name),
            kind=kind,
            label=label,
            choices=choices,
            override=bool(_tokens(children, "OVERRIDE")),
            span=self._span(meta),
            **options,
        )

    def records_decl(self, meta: Any, children: list[Any]) -> ast.Input:
        fields = tuple(n for n in _nodes(children) if isinstance(n, ast.Input))
        options: dict[str, Any] = {"minimum": None, "maximum": None, "default": None, "unit": None}
        for option in _nodes(children):
            if isinstance(option, dict):
                options.update(option)
        return ast.Input(
            name=str(_tokens(children, "NAME")[0]),
            kind="records",
            label=_unquote(_tokens(children, "STRING")[0]),
            choices=(),
            override=bool(_tokens(children, "OVERRIDE")),
            span=self._span(meta),
            fields=fields,
            **options,
        )

    def record_field(self, meta: Any, children: list[Any]) -> ast.Input:
        return self.input_decl(meta, children)

    def optional_option(self, meta: Any, children: list[Any]) -> dict[str, Any]:
        return {"optional": True}

    def simple_kind(self, meta: Any, children: list[Any]) -> tuple[str, tuple[str, ...]]:
        return str(children[0]), ()

    def choice_kind(self, meta: Any, children: list[Any]) -> tuple[str, tuple[str, ...]]:
        return "choice", tuple(_unquote(t) for t in _tokens(children, "STRING"))

    def range_option(self, meta: Any, children: list[Any]) -> dict[str, Any]:
        before: list[ast.Num] = []
        after: list[ast.Num] = []
        target = before
        for child in children:
            if isinstance(child, Token) and child.type == "DOTDOT":
                target = after
            elif isinstance(child, ast.Num):
                target.append(child)
        return {"minimum": before[0] if before else None, "maximum": after[0] if after else None}

    def default_option(self, meta: Any, children: list[Any]) -> dict[str, Any]:
        return {"default": _nodes(children)[0]}

    def unit_option(self, meta: Any, children: list[Any]) -> dict[str, Any]:
        return {"unit": _unquote(_tokens(children, "STRING")[0])}

    def bound(self, meta: Any, children: list[Any]) -> ast.Num:
        negative = bool(_tokens(children, "MINUS"))
        token = children[-1]
        text = ("-" if negative else "") + str(token)
        percent = token.type == "PERCENT"
        value = self._decimal(token)
        if percent:
            value = value.scaleb(-2)
        return ast.Num(-value if negative else value, percent, text, self._span(meta))

    def literal(self, meta: Any, children: list[Any]) -> ast.Num | ast.Bool | ast.Str:
        child = children[0]
        if isinstance(child, ast.Num):
            return child
        span = self._tspan(child)
        if child.type == "STRING":
            return ast.Str(_unquote(child), span)
        return ast.Bool(child.type == "TRUE", span)

    def constraint_decl(self, meta: Any, children: list[Any]) -> ast.Constraint:
        strings = _tokens(children, "STRING")
        return ast.Constraint(_nodes(children)[0], _unquote(strings[0]) if strings else None, self._span(meta))

    def let_decl(self, meta: Any, children: list[Any]) -> ast.Let:
        strings = _tokens(children, "STRING")
        return ast.Let(
            name=str(_tokens(children, "NAME")[0]),
            label=_unquote(strings[0]) if strings else None,
            expr=_nodes(children)[0],
            override=bool(_tokens(children, "OVERRIDE")),
            span=self._span(meta),
        )

    # --- tree

    def section(self, meta: Any, children: list[Any]) -> ast.Section:
        applicable = [n.expr for n in _nodes(children) if isinstance(n, _Applicable)]
        nodes = [n for n in _nodes(children) if not isinstance(n, _Applicable)]
        weight, body = nodes[0], nodes[1]
        return ast.Section(
            id=str(_tokens(children, "NAME")[0]),
            label=_unquote(_tokens(children, "STRING")[0]),
            weight=weight,
            children=tuple(body) if body is not None else (),
            abstract=body is None,
            override=bool(_tokens(children, "OVERRIDE")),
            span=self._span(meta),
            applicable=applicable[0] if applicable else None,
        )

    def section_children(self, meta: Any, children: list[Any]) -> list[Any]:
        return _nodes(children)

    def section_abstract(self, meta: Any, children: list[Any]) -> None:
        return None

    def indicator(self, meta: Any, children: list[Any]) -> ast.Indicator:
        applicable = [n.expr for n in _nodes(children) if isinstance(n, _Applicable)]
        nodes = [n for n in _nodes(children) if not isinstance(n, _Applicable)]
        return ast.Indicator(
            id=str(_tokens(children, "NAME")[0]),
            label=_unquote(_tokens(children, "STRING")[0]),
            weight=nodes[0],
            rule=nodes[1],
            override=bool(_tokens(children, "OVERRIDE")),
            span=self._span(meta),
            applicable=applicable[0] if applicable else None,
        )

    def applicable(self, meta: Any, children: list[Any]) -> _Applicable:
        return _Applicable(_nodes(children)[0])

    def not_applicable(self, meta: Any, children: list[Any]) -> ast.NotApplicable:
        return ast.NotApplicable(cast(Any, str(children[1])), self._span(meta))

    def weight(self, meta: Any, children: list[Any]) -> Decimal:
        return self._decimal(children[0])

    # --- rules

    def bands(self, meta: Any, children: list[Any]) -> ast.Bands:
        nodes = _nodes(children)
        otherwise = [n for n in nodes if isinstance(n, tuple)]
        return ast.Bands(
            subject=nodes[0],
            rows=tuple(n for n in nodes if isinstance(n, ast.BandRow)),
            otherwise=otherwise[0][0] if otherwise else None,
            otherwise_span=otherwise[0][1] if otherwise else None,
            span=self._span(meta),
        )

    def band_row(self, meta: Any, children: list[Any]) -> ast.BandRow:
        low, high, points = _nodes(children)
        return ast.BandRow(
            low=low,
            low_closed=children[0].type == "LSQB",
            high=high,
            high_closed=children[4].type == "RSQB",
            points=points,
            span=self._span(meta),
        )

    def band_end(self, meta: Any, children: list[Any]) -> ast.Num | None:
        nodes = _nodes(children)
        return cast(ast.Num, nodes[0]) if nodes else None

    def band_otherwise(self, meta: Any, children: list[Any]) -> tuple[Decimal, Span]:
        return children[1], self._span(meta)

    def checklist(self, meta: Any, children: list[Any]) -> ast.Checklist:
        nodes = _nodes(children)
        return ast.Checklist(nodes[0], nodes[1], nodes[2] if len(nodes) > 2 else None, self._span(meta))

    def steps(self, meta: Any, children: list[Any]) -> ast.Steps:
        subject, threshold, deduct, step = _nodes(children)
        return ast.Steps(
            subject=subject,
            direction="above" if _tokens(children, "ABOVE") else "below",
            threshold=threshold,
            deduct=deduct,
            step=step,
            whole=bool(_tokens(children, "WHOLE")),
            span=self._span(meta),
            prorata=bool(_tokens(children, "PRORATA")),
        )

    def proportional(self, meta: Any, children: list[Any]) -> ast.Proportional:
        return ast.Proportional(_nodes(children)[0], self._span(meta))

    def linear_from_to(self, meta: Any, children: list[Any]) -> ast.Linear:
        subject, low, high = _nodes(children)
        points = (ast.LinearPoint(low, Decimal(0), low.span), ast.LinearPoint(high, None, high.span))
        return ast.Linear(subject, points, self._span(meta))

    def linear_points(self, meta: Any, children: list[Any]) -> ast.Linear:
        nodes = _nodes(children)
        return ast.Linear(nodes[0], tuple(nodes[1:]), self._span(meta))

    def linear_point(self, meta: Any, children: list[Any]) -> ast.LinearPoint:
        at, points = _nodes(children)
        return ast.LinearPoint(at, points, self._span(meta))

    def target(self, meta: Any, children: list[Any]) -> ast.Target:
        expr = _nodes(children)[0]
        proportional = bool(_tokens(children, "PROPORTIONAL"))
        if not isinstance(expr, ast.Compare):  # the checker says what to write
            return ast.Target(expr, "", expr, proportional, self._span(meta))
        return ast.Target(expr.left, expr.op, expr.right, proportional, self._span(meta))

    def judged(self, meta: Any, children: list[Any]) -> ast.Judged:
        names = [ast.Name(str(t), self._tspan(t)) for t in _tokens(children, "NAME")]
        tiers = tuple(n for n in _nodes(children) if isinstance(n, ast.Tier))
        return ast.Judged(names[0], names[1] if len(names) > 1 else None, tiers, self._span(meta))

    def judged_by(self, meta: Any, children: list[Any]) -> ast.JudgedBy:
        name = _tokens(children, "NAME")[0]
        nodes = _nodes(children)
        ranges = tuple(n for n in nodes if isinstance(n, ast.JudgedRange))
        return ast.JudgedBy(ast.Name(str(name), self._tspan(name)), nodes[0], ranges, self._span(meta))

    def judged_range(self, meta: Any, children: list[Any]) -> ast.JudgedRange:
        low, high, least, most = _nodes(children)
        return ast.JudgedRange(
            low=low,
            low_closed=children[0].type == "LSQB",
            high=high,
            high_closed=children[4].type == "RSQB",
            least=least,
            most=most,
            span=self._span(meta),
        )

    def judged_otherwise(self, meta: Any, children: list[Any]) -> ast.JudgedRange:
        least, most = _nodes(children)
        return ast.JudgedRange(None, False, None, False, least, most, self._span(meta), otherwise=True)

    def tier(self, meta: Any, children: list[Any]) -> ast.Tier:
        low, high = _nodes(children)
        return ast.Tier(_unquote(_tokens(children, "STRING")[0]), low, high, self._span(meta))

    def formula(self, meta: Any, children: list[Any]) -> ast.Formula:
        return ast.Formula(_nodes(children)[0], self._span(meta))

    def conditional(self, meta: Any, children: list[Any]) -> ast.Conditional:
        nodes = _nodes(children)
        return ast.Conditional(tuple(nodes[:-1]), nodes[-1], self._span(meta))

    def when_arm(self, meta: Any, children: list[Any]) -> ast.WhenArm:
        condition, rule = _nodes(children)
        return ast.WhenArm(condition, rule, self._span(meta))

    def arm(self, meta: Any, children: list[Any]) -> Any:
        return _nodes(children)[0]

    # --- adjustments, the final range, vetoes

    def final_range(self, meta: Any, children: list[Any]) -> ast.FinalRange:
        low, high = _nodes(children)
        return ast.FinalRange(low, high, self._span(meta))

    def adjustment(self, meta: Any, children: list[Any]) -> ast.Adjustment:
        nodes = _nodes(children)
        return ast.Adjustment(
            id=str(_tokens(children, "NAME")[0]),
            label=_unquote(_tokens(children, "STRING")[0]),
            kind="bonus" if _tokens(children, "BONUS") else "penalty",
            cap=nodes[0] if len(nodes) > 1 else None,
            rule=nodes[-1],
            override=bool(_tokens(children, "OVERRIDE")),
            span=self._span(meta),
        )

    def each_rule(self, meta: Any, children: list[Any]) -> ast.Each:
        count, amount = _nodes(children)
        return ast.Each(count, amount, self._span(meta))

    def veto_rule(self, meta: Any, children: list[Any]) -> ast.Veto:
        condition, outcome = _nodes(children)
        grade, at_most, zero, grade_span = outcome
        return ast.Veto(
            id=str(_tokens(children, "NAME")[0]),
            label=_unquote(_tokens(children, "STRING")[0]),
            kind="veto" if _tokens(children, "VETO") else "cap",
            condition=condition,
            grade=grade,
            at_most=at_most,
            zero=zero,
            override=bool(_tokens(children, "OVERRIDE")),
            span=self._span(meta),
            grade_span=grade_span,
        )

    def veto_grade(self, meta: Any, children: list[Any]) -> tuple[str, bool, bool, Span]:
        label = next(t for t in children if t.type in ("NAME", "STRING"))
        return self._label(label), bool(_tokens(children, "MOST")), bool(_tokens(children, "ZERO")), self._tspan(label)

    def veto_zero(self, meta: Any, children: list[Any]) -> tuple[None, bool, bool, None]:
        return None, False, True, None

    # --- grades

    def grades(self, meta: Any, children: list[Any]) -> ast.Grades:
        rows = tuple(n for n in _nodes(children) if isinstance(n, ast.GradeRow))
        return ast.Grades(rows, bool(_tokens(children, "OVERRIDE")), self._span(meta))

    def grade_at_least(self, meta: Any, children: list[Any]) -> ast.GradeRow:
        label, op, minimum = children
        written = _CMP.get(str(op), str(op))
        return ast.GradeRow(self._label(label), minimum, self._span(meta), written, self._tspan(op))

    def grade_otherwise(self, meta: Any, children: list[Any]) -> ast.GradeRow:
        return ast.GradeRow(self._label(children[0]), None, self._span(meta))

    @staticmethod
    def _label(token: Token) -> str:
        return _unquote(token) if token.type == "STRING" else str(token)

    # --- expressions

    def number(self, meta: Any, children: list[Any]) -> ast.Num:
        token = children[0]
        return ast.Num(self._decimal(token), False, str(token), self._tspan(token))

    def percent(self, meta: Any, children: list[Any]) -> ast.Num:
        token = children[0]
        return ast.Num(self._decimal(token).scaleb(-2), True, str(token), self._tspan(token))

    def name(self, meta: Any, children: list[Any]) -> ast.Name:
        return ast.Name(str(children[0]), self._tspan(children[0]))

    def true(self, meta: Any, children: list[Any]) -> ast.Bool:
        return ast.Bool(True, self._tspan(children[0]))

    def false(self, meta: Any, children: list[Any]) -> ast.Bool:
        return ast.Bool(False, self._tspan(children[0]))

    def string(self, meta: Any, children: list[Any]) -> ast.Str:
        return ast.Str(_unquote(children[0]), self._tspan(children[0]))

    def call(self, meta: Any, children: list[Any]) -> ast.Call:
        func = cast(Any, str(children[0]))
        return ast.Call(func, tuple(_nodes(children)), self._span(meta))

    def points_of(self, meta: Any, children: list[Any]) -> ast.PointsOf:
        return ast.PointsOf(str(_tokens(children, "NAME")[0]), self._span(meta))

    def given(self, meta: Any, children: list[Any]) -> ast.Given:
        name = _tokens(children, "NAME")[0]
        return ast.Given(ast.Name(str(name), self._tspan(name)), self._span(meta))

    def count_records(self, meta: Any, children: list[Any]) -> ast.Aggregate:
        name = _tokens(children, "NAME")[0]
        where = _nodes(children)
        records = ast.Name(str(name), self._tspan(name))
        return ast.Aggregate("count", records, None, None, where[0] if where else None, self._span(meta))

    def fold_records(self, meta: Any, children: list[Any]) -> ast.Aggregate:
        func = cast(Any, str(children[0]))
        names = [ast.Name(str(t), self._tspan(t)) for t in _tokens(children, "NAME")]
        where = _nodes(children)
        weight = names[2] if len(names) > 2 else None
        return ast.Aggregate(func, names[0], names[1], weight, where[0] if where else None, self._span(meta))

    def atom(self, meta: Any, children: list[Any]) -> Any:
        return _nodes(children)[0]

    def if_expr(self, meta: Any, children: list[Any]) -> ast.IfElse:
        condition, then, otherwise = _nodes(children)
        return ast.IfElse(condition, then, otherwise, self._span(meta))

    def _binary(self, op: str, meta: Any, children: list[Any]) -> ast.Binary:
        left, right = _nodes(children)
        return ast.Binary(cast(Any, op), left, right, self._span(meta))

    def or_op(self, meta: Any, children: list[Any]) -> ast.Binary:
        return self._binary("or", meta, children)

    def and_op(self, meta: Any, children: list[Any]) -> ast.Binary:
        return self._binary("and", meta, children)

    def add(self, meta: Any, children: list[Any]) -> ast.Binary:
        return self._binary("+", meta, children)

    def sub(self, meta: Any, children: list[Any]) -> ast.Binary:
        return self._binary("-", meta, children)

    def mul(self, meta: Any, children: list[Any]) -> ast.Binary:
        return self._binary("*", meta, children)

    def div(self, meta: Any, children: list[Any]) -> ast.Binary:
        return self._binary("/", meta, children)

    def not_op(self, meta: Any, children: list[Any]) -> ast.Unary:
        return ast.Unary("not", _nodes(children)[0], self._span(meta))

    def neg(self, meta: Any, children: list[Any]) -> ast.Unary | ast.Num:
        operand = _nodes(children)[0]
        span = self._span(meta)
        if isinstance(operand, ast.Num):
            return ast.Num(-operand.value, operand.percent, "-" + operand.text, span)
        return ast.Unary("-", operand, span)

    def compare(self, meta: Any, children: list[Any]) -> ast.Compare:
        left, op, right = children
        return ast.Compare(cast(Any, _CMP.get(str(op), str(op))), left, right, self._span(meta))
