"""Generate the scoring functions of a checked rubric as Python source, and compile them.

Takes a `CheckedRubric` and its `FactReader` (see `reader.py`); gives a `Generated`: the
functions `program.CompiledRubric` calls, the source they were compiled from, and the constants
they were built with. Scoring never walks the tree or re-parses anything.

The generator follows jinja's: a `CodeGenerator` whose methods write one statement per line into
a `Frame` (the indentation, and the indicator being written) passed explicitly. Guarantees:

* each `let` is computed once, as a local (`l3`), in dependency order, before any rule reads it,
  so the generated source grows linearly with the rubric. A let whose arithmetic fails with the
  facts given (a division by zero on a branch the rubric guards) holds a `Poison` that raises
  that error where, and only if, the let is used: a let read only on a branch not taken costs
  nothing, as if it were written out where it is read;
* where rules or lets read `points(ID)`, indicators, sections and those lets are computed once each, in an
  order where each comes after what it reads (the checker refused cycles); bonus/penalty lines, the final
  range, vetoes and caps come after the table's total (`visit_adjustments`, `visit_vetoes`);
* a comment opens each indicator's code with its id and `file:line`, so the source can be
  audited against the rubric (`CompiledRubric.listing()` adds the constants);
* each rule leaves the record of the clause that fired, laid out as in `clauses.py`;
* the source contains only names made here (`a3` inputs, `l2` lets, `k7` constants, `t1`
  temporaries, `p2`/`q2`/`r2` points, raw points and records) and Python operators: every
  number, name, label and string of the rubric reaches the functions as a closure constant,
  never as code, so rubric text cannot execute (comments carry ids and a path, escaped);
* an aggregate over records is a call of `count_of`, `sum_of` or `mean_of` (a `where` is a lambda
  over one record); a mean over none raises `EmptyMean`, and a fact the request left out
  (`facts.Absent`) raises `FactAbsent` where it is read, both turned into `InvalidFacts` by `program`;
* arithmetic is `Decimal` in the caller's context, which `program` sets to a private one (40
  digits, traps on); division multiplies first (`w * a / b`) so results are exact wherever
  they can be.
"""

from __future__ import annotations

import graphlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any, NamedTuple, cast

from rubric_dsl import ast, cache, clauses
from rubric_dsl.applicable import Reweigher
from rubric_dsl.ast import rule_exprs, walk_expr
from rubric_dsl.checker import CheckedRubric
from rubric_dsl.checker.adjustments import dependencies, final_bounds
from rubric_dsl.checker.scope import applicable_exprs
from rubric_dsl.facts import Absent, FactAbsent
from rubric_dsl.reader import FactReader
from rubric_dsl.source import Span

CONTEXT = Context(prec=40, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])
MODES = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "half_down": ROUND_HALF_DOWN,
    "up": ROUND_UP,
    "down": ROUND_DOWN,
}
DEFAULT_ROUNDING = ast.Rounding("indicator", ast.DEFAULT_INDICATOR_STEP, "half_up", Span("<default>", 1, 1, 1, 1))
ZERO = Decimal(0)
CHAIN = 32  # branches of one if/elif chain before it is written flat (see `CodeGenerator.chain`)
BUILTINS = {"min": min, "max": max, "abs": abs, "len": len, "ArithmeticError": ArithmeticError}


Writer = Callable[["Frame"], None]  # writes a block of code at a frame


class Failed(Exception):
    """Raised by the generated code when indicator `indicator` fails with `cause`."""

    def __init__(self, indicator: int, cause: BaseException) -> None:
        super().__init__(indicator, cause)
        self.indicator = indicator
        self.cause = cause


class NoBand(ArithmeticError):
    """A band table without `otherwise` met a value in none of its rows."""


class Poison:
    """The value of a let whose arithmetic failed: any use of it raises that error again."""

    __slots__ = ("error",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, error: ArithmeticError) -> None:
        self.error = error

    def _raise(self, *_: object) -> Any:
        raise self.error

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _raise
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _raise
    __neg__ = __pos__ = __abs__ = __bool__ = _raise
    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _raise


class EmptyMean(ArithmeticError):
    """A mean over no records (none in the list, or none where its condition holds), or over weights that
    add up to zero: there is no value to score, so the request is refused naming the list."""

    def __init__(self, records: str, weighted: bool) -> None:
        super().__init__(records, weighted)
        self.records = records
        self.weighted = weighted


def _rows(records: Any) -> Any:
    if records.__class__ is Absent:
        raise records.error
    return records


def count_of(records: Any, where: Callable[[Any], Any] | None) -> Decimal:
    """`count(R)` / `count(R where C)`: how many records (where C holds)."""
    rows = _rows(records)
    if where is None:
        return Decimal(len(rows))
    return Decimal(sum(1 for row in rows if where(row)))


def sum_of(records: Any, field: int, where: Callable[[Any], Any] | None) -> Decimal:
    """`sum(R, F)`: the field's total over the records (where C holds); 0 over none."""
    total = ZERO
    for row in _rows(records):
        if where is None or where(row):
            total += row[field]
    return total


def mean_of(records: Any, name: str, field: int, weight: int | None, where: Callable[[Any], Any] | None) -> Decimal:
    """`mean(R, F)` / `mean(R, F by W)`: Σ F / n, or Σ F×W / Σ W, exactly (one division, at the end)."""
    total = weights = ZERO
    for row in _rows(records):
        if where is None or where(row):
            if weight is None:
                total += row[field]
                weights += 1
            else:
                total += row[field] * row[weight]
                weights += row[weight]
    if weights == 0:
        raise EmptyMean(name, weight is not None)
    return total / weights


class Generated(NamedTuple):
    """The compiled functions, the source they came from and the constants they close over."""

    score_values: Callable[[Sequence[Any]], Any]  # from the values the validator read
    score_facts: Callable[[Any], Any]  # straight from the facts, or None when the validator must read them
    constraints: Callable[[Sequence[Any]], list[int]]  # the indexes of the constraints broken
    source: str
    constants: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Frame:
    """Where the generator writes: the indentation, and the indicator whose rule is being written."""

    indent: int = 0
    weight: str = ""  # the constant holding the indicator's weight
    weight_value: Decimal = ZERO
    raw: str = ""  # the variable of its points before rounding
    rounded: str = ""  # the variable of its rounded points
    rounding: ast.Rounding = DEFAULT_ROUNDING

    def inner(self) -> Frame:
        return replace(self, indent=self.indent + 1)


@dataclass(slots=True)
class CodeGenerator:
    checked: CheckedRubric
    reader: FactReader
    lines: list[str] = field(default_factory=list)
    constants: dict[tuple[str, str], tuple[str, Any]] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)  # constant name -> value
    inputs: dict[str, str] = field(default_factory=dict)  # input name -> variable
    lets: dict[str, str] = field(default_factory=dict)  # let name -> variable
    counter: Iterator[int] = field(default_factory=itertools.count)
    points_of: dict[str, str] = field(default_factory=dict)  # indicator/section id -> its points' variable
    late: set[str] = field(default_factory=set)  # lets that read points: computed among the indicators
    absent: set[str] = field(default_factory=set)  # inputs a request may leave out (see `facts.Absent`)
    fields: dict[int, str] = field(default_factory=dict)  # a field's name in a `where`, by identity -> `t3[1]`

    def __post_init__(self) -> None:
        self.inputs = {item.name: f"a{i}" for i, item in enumerate(self.checked.rubric.inputs)}
        self.lets = {name: f"l{i}" for i, name in enumerate(self.checked.scope.lets)}
        scope = self.checked.scope
        self.points_of = {i.id: f"p{k}" for k, (i, _) in enumerate(scope.indicators)}
        self.points_of |= {section.id: f"s{j}" for j, (section, _) in enumerate(scope.sections)}
        self.late = late_lets(self.checked)
        self.absent = {name for name, spec in self.reader.specs.items() if spec.default.__class__ is Absent}

    # --- writing

    def writeline(self, frame: Frame, line: str) -> None:
        self.lines.append("    " * frame.indent + line)

    def written(self, write: Callable[[], None]) -> list[str]:
        """The lines `write` writes, taken out of the generator's own."""
        start = len(self.lines)
        write()
        taken = self.lines[start:]
        del self.lines[start:]
        return taken

    def const(self, value: Any) -> str:
        key = (type(value).__name__, repr(value))
        if key not in self.constants:
            name = f"k{len(self.constants)}"
            self.constants[key] = (name, value)
            self.values[name] = value
        return self.constants[key][0]

    def temp(self) -> str:
        return f"t{next(self.counter)}"

    def record(self, fired: type[tuple[Any, ...]], clause: Any, *values: str) -> str:
        """A record of `fired`'s layout (see `clauses.py`): the clause, then its values in field order."""
        assert len(values) + 1 == len(fired._fields)  # type: ignore[attr-defined]
        return f"({', '.join([self.const(clause), *values])})"

    # --- expressions

    def expr(self, node: ast.Expr) -> str:
        match node:
            case ast.Num(value=value):
                return self.const(value)
            case ast.Bool(value=value):
                return "True" if value else "False"
            case ast.Str(value=value):
                return self.const(value)
            case ast.Name(id=name) if id(node) in self.fields:
                return self.fields[id(node)]
            case ast.Name(id=name):
                return self.inputs[name] if name in self.inputs else self.lets[name]
            case ast.Given(name=name):
                return f"({self.inputs[name.id]}.__class__ is not {self.const(Absent)})"
            case ast.Aggregate():
                return self.aggregate(node)
            case ast.Unary(op="not", operand=operand):
                return f"(not {self.expr(operand)})"
            case ast.Unary(operand=operand):
                return f"(-{self.expr(operand)})"
            case ast.Binary(op=op, left=left, right=right) | ast.Compare(op=op, left=left, right=right):
                return f"({self.expr(left)} {op} {self.expr(right)})"
            case ast.IfElse(condition=c, then=t, otherwise=o):
                return f"({self.expr(t)} if {self.expr(c)} else {self.expr(o)})"
            case ast.Call(func=func, args=args):
                return f"{func}({', '.join(self.expr(a) for a in args)})"
            case ast.PointsOf(id=name):
                return self.points_of[name]
        raise TypeError(f"not an expression: {node!r}")

    def aggregate(self, node: ast.Aggregate) -> str:
        """A call of the aggregate's function on the records; a `where` is a lambda over one record."""
        records = node.records.id
        positions = {f.name: i for i, f in enumerate(self.checked.scope.record_fields(records))}
        where = "None"
        if node.where is not None:
            row = self.temp()
            for aggregate, name in ast.where_names(node):
                if aggregate is node and id(name) in self.checked.scope.fields_read:
                    self.fields[id(name)] = f"{row}[{positions[name.id]}]"
            where = f"(lambda {row}: {self.expr(node.where)})"
        rows = self.inputs[records]
        if node.func == "count":
            return f"{self.const(count_of)}({rows}, {where})"
        assert node.field is not None
        field_at = positions[node.field.id]
        if node.func == "sum":
            return f"{self.const(sum_of)}({rows}, {field_at}, {where})"
        weight = positions[node.weight.id] if node.weight is not None else None
        return f"{self.const(mean_of)}({rows}, {self.const(records)}, {field_at}, {weight}, {where})"

    def bind(self, frame: Frame, var: str, node: ast.Expr) -> None:
        """`var = node`; when the expression reads a let, a failed let (a `Poison`) raises its error here, before
        a rule could keep it in a record unexamined (a band row open at both ends, a checklist zeroed first)."""
        self.writeline(frame, f"{var} = {self.expr(node)}")
        if any(isinstance(n, ast.Name) and n.id in self.lets for n in walk_expr(node)):
            self.writeline(frame, f"if {var}.__class__ is {self.const(Poison)}:")
            self.writeline(frame.inner(), f"raise {var}.error")
        self.not_absent(frame, var, node)

    def not_absent(self, frame: Frame, var: str, node: ast.Expr) -> None:
        """Where `node` may be an input the request left out, that input's `FactAbsent` is raised here, before
        a rule could keep it in a record unexamined."""
        if any(isinstance(n, ast.Name) and n.id in self.absent for n in walk_expr(node)):
            self.writeline(frame, f"if {var}.__class__ is {self.const(Absent)}:")
            self.writeline(frame.inner(), f"raise {var}.error")

    def visit_lets(self, frame: Frame, reading: Iterable[ast.Expr]) -> None:
        """The lets `reading` needs, each once, in dependency order; a failure is kept as a `Poison` for its
        uses."""
        lets = self.checked.scope.lets
        graph = {
            name: {n.id for n in walk_expr(let.expr) if isinstance(n, ast.Name) and n.id in lets}
            for name, let in lets.items()
        }
        needed: set[str] = set()
        pending = [n.id for e in reading for n in walk_expr(e) if isinstance(n, ast.Name) and n.id in lets]
        passed: set[str] = set()  # lets that read points: computed in the body, but what they read is needed here
        while pending:
            name = pending.pop()
            if name in self.late:
                if name not in passed:
                    passed.add(name)
                    pending.extend(graph[name])
            elif name not in needed:
                needed.add(name)
                pending.extend(graph[name])
        poison = self.const(Poison)
        ordered = {n: sorted(graph[n]) for n in lets if n in needed}  # rubric order: the same listing every run
        for name in graphlib.TopologicalSorter(ordered).static_order():
            self.writeline(frame, "try:")
            self.writeline(frame.inner(), f"{self.lets[name]} = {self.expr(lets[name].expr)}")
            self.writeline(frame, "except ArithmeticError as error:")
            self.writeline(frame.inner(), f"{self.lets[name]} = {poison}(error)")

    def rule_exprs(self) -> list[ast.Expr]:
        rubric, scope = self.checked.rubric, self.checked.scope
        found = [e for indicator, _ in scope.indicators for e in rule_exprs(indicator.rule)]
        found += [e for line in rubric.adjustments for e in ast.line_exprs(line.rule)]
        return [*found, *(veto.condition for veto in rubric.vetoes), *applicable_exprs(scope)]

    # --- points

    def points(self, frame: Frame, value: str) -> None:
        """`raw = value` and the rounded points; a constant is rounded here, once, not on every call."""
        self.writeline(frame, f"{frame.raw} = {value}")
        rounded = self._round_constant(self.values.get(value), frame.rounding)
        if rounded is not None:
            self.writeline(frame, f"{frame.rounded} = {self.const(rounded)}")
            return
        step, mode = self.const(frame.rounding.step), self.const(MODES[frame.rounding.mode])
        self.writeline(frame, f"{frame.rounded} = {frame.raw}.quantize({step}, {mode})")

    @staticmethod
    def _round_constant(value: Any, rounding: ast.Rounding) -> Decimal | None:
        if not isinstance(value, Decimal):
            return None
        try:
            return value.quantize(rounding.step, MODES[rounding.mode], CONTEXT.copy())
        except InvalidOperation:
            return None  # too many digits for the context: left to the call, which names the indicator

    def chain(self, frame: Frame, arms: Sequence[tuple[str, Writer]], otherwise: Writer) -> None:
        """`if`/`elif` over `arms` (test, writer of its block), `else` the `otherwise` block. Python's compiler
        nests each `elif` one level deeper, so a chain longer than `CHAIN` is written flat, as a
        `while True:` of plain `if`s that each end with `break`: the depth of the generated code stays
        that of the rubric, and `compile()` never recurses past its limit."""
        if len(arms) <= CHAIN:
            for index, (test, write) in enumerate(arms):
                self.writeline(frame, f"{'elif' if index else 'if'} {test}:")
                write(frame.inner())
            self.writeline(frame, "else:")
            otherwise(frame.inner())
            return
        self.writeline(frame, "while True:")
        inner = frame.inner()
        for test, write in arms:
            self.writeline(inner, f"if {test}:")
            write(inner.inner())
            self.writeline(inner.inner(), "break")
        otherwise(inner)
        self.writeline(inner, "break")

    def scored(self, value: str, record: str, rv: str) -> Writer:
        """A block that gives the points `value` and leaves `record`."""

        def write(frame: Frame) -> None:
            self.points(frame, value)
            self.writeline(frame, f"{rv} = {record}")

        return write

    def branch(self, frame: Frame, test: str, value: str, record: str, rv: str, keyword: str = "if") -> None:
        """`if test:` (or `elif`, `else`) with the points `value` and the record `record`."""
        self.writeline(frame, f"{keyword} {test}:" if test else f"{keyword}:")
        self.points(frame.inner(), value)
        self.writeline(frame.inner(), f"{rv} = {record}")

    def clamped(self, frame: Frame, raw: str, clause: str) -> None:
        """The points `raw` limited to 0..weight; `clause` says which `Clamp` applied."""
        zero, w = self.const(ZERO), frame.weight
        self.writeline(frame, f"if {raw} < {zero}:")
        self.points(frame.inner(), zero)
        self.writeline(frame.inner(), f"{clause} = {self.const(clauses.Clamp.RAISED)}")
        self.writeline(frame, f"elif {raw} > {w}:")
        self.points(frame.inner(), w)
        self.writeline(frame.inner(), f"{clause} = {self.const(clauses.Clamp.CAPPED)}")
        self.writeline(frame, "else:")
        self.points(frame.inner(), raw)
        self.writeline(frame.inner(), f"{clause} = {self.const(clauses.Clamp.AS_IS)}")

    # --- rules: each writes the raw and rounded points of `frame` and its record into `rv`

    def visit_rule(self, node: ast.LineRule, frame: Frame, rv: str) -> None:
        getattr(self, f"visit_{type(node).__name__}")(node, frame, rv)

    def visit_Bands(self, node: ast.Bands, frame: Frame, rv: str) -> None:
        x = self.temp()
        self.bind(frame, x, node.subject)
        fired, row_clause = clauses.BandsFired, clauses.Bands.ROW
        arms = []
        for index, row in enumerate(node.rows):
            low = f"{self.const(row.low.value)} {'<=' if row.low_closed else '<'} " if row.low else ""
            high = f" {'<=' if row.high_closed else '<'} {self.const(row.high.value)}" if row.high else ""
            test = f"{low}{x}{high}" if low or high else "True"
            arms.append((test, self.scored(self.const(row.points), self.record(fired, row_clause, str(index), x), rv)))
        if node.otherwise is not None:
            record = self.record(fired, clauses.Bands.OTHERWISE, str(len(node.rows)), x)
            otherwise = self.scored(self.const(node.otherwise), record, rv)
        else:

            def otherwise(inner: Frame) -> None:
                self.writeline(inner, f"raise {self.const(NoBand)}({x})")

        self.chain(frame, arms, otherwise)

    def visit_Checklist(self, node: ast.Checklist, frame: Frame, rv: str) -> None:
        n, raw, zero, w = self.temp(), self.temp(), self.const(ZERO), frame.weight
        fired, clause = clauses.ChecklistFired, clauses.Checklist
        self.bind(frame, n, node.failed)
        keyword = "if"
        if node.zero_when is not None:
            record = self.record(fired, clause.ZEROED, n, zero)
            self.branch(frame, self.expr(node.zero_when), zero, record, rv)
            keyword = "elif"
        self.branch(frame, f"{n} <= {zero}", w, self.record(fired, clause.ALL_MET, n, w), rv, keyword)
        self.writeline(frame, "else:")
        inner = frame.inner()
        self.writeline(inner, f"{raw} = {w} - {n} * {self.const(node.deduct)}")
        self.branch(inner, f"{raw} < {zero}", zero, self.record(fired, clause.FLOORED, n, raw), rv)
        self.branch(inner, "", raw, self.record(fired, clause.DEDUCTED, n, raw), rv, "else")

    def visit_Steps(self, node: ast.Steps, frame: Frame, rv: str) -> None:
        x, over, n, raw, zero, w = self.temp(), self.temp(), self.temp(), self.temp(), self.const(ZERO), frame.weight
        fired, clause = clauses.StepsFired, clauses.Steps
        limit, step = self.const(node.threshold.value), self.const(node.step.value)
        self.bind(frame, x, node.subject)
        self.writeline(frame, f"{over} = {x} - {limit}" if node.direction == "above" else f"{over} = {limit} - {x}")
        self.branch(frame, f"{over} <= {zero}", w, self.record(fired, clause.WITHIN, x, zero), rv)
        self.writeline(frame, "else:")
        inner = frame.inner()
        # Decimal `//` truncates toward zero, so a started step is a ceiling taken explicitly
        if node.prorata:  # the distance in steps, exactly: no whole or started rounding; multiplied first
            self.writeline(inner, f"{n} = {over} / {step}")
            self.writeline(inner, f"{raw} = {w} - {over} * {self.const(node.deduct)} / {step}")
        else:
            rounding = self.const(ROUND_FLOOR if node.whole else ROUND_CEILING)
            self.writeline(inner, f"{n} = ({over} / {step}).to_integral_value({rounding})")
            self.writeline(inner, f"{raw} = {w} - {n} * {self.const(node.deduct)}")
        self.branch(inner, f"{raw} < {zero}", zero, self.record(fired, clause.FLOORED, x, n), rv)
        self.branch(inner, "", raw, self.record(fired, clause.DEDUCTED, x, n), rv, "else")

    def visit_Proportional(self, node: ast.Proportional, frame: Frame, rv: str) -> None:
        q, raw, clause, w = self.temp(), self.temp(), self.temp(), frame.weight
        if isinstance(node.ratio, ast.Binary) and node.ratio.op == "/":
            # w × (a / b) is computed as (w × a) / b so that it stays exact where it can
            left, right = self.expr(node.ratio.left), self.expr(node.ratio.right)
            self.writeline(frame, f"{raw} = {w} * {left} / {right}")
            self.writeline(frame, f"{q} = {left} / {right}")
        else:
            self.bind(frame, q, node.ratio)
            self.writeline(frame, f"{raw} = {w} * {q}")
        self.clamped(frame, raw, clause)
        self.writeline(frame, f"{rv} = ({clause}, {q}, {raw})")

    def visit_Linear(self, node: ast.Linear, frame: Frame, rv: str) -> None:
        points = sorted(((p.at.value, p.points) for p in node.points), key=lambda p: p[0])
        xs = [self.const(at) for at, _ in points]
        ps = [frame.weight if value is None else self.const(value) for _, value in points]
        values = [frame.weight_value if value is None else value for _, value in points]
        fired, clause, x = clauses.LinearFired, clauses.Linear, self.temp()
        self.bind(frame, x, node.subject)
        below = self.scored(ps[0], self.record(fired, clause.BELOW, "0", x, frame.raw), rv)
        above = self.scored(ps[-1], self.record(fired, clause.ABOVE, str(len(xs)), x, frame.raw), rv)
        segments = []
        for k in range(1, len(xs)):
            p0, p1 = values[k - 1], values[k]
            rise, run = self.const(p1 - p0), self.const(points[k][0] - points[k - 1][0])
            # a segment from 0, or from 0 points, leaves out `- 0` and `0 +`: the same value, two operations fewer
            value = f"{rise} * {x if points[k - 1][0] == 0 else f'({x} - {xs[k - 1]})'} / {run}"
            if p0 != 0:
                value = f"{ps[k - 1]} + {value}"
            segments.append(
                (f"{x} < {xs[k]}", self.scored(value, self.record(fired, clause.SEGMENT, str(k), x, frame.raw), rv))
            )
        arms = [(f"{x} <= {xs[0]}", below), (f"{x} >= {xs[-1]}", above), *segments[:-1]]
        self.chain(frame, arms, segments[-1][1])

    def visit_Target(self, node: ast.Target, frame: Frame, rv: str) -> None:
        a, t, raw, clause, zero, w = self.temp(), self.temp(), self.temp(), self.temp(), self.const(ZERO), frame.weight
        fired = clauses.TargetFired
        self.bind(frame, a, node.actual)
        self.bind(frame, t, node.target)
        self.branch(frame, f"{a} {node.op} {t}", w, self.record(fired, clauses.Target.MET, a, t), rv)
        if not node.proportional:
            self.branch(frame, "", zero, self.record(fired, clauses.Target.MISSED, a, t), rv, "else")
            return
        target = node.target.value if isinstance(node.target, ast.Num) else None
        if target is None or target <= 0:  # credit in proportion needs a target above 0: else missed, never ÷ 0
            self.branch(frame, f"{t} <= {zero}", zero, self.record(fired, clauses.Target.MISSED, a, t), rv, "elif")
        self.writeline(frame, "else:")
        inner = frame.inner()
        num, den = (a, t) if node.op in (">=", ">") else (t, a)  # higher is better: actual/target
        self.writeline(inner, f"{raw} = {w} * {num} / {den}")
        self.clamped(inner, raw, clause)
        self.writeline(inner, f"{rv} = {self.record(fired, clauses.Target.PROPORTIONAL, a, t)}")

    def visit_Judged(self, node: ast.Judged, frame: Frame, rv: str) -> None:
        value = self.inputs[node.input.id]
        fired = clauses.JudgedFired
        self.not_absent(frame, value, node.input)
        if node.tier_input is not None:
            self.not_absent(frame, self.inputs[node.tier_input.id], node.tier_input)
        self.points(frame, value)
        if node.tier_input is None:
            self.writeline(frame, f"{rv} = {self.record(fired, clauses.Judged.SCORED, '0', value)}")
            return
        # the record names the tier, for explanations and coverage
        positions = {t.label: index for index, t in enumerate(node.tiers)}
        tier = f"{self.const(positions)}[{self.inputs[node.tier_input.id]}]"
        self.writeline(frame, f"{rv} = {self.record(fired, clauses.Judged.TIER, tier, value)}")

    def visit_JudgedBy(self, node: ast.JudgedBy, frame: Frame, rv: str) -> None:
        """The judged score as given (the reader has refused one outside the range the measure picks);
        the record names the row the measure lies in."""
        value, m, fired = self.inputs[node.input.id], self.temp(), clauses.JudgedByFired
        self.bind(frame, m, node.measure)
        arms = []
        for index, row in enumerate(r for r in node.ranges if not r.otherwise):
            low = f"{self.const(row.low.value)} {'<=' if row.low_closed else '<'} " if row.low else ""
            high = f" {'<=' if row.high_closed else '<'} {self.const(row.high.value)}" if row.high else ""
            test = f"{low}{m}{high}" if low or high else "True"
            arms.append((test, self.scored(value, self.record(fired, clauses.JudgedBy.ROW, str(index), m, value), rv)))
        if node.ranges[-1].otherwise:
            record = self.record(fired, clauses.JudgedBy.OTHERWISE, str(len(arms)), m, value)
            otherwise = self.scored(value, record, rv)
        else:

            def otherwise(inner: Frame) -> None:
                self.writeline(inner, f"raise {self.const(NoBand)}({m})")

        self.chain(frame, arms, otherwise)

    def visit_Formula(self, node: ast.Formula, frame: Frame, rv: str) -> None:
        value = self.expr(node.expr)
        constant = self.values.get(value)
        fired = clauses.FormulaFired
        if isinstance(constant, Decimal):  # `points 2`: clamped (and rounded) here, once
            weight = frame.weight_value
            clamp, points = (
                (clauses.Clamp.RAISED, ZERO)
                if constant < 0
                else (clauses.Clamp.CAPPED, weight)
                if constant > weight
                else (clauses.Clamp.AS_IS, constant)
            )
            self.points(frame, self.const(points))
            self.writeline(frame, f"{rv} = {self.record(fired, clamp, value)}")
            return
        raw, clause = self.temp(), self.temp()
        self.bind(frame, raw, node.expr)
        self.clamped(frame, raw, clause)
        self.writeline(frame, f"{rv} = ({clause}, {raw})")

    def visit_Conditional(self, node: ast.Conditional, frame: Frame, rv: str) -> None:
        inner_record = self.temp()
        fired, clause = clauses.ConditionalFired, clauses.Conditional

        def applied(rule: ast.Rule, record: str) -> Writer:
            def write(inner: Frame) -> None:
                self.visit_rule(rule, inner, inner_record)
                self.writeline(inner, f"{rv} = {record}")

            return write

        arms = [
            (self.expr(arm.condition), applied(arm.rule, self.record(fired, clause.ARM, str(index), inner_record)))
            for index, arm in enumerate(node.arms)
        ]
        otherwise = self.record(fired, clause.OTHERWISE, str(len(node.arms)), inner_record)
        self.chain(frame, arms, applied(node.otherwise, otherwise))

    # --- the whole scoring body: indicators, sections, total, grade

    def visit_body(self, frame: Frame) -> None:
        scope, rubric = self.checked.scope, self.checked.rubric
        rounding = {r.scope: r for r in rubric.rounding}
        indicator_rounding = rounding.get("indicator", DEFAULT_ROUNDING)
        total_rounding = rounding.get("total")
        index = {indicator.id: k for k, (indicator, _) in enumerate(scope.indicators)}
        sections = {section.id: j for j, (section, _) in enumerate(scope.sections)}

        def term(node: ast.Node) -> str:
            return f"p{index[node.id]}" if isinstance(node, ast.Indicator) else f"s{sections[node.id]}"

        def add(nodes: Sequence[ast.Node]) -> str:
            # no leading zero: rounded points have exponents <= 0, so `0 + p` would only cost an addition
            return " + ".join(map(term, nodes)) or self.const(ZERO)

        def indicator_code(k: int, indicator: ast.Indicator) -> None:
            at = f"{indicator.span.path}:{indicator.span.line}".encode("unicode_escape").decode("ascii")
            inner = Frame(frame.indent + 1, self.const(indicator.weight), indicator.weight, f"q{k}", f"p{k}")
            inner = replace(inner, rounding=indicator_rounding)
            self.writeline(inner, f"# indicator {indicator.id} ({at})")
            self.writeline(inner, f"_i = {k}")
            if policy is None:
                self.visit_rule(indicator.rule, inner, f"r{k}")
                return
            self.writeline(inner, f"if ia{k}:")
            self.visit_rule(indicator.rule, inner.inner(), f"r{k}")
            self.writeline(inner, "else:")  # not applicable: never scored, its facts never read
            unscored = inner.weight if policy.mode == "full" else self.const(ZERO)
            self.writeline(inner.inner(), f"q{k} = p{k} = {unscored}")
            self.writeline(inner.inner(), f"r{k} = None")

        policy = rubric.not_applicable
        self.writeline(frame, "_i = -1")
        self.writeline(frame, "try:")
        if policy is not None:
            self.visit_applicable_flags(frame.inner())
        order = points_order(self.checked)
        if order is None:
            for k, (indicator, _) in enumerate(scope.indicators):
                indicator_code(k, indicator)
        else:  # points read by rules, lets, lines or vetoes: each computed once, before what reads it
            nodes: dict[str, ast.Node] = {n.id: n for n, _ in scope.sections} | {n.id: n for n, _ in scope.indicators}
            for key in order:
                kind, name = key.split(":", 1)
                if kind == "let" and name in self.late:
                    self.late_let(frame.inner(), name)
                elif kind == "points" and isinstance(nodes[name], ast.Indicator):
                    indicator_code(index[name], cast(ast.Indicator, nodes[name]))
                elif kind == "points":
                    section = cast(ast.Section, nodes[name])
                    self.writeline(frame.inner(), f"s{sections[name]} = {add(section.children)}")
        if policy is not None:  # the checker refuses points() read by rules or lets beside `not_applicable`
            self.visit_reweigh(frame.inner(), indicator_rounding)
        self.writeline(frame, "except ArithmeticError as error:")
        self.writeline(frame.inner(), f"raise {self.const(Failed)}(_i, error) from None")
        if order is None:
            for section, _ in reversed(scope.sections):
                self.writeline(frame, f"s{sections[section.id]} = {add(section.children)}")
        self.writeline(frame, f"total = {add(rubric.body)}")
        if total_rounding is not None:
            step, mode = self.const(total_rounding.step), self.const(MODES[total_rounding.mode])
            self.writeline(frame, f"total = total.quantize({step}, {mode})")
        extended = bool(rubric.adjustments or rubric.vetoes or rubric.final_range)
        if extended:
            self.visit_adjustments(frame, indicator_rounding, total_rounding)
        rows = rubric.grades.rows if rubric.grades else ()

        def grade(g: int) -> Writer:
            return lambda inner: self.writeline(inner, f"grade = {g}")

        if len(rows) > 1:
            arms = [(f"total >= {self.const(row.minimum)}", grade(g)) for g, row in enumerate(rows[:-1])]
            self.chain(frame, arms, grade(len(rows) - 1))
        else:
            self.writeline(frame, f"grade = {max(len(rows) - 1, 0)}")

        def tup(prefix: str, count: int) -> str:
            return "(" + "".join(f"{prefix}{i}, " for i in range(count)) + ")"

        n, m = len(scope.indicators), len(scope.sections)
        tail = ""
        if extended:
            self.visit_vetoes(frame)
            lines, vetoes = len(rubric.adjustments), len(rubric.vetoes)
            read = "(" + "".join(f"({', '.join(self.veto_reads(v))},), " for v in rubric.vetoes) + ")"
            tail = f", base, {tup('b', lines)}, {tup('c', lines)}, {tup('e', lines)}, {tup('v', vetoes)}, {read}"
        applied = ", applied" if rubric.not_applicable is not None else ", None" if tail else ""
        self.writeline(
            frame, f"return {tup('p', n)}, {tup('q', n)}, {tup('r', n)}, {tup('s', m)}, total, grade{applied}{tail}"
        )

    # --- adjustment lines, the final range, vetoes and caps (issue 11, section A)

    def late_let(self, frame: Frame, name: str) -> None:
        """A let that reads points, computed once, where the order of points puts it; a failure is a Poison."""
        let = self.checked.scope.lets[name]
        self.writeline(frame, "try:")
        self.writeline(frame.inner(), f"{self.lets[name]} = {self.expr(let.expr)}")
        self.writeline(frame, "except ArithmeticError as error:")
        self.writeline(frame.inner(), f"{self.lets[name]} = {self.const(Poison)}(error)")

    def visit_Each(self, node: ast.Each, frame: Frame, rv: str) -> None:
        count, raw, clause = self.temp(), self.temp(), self.temp()
        self.bind(frame, count, node.count)
        self.writeline(frame, f"{raw} = {count} * {self.const(node.amount)}")
        self.clamped(frame, raw, clause)
        self.writeline(frame, f"{rv} = ({clause}, {count}, {raw})")

    def visit_adjustments(self, frame: Frame, rounding: ast.Rounding, total_rounding: ast.Rounding | None) -> None:
        """`base` is the table's total; each line's amount `b{k}` (raw `c{k}`, record `e{k}`) is added or taken
        off, and the sum limited to the final range."""
        rubric, scope = self.checked.rubric, self.checked.scope
        n = len(scope.indicators)
        self.writeline(frame, "base = total")
        terms = []
        self.writeline(frame, "try:")
        for k, line in enumerate(rubric.adjustments):
            cap = line.cap if line.cap is not None else UNCAPPED
            inner = Frame(frame.indent + 1, self.const(cap), cap, f"c{k}", f"b{k}", rounding)
            self.writeline(inner, f"# {line.kind} {line.id}")
            self.writeline(inner, f"_i = {n + k}")
            self.visit_rule(line.rule, inner, f"e{k}")
            terms.append(f"{'+' if line.kind == 'bonus' else '-'} b{k}")
        self.writeline(frame.inner(), "pass")
        self.writeline(frame, "except ArithmeticError as error:")
        self.writeline(frame.inner(), f"raise {self.const(Failed)}(_i, error) from None")
        if terms:
            self.writeline(frame, f"total = base {' '.join(terms)}")
            if total_rounding is not None:
                step, mode = self.const(total_rounding.step), self.const(MODES[total_rounding.mode])
                self.writeline(frame, f"total = total.quantize({step}, {mode})")
        low, high = final_bounds(scope)
        self.writeline(frame, f"if total < {self.const(low)}:")
        self.writeline(frame.inner(), f"total = {self.const(low)}")
        self.writeline(frame, f"elif total > {self.const(high)}:")
        self.writeline(frame.inner(), f"total = {self.const(high)}")
        self.writeline(frame, "try:")
        for k, veto in enumerate(rubric.vetoes):
            self.writeline(frame.inner(), f"_i = {n + len(rubric.adjustments) + k}")
            self.writeline(frame.inner(), f"v{k} = True if {self.expr(veto.condition)} else False")
        self.writeline(frame.inner(), "pass")
        self.writeline(frame, "except ArithmeticError as error:")
        self.writeline(frame.inner(), f"raise {self.const(Failed)}(_i, error) from None")
        zeroing = [f"v{k}" for k, veto in enumerate(rubric.vetoes) if veto.zero]
        if zeroing:
            self.writeline(frame, f"if {' or '.join(zeroing)}:")
            self.writeline(frame.inner(), f"total = {self.const(ZERO)}")

    def veto_reads(self, veto: ast.Veto) -> list[str]:
        """The variables of what a veto's condition reads (facts, lets, points), as `read_by` lists them."""
        found = []
        for node in read_by(veto.condition):
            if isinstance(node, ast.PointsOf):
                found.append(self.points_of[node.id])
            else:
                found.append(self.inputs[node.id] if node.id in self.inputs else self.lets[node.id])
        return found

    def visit_vetoes(self, frame: Frame) -> None:
        """The grade as the vetoes and caps that fired leave it: a fixed grade replaces the total's grade, a cap
        (`at most`) only lowers it; the worst of them wins."""
        rubric = self.checked.rubric
        rows = [row.label for row in rubric.grades.rows] if rubric.grades else []
        graded = [(k, v) for k, v in enumerate(rubric.vetoes) if v.grade is not None and v.grade in rows]
        if not graded:
            return
        self.writeline(frame, "fixed = -1")
        self.writeline(frame, "ceiling = -1")
        for k, veto in graded:
            at = rows.index(cast(str, veto.grade))
            target = "ceiling" if veto.at_most else "fixed"
            self.writeline(frame, f"if v{k} and {target} < {at}:")
            self.writeline(frame.inner(), f"{target} = {at}")
        self.writeline(frame, "grade = max(fixed if fixed >= 0 else grade, ceiling)")

    def visit_applicable_flags(self, frame: Frame) -> None:
        """`sa{j}` per section and `ia{k}` per indicator: whether its own `applicable when` holds (True without one)."""
        scope = self.checked.scope
        for j, (section, _) in enumerate(scope.sections):
            self.writeline(frame, f"sa{j} = {self.condition(section.applicable)}")
        sections = {section.id: j for j, (section, _) in enumerate(scope.sections)}
        for j, (_, parent) in enumerate(scope.sections):  # a parent before its children
            if parent is not None:
                self.writeline(frame, f"sa{j} = sa{j} and sa{sections[parent.id]}")
        for k, (indicator, parent) in enumerate(scope.indicators):
            own = self.condition(indicator.applicable)
            self.writeline(frame, f"ia{k} = {own}" if parent is None else f"ia{k} = {own} and sa{sections[parent.id]}")

    def condition(self, expr: ast.Expr | None) -> str:
        return "True" if expr is None else self.expr(expr)

    def visit_reweigh(self, frame: Frame, rounding: ast.Rounding) -> None:
        """The points and weights once the items that are not applicable are taken out (see `applicable.py`)."""
        scope, policy = self.checked.scope, self.checked.rubric.not_applicable
        assert policy is not None
        sections = {section.id: j for j, (section, _) in enumerate(scope.sections)}
        reweigh = Reweigher(
            policy.mode,
            scope.total,
            rounding.step,
            MODES[rounding.mode],
            tuple(i.weight for i, _ in scope.indicators),
            tuple(sections[p.id] if p else None for _, p in scope.indicators),
            tuple(s.weight for s, _ in scope.sections),
            tuple(sections[p.id] if p else None for _, p in scope.sections),
        )
        n, m = len(scope.indicators), len(scope.sections)
        ps = "".join(f"p{k}, " for k in range(n))
        self.writeline(frame, f"_i = {max(n - 1, 0)}")
        self.writeline(
            frame,
            f"({ps}), applied = {self.const(reweigh)}(({''.join(f'sa{j}, ' for j in range(m))}), "
            f"({''.join(f'ia{k}, ' for k in range(n))}), ({''.join(f'q{k}, ' for k in range(n))}), ({ps}))",
        )

    # --- reading facts

    def unpack(self, frame: Frame) -> None:
        if self.inputs:
            self.writeline(frame, f"{', '.join(self.inputs.values())}, = v")

    def visit_reader(self, frame: Frame) -> None:
        """Read the usual spellings of the facts into the `a` variables, computing the lets and checking the
        constraints; `return None` for anything else, which the validator then reads or refuses."""
        reader = self.reader
        self.writeline(frame, "get = facts.get")
        self.writeline(frame, "try:")
        inner = frame.inner()
        for spec in reader.required:
            self.writeline(inner, f"x = get({self.const(spec.name)}, {self.const(reader.missing)})")
            self.read_one(inner, spec.name)
        optional = reader.optional
        if not optional:
            self.writeline(inner, f"if len(facts) != {len(reader.required)}:")
            self.writeline(inner.inner(), "return None")  # an unknown fact
        else:
            self.read_optional(inner)
        self.visit_lets(inner, [*self.rule_exprs(), *(c.expr for c in reader.constraints)])
        for constraint in reader.constraints:
            self.writeline(inner, f"if not {self.expr(constraint.expr)}:")
            self.writeline(inner.inner(), "return None")
        self.writeline(frame, "except ArithmeticError:")
        self.writeline(frame.inner(), "return None")

    def read_optional(self, frame: Frame) -> None:
        """The facts with defaults; a request of just the required facts needs no look for them."""
        reader, missing = self.reader, self.const(self.reader.missing)
        self.writeline(frame, f"if len(facts) == {len(reader.required)}:")
        for spec in reader.optional:
            self.writeline(frame.inner(), f"{self.inputs[spec.name]} = {self.const(spec.default)}")
        self.writeline(frame, "else:")
        inner = frame.inner()
        self.writeline(inner, f"given = {len(reader.required)}")
        for spec in reader.optional:
            self.writeline(inner, f"x = get({self.const(spec.name)}, {missing})")
            self.writeline(inner, f"if x is {missing}:")
            self.writeline(inner.inner(), f"{self.inputs[spec.name]} = {self.const(spec.default)}")
            self.writeline(inner, "else:")
            self.writeline(inner.inner(), "given += 1")
            self.read_one(inner.inner(), spec.name)
        self.writeline(inner, "if len(facts) != given:")
        self.writeline(inner.inner(), "return None")  # an unknown fact

    def read_one(self, frame: Frame, name: str) -> None:
        """`x` into the input's variable, by the reader's fast reading of its kind (see `reader.py`)."""
        for line in self.reader.specs[name].fast_lines("x", self.inputs[name], self.const):
            self.writeline(frame, line)

    def visit_constraints(self, frame: Frame) -> None:
        """The validator's check of the constraints on values it read: the indexes of those broken."""
        self.unpack(frame)
        self.visit_lets(frame, [c.expr for c in self.reader.constraints])
        self.writeline(frame, "bad = []")
        for index, constraint in enumerate(self.reader.constraints):
            self.writeline(frame, "try:")
            self.writeline(frame.inner(), f"if not {self.expr(constraint.expr)}:")
            self.writeline(frame.inner().inner(), f"bad.append({index})")
            if self.absent:  # a constraint on a fact the request left out does not apply
                self.writeline(frame, f"except {self.const(FactAbsent)}:")
                self.writeline(frame.inner(), "pass")
            self.writeline(frame, "except ArithmeticError:")
            self.writeline(frame.inner(), f"bad.append({index})")
        self.writeline(frame, "return bad")

    # --- compiling

    def function(self, name: str, parameter: str, body: list[str]) -> str:
        return "\n".join([f"def {name}({parameter}):", *("    " + line for line in body)])

    def build(self) -> Generated:
        top = Frame()
        body = self.written(lambda: self.visit_body(top))
        lets = self.written(lambda: self.visit_lets(top, self.rule_exprs()))
        unpack = self.written(lambda: self.unpack(top))
        reader = self.written(lambda: self.visit_reader(top))
        checks = self.written(lambda: self.visit_constraints(top))
        functions = [
            self.function("score_values", "v", [*unpack, *lets, *body]),
            self.function("score_facts", "facts", [*reader, *body]),
            self.function("constraints", "v", checks),
        ]
        cells = [name for name, _ in self.constants.values()]
        source = "\n".join(
            [
                f"def _make({', '.join(cells)}):",
                *("    " + line for function in functions for line in function.split("\n")),
                "    return score_values, score_facts, constraints",
            ]
        )
        namespace: dict[str, Any] = {"__builtins__": BUILTINS}
        exec(cache.compiled_code(source, f"<rubric {self.checked.rubric.id}>"), namespace)
        score_values, score_facts, constraints = namespace["_make"](*(value for _, value in self.constants.values()))
        return Generated(score_values, score_facts, constraints, source, tuple(self.constants.values()))


UNCAPPED = Decimal("Infinity")  # the "weight" of a line without `max`: its rule is never capped


def read_by(expr: ast.Expr) -> list[ast.Name | ast.PointsOf]:
    """The facts, lets and points an expression reads, each once, in the order written (a veto's why shows
    their values)."""
    found: dict[tuple[str, str], ast.Name | ast.PointsOf] = {}
    for node in walk_expr(expr):
        if isinstance(node, ast.Name | ast.PointsOf):
            found.setdefault((type(node).__name__, node.id), node)
    return list(found.values())


def late_lets(checked: CheckedRubric) -> set[str]:
    """The lets that read points, directly or through other lets."""
    graph = dependencies(checked.scope)
    late: set[str] = set()
    changed = True
    while changed:
        changed = False
        for key, reads in graph.items():
            reads_points = any(r.startswith("points:") or (r.startswith("let:") and r[4:] in late) for r in reads)
            if key.startswith("let:") and key[4:] not in late and reads_points:
                late.add(key[4:])
                changed = True
    return late


def points_order(checked: CheckedRubric) -> list[str] | None:
    """When a rule or a let reads points: every indicator, section and let in an order where each comes after
    what it reads (rubric order where free); else None, and indicators go in rubric order."""
    scope = checked.scope
    reads = any(
        isinstance(node, ast.PointsOf)
        for root in [
            *(let.expr for let in scope.lets.values()),
            *(e for i, _ in scope.indicators for e in rule_exprs(i.rule)),
        ]
        for node in walk_expr(root)
    )
    if not reads:
        return None
    graph = dependencies(scope)
    return list(graphlib.TopologicalSorter(graph).static_order())


def generate(checked: CheckedRubric, reader: FactReader) -> Generated:
    """The scoring functions of `checked`, reading facts as `reader` defines."""
    return CodeGenerator(checked, reader).build()
