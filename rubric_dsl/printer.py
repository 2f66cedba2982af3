"""Print expressions back as rubric text, with only the parentheses precedence needs.

Takes syntax-tree expressions (and band rows); gives their canonical text. The formatter, the
checker's messages, explanations and the 评分表 wording all quote rubric text through here.
"""

from __future__ import annotations

from rubric_dsl import ast

_PRECEDENCE = {"if": 0, "or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def _level(expr: ast.Expr) -> int:
    match expr:
        case ast.IfElse():
            return _PRECEDENCE["if"]
        case ast.Binary(op=op):
            return _PRECEDENCE[op]
        case ast.Compare():
            return _PRECEDENCE["cmp"]
        case ast.Unary(op="not"):
            return _PRECEDENCE["not"]
        case ast.Unary():
            return _PRECEDENCE["neg"]
    return 8


def format_expr(expr: ast.Expr) -> str:
    match expr:
        case ast.Num(text=text):
            return text
        case ast.Bool(value=value):
            return "true" if value else "false"
        case ast.Str(value=value):
            return quote(value)
        case ast.Name(id=name):
            return name
        case ast.Unary(op="not", operand=operand):
            return f"not {_wrap(operand, _PRECEDENCE['not'])}"
        case ast.Unary(operand=operand):
            return f"-{_wrap(operand, _PRECEDENCE['neg'])}"
        case ast.Binary(op=op, left=left, right=right):
            level = _PRECEDENCE[op]
            return f"{_wrap(left, level)} {op} {_wrap(right, level + 1)}"
        case ast.Compare(op=op, left=left, right=right):
            level = _PRECEDENCE["cmp"]
            return f"{_wrap(left, level + 1)} {op} {_wrap(right, level + 1)}"
        case ast.IfElse(condition=c, then=t, otherwise=o):
            return f"if {format_expr(c)} then {format_expr(t)} else {format_expr(o)}"
        case ast.Call(func=func, args=args):
            return f"{func}({', '.join(format_expr(a) for a in args)})"
        case ast.PointsOf(id=name):
            return f"points({name})"
        case ast.Given(name=name):
            return f"given({name.id})"
        case ast.Aggregate(func=func, records=records, field=field, weight=weight, where=where):
            text = records.id + (f", {field.id}" if field is not None else "")
            text += f" by {weight.id}" if weight is not None else ""
            text += f" where {format_expr(where)}" if where is not None else ""
            return f"{func}({text})"
    raise TypeError(f"not an expression: {expr!r}")


def _wrap(expr: ast.Expr, level: int) -> str:
    text = format_expr(expr)
    return f"({text})" if _level(expr) < level else text


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def interval_text(row: ast.BandRow | ast.JudgedRange) -> str:
    low = row.low.text if row.low is not None else "-∞"
    high = row.high.text if row.high is not None else "∞"
    return f"{'[' if row.low_closed else '('}{low}, {high}{']' if row.high_closed else ')'}"
