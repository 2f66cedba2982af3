"""Build a draft rubric from the rows of a 评分表, and the report of what was mapped and what was not.

Takes `SheetRows` (`table.py`); gives a `Draft`: the rubric text (each indicator's original 评分标准
kept as comments beside its rule, rows that need a person marked `# 待人工确认`), the report items, and
the draft's own diagnostics from `rubric check`. Sections come from the level columns ("决策（21分）":
the label and its weight; a level left empty puts the indicator one level higher), indicators from the
三级指标 and 分值 columns, rules from `phrases.read_criteria`; 加分/扣分 rows become bonus and penalty
lines (`phrases.read_line`) outside the weighted tree, 一票否决/等次限制 rows vetoes and caps whose
condition is a placeholder flag for a person to replace (`phrases.read_veto`); "本表不评等次" means no
grades table. Facts get ids from the row they serve (`i3_value`, `line2_count`, `veto1_holds`), one per
label; their labels carry the Chinese.

For a sheet `rubric sheet --format xlsx` wrote, its hidden rule record gives back what the visible sheet
cannot say: each row's rule (with its `applicable when`) while the row's 评分标准 is still the one printed,
each section's id and condition, every input (optional ones and `records` blocks included), constraints,
lets, rounding, the final range, the not-applicable policy, the grades (or none), each 加分/扣分 line and
veto still on the sheet as printed. So the bundled rubrics read back to rubrics that score alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from rubric_dsl import ast
from rubric_dsl.api import check_source
from rubric_dsl.diagnostics import Diagnostic, fmt
from rubric_dsl.formatter import item_lines, rule_lines
from rubric_dsl.importer.phrases import Fact, Reading, judged_fallback, read_criteria, read_line, read_veto
from rubric_dsl.importer.table import LineRow, SheetRow, SheetRows, VetoRow, tidy
from rubric_dsl.parser import parse
from rubric_dsl.printer import format_expr, quote
from rubric_dsl.source import SourceFile

_LABEL = re.compile(r"^(.*?)\s*[(（]\s*(\d+(?:\.\d+)?)\s*分?\s*[)）]$")
_GRADE = re.compile(r"([^\s（(：:、，,]+?)\s*[（(]([^）)]*)[）)]")


@dataclass(frozen=True, slots=True)
class Item:
    row: int  # the row in the file, 0 for the whole sheet
    indicator: str
    text: str  # in Chinese
    text_en: str


@dataclass(slots=True)
class Draft:
    text: str
    mapped: list[Item] = field(default_factory=list)
    needs: list[Item] = field(default_factory=list)  # what a person must look at
    weights: list[Item] = field(default_factory=list)  # each weight check, passed or not
    weights_ok: bool = True
    facts: list[str] = field(default_factory=list)  # the declared inputs, as written
    diagnostics: list[Diagnostic] = field(default_factory=list)  # `rubric check` of the draft
    from_record: int = 0  # rows whose rule came from the sheet's rule record
    indicators: int = 0  # how many indicator rows were read
    lines: int = 0  # 加分/扣分 rows
    vetoes: int = 0  # 一票否决/等次限制 rows

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


@dataclass(slots=True)
class _Node:
    label: str
    weight: Decimal | None
    path: tuple[str, ...]
    children: list[_Node | _Leaf] = field(default_factory=list)
    id: str = ""
    below: Decimal | None = None  # its children's sum, when it is not its weight
    applicable: str = ""  # `applicable when …` (from the rule record), or ""


@dataclass(slots=True)
class _Leaf:
    row: SheetRow
    id: str
    weight: Decimal
    reading: Reading
    applicable: str = ""
    label: str = ""  # as written in the rule record, else the sheet's 三级指标


@dataclass(slots=True)
class _Line:
    row: LineRow
    lines: list[str]  # the whole `bonus|penalty ID "…" [max N] { … }`
    needs: bool


@dataclass(slots=True)
class _Veto:
    row: VetoRow
    line: str  # the whole `veto|cap ID "…" when … `
    needs: str  # "" or what a person must do, for the comment above it


class _Facts:
    """One input per label, named after the indicator that first reads it."""

    def __init__(self, taken: set[str], known: dict[str, str]) -> None:
        self.by_label: dict[str, str] = dict(known)  # the record's inputs, by label: read as they were
        self.declared: list[str] = []
        self.taken = taken
        self.prefix = "i0"

    def __call__(self, fact: Fact) -> str:
        if fact.label in self.by_label:
            return self.by_label[fact.label]
        name, copy = f"{self.prefix}_{fact.role}", 1
        while name in self.taken:
            copy += 1
            name = f"{self.prefix}_{fact.role}{copy}"
        self.taken.add(name)
        self.by_label[fact.label] = name
        text = f"input {name} {fact.kind} {quote(fact.label)}"
        if fact.low is not None or fact.high is not None:
            text += f" range {fact.low + ' ' if fact.low else ''}..{' ' + fact.high if fact.high else ''}"
        if fact.default is not None:
            text += f" default {fact.default}"
        if fact.unit:
            text += f" unit {quote(fact.unit)}"
        self.declared.append(text)
        return name

    def label(self, name: str) -> str:
        return next((label for label, known in self.by_label.items() if known == name), name)


def build_draft(sheet: SheetRows, rubric_id: str, path: str = "draft.rubric") -> Draft:
    """The draft rubric `rubric_id` read from `sheet`, checked as if saved at `path`."""
    record = _Record.of(sheet)
    facts = _Facts(set(record.input_names), record.labels)
    draft = Draft("")
    root = _Node("", None, ())
    for number, row in enumerate(sheet.rows, start=1):
        facts.prefix = f"i{number}"
        parent = _place(root, row, draft)
        weight = _number(row.weight)
        if weight is None:
            draft.needs.append(
                Item(
                    row.number,
                    row.indicator,
                    f"分值“{row.weight}”不是数字，暂记0分",
                    f"weight {row.weight!r} is no number; 0 for now",
                )
            )
            weight = Decimal(0)
        leaf_id, reading, applicable = record.reading(number - 1, row)
        from_record = reading is not None
        if reading is not None:
            draft.from_record += 1
            draft.mapped.append(
                Item(row.number, row.indicator, "按评分表所附规则记录读回", "read back from the sheet's rule record")
            )
        else:
            leaf_id = f"i{number}"
            reading = read_criteria(row.criteria, weight, row.indicator, facts)
            if reading.understood:
                draft.mapped.append(Item(row.number, row.indicator, reading.how, "mapped"))
            else:
                reading = judged_fallback(weight, row.indicator, facts)
                why = "评分标准为空" if not row.criteria.strip() else "未能识别评分标准"
                draft.needs.append(
                    Item(
                        row.number,
                        row.indicator,
                        f"{why}，暂按评价组评定（0至{fmt(weight)}分），请改写为规则",
                        "criteria not understood: judged for now; write the rule",
                    )
                )
        label = row.indicator
        if from_record:
            label = record.indicators[leaf_id].label
            if record.not_applicable:  # a scored sheet shows the weights as adjusted for items not applicable
                weight = record.indicators[leaf_id].weight
        parent.children.append(_Leaf(row, leaf_id, weight, reading, applicable, label))
    draft.indicators = len(sheet.rows)
    _name_sections(root, record)
    total = _number(sheet.total) or Decimal(100)
    _check_weights(root, total, draft)
    lines = [_line(k, row, record, facts, draft) for k, row in enumerate(sheet.lines, start=1)]
    grades = _grade_rows(sheet.grade_line, record)
    labels = [label for label, _ in grades]
    vetoes = [_veto(k, row, record, facts, labels, draft) for k, row in enumerate(sheet.vetoes, start=1)]
    draft.lines, draft.vetoes = len(lines), len(vetoes)
    final_range = record.final_range
    if lines and record.tree is None:
        final_range = f"final range 0 .. {fmt(total)}"
        draft.needs.append(
            Item(
                0,
                "最终得分范围",
                f"评分表未写明加减分后的得分范围，暂按0至{fmt(total)}分，请核对",
                f"the sheet does not say the final score's range with 加分/扣分: 0 .. {fmt(total)} for now",
            )
        )
    draft.facts = [*record.inputs, *facts.declared]
    parts = _Parts(total, final_range, lines, vetoes, grades)
    draft.text = _text(sheet, rubric_id, root, parts, record, facts, draft)
    draft.diagnostics = check_source(draft.text, path)
    return draft


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().removesuffix("分"))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def _section_label(text: str) -> tuple[str, Decimal | None]:
    found = _LABEL.match(text)
    if found:
        return found.group(1).strip(), Decimal(found.group(2))
    return text.strip(), None


def _place(root: _Node, row: SheetRow, draft: Draft) -> _Node:
    """The section of `row`, made on first sight: its level cells, equal neighbours once (a merged block)."""
    node = root
    previous = ""
    for cell in row.levels:
        if not cell or cell == previous:
            continue
        previous = cell
        label, weight = _section_label(cell)
        path = (*node.path, label)
        found = next((c for c in node.children if isinstance(c, _Node) and c.path == path), None)
        if found is None:
            found = _Node(label, weight, path)
            node.children.append(found)
        node = found
    return node


def _name_sections(node: _Node, record: _Record, prefix: str = "s") -> None:
    count = 0
    for child in node.children:
        if isinstance(child, _Node):
            count += 1
            section = record.sections.get(child.path)
            child.id = section.id if section else f"{prefix}{count}"
            if section is not None:  # its label as written (a sheet's cell drops the spaces between words)
                child.label = section.label
                if record.not_applicable:  # as for its indicators: the weight written, not the one used
                    child.weight = section.weight
                child.applicable = _applicable(section.applicable) if section.applicable is not None else ""
            _name_sections(child, record, f"{child.id}_")


def _weight_of(node: _Node | _Leaf) -> Decimal:
    if isinstance(node, _Leaf):
        return node.weight
    return node.weight if node.weight is not None else sum((_weight_of(c) for c in node.children), Decimal(0))


def _check_weights(root: _Node, total: Decimal, draft: Draft) -> None:
    def visit(node: _Node) -> None:
        for child in node.children:
            if isinstance(child, _Node):
                summed = sum((_weight_of(c) for c in child.children), Decimal(0))
                if child.weight is None:
                    draft.needs.append(
                        Item(
                            0,
                            child.label,
                            f"“{child.label}”未标分值，按下级合计记{fmt(summed)}分",
                            f"section {child.label!r} has no weight: {fmt(summed)}, its children's sum",
                        )
                    )
                    child.weight = summed
                ok = summed == child.weight
                draft.weights_ok &= ok
                child.below = None if ok else summed
                mark = "相符" if ok else "不符，请核对"
                draft.weights.append(
                    Item(
                        0,
                        child.label,
                        f"“{child.label}”分值{fmt(child.weight)}，下级合计{fmt(summed)}：{mark}",
                        f"{child.label}: {fmt(child.weight)} declared, {fmt(summed)} below: {_ok(ok)}",
                    )
                )
                visit(child)

    visit(root)
    summed = sum((_weight_of(c) for c in root.children), Decimal(0))
    ok = summed == total
    draft.weights_ok &= ok
    mark = "相符" if ok else "不符，请核对"
    draft.weights.append(
        Item(
            0,
            "总分",
            f"总分{fmt(total)}，一级合计{fmt(summed)}：{mark}",
            f"total {fmt(total)}, top level sums to {fmt(summed)}: {'ok' if ok else 'MISMATCH'}",
        )
    )


@dataclass(slots=True)
class _Parts:
    total: Decimal
    final_range: str
    lines: list[_Line]
    vetoes: list[_Veto]
    grades: list[tuple[str, str]]  # (label, the rest of its row: `>= 90` or `otherwise`)


def _text(
    sheet: SheetRows, rubric_id: str, root: _Node, parts: _Parts, record: _Record, facts: _Facts, draft: Draft
) -> str:
    title = sheet.titles[0] if sheet.titles else "导入的评分表"
    year = next((m.group(1) for t in sheet.titles for m in [re.search(r"(\d{4})\s*年度", t)] if m), None)
    out = [
        f"# 由 rubric import 从 {sheet.path} 生成的草稿。",
        "# 每项指标前的注释是原评分表的评分标准；标有“待人工确认”的地方需要人来改写或核对。",
        f"rubric {rubric_id} {quote(title)} {{",
    ]
    head = record.header or ['  version "草稿"', *([f"  year {year}"] if year else [])]
    out += head + [f"  total {fmt(parts.total)}"] + [f"  {line}" for line in record.rounding]
    if parts.final_range:
        if record.tree is None:
            out.append("  # 待人工确认：评分表未写明加减分后的得分范围，暂按0至总分")
        out.append(f"  {parts.final_range}")
    if record.not_applicable:
        out.append(f"  {record.not_applicable}")
    declared = [*record.inputs, *facts.declared]
    if declared:
        out += ["", *(f"  {line}" for text in declared for line in text.splitlines())]
    if record.constraints:
        out += ["", *(f"  {line}" for line in record.constraints)]
    if record.lets:
        out += ["", *(f"  {line}" for line in record.lets)]
    needs = {item.row for item in draft.needs}
    for child in root.children:
        out.append("")
        _node_text(child, 1, out, needs)
    for line in parts.lines:
        out.append("")
        for said in (line.row.criteria or line.row.label).splitlines():
            out.append(f"  # 评分标准：{tidy(said)}")
        if line.needs:
            out.append(
                f"  # 待人工确认：加分/扣分标准未能读成规则，暂按评价组评定；请改写为规则（第{line.row.number}行）"
            )
        out += [f"  {text}" for text in line.lines]
    if parts.vetoes:
        out.append("")
    for veto in parts.vetoes:
        if veto.needs:
            out.append(f"  # 原文：{veto.row.text}")
            out.append(f"  # 待人工确认：{veto.needs}（第{veto.row.number}行）")
        out.append(f"  {veto.line}")
    if parts.grades:
        words = [_grade_word(label) for label, _ in parts.grades]
        width = max(len(word) for word in words)
        rows = [f"{word.ljust(width)} {rest}" for word, (_, rest) in zip(words, parts.grades, strict=True)]
        out += ["", "  grades {", *(f"    {line}" for line in rows), "  }"]
    out.append("}")
    return "\n".join(out) + "\n"


def _node_text(node: _Node | _Leaf, depth: int, out: list[str], needs: set[int]) -> None:
    pad = "  " * depth
    if isinstance(node, _Node):
        if node.below is not None:
            weight = fmt(node.weight or Decimal(0))
            out.append(f"{pad}# 待人工确认：评分表标明{weight}分，其下各项合计{fmt(node.below)}分")
        when = f" {node.applicable}" if node.applicable else ""
        out.append(f"{pad}section {node.id} {quote(node.label)} {fmt(node.weight or Decimal(0))}{when} {{")
        for child in node.children:
            _node_text(child, depth + 1, out, needs)
        out.append(f"{pad}}}")
        return
    for line in (node.row.criteria or "（空）").splitlines() or ["（空）"]:
        out.append(f"{pad}# 评分标准：{tidy(line)}")
    if node.row.number in needs:
        out.append(f"{pad}# 待人工确认：评分标准未能读成规则，暂按评价组评定；请改写为规则（第{node.row.number}行）")
    when = f" {node.applicable}" if node.applicable else ""
    out.append(f"{pad}indicator {node.id} {quote(node.label)} {fmt(node.weight)}{when} {{")
    out += [f"{pad}  {line}" for line in node.reading.lines]
    out.append(f"{pad}}}")


def _grade_rows(line: str, record: _Record) -> list[tuple[str, str]]:
    """The grades table: none when the sheet says 本表不评等次; the record's rows (their own `>` or `>=`)
    when the grade line reads to the same labels and cutoffs; else the grade line's; else the record's."""
    if re.search(r"不评等次|不评定等次|不分等次", line):
        return []
    read = _grades(line)
    if record.grades and (not read or [label for label, _ in read] == [label for label, _ in record.grades]):
        return record.grades
    return read


def _grades(line: str) -> list[tuple[str, str]]:
    """`优（S≥90）良（80≤S<90）…差（S<60）` or `良（90>S≥80）` as grade rows, highest first."""
    rows: list[tuple[str, Decimal | None]] = []
    for label, inside in _GRADE.findall(line.split("：", 1)[-1].split(":", 1)[-1]):
        inside = inside.replace(" ", "")
        low = re.search(r"S≥(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)≤S", inside)
        rows.append((label, Decimal(low.group(1) or low.group(2)) if low else None))
    if len(rows) < 2 or rows[-1][1] is not None or any(m is None for _, m in rows[:-1]):
        return []
    return [(label, "otherwise" if m is None else f">= {fmt(m)}") for label, m in rows]


def _grade_word(label: str) -> str:
    return label if label.isidentifier() else quote(label)


def _line(number: int, row: LineRow, record: _Record, facts: _Facts, draft: Draft) -> _Line:
    """A 加分/扣分 row as a bonus or penalty line: from the rule record while it still reads as printed."""
    word = "加分项" if row.kind == "bonus" else "扣分项"
    found = record.line(number - 1, row)
    if found is not None:
        draft.from_record += 1
        draft.mapped.append(Item(row.number, f"{word}：{row.label}", "按评分表所附规则记录读回", "read back"))
        return _Line(row, found, False)
    facts.prefix = f"line{number}"
    reading, cap = read_line(row.criteria or row.label, row.label, _number(row.cap) or None, facts)
    ident = f"line{number}"
    if reading.understood:
        draft.mapped.append(
            Item(row.number, f"{word}：{row.label}", f"{word[:2]}：{reading.how}", f"{row.kind} line: mapped")
        )
    else:
        score = facts(Fact("score", "number", f"{row.label}：评价组评定的{word[:2]}", low="0"))
        reading = Reading([f"points {score}"], "评价组评定", understood=False)
        draft.needs.append(
            Item(
                row.number,
                f"{word}：{row.label}",
                f"未能识别{word[:2]}标准，暂按评价组评定的分数计，请改写为规则",
                f"{row.kind} line not understood: a judged amount for now; write the rule",
            )
        )
    head = f"{row.kind} {ident} {quote(row.label)}{f' max {fmt(cap)}' if cap else ''} {{"
    return _Line(row, [head, *(f"  {text}" for text in reading.lines), "}"], not reading.understood)


def _veto(number: int, row: VetoRow, record: _Record, facts: _Facts, grades: list[str], draft: Draft) -> _Veto:
    """A 一票否决/等次限制 row as a veto or cap: from the rule record when its label is the record's; else
    with a placeholder condition a person must write."""
    word = "一票否决" if row.kind == "veto" else "等次限制"
    found = record.vetoes.get((row.kind, row.text))
    if found is not None:
        draft.from_record += 1
        draft.mapped.append(Item(row.number, f"{word}：{row.text}", "按评分表所附规则记录读回", "read back"))
        return _Veto(row, found, "")
    facts.prefix = f"veto{number}"
    tail, outcome = read_veto(row.text, row.kind, grades, facts)
    placeholder = tail.split()[1]
    draft.needs.append(
        Item(
            row.number,
            f"{word}：{row.text}",
            f"{word}的条件需人工填写：暂以占位事实 {placeholder}（默认不触发）代替；{outcome}",
            f"{row.kind}: a person must write its condition; placeholder fact {placeholder} (false by default)",
        )
    )
    needs = f"把占位事实 {placeholder} 换成{word}的条件；{outcome}"
    return _Veto(row, f"{row.kind} veto{number} {quote(row.text)} {tail}", needs)


@dataclass(slots=True)
class _Record:
    """The rule record `rubric sheet` hides in its XLSX: the rubric's text and each row's indicator."""

    tree: ast.Rubric | None = None
    rows: list[tuple[str, str]] = field(default_factory=list)  # (indicator id, 评分标准 as printed)
    line_rows: list[tuple[str, str]] = field(default_factory=list)  # (line id, 评分标准 as printed)
    header: list[str] = field(default_factory=list)
    rounding: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    input_names: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # input label -> name
    constraints: list[str] = field(default_factory=list)
    lets: list[str] = field(default_factory=list)
    grades: list[tuple[str, str]] = field(default_factory=list)
    final_range: str = ""
    not_applicable: str = ""
    sections: dict[tuple[str, ...], ast.Section] = field(
        default_factory=dict
    )  # by their labels as the sheet shows them
    indicators: dict[str, ast.Indicator] = field(default_factory=dict)
    adjustments: dict[str, ast.Adjustment] = field(default_factory=dict)
    vetoes: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, label) -> the veto's line

    @classmethod
    def of(cls, sheet: SheetRows) -> _Record:
        rows = [(r[1], r[2] if len(r) > 2 else "") for r in sheet.record if r and r[0] == "指标" and len(r) > 1]
        source = "\n".join(r[1] if len(r) > 1 else "" for r in sheet.record if r and r[0] == "规则")
        if not rows or not source:
            return cls()
        tree, _problems = parse(SourceFile("<规则记录>", source))
        if tree is None:
            return cls()
        lines = source.splitlines()
        found = cls(tree, rows)
        found.line_rows = [(r[1], r[2] if len(r) > 2 else "") for r in sheet.record if r and r[0] == "加减分"]
        for item in tree.header:
            if item.key in ("version", "source", "region", "year"):
                found.header.append(lines[item.span.line - 1].rstrip())
        found.rounding = [f"round {r.scope} {r.step} {r.mode}" for r in tree.rounding]
        found.inputs = ["\n".join(item_lines(i)) for i in tree.inputs]
        found.input_names = [i.name for i in tree.inputs]
        found.labels = {i.label: i.name for i in reversed(tree.inputs) if i.kind != "records"}
        found.constraints = [line for c in tree.constraints for line in item_lines(c)]
        found.lets = [line for let in tree.lets for line in item_lines(let)]
        if tree.grades is not None:
            found.grades = [
                (g.label, "otherwise" if g.minimum is None else f"{g.op} {g.minimum}") for g in tree.grades.rows
            ]
        if tree.final_range is not None:
            low, high = tree.final_range.minimum.text, tree.final_range.maximum.text
            found.final_range = f"final range {low} .. {high}"
        if tree.not_applicable is not None:
            found.not_applicable = f"not_applicable {tree.not_applicable.mode}"
        found.adjustments = {line.id: line for line in tree.adjustments}
        found.vetoes = {(v.kind, tidy(v.label)): item_lines(v)[0] for v in tree.vetoes}

        def walk(nodes: tuple[ast.Node, ...], path: tuple[str, ...]) -> None:
            for node in nodes:
                if isinstance(node, ast.Section):
                    found.sections[(*path, tidy(node.label))] = node
                    walk(node.children, (*path, tidy(node.label)))
                else:
                    found.indicators[node.id] = node

        walk(tree.body, ())
        return found

    def reading(self, index: int, row: SheetRow) -> tuple[str, Reading | None, str]:
        """The record's indicator for the sheet's `index`th row, when the row still says what it printed:
        its id, its rule and its `applicable when …` ("" when it has none)."""
        if index >= len(self.rows):
            return "", None, ""
        ident, printed = self.rows[index]
        node = self.indicators.get(ident)
        if node is None or tidy(node.label) != row.indicator or tidy(printed) != row.criteria:
            return "", None, ""
        applicable = _applicable(node.applicable) if node.applicable is not None else ""
        return ident, Reading(rule_lines(node.rule), "规则记录"), applicable

    def line(self, index: int, row: LineRow) -> list[str] | None:
        """The record's bonus or penalty line for the sheet's `index`th 加分/扣分 row, as printed."""
        if index >= len(self.line_rows):
            return None
        ident, printed = self.line_rows[index]
        line = self.adjustments.get(ident)
        if line is None or line.kind != row.kind or tidy(line.label) != row.label or tidy(printed) != row.criteria:
            return None
        if (fmt(line.cap) if line.cap is not None else "") != row.cap:
            return None
        return item_lines(line)


def _applicable(condition: ast.Expr) -> str:
    return f"applicable when {format_expr(condition)}"


def _ok(ok: bool) -> str:
    return "ok" if ok else "MISMATCH"
