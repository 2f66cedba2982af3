"""Print syntax back as rubric text.

Takes syntax-tree expressions; gives their canonical text (`min(1, inspected_units / planned_units)`),
with only the parentheses that precedence needs. Explanations quote rules with it, so what a
person reads in a result is what they would write in the file.
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
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
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
    raise TypeError(f"not an expression: {expr!r}")


def _wrap(expr: ast.Expr, level: int) -> str:
    text = format_expr(expr)
    return f"({text})" if _level(expr) < level else text
