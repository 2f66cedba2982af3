"""Lay out a `compare.Comparison` as a text table, JSON or a self-contained HTML report.

The renderers only lay out what `compare` computed; they add no numbers of their own except chart
geometry. Schemes are lettered A, B, C… in the order given, A being the baseline. The HTML report
needs nothing from the network: its charts (grade distribution per scheme, each scheme's totals
against the baseline's, mean points lost per indicator) are inline SVG drawn here, every label is
escaped, and it prints on A4.
"""

from __future__ import annotations

import functools
import html
import json
import math
import string
import sys
from collections.abc import Iterable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from rubric_dsl.compare import CENT, Comparison, Difference, RecordComparison, Scored, Summary, Unscored, notable
from rubric_dsl.compare.records import where_zh
from rubric_dsl.diagnostics import fmt as format_decimal
from rubric_dsl.diagnostics import worded_zh
from rubric_dsl.source import display_width

FORMATS = ("table", "json", "html")
ARROWS = {"same": "=", "up": "↑", "down": "↓"}
BASELINE = "（基准）"
HTML_RECORDS = 500  # records listed in the HTML report; JSON has them all
SCATTER_POINTS = 2_000  # above this the score chart bins records into cells instead of drawing dots
COLOURS = ("#1f5fa8", "#d9822b", "#2e8b57", "#a83279", "#6b6b6b", "#8c6d1f")


@functools.lru_cache(maxsize=1 << 16)
def fmt(value: Decimal) -> str:
    """`diagnostics.fmt`, remembered: a large comparison shows the same few totals and differences
    over and over."""
    return format_decimal(value)


def letter(index: int) -> str:
    return string.ascii_uppercase[index] if index < 26 else f"S{index + 1}"


def render(comparison: Comparison, form: str, lang: str = "en") -> str:
    """The report as `form`; in `lang` "zh" the engine's messages (warnings aside) are in Chinese too."""
    if form == "json":
        return to_json(comparison)
    if form == "html":
        return to_html(comparison, lang)
    return to_table(comparison, lang)


def write_report(comparison: Comparison, form: str, output: str, lang: str = "en") -> None:
    text = render(comparison, form, lang)
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")


def _total(value: Decimal | None) -> str:
    return "—" if value is None else fmt(value)


def _mean(value: Decimal | None) -> str:
    return "—" if value is None else str(value)


def _signed(value: Decimal) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "") + fmt(abs(value))


def _members(comparison: Comparison, index: int) -> str:
    scheme = comparison.schemes[index]
    compiled = comparison.rubrics.compiled
    used = comparison.summaries[index].slots  # a pattern may match rubrics no record needed
    shown = [f"{compiled[s].id} {compiled[s].version}".strip() for s in scheme.members if s in used or not used]
    shown += [f"{source} → {compiled[s].id}" for source, s in scheme.pairs if s in used or not used]
    return ", ".join(shown)


def _cell(outcome: Scored | Unscored) -> str:
    return f"{fmt(outcome.total)} {outcome.grade}" if isinstance(outcome, Scored) else "— 未评分"


def _change(comparison: Comparison, record: RecordComparison, index: int) -> str:
    difference = record.differences[index - 1]
    base, other = record.outcomes[0], record.outcomes[index]
    if difference is None or not isinstance(base, Scored) or not isinstance(other, Scored):
        return ""
    if difference.change == "same":
        return "="
    return f"{ARROWS[difference.change]} {base.grade}→{other.grade}"


def _indicators(comparison: Comparison, difference: Difference | None) -> str:
    if difference is None:
        return ""
    return ", ".join(f"{comparison.label(i)} {_signed(d)}" for i, d in difference.indicators)


# --- text table ----------------------------------------------------------------------------------------


_width = functools.lru_cache(maxsize=1 << 16)(display_width)  # a large table repeats its cells


def _lay_out(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def record_rows(
    comparison: Comparison, records: Iterable[RecordComparison] | None = None, lang: str = "en"
) -> list[list[str]]:
    """The per-record table: id, weight, each scheme's total and grade, each other scheme's difference."""
    others = range(1, len(comparison.schemes))
    header = [comparison.id_column or "记录"]
    header += [comparison.weight_column] if comparison.weight_column else []
    header += [f"{letter(i)} 总分 等次" for i in range(len(comparison.schemes))]
    header += [
        part for i in others for part in (f"{letter(i)}−A", f"{letter(i)} 等次变化", f"{letter(i)} 差异最大的指标")
    ]
    rows = [header]
    for record in comparison.records if records is None else records:
        row = [where_text(record.id, lang) if record.id == record.where else record.id]
        row += [_total(record.weight)] if comparison.weight_column else []
        row += [_cell(o) for o in record.outcomes]
        for i in others:
            difference = record.differences[i - 1]
            row += [_signed(difference.delta) if difference else "", _change(comparison, record, i)]
            row.append(_indicators(comparison, difference))
        rows.append(row)
    return rows


def _summary_lines(comparison: Comparison, index: int, summary: Summary) -> list[str]:
    lines = [f"{letter(index)} {summary.scheme.name}: {summary.scored} 条已评分, {summary.unscored} 条未评分"]
    lines.append("  等次  " + "  ".join(f"{label} {count}" for label, count in summary.grades))
    lines.append(
        f"  平均分 {_mean(summary.mean)}  中位数 {_total(summary.median)}  "
        f"最低 {_total(summary.minimum)}  最高 {_total(summary.maximum)}"
    )
    if summary.weight_total is not None:
        lines.append(
            f"  加权平均分 {_mean(summary.weighted_mean)}（按 {comparison.weight_column} 加权, "
            f"合计 {fmt(summary.weight_total)}, {summary.weighted} 条）"
        )
    return lines


def lost_rows(comparison: Comparison) -> list[list[str]]:
    """Mean points lost per indicator: one row per indicator id, one column per scheme."""
    ids = list(dict.fromkeys(item.id for s in comparison.summaries for item in s.lost))
    by_scheme = [{item.id: item for item in s.lost} for s in comparison.summaries]
    rows = [["指标", *(f"{letter(i)} 平均失分 / 分值" for i in range(len(by_scheme)))]]
    for ident in ids:
        label = next(found[ident].label for found in by_scheme if ident in found)
        cells = [f"{found[ident].mean} / {fmt(found[ident].weight)}" if ident in found else "" for found in by_scheme]
        rows.append([label, *cells])
    return rows


def problems(comparison: Comparison, lang: str = "en") -> Iterable[tuple[int, RecordComparison, str]]:
    """Each scheme's records it could not score (streamed: among the first notable records)."""
    for record in comparison.records if comparison.streamed is None else comparison.notable:
        for index, outcome in enumerate(record.outcomes):
            if isinstance(outcome, Unscored):
                yield index, record, problem_text(outcome, lang)


def problem_text(outcome: Unscored, lang: str = "en") -> str:
    """Why a record was not scored, in `lang`: the refused facts' own Chinese, else the engine's message's."""
    if lang != "zh":
        return outcome.problem
    if outcome.facts:
        return "；".join(f"{p.fact}：{p.text('zh')}" for p in outcome.facts)
    zh = worded_zh(outcome.problem)  # the engine's own Chinese (`EvaluationError`, routing), where it has one
    if outcome.failed is not None and zh == outcome.problem:  # a failure read back from text
        return f"指标 `{outcome.failed[0]}` 无法按这些事实计分"
    return zh


def _record_zh(record: RecordComparison) -> str:
    """A record as the Chinese report names it: 第3行, or its id and where it is (项目甲（第3行）)."""
    where = where_text(record.where, "zh")
    return where if record.id == record.where else f"{record.id}（{where}）"


def where_text(where: str, lang: str = "en") -> str:
    """`row 2` / `line 2` as a person reads it in `lang` (第2行)."""
    return where_zh(where) if lang == "zh" else where


def to_table(comparison: Comparison, lang: str = "en") -> str:
    lines = [f"rubric compare: {comparison.record_count} 条记录, 来自 {comparison.data}"]
    for index in range(len(comparison.schemes)):
        baseline = BASELINE if index == 0 else ""
        lines.append(f"  {letter(index)} = {comparison.schemes[index].name}{baseline}: {_members(comparison, index)}")
    if comparison.streamed is None:
        lines += ["", *_lay_out(record_rows(comparison, lang=lang))]
    elif comparison.records_out:
        lines += ["", f"逐条结果已写入 {comparison.records_out}"]
    if comparison.notable_count > len(comparison.notable):
        shown, count = len(comparison.notable), comparison.notable_count
        lines.append(f"（等次有变化或未能评分的记录共 {count} 条，下面只看其中的前 {shown} 条）")
    found = list(problems(comparison, lang))
    if found and lang == "zh":
        lines += ["", "未评分的记录："]
        lines += [f"  {letter(i)} {_record_zh(r)}：{problem}" for i, r, problem in found]
    elif found:
        lines += ["", "未评分的记录:"]
        lines += [f"  {letter(i)} {record.id} ({record.where}): {problem}" for i, record, problem in found]
    lines.append("")
    for index, summary in enumerate(comparison.summaries):
        lines += _summary_lines(comparison, index, summary)
    lost = lost_rows(comparison)
    if len(lost) > 1:
        lines += ["", "按指标的平均失分:", *("  " + line for line in _lay_out(lost))]
    return "\n".join(lines) + "\n"


# --- JSON ----------------------------------------------------------------------------------------------


def _outcome_dict(comparison: Comparison, outcome: Scored | Unscored) -> dict[str, Any]:
    compiled = comparison.rubrics.compiled
    if isinstance(outcome, Scored):
        return {"rubric": compiled[outcome.slot].id, "total": fmt(outcome.total), "grade": outcome.grade}
    rubric = compiled[outcome.slot].id if outcome.slot is not None else None
    return {"rubric": rubric, "total": None, "grade": None, "problem": outcome.problem}


def _difference_dict(comparison: Comparison, difference: Difference | None) -> dict[str, Any] | None:
    if difference is None:
        return None
    return {
        "delta": fmt(difference.delta),
        "grade_change": difference.change,
        "indicators": [{"id": i, "label": comparison.label(i), "delta": fmt(d)} for i, d in difference.indicators],
    }


def _summary_dict(summary: Summary) -> dict[str, Any]:
    def text(value: Decimal | None) -> str | None:
        return None if value is None else fmt(value)

    return {
        "scheme": summary.scheme.name,
        "scored": summary.scored,
        "unscored": summary.unscored,
        "grades": dict(summary.grades),
        "mean": None if summary.mean is None else str(summary.mean),
        "median": text(summary.median),
        "min": text(summary.minimum),
        "max": text(summary.maximum),
        "weighted_mean": None if summary.weighted_mean is None else str(summary.weighted_mean),
        "weight_total": text(summary.weight_total),
        "weighted_records": summary.weighted,
        "mean_lost": [
            {"id": item.id, "label": item.label, "weight": fmt(item.weight), "mean_lost": str(item.mean)}
            for item in summary.lost
        ],
    }


def to_dict(comparison: Comparison) -> dict[str, Any]:
    compiled = comparison.rubrics.compiled
    schemes = [
        {
            "name": scheme.name,
            "letter": letter(index),
            "baseline": index == 0,
            "rubrics": [
                {"id": compiled[s].id, "version": compiled[s].version, "content_hash": compiled[s].content_hash}
                for s in comparison.summaries[index].slots
                or dict.fromkeys([*scheme.members, *(s for _, s in scheme.pairs)])
            ],
            "pairs": {source: compiled[s].id for source, s in scheme.pairs},
        }
        for index, scheme in enumerate(comparison.schemes)
    ]
    found = {
        "data": comparison.data,
        "record_count": comparison.record_count,
        "schemes": schemes,
        "warnings": comparison.warnings,
        "records": [_record_dict(comparison, r) for r in comparison.records],
        "summary": [_summary_dict(s) for s in comparison.summaries],
    }
    if comparison.streamed is not None:  # the records are in `records_out`; these are the first notable ones
        found["records_out"] = comparison.records_out
        found["notable"] = {
            "count": comparison.notable_count,
            "records": [_record_dict(comparison, r) for r in comparison.notable],
        }
    return found


def _record_dict(comparison: Comparison, record: RecordComparison) -> dict[str, Any]:
    return {
        "id": record.id,
        "where": record.where,
        "weight": None if record.weight is None else fmt(record.weight),
        "scores": [_outcome_dict(comparison, o) for o in record.outcomes],
        "differences": [_difference_dict(comparison, d) for d in record.differences],
    }


def to_json(comparison: Comparison) -> str:
    """`to_dict` as JSON text, indented, with one record per line (a large file stays readable, and the
    C encoder writes the records: indenting them all is ten times slower)."""
    report = to_dict(comparison)

    def indented(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  ")

    parts = []
    for key, value in report.items():
        if key == "records" and value:
            lines = ",\n    ".join(json.dumps(record, ensure_ascii=False) for record in value)
            parts.append(f'  "records": [\n    {lines}\n  ]')
        else:
            parts.append(f"  {json.dumps(key)}: {indented(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


# --- HTML ----------------------------------------------------------------------------------------------

STYLE = """
@page { size: A4; margin: 14mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimSun", sans-serif;
       font-size: 10pt; color: #222; max-width: 182mm; margin: 0 auto; }
h1 { font-size: 15pt; } h2 { font-size: 12pt; margin-top: 1.4em; } h3 { font-size: 10.5pt; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { border: 1px solid #999; padding: 2px 5px; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; }
td:first-child { white-space: nowrap; }
tr, figure, svg { break-inside: avoid; }
svg { max-width: 100%; height: auto; }
.up { color: #2e8b57; } .down { color: #b22222; } .warn { color: #8a5a00; }
figure { margin: 0.6em 0; } figcaption { font-size: 9pt; color: #555; }
footer { margin-top: 2em; font-size: 8pt; color: #666; word-break: break-all; }
"""
CHAR = 11.0  # width of a wide (CJK) character at font size 11, for laying out labels whole


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(rows: Sequence[Sequence[str]], numeric: Iterable[int] = ()) -> str:
    numbers = set(numeric)

    def cells(row: Sequence[str], tag: str) -> str:
        return "".join(f"<{tag}{' class=n' if i in numbers else ''}>{_e(c)}</{tag}>" for i, c in enumerate(row))

    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows[1:])
    return f"<table><thead><tr>{cells(rows[0], 'th')}</tr></thead><tbody>{body}</tbody></table>"


def _svg(width: float, height: float, body: Iterable[str], title: str) -> str:
    return (
        f'<svg viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" role="img" '
        f'aria-label="{_e(title)}">' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 11, fill: str = "#222") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">{_e(text)}</text>'


def _label_width(text: str, size: int = 11) -> float:
    """How wide a label is drawn: wide characters a full em, others about half."""
    return display_width(text) * CHAR * size / 11 / 2 + 4


def scheme_title(comparison: Comparison, index: int) -> str:
    """A scheme by its rubrics' titles, not the pattern that named them: one rubric's title, or what the
    titles of its rubrics share (武平县纪委项目支出绩效评价（开平等次）), else the titles joined."""
    compiled = comparison.rubrics.compiled
    scheme = comparison.schemes[index]
    slots = comparison.summaries[index].slots or scheme.slots()
    titles = list(dict.fromkeys(compiled[s].title or compiled[s].id for s in slots))
    if len(titles) == 1:
        return titles[0]
    prefix = _shared(titles)
    suffix = _shared([t[::-1] for t in titles])[::-1]
    suffix = suffix[suffix.index("（") :] if "（" in suffix else ""
    prefix = prefix.rstrip("：:，, ")
    return prefix + suffix if len(prefix) >= 4 else "、".join(titles)


def _shared(texts: Sequence[str]) -> str:
    """The characters every text starts with."""
    first = texts[0]
    end = 0
    while end < len(first) and all(len(t) > end and t[end] == first[end] for t in texts):
        end += 1
    return first[:end]


def _places(comparison: Comparison) -> Decimal:
    """One decimal style for every score shown: two places, or more if a rubric rounds finer."""
    from rubric_dsl.compare.columnar import rubric_scale

    places = max([2, *(rubric_scale(r) for r in comparison.rubrics.compiled)])
    return Decimal(1).scaleb(-places)


def _number(value: Decimal | None, step: Decimal) -> str:
    return "—" if value is None else f"{value.quantize(step, rounding=ROUND_HALF_UP):f}"


def _money(value: Decimal | None) -> str:
    """A weight (funds) with at least two decimals, as amounts are written: 11497.30, 286.00."""
    if value is None:
        return "—"
    return f"{value.quantize(CENT):f}" if value.as_tuple().exponent >= -2 else fmt(value)  # type: ignore[operator]


def _unit(comparison: Comparison, column: str | None) -> str:
    unit = comparison.units.get(column or "", "")
    return unit


def _weight_name(comparison: Comparison) -> str:
    unit = _unit(comparison, comparison.weight_column)
    return f"{comparison.weight_column}（{unit}）" if unit else str(comparison.weight_column)


def grade_chart(comparison: Comparison) -> str:
    """Horizontal bars: for each scheme, the number of records in each grade."""
    rows = [(i, label, count) for i, s in enumerate(comparison.summaries) for label, count in s.grades]
    most = max((count for _, _, count in rows), default=0) or 1
    left = max((_label_width(f"{letter(i)} {label}") for i, label, _ in rows), default=40) + 12
    width, bar = 640, 16
    parts, y = [], 8
    for index, label, count in rows:
        length = (width - left - 60) * count / most
        colour = COLOURS[index % len(COLOURS)]
        parts.append(_text(left - 8, y + bar - 4, f"{letter(index)} {label}", "end"))
        parts.append(f'<rect x="{left:.1f}" y="{y}" width="{length:.1f}" height="{bar}" fill="{colour}"/>')
        parts.append(_text(left + length + 6, y + bar - 4, str(count)))
        y += bar + 6
    return _svg(width, y + 6, parts, "等次分布")


def _nice(low: Decimal, high: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """An axis around [low, high]: its ends on whole steps of 1, 2 or 5 × 10^k, and the step (about 5 ticks)."""
    span = max(high - low, Decimal(1))
    raw = span / 5
    power = Decimal(10) ** raw.adjusted()
    step = next(m * power for m in (Decimal(1), Decimal(2), Decimal(5), Decimal(10)) if m * power >= raw)
    start = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    end = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    if end - start < step:
        end = start + step
    return start, end, step


def _ticks(start: Decimal, end: Decimal, step: Decimal) -> list[Decimal]:
    found, value = [], start
    while value <= end:
        found.append(value)
        value += step
    return found


def _at(value: Decimal, start: Decimal, end: Decimal, size: float) -> float:
    return float((value - start) / (end - start)) * size if end > start else 0.0


def score_chart(comparison: Comparison, other: int) -> str:
    """Each record's total under scheme `other` (y) against the baseline (x), on axes scaled to the data,
    with the diagonal and the grade cut-offs that fall in range. Records at the same point are one dot
    sized by their count and labelled ×n; above SCATTER_POINTS records, shaded cells with counts."""
    pairs = comparison.score_pairs(other)
    compiled = comparison.rubrics.compiled
    first = compiled[_first_slot(comparison, 0)]
    second = compiled[_first_slot(comparison, other)]
    values = [v for pair in pairs for v in pair] or [Decimal(0), first.total]
    low, high = min(values), max(values)
    margin = max((high - low) / 20, Decimal("0.5"))  # a dot at the edge stays inside the frame
    start, end, step = _nice(max(low - margin, Decimal(0)), high + margin)
    most = max(first.total, second.total)
    if high <= most:  # no axis past the highest total the rubrics can give (0–120 for totals up to 100)
        end = min(end, max(most, start + step))
    size, pad, top = 300.0, 46.0, 10.0

    def x(value: Decimal) -> float:
        return pad + _at(value, start, end, size)

    def y(value: Decimal) -> float:
        return top + size - _at(value, start, end, size)

    parts = [f'<rect x="{pad}" y="{top}" width="{size}" height="{size}" fill="none" stroke="#999"/>']
    parts.append(
        f'<line x1="{x(start):.1f}" y1="{y(start):.1f}" x2="{x(end):.1f}" y2="{y(end):.1f}" '
        'stroke="#bbb" stroke-dasharray="4 3"/>'
    )
    for tick in _ticks(start, end, step):
        parts.append(_text(x(tick), top + size + 14, fmt(tick), "middle", 9))
        parts.append(_text(pad - 4, y(tick) + 3, fmt(tick), "end", 9))
    for order, grade in enumerate(first.grades):
        if grade.minimum is not None and start < grade.minimum < end:
            at = x(grade.minimum)
            parts.append(f'<line x1="{at:.1f}" y1="{top}" x2="{at:.1f}" y2="{top + size}" stroke="#ddd"/>')
            line = top + 12 + 11 * (order % 2)  # neighbouring cut-offs' labels on two lines, not over each other
            parts.append(_text(at + 2, line, f"{grade.label} ≥{fmt(grade.minimum)}", size=9, fill="#888"))
    for grade in second.grades:
        if grade.minimum is not None and start < grade.minimum < end:
            at = y(grade.minimum)
            parts.append(f'<line x1="{pad}" y1="{at:.1f}" x2="{pad + size}" y2="{at:.1f}" stroke="#ddd"/>')
            parts.append(_text(pad + size - 2, at - 2, f"{grade.label} ≥{fmt(grade.minimum)}", "end", 9, "#888"))
    count = sum(n for n, _ in pairs.values())
    if count <= SCATTER_POINTS:
        parts += _dots(pairs, x, y)
    else:
        parts += _cells(pairs, start, end, size, pad, top)
    parts.append(_text(pad + size / 2, top + size + 32, f"A 总分（{scheme_title(comparison, 0)}）", "middle"))
    parts.append(
        f'<text transform="translate(12 {top + size / 2:.0f}) rotate(-90)" font-size="11" text-anchor="middle">'
        f"{_e(letter(other))} 总分（{_e(scheme_title(comparison, other))}）</text>"
    )
    return _svg(size + pad + 70, size + top + 44, parts, f"{letter(other)} 对 A 的总分")


def _first_slot(comparison: Comparison, scheme: int) -> int:
    used = comparison.summaries[scheme].slots
    found = comparison.schemes[scheme]
    return used[0] if used else found.members[0] if found.members else found.pairs[0][1]


def _dots(pairs: dict[tuple[Decimal, Decimal], tuple[int, list[str]]], x: Any, y: Any) -> list[str]:
    """One dot per distinct point, its area growing with the records there, labelled ×n when several."""
    parts = []
    for (a, b), (n, ids) in pairs.items():
        radius = 3.5 * math.sqrt(n) if n < 16 else 14.0
        names = "、".join(ids) + (f" 等 {n} 条" if n > len(ids) else "") if ids else f"{n} 条"
        parts.append(
            f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="{radius:.1f}" fill="#1f5fa8" fill-opacity="0.55">'
            f"<title>{_e(names)}: {fmt(a)} → {fmt(b)}</title></circle>"
        )
        if n > 1:
            parts.append(_text(x(a) + radius + 2, y(b) + 4, f"×{n}", size=10, fill="#1f5fa8"))
    return parts


def _cells(
    pairs: dict[tuple[Decimal, Decimal], tuple[int, list[str]]],
    start: Decimal,
    end: Decimal,
    size: float,
    pad: float,
    top: float,
) -> list[str]:
    bins = 40
    counts: dict[tuple[int, int], int] = {}
    for (a, b), (n, _) in pairs.items():
        cell = (min(bins - 1, int(_at(a, start, end, bins))), min(bins - 1, int(_at(b, start, end, bins))))
        counts[cell] = counts.get(cell, 0) + n
    most, step = max(counts.values()), size / bins
    return [
        f'<rect x="{pad + i * step:.1f}" y="{top + size - (j + 1) * step:.1f}" width="{step:.1f}" '
        f'height="{step:.1f}" fill="#1f5fa8" fill-opacity="{0.15 + 0.85 * n / most:.2f}"><title>{n} 条</title></rect>'
        for (i, j), n in sorted(counts.items())
    ]


def distribution_chart(comparison: Comparison) -> str:
    """Per scheme, how many records have each total, in bins over the range of all schemes' totals."""
    every = [t for s in comparison.summaries for t, _ in s.totals]
    if not every:
        return ""
    start, end, step = _nice(min(every), max(every))
    bins = max(1, min(40, int((end - start) / step * 4)))
    width = (end - start) / bins
    left, plot, row = 60.0, 520.0, 70.0
    parts, y = [], 6.0
    for index, summary in enumerate(comparison.summaries):
        counts = [0] * bins
        for total, n in summary.totals:
            counts[min(bins - 1, int((total - start) / width))] += n
        most = max(counts) or 1
        colour = COLOURS[index % len(COLOURS)]
        parts.append(_text(left - 8, y + row / 2, letter(index), "end", 12))
        for k, n in enumerate(counts):
            if n:
                height = (row - 14) * n / most
                bar_x = left + plot * k / bins
                parts.append(
                    f'<rect x="{bar_x:.1f}" y="{y + row - 14 - height:.1f}" width="{plot / bins - 1:.1f}" '
                    f'height="{height:.1f}" fill="{colour}"><title>{n} 条</title></rect>'
                )
        parts.append(
            f'<line x1="{left}" y1="{y + row - 14:.1f}" x2="{left + plot}" y2="{y + row - 14:.1f}" stroke="#999"/>'
        )
        parts.append(_text(left + plot + 4, y + 12, f"最多 {most} 条", size=9, fill="#555"))
        y += row
    for tick in _ticks(start, end, step):
        parts.append(_text(left + _at(tick, start, end, plot), y + 2, fmt(tick), "middle", 9))
    return _svg(left + plot + 70, y + 10, parts, "总分分布")


def lost_chart(comparison: Comparison) -> str:
    """Grouped horizontal bars: each indicator's mean points lost under each scheme (indicators where
    no scheme lost anything are left out; the table under the chart lists them all). Labels are whole:
    the chart is as wide as its longest label needs."""
    ids = list(dict.fromkeys(item.id for s in comparison.summaries for item in s.lost if item.mean))
    by_scheme = [{item.id: item for item in s.lost} for s in comparison.summaries]
    most = max((item.mean for s in comparison.summaries for item in s.lost), default=Decimal(0)) or Decimal(1)
    labels = {i: next(found[i].label for found in by_scheme if i in found) for i in ids}
    left = max((_label_width(label) for label in labels.values()), default=40) + 12
    width, bar = left + 430, 9
    parts, y = [], 6
    for ident in ids:
        parts.append(_text(left - 8, y + bar * len(by_scheme) / 2 + 4, labels[ident], "end"))
        for index, found in enumerate(by_scheme):
            if ident in found:
                length = _at(found[ident].mean, Decimal(0), most, 360)
                colour = COLOURS[index % len(COLOURS)]
                parts.append(f'<rect x="{left:.1f}" y="{y}" width="{length:.1f}" height="{bar}" fill="{colour}"/>')
                parts.append(_text(left + length + 4, y + bar - 1, f"{letter(index)} {found[ident].mean}", size=8))
            y += bar + 1
        y += 6
    return _svg(width, y + 4, parts, "按指标的平均失分")


def _legend(comparison: Comparison) -> str:
    items = [
        f'<span style="color:{COLOURS[i % len(COLOURS)]}">■</span> {_e(letter(i))} = {_e(scheme_title(comparison, i))}'
        for i in range(len(comparison.schemes))
    ]
    return "<p>" + " &nbsp; ".join(items) + "</p>"


def _html_records(comparison: Comparison, lang: str = "en") -> str:
    """Every record of a small table; of a large one, or streamed, the first HTML_RECORDS notable records."""
    numeric = [1] if comparison.weight_column else []
    if comparison.streamed is None and len(comparison.records) <= HTML_RECORDS:
        rows = record_rows(comparison, lang=lang)
        if comparison.weight_column:
            rows[0][1] = _weight_name(comparison)
        return _table(rows, numeric)
    if comparison.streamed is None:
        found = [r for r in comparison.records if notable(r.outcomes, r.differences)]
        count, everything = len(found), "全部记录见 --format json"
    else:
        found, count = comparison.notable, comparison.notable_count
        everything = f"全部逐条结果见 {comparison.records_out}" if comparison.records_out else "逐条结果未保存"
    shown = found[:HTML_RECORDS]
    note = (
        f"<p>共 {comparison.record_count} 条记录；这里列出等次有变化或未能评分的 {count} 条"
        f"{f'中的前 {len(shown)} 条' if count > len(shown) else ''}。{_e(everything)}。</p>"
    )
    if not shown:
        return note
    rows = record_rows(comparison, shown, lang)
    if comparison.weight_column:
        rows[0][1] = _weight_name(comparison)
    return note + _table(rows, numeric)


def _html_summary(comparison: Comparison) -> str:
    step = _places(comparison)
    summaries = comparison.summaries
    header = ["", *(f"{letter(i)} {scheme_title(comparison, i)}" for i in range(len(summaries)))]
    rows = [header, ["已评分 / 未评分", *(f"{s.scored} / {s.unscored}" for s in summaries)]]
    rows.append(["等次", *(" ".join(f"{g}\u00a0{n}" for g, n in s.grades) for s in summaries)])  # wraps by grade
    rows.append(["平均分", *(_number(s.mean, step) for s in summaries)])
    rows.append(["中位数", *(_number(s.median, step) for s in summaries)])
    rows.append(["最低分", *(_number(s.minimum, step) for s in summaries)])
    rows.append(["最高分", *(_number(s.maximum, step) for s in summaries)])
    if comparison.weight_column:
        rows.append(
            [f"加权平均分（按 {_weight_name(comparison)}）", *(_number(s.weighted_mean, step) for s in summaries)]
        )
        unit = _unit(comparison, comparison.weight_column)
        rows.append(
            [f"{comparison.weight_column} 合计", *(f"{_money(s.weight_total)}\u00a0{unit}".strip() for s in summaries)]
        )
    return _table(rows, range(1, len(summaries) + 1))


def transition_tables(comparison: Comparison) -> list[str]:
    """Per other scheme, the grade transition matrix: rows the grade under A, columns the grade under it;
    each cell the records (and, with a weight column, their weight)."""
    found = comparison.grade_transitions()
    unit = _unit(comparison, comparison.weight_column)
    tables = []
    for other in range(1, len(comparison.schemes)):
        rows_grades = [g for g, _ in comparison.summaries[0].grades]
        columns = [g for g, _ in comparison.summaries[other].grades]
        header = [f"A 等次 ＼ {letter(other)} 等次", *columns, "合计"]
        rows = [header]
        for grade in rows_grades:
            cells, count = [], 0
            for column in columns:
                n, weight = found.get((other, grade, column), (0, None))
                count += n
                shown = str(n) if n else "·"
                if n and comparison.weight_column:
                    shown += f"（{_money(weight)}{unit}）" if weight is not None else ""
                cells.append(shown)
            rows.append([grade, *cells, str(count)])
        title = f"<h3>A → {_e(letter(other))}（{_e(scheme_title(comparison, other))}）</h3>"
        tables.append(title + _table(rows, range(1, len(columns) + 2)))
    return tables


def _used_rubrics(comparison: Comparison) -> list[int]:
    """The rubrics the comparison used: those that scored a record, else each scheme's members."""
    slots = [s for summary in comparison.summaries for s in summary.slots]
    if not slots:
        slots = [s for scheme in comparison.schemes for s in scheme.slots()]
    return list(dict.fromkeys(slots))


def to_html(comparison: Comparison, lang: str = "en") -> str:
    compiled = comparison.rubrics.compiled
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>评分方案比较：{_e(comparison.data)}</title><style>{STYLE}</style></head><body>",
        f"<h1>评分方案比较</h1><p>{comparison.record_count} 条记录，来自 {_e(comparison.data)}</p>",
        "<ul>",
        *(
            f"<li><b>{_e(letter(i))}</b> = {_e(scheme_title(comparison, i))}{BASELINE if i == 0 else ''}："
            f"{_e(_members(comparison, i))}</li>"
            for i in range(len(comparison.schemes))
        ),
        "</ul>",
        *(f'<p class="warn">注意：{_e(worded_zh(w) if lang == "zh" else w)}</p>' for w in comparison.warnings),
        "<h2>汇总</h2>",
        _html_summary(comparison),
        "<h2>等次分布</h2>",
        f"<figure>{grade_chart(comparison)}</figure>",
    ]
    if len(comparison.schemes) > 1:
        parts.append("<h2>等次变化（A 的等次 → 各方案的等次）</h2>")
        parts += transition_tables(comparison)
    chart = distribution_chart(comparison)
    if chart:
        parts += ["<h2>总分分布</h2>", _legend(comparison), f"<figure>{chart}</figure>"]
    caption = "对角线以上：该方案得分高于基准；灰线为等次分界；同一点上有多条记录时点更大并标 ×条数。"
    if comparison.pair_step is not None:
        caption += f"记录太多，总分按 {fmt(comparison.pair_step)} 分向下归并后作图。"
    for other in range(1, len(comparison.schemes)):
        parts.append(f"<h2>{_e(letter(other))} 对 A 的总分</h2>")
        parts.append(f"<figure>{score_chart(comparison, other)}<figcaption>{caption}</figcaption></figure>")
    parts += ["<h2>按指标的平均失分</h2>", _legend(comparison), f"<figure>{lost_chart(comparison)}</figure>"]
    parts += [_table(lost_rows(comparison), range(1, len(comparison.schemes) + 1))]
    parts += ["<h2>逐条记录</h2>", _html_records(comparison, lang)]
    found = list(problems(comparison, lang))
    if found:
        parts.append("<h2>未评分的记录</h2><ul>")
        shown = [(i, _record_zh(r) if lang == "zh" else f"{r.id}（{r.where}）", p) for i, r, p in found]
        parts += [f"<li>{_e(letter(i))} {_e(name)}：{_e(p)}</li>" for i, name, p in shown]
        parts.append("</ul>")
    parts.append("<footer>比较所用的评分规则：<br>")
    parts += [
        f"{_e(compiled[s].id)} {_e(compiled[s].version)} {_e(compiled[s].content_hash)}<br>"
        for s in _used_rubrics(comparison)
    ]
    parts.append("</footer></body></html>")
    return "\n".join(parts) + "\n"
