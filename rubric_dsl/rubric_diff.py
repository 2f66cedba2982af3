"""What changed between two rubrics, in the policy reader's terms: `rubric diff OLD NEW [--data FILE]`.

Takes two compiled rubrics (a draft and the rubric it replaces, say); gives a `RubricDiff`: the
header (title, version, total), sections and indicators added, removed or re-weighted (matched by
id, in the new rubric's order, with their labels and the section they sit in), each indicator whose
评分标准 changed with its old and new text (worded from the rule by `wording.criteria_text`, as the
score sheet prints it), facts added or removed, the grade scale and the rounding. With records
(`impact`), the records whose total or grade changes, by how much, and which of the changes caused
it: the changed indicators whose points moved, and the grade scale when the total alone cannot
explain the new grade. Renders as text, JSON and a self-contained HTML page.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from rubric_dsl.compare import Comparison, Scored
from rubric_dsl.diagnostics import fmt
from rubric_dsl.program import CompiledRubric
from rubric_dsl.sheet import grade_scale
from rubric_dsl.wording import criteria_text

FORMATS = ("text", "json", "html")
IMPACT_RECORDS = 200  # records listed in the impact; the counts cover them all


@dataclass(frozen=True, slots=True)
class Change:
    """One item that changed: a section or an indicator (`kind`), how (`added`, `removed`, `reweighted`,
    `relabelled`, `moved`, `rule`), with its label and what it was and is."""

    kind: str  # section, indicator, fact
    id: str
    label: str
    how: str
    old: str = ""
    new: str = ""


@dataclass(frozen=True, slots=True)
class Impact:
    record: str
    old_total: Decimal | None
    old_grade: str | None
    new_total: Decimal | None
    new_grade: str | None
    causes: tuple[str, ...]  # e.g. "预算执行率 +5 (reweighted 5 → 10)", "grade scale"


@dataclass(slots=True)
class RubricDiff:
    old: CompiledRubric
    new: CompiledRubric
    header: list[Change] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    grades: tuple[str, str] | None = None  # old and new grade scale, when they differ
    rounding: tuple[str, str] | None = None
    impact: list[Impact] | None = None
    records: int = 0
    total_changed: int = 0
    grade_changed: int = 0

    @property
    def unchanged(self) -> bool:
        return not (self.header or self.changes or self.grades or self.rounding)


def diff(old: CompiledRubric, new: CompiledRubric) -> RubricDiff:
    found = RubricDiff(old, new)
    for name, was_text, now_text in (
        ("title", old.title, new.title),
        ("version", old.version, new.version),
        ("total", fmt(old.total), fmt(new.total)),
    ):
        if was_text != now_text:
            found.header.append(Change("rubric", name, name, "changed", was_text, now_text))
    old_sections = {s.id: s for s in old.sections}
    for section in new.sections:
        was_section = old_sections.get(section.id)
        if was_section is None:
            found.changes.append(Change("section", section.id, section.label, "added", "", fmt(section.weight)))
            continue
        if was_section.weight != section.weight:
            weights = fmt(was_section.weight), fmt(section.weight)
            found.changes.append(Change("section", section.id, section.label, "reweighted", *weights))
        if was_section.label != section.label:
            labelled = was_section.label, section.label
            found.changes.append(Change("section", section.id, section.label, "relabelled", *labelled))
    new_sections = {s.id for s in new.sections}
    found.changes += [
        Change("section", s.id, s.label, "removed", fmt(s.weight), "") for s in old.sections if s.id not in new_sections
    ]
    old_scope, new_scope = old.checked.scope, new.checked.scope
    old_rules = {i.id: i for i, _ in old_scope.indicators}
    old_info = {i.id: i for i in old.indicators}
    labels = {s.id: s.label for s in [*old.sections, *new.sections]}
    for indicator, _ in new_scope.indicators:
        info = next(i for i in new.indicators if i.id == indicator.id)
        criteria = criteria_text(indicator.rule, indicator.weight, new_scope)
        if indicator.id not in old_rules:
            found.changes.append(
                Change("indicator", info.id, info.label, "added", "", f"{fmt(info.weight)}：{criteria}")
            )
            continue
        was_rule, before_info = old_rules[indicator.id], old_info[indicator.id]
        if before_info.weight != info.weight:
            found.changes.append(
                Change("indicator", info.id, info.label, "reweighted", fmt(before_info.weight), fmt(info.weight))
            )
        if before_info.label != info.label:
            found.changes.append(Change("indicator", info.id, info.label, "relabelled", before_info.label, info.label))
        if before_info.section != info.section:
            where = [labels.get(s or "", "—") for s in (before_info.section, info.section)]
            found.changes.append(Change("indicator", info.id, info.label, "moved", *where))
        was = criteria_text(was_rule.rule, was_rule.weight, old_scope)
        if was != criteria:
            found.changes.append(Change("indicator", info.id, info.label, "rule", was, criteria))
    new_ids = {i.id for i in new.indicators}
    found.changes += [
        Change(
            "indicator", i.id, i.label, "removed", f"{fmt(i.weight)}：{criteria_text(r.rule, r.weight, old_scope)}", ""
        )
        for i, r in ((old_info[k], old_rules[k]) for k in old_rules)
        if i.id not in new_ids
    ]
    old_facts = {i.name: i for i in old.inputs}
    new_facts = {i.name: i for i in new.inputs}
    found.changes += [Change("fact", n, new_facts[n].label or n, "added") for n in new_facts if n not in old_facts]
    found.changes += [Change("fact", n, old_facts[n].label or n, "removed") for n in old_facts if n not in new_facts]
    scales = grade_scale(old.grades), grade_scale(new.grades)
    found.grades = scales if scales[0] != scales[1] else None
    found.rounding = (old.rounding, new.rounding) if old.rounding != new.rounding else None
    return found


def impact(found: RubricDiff, comparison: Comparison) -> RubricDiff:
    """The records of `comparison` (OLD as scheme A, NEW as scheme B) whose total or grade changed, and why."""
    changed: dict[str, list[Change]] = {}
    for change in found.changes:
        if change.kind == "indicator":
            changed.setdefault(change.id, []).append(change)
    labels = {i.id: i.label for i in [*found.old.indicators, *found.new.indicators]}
    listed: list[Impact] = []
    found.records = comparison.record_count
    for record in comparison.records:
        before, after = record.outcomes[0], record.outcomes[1]
        difference = record.differences[0]
        old_scored = isinstance(before, Scored)
        new_scored = isinstance(after, Scored)
        total_moved = difference is not None and difference.delta != 0
        grade_moved = difference is not None and difference.change != "same"  # a place in the scale, not a name
        if not (total_moved or grade_moved or old_scored != new_scored):
            continue
        found.total_changed += total_moved
        found.grade_changed += grade_moved
        causes = []
        for ident, delta in difference.indicators if difference else ():
            why = changed.get(ident, [])
            how = f"（{'、'.join(_how(c) for c in why)}）" if why else ""
            causes.append(f"{labels.get(ident, ident)} {'+' if delta > 0 else '−'}{fmt(abs(delta))}{how}")
        if grade_moved and found.grades:
            causes.append("等次划分变了")
        if len(listed) < IMPACT_RECORDS:
            listed.append(
                Impact(
                    record.id,
                    before.total if old_scored else None,  # type: ignore[union-attr]
                    before.grade if old_scored else None,  # type: ignore[union-attr]
                    after.total if new_scored else None,  # type: ignore[union-attr]
                    after.grade if new_scored else None,  # type: ignore[union-attr]
                    tuple(causes),
                )
            )
    found.impact = listed
    return found


HEADER = {"title": "标题", "version": "版本", "total": "总分值"}
HOW = {
    "added": "新增",
    "removed": "删除",
    "reweighted": "分值调整",
    "relabelled": "名称改动",
    "moved": "归属调整",
    "rule": "评分标准改动",
    "changed": "改动",
}


def _how(change: Change) -> str:
    if change.how == "reweighted":
        return f"分值 {change.old} → {change.new}"
    return HOW.get(change.how, change.how)


def _line(change: Change) -> str:
    kind = {"section": "指标组", "indicator": "指标", "fact": "事实", "rubric": "规则"}[change.kind]
    head = f"{HOW[change.how]} {kind} {change.label}（{change.id}）"
    if change.how == "rule":
        return f"{head}\n    原：{change.old}\n    新：{change.new}"
    if change.how == "added" and change.new:
        return f"{head}：{change.new}"
    if change.how == "removed" and change.old:
        return f"{head}：{change.old}"
    if change.old or change.new:
        return f"{head}：{change.old} → {change.new}"
    return head


def to_text(found: RubricDiff) -> str:
    old, new = found.old, found.new
    lines = [
        f"rubric diff: {old.id} {old.version} → {new.id} {new.version}",
        f"  原：{old.title}",
        f"  新：{new.title}",
    ]
    if found.unchanged:
        lines.append("两套规则的评分内容相同。")
    lines += [f"{HEADER.get(c.id, c.id)}：{c.old} → {c.new}" for c in found.header]
    lines += [_line(c) for c in found.changes]
    if found.grades:
        lines += ["等次划分：", f"    原：{found.grades[0]}", f"    新：{found.grades[1]}"]
    if found.rounding:
        lines += [f"取整：{found.rounding[0]} → {found.rounding[1]}"]
    if found.impact is not None:
        lines += ["", _impact_line(found)]
        for item in found.impact:
            lines.append(
                f"  {item.record}: {_score(item.old_total, item.old_grade)} → {_score(item.new_total, item.new_grade)}"
                + (f"；原因：{'；'.join(item.causes)}" if item.causes else "")
            )
    return "\n".join(lines) + "\n"


def _impact_line(found: RubricDiff) -> str:
    return f"影响：{found.records} 条记录中，{found.total_changed} 条总分变化，{found.grade_changed} 条等次变化" + (
        f"（列出前 {IMPACT_RECORDS} 条）" if found.impact and len(found.impact) >= IMPACT_RECORDS else ""
    )


def _score(total: Decimal | None, grade: str | None) -> str:
    return "未评分" if total is None else f"{fmt(total)} {grade}"


def to_dict(found: RubricDiff) -> dict[str, Any]:
    def rubric(r: CompiledRubric) -> dict[str, str]:
        return {"id": r.id, "title": r.title, "version": r.version, "content_hash": r.content_hash}

    report: dict[str, Any] = {
        "old": rubric(found.old),
        "new": rubric(found.new),
        "unchanged": found.unchanged,
        "header": [asdict(c) for c in found.header],
        "changes": [asdict(c) for c in found.changes],
        "grades": None if found.grades is None else {"old": found.grades[0], "new": found.grades[1]},
        "rounding": None if found.rounding is None else {"old": found.rounding[0], "new": found.rounding[1]},
    }
    if found.impact is not None:
        report["impact"] = {
            "records": found.records,
            "total_changed": found.total_changed,
            "grade_changed": found.grade_changed,
            "listed": [
                {
                    "record": i.record,
                    "old": {"total": _text(i.old_total), "grade": i.old_grade},
                    "new": {"total": _text(i.new_total), "grade": i.new_grade},
                    "causes": list(i.causes),
                }
                for i in found.impact
            ],
        }
    return report


def _text(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


def to_json(found: RubricDiff) -> str:
    return json.dumps(to_dict(found), ensure_ascii=False, indent=2) + "\n"


STYLE = """
@page { size: A4; margin: 14mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; font-size: 10pt;
       color: #222; max-width: 182mm; margin: 0 auto; }
h1 { font-size: 15pt; } h2 { font-size: 12pt; margin-top: 1.4em; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { border: 1px solid #999; padding: 3px 5px; text-align: left; vertical-align: top; }
td.how { white-space: nowrap; } del { color: #b22222; } ins { color: #2e6b2e; text-decoration: none; }
footer { margin-top: 2em; font-size: 8pt; color: #666; word-break: break-all; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _rows(rows: Iterable[Sequence[str]]) -> str:
    return "".join("<tr>" + "".join(cell for cell in row) + "</tr>" for row in rows)


def to_html(found: RubricDiff) -> str:
    old, new = found.old, found.new
    parts = [
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>评分规则对比：{_e(old.id)} → {_e(new.id)}</title><style>{STYLE}</style></head><body>",
        "<h1>评分规则对比</h1>",
        f"<p>原：{_e(old.title)}（{_e(old.id)} {_e(old.version)}）<br>新：{_e(new.title)}（{_e(new.id)} "
        f"{_e(new.version)}）</p>",
    ]
    if found.unchanged:
        parts.append("<p>两套规则的评分内容相同。</p>")
    kinds = {"section": "指标组", "indicator": "指标", "fact": "事实"}
    if found.changes or found.header:
        parts.append(
            "<h2>改动</h2><table><thead><tr><th>改动</th><th>对象</th><th>原</th><th>新</th></tr></thead><tbody>"
        )
        rows = [
            [
                '<td class="how">改动</td>',
                f"<td>{_e(HEADER.get(c.id, c.id))}</td>",
                f"<td><del>{_e(c.old)}</del></td>",
                f"<td><ins>{_e(c.new)}</ins></td>",
            ]
            for c in found.header
        ]
        rows += [
            [
                f'<td class="how">{_e(HOW[c.how])}</td>',
                f"<td>{_e(kinds[c.kind])} {_e(c.label)}<br><small>{_e(c.id)}</small></td>",
                f"<td><del>{_e(c.old)}</del></td>",
                f"<td><ins>{_e(c.new)}</ins></td>",
            ]
            for c in found.changes
        ]
        parts += [_rows(rows), "</tbody></table>"]
    if found.grades:
        parts.append(
            f"<h2>等次划分</h2><p>原：<del>{_e(found.grades[0])}</del><br>新：<ins>{_e(found.grades[1])}</ins></p>"
        )
    if found.rounding:
        parts.append(f"<h2>取整</h2><p>原：{_e(found.rounding[0])}<br>新：{_e(found.rounding[1])}</p>")
    if found.impact is not None:
        parts.append(f"<h2>对记录的影响</h2><p>{_e(_impact_line(found))}</p>")
        if found.impact:
            parts.append("<table><thead><tr><th>记录</th><th>原</th><th>新</th><th>原因</th></tr></thead><tbody>")
            parts.append(
                _rows(
                    [
                        f"<td>{_e(i.record)}</td>",
                        f"<td>{_e(_score(i.old_total, i.old_grade))}</td>",
                        f"<td>{_e(_score(i.new_total, i.new_grade))}</td>",
                        f"<td>{'<br>'.join(_e(c) for c in i.causes)}</td>",
                    ]
                    for i in found.impact
                )
            )
            parts.append("</tbody></table>")
    parts.append(
        f"<footer>{_e(old.id)} {_e(old.version)} {_e(old.content_hash)}<br>"
        f"{_e(new.id)} {_e(new.version)} {_e(new.content_hash)}</footer></body></html>"
    )
    return "\n".join(parts) + "\n"


def render(found: RubricDiff, form: str) -> str:
    return to_json(found) if form == "json" else to_html(found) if form == "html" else to_text(found)
