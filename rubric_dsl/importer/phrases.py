"""Read the 评分标准 of one indicator, as the field writes it, into a rule of the rubric language.

Takes the criteria text, the indicator's weight and label, and a `Namer` that gives each fact an id
(one id per label, so two rules that speak of the same quantity read the same fact); gives a
`Reading`: the rule's lines in rubric syntax, what it was read as, and whether it was understood.
Understood phrasings (the seeds' and `wording.py`'s own):

- band tables: "95%以上（含95%）得5分；90%—95%得4分；…；其余不得分" (a bare `a—b` holds its lower end,
  as the seeds mean; `（含90%）`, `90%（含）`, `（均不含）` say otherwise; "以上/以下" hold their number)
- checklists: "若有一项不符扣1分，若存在严重不符的情况则不得分"
- steps: "小于等于70人得满分，每增加5人扣1分，直到扣完为止" (and 大于等于 … 每减少 …)
- shares: "按完成比例得分", "该项指标分值×质量达标率", "…×a÷b（最多按100%计）"
- targets: "X达到目标值（≥100%）得满分，未达到按完成比例得分"
- on time: "计划时间内完成得满分，未完成不得分"
- linear: "A≥5%得满分；…满分×(A/5%)；A≤0时不得分（A为资金节约率）", and "A≤50%时不得分 … 满分值×A"
- judged: "由评价组评定", "由评价组按档次评定：达成得6—7.5分（分值的80%—100%）；…"
- conditions: "当“在计划时间内完成”时：得满分；否则：不得分", "当公众满意度≤50%时：…；否则：…"
- fixed points: "得满分", "不得分", "得3分"

Anything else is not guessed at: the caller falls back to a judged score and says a person must write
the rule.

`read_line` reads a 加分/扣分 row (its 评分标准, else its label) into the rule of a bonus or penalty line
and its cap: "每发现一处问题扣1分，最多扣5分" (`each … points 1`, `max 5`), "被上级通报批评的扣2分/次",
"每1次（被上级通报批评次数）扣2分" (as `rubric sheet` prints `each`), "获得省级表彰加2分，最多加3分" (a
count when the cap allows more than once, else a flag), or any indicator phrasing above with the cap as
its weight. `read_veto` reads a 一票否决/等次限制 row into a veto or cap whose condition is a placeholder
fact for a person to replace: its outcome is read from the text ("考核结果为零分" zero, "评价等级为差"
grade 差, "至多三级" grade at most 三级, "不得评为优" at most the grade below), else the lowest grade (or
zero, without grades), and said so.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from rubric_dsl.diagnostics import fmt
from rubric_dsl.printer import quote


@dataclass(frozen=True, slots=True)
class Fact:
    """An input the rule reads: declared once per label by the draft."""

    role: str  # the tail of the generated id: rate, count, failed, serious, done, score, tier, value
    kind: str  # percent, count, number, flag or choice(...)
    label: str
    low: str | None = None  # the range, as rubric text
    high: str | None = None
    unit: str | None = None
    default: str | None = None


Namer = Callable[[Fact], str]


@dataclass(slots=True)
class Reading:
    lines: list[str]
    how: str  # what the text was read as, in Chinese, for the report
    understood: bool = True
    notes: list[str] = field(default_factory=list)  # what a person should look at even so


_NUM = r"(\d+(?:\.\d+)?)(%|个百分点|人次|人|个|件|次|项|起|万元|元|天|日)?"
_PTS = r"(得满分|不得分|得(\d+(?:\.\d+)?)分)"
_OPS = {"≥": ">=", "≤": "<=", ">": ">", "<": "<", "=": "==", "≠": "!="}
_GENERIC = {"", "完成率", "完成比例", "比例", "得分率", "A", "其", "该指标", "该项指标"}


def normalize(text: str) -> str:
    """Full-width punctuation to half-width, one dash for ranges, ≤ ≥ ×, no spaces, no final stop."""
    table = str.maketrans(
        {
            "（": "(",
            "）": ")",
            "，": ",",
            "；": ";",
            "：": ":",
            "＜": "<",
            "＞": ">",
            "＝": "=",
            "≦": "≤",
            "≧": "≥",
            "＊": "×",
            "*": "×",
            "–": "—",
            "－": "—",
            "～": "—",
            "~": "—",
            "％": "%",
            "、": ",",
            "“": "“",
            "\n": ";",
        }
    )
    text = text.translate(table)
    text = text.replace("\\geq", "≥").replace("\\leq", "≤").replace("\\%", "%").replace("$", "").replace("\\times", "×")
    text = text.replace("<=", "≤").replace(">=", "≥").replace("——", "—")
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"(?<=[\d%)])[-至](?=\d)", "—", text)
    return text.strip(";,。.")


def read_criteria(text: str, weight: Decimal, indicator: str, namer: Namer) -> Reading:
    """The rule the 评分标准 `text` states for an indicator of `weight` points labelled `indicator`."""
    plain = normalize(text)
    for reader in (
        _judged,
        _conditional,
        _checklist,
        _steps,
        _target,
        _on_time,
        _linear,
        _share_or_zero,
        _proportional,
        _fixed,
        _bands,
    ):
        found = reader(plain, weight, indicator, namer)
        if found is not None:
            return found
    return Reading([], "未能识别", understood=False)


def judged_fallback(weight: Decimal, indicator: str, namer: Namer) -> Reading:
    score = namer(Fact("score", "number", f"{indicator}：评价组评分"))
    return Reading([f"judged {score}"], f"由评价组评定（0至{fmt(weight)}分）", understood=False)


# --- numbers and points


def _dec(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None


def _literal(number: str, unit: str | None) -> str:
    return f"{fmt(_dec(number))}%" if unit in ("%", "个百分点") else fmt(_dec(number))


def _points(match: str, weight: Decimal) -> Decimal:
    if match == "得满分":
        return weight
    if match == "不得分":
        return Decimal(0)
    return _dec(match.removeprefix("得").removesuffix("分"))


def _kind(units: list[str | None]) -> tuple[str, str | None]:
    """The kind of fact numbers with these units measure, and its unit."""
    if "%" in units or "个百分点" in units:
        return "percent", None
    counted = next((u for u in units if u in ("人次", "人", "个", "件", "次", "项", "起")), None)
    if counted:
        return "count", counted
    money = next((u for u in units if u in ("万元", "元")), None)
    return "number", money or next((u for u in units if u in ("天", "日")), None)


def _named(text: str, indicator: str) -> str:
    """The quantity `A` of a linear phrasing: `(A为L)` when said, else the indicator's own label."""
    said = re.search(r"\(A为(.+?)\)", text)
    return said.group(1) if said else indicator


def _subject(text: str, indicator: str) -> str:
    """The quantity a rule speaks of: `(A为L)` when said, else the words before the numbers, else the
    indicator's own label; a bare 完成率 is the indicator's."""
    said = re.search(r"\(A为(.+?)\)", text)
    label = said.group(1) if said else text
    label = label.strip(" ,;:(")
    if label in _GENERIC:
        return indicator
    return label


# --- the readers (each gives None when the text is not its phrasing)


def _judged(text: str, weight: Decimal, indicator: str, namer: Namer) -> Reading | None:
    tiers = re.match(r"^由评价组按档次评定:(.+)$", text)
    if tiers:
        rows = re.findall(r"([^;:]+?)得[\d.]+—[\d.]+分\(分值的(\d+(?:\.\d+)?)%—(\d+(?:\.\d+)?)%\)", tiers.group(1))
        if rows:
            labels = [label for label, _, _ in rows]
            score = namer(Fact("score", "number", f"{indicator}：评价组评分"))
            choice = "choice(" + ", ".join(quote(label) for label in labels) + ")"
            tier = namer(Fact("tier", choice, f"{indicator}：达成情况"))
            width = max(len(quote(label)) for label in labels)
            body = [f"  {quote(label).ljust(width)} {low}% .. {high}%" for label, low, high in rows]
            return Reading([f"judged {score} tiers {tier} {{", *body, "}"], "评价组按档次评定")
    if re.match(r"^由评价组(评定|打分|评分)", text):
        score = namer(Fact("score", "number", f"{indicator}：评价组评分"))
        return Reading([f"judged {score}"], "评价组评定")
    return None


def _conditional(text: str, weight: Decimal, indicator: str, namer: Namer) -> Reading | None:
    found = re.match(r"^当(.+?)时:(.+?);否则:(.+)$", text)
    if not found:
        return None
    arm = read_criteria(found.group(2), weight, indicator, namer)
    rest = read_criteria(found.group(3), weight, indicator, namer)
    if not (arm.understood and rest.understood) or len(arm.lines) != 1 or len(rest.lines) != 1:
        return None
    condition = _condition(found.group(1), namer)
    if condition is None:
        return None
    return Reading(
        [f"when {condition} => {arm.lines[0]}", f"otherwise => {rest.lines[0]}"], f"条件：{arm.how}/{rest.how}"
    )


def _condition(text: str, namer: Namer) -> str | None:
    flag = re.fullmatch(r"“(.+)”", text)
    if flag:
        return namer(Fact("done", "flag", flag.group(1)))
    compared = re.fullmatch(rf"(.+?)([≥≤><=≠]){_NUM}", text)
    if compared:
        label, op, number, unit = compared.groups()
        kind, shown = _kind([unit])
        name = namer(Fact("value", kind, label, unit=shown))
        return f"{name} {_OPS[op]} {_literal(number, unit)}"
    return None


def _checklist(text: str, weight: Decimal, indicator: str, namer: Namer) -> Reading | None:
    found = re.search(r"(有一项|每有一项|每一项|每项)不(符|符合|满足|达标)[^,;]*?,?扣(\d+(?:\.\d+)?)分", text)
    if not found:
        return None
    failed = namer(Fact("failed", "count", f"{indicator}：不符项数", default="0"))
    line = f"checklist {failed} deduct {fmt(_dec(found.group(3)))} each"
    if re.search(r"严重不符.*不得分", text):
        serious = namer(Fact("serious", "flag", f"{indicator}：存在严重不符", default="false"))
        line += f", zero when {serious}"
    return Reading([line], "逐项扣分（不符项数）" + ("，严重不符不得分" if "zero" in line else ""))


def _steps(text: str, weight: Decimal, indicator: str, namer: Namer) -> Reading | None:
    found = re.match(
        rf"^(.*?)(小于等于|不超过|不高于|不多于|≤|大于等于|不低于|不少于|≥){_NUM}(以内|以下|以上)?(的)?,?得满分[,;]?"
        rf"每(增加|超过|多|增|减少|降低|少|减){_NUM},?扣(\d+(?:\.\d+)?)分(\(不足.+?计\))?",
        text,
    )
    if not found:
        return None
    subject, bound, limit, unit, _, _, change, step, step_unit, deduct, started = found.groups()
    above = bound in ("小于等于", "不超过", "不高于", "不多于", "≤")
    if above != (change in ("增加", "超过", "多", "增")):
        return None
    kind, shown = _kind([unit, step_unit])
    name = namer(Fact("value", kind, _subject(subject, indicator), low="0" if kind != "percent" else None, unit=shown))
    step_text = _literal(step, "%" if step_unit == "个百分点" else step_unit)
    line = (
        f"steps {name} {'above' if above else 'below'} {_literal(limit, unit)} deduct {fmt(_dec(deduct))} "
        f"per {step_text} {'started' if started else 'whole'}"
    )
    return Reading([line], f"每{'增加' if above else '减少'}{step}{step_unit or unit or ''}扣{deduct}分，扣完为止")


def _target(text: str, weight: Decimal, indicator: str, namer: Namer) -> Reading | None:
    found = re.match(rf"^(.*?)达到目标值\(([≥≤><=])?{_NUM}\)得满分,未达到(.+)$", text)
    if not found:
        return None
    subject, op, number, unit, rest = found.groups()
    kind, shown = _kind([unit])
    name = namer(Fact("value", kind, _subject(subject, indicator), unit=shown))
    proportional = rest.startswith("按完成比例")
    line = (
        f"target {name} {_OPS.get(op or '≥', '>=')} {_literal(number, unit)}{' proportional' if proportional else ''}"
    )
    return Reading([line], "达到目标值得满分，" + ("未达到按完成比例" if proportional else "未达到不得分"))


def _on_time(text: str, weight: Decimal, indicator: str, namer: Namer) -> Reading | None:
    if not re.search(
        r"(计划时间内|按时|按期|如期|规定时间内|计划期内|规定期限内)完成(的)?,?得满分.*?(未|逾期|没有|不能).*?不得分",
        text,
    ):
        return None
    done = namer(Fact("done", "flag", f"{indicator}：在计划时间内完成"))
    return Reading([f"when {done} => points {fmt(weight)}", "otherwise => points 0"], "按期完成得满分，否则不得分")


def _linear(text: str, weight: Decimal, indicator: str, namer: Namer) -> Reading | None:
    high = re.search(rf"A[≥=]{_NUM}(时)?得满分", text)
    low = re.search(r"A≤\(?(-?\d+(?:\.\d+)?)(%|人次|人|个|件|次)?\)?时?不得分", text)
    ratio = re.search(r"×\(A[/—-]", text)
    if not (high and low and ratio):
        return None
    kind, shown = _kind([high.group(2), low.group(2)])
    name = namer(Fact("value", kind, _named(text, indicator), unit=shown))
    start = _literal(low.group(1), low.group(2) or high.group(2))
    line = f"linear {name} from {start} to {_literal(high.group(1), high.group(2))}"
    return Reading([line], "在两点之间按比例得分")


def _share_or_zero(text: str, weight: Decimal, indicator: str, namer: Namer) -> Reading | None:
    """The seeds' satisfaction row: "A=100%得满分；…满分值×A，A≤50%时不得分"."""
    zero = re.search(rf"A≤{_NUM}时?不得分", text)
    if not (zero and re.search(r"满分值?×A(?![/—(])", text)):
        return None
    name = namer(Fact("value", "percent", _named(text, indicator), low="0%", high="100%"))
    line = f"when {name} <= {_literal(zero.group(1), zero.group(2))} => points 0"
    return Reading(
        [line, f"otherwise => proportional {name}"], f"不高于{zero.group(1)}{zero.group(2) or ''}不得分，否则按比例得分"
    )


def _proportional(text: str, weight: Decimal, indicator: str, namer: Namer) -> Reading | None:
    if re.fullmatch(r"(按|依)(实际)?(完成|达成)(比例|率|程度)(计|得)?分", text):
        name = namer(Fact("rate", "percent", f"{indicator}：完成比例", low="0%", high="100%"))
        return Reading([f"proportional {name}"], "按完成比例得分")
    found = re.fullmatch(r"(得分=)?(该项指标|该指标|此项指标|本项)?(分值|满分值|满分|权重)×(.+)", text)
    if not found:
        return None
    expr = found.group(4)
    capped = re.fullmatch(r"(.+?)\(最多按100%计\)", expr)
    expr = capped.group(1) if capped else expr
    if re.search(r"[×+—()]|\d", expr):
        return None
    if "÷" in expr:
        parts = expr.split("÷")
        if len(parts) != 2 or not all(parts):
            return None
        top = namer(Fact("count", "count", parts[0]))
        bottom = namer(Fact("count", "count", parts[1]))
        ratio = f"{top} / {bottom}"
        return Reading([f"proportional {f'min(1, {ratio})' if capped else ratio}"], "按比例得分（两数之比）")
    label = f"{indicator}：{expr}" if expr in _GENERIC else expr
    name = namer(Fact("rate", "percent", label, low="0%", high="100%"))
    return Reading([f"proportional {name}"], "按比例得分")


def _fixed(text: str, weight: Decimal, indicator: str, namer: Namer) -> Reading | None:
    if re.fullmatch(_PTS, text):
        return Reading([f"points {fmt(_points(text, weight))}"], "固定得分")
    return None


@dataclass(slots=True)
class _Row:
    low: Decimal | None
    high: Decimal | None
    low_closed: bool
    high_closed: bool
    points: Decimal
    low_said: bool = False  # closure written out (含), which wins where two rows meet
    high_said: bool = False


def _bands(text: str, weight: Decimal, indicator: str, namer: Namer) -> Reading | None:
    segments = list(re.finditer(rf"([^;]*?),?{_PTS}", text))
    if len(segments) < 2 or text[segments[-1].end() :].strip(";,") not in ("", "直到扣完为止"):
        return None
    rows: list[_Row] = []
    otherwise: Decimal | None = None
    units: list[str | None] = []
    subject = ""
    for k, segment in enumerate(segments):
        condition = segment.group(1).strip(";,")
        points = _points(segment.group(2), weight)
        if k == 0:
            first = re.search(r"\d|其余|高于|低于|超过|不足", condition)
            subject, condition = (condition[: first.start()], condition[first.start() :]) if first else ("", condition)
        if re.fullmatch(r"(其余|其他|其它|否则|以下|以外)(情况|的)?", condition):
            otherwise = points
            continue
        row = _band_row(condition, points, units)
        if row is None:
            return None
        rows.append(row)
    if not rows:
        return None
    partition = _partition(rows)
    if partition is None:
        return None
    rows = partition
    kind, shown = _kind(units)
    name = namer(Fact("value", kind, _subject(subject, indicator), low="0%" if kind == "percent" else None, unit=shown))
    percent = "%" if kind == "percent" else ""
    lines = [f"bands {name} {{"]
    for row in rows:
        low = "-inf" if row.low is None else f"{fmt(row.low)}{percent}"
        high = "inf" if row.high is None else f"{fmt(row.high)}{percent}"
        lines.append(
            f"  {'[' if row.low_closed else '('}{low}, {high}{']' if row.high_closed else ')'} {fmt(row.points)}"
        )
    if otherwise is not None or not _covers(rows):
        lines.append(f"  otherwise {fmt(otherwise or Decimal(0))}")
    lines.append("}")
    return Reading(lines, f"分档计分（{len(rows)}档）")


def _band_row(condition: str, points: Decimal, units: list[str | None]) -> _Row | None:
    n = _NUM
    said_low = said_high = False
    if m := re.fullmatch(rf"{n}(及)?以上(\(含{n}?\)|\(含\))?", condition):
        units.append(m.group(2))
        return _Row(_dec(m.group(1)), None, True, False, points, m.group(4) is not None)
    if m := re.fullmatch(rf"(≥|大于等于|不低于|不少于|达到){n}", condition):
        units.append(m.group(3))
        return _Row(_dec(m.group(2)), None, True, False, points, True)
    if m := re.fullmatch(rf"(>|高于|超过|大于){n}", condition):
        units.append(m.group(3))
        return _Row(_dec(m.group(2)), None, False, False, points, True)
    if m := re.fullmatch(rf"{n}(及)?以下(\(含{n}?\)|\(含\))?", condition):
        units.append(m.group(2))
        return _Row(None, _dec(m.group(1)), False, True, points, False, m.group(4) is not None)
    if m := re.fullmatch(rf"(<|低于|不足|小于){n}", condition):
        units.append(m.group(3))
        return _Row(None, _dec(m.group(2)), False, False, points, False, True)
    if m := re.fullmatch(rf"(≤|小于等于|不高于|不超过){n}", condition):
        units.append(m.group(3))
        return _Row(None, _dec(m.group(2)), False, True, points, False, True)
    m = re.fullmatch(rf"{n}(\(含\))?—{n}(\(含\))?(\((含|均不含)({n})?\))?", condition)
    if m is None:
        return None
    low, low_unit, low_mark, high, high_unit, high_mark, _, said, _, said_number, _ = m.groups()
    units += [low_unit, high_unit]
    row = _Row(_dec(low), _dec(high), True, False, points)
    if low_mark:
        row.low_closed, said_low = True, True
    if high_mark:
        row.high_closed, said_high = True, True
    if said == "均不含":
        row.low_closed, row.high_closed, said_low, said_high = False, False, True, True
    elif said == "含" and said_number is not None:
        if _dec(said_number) == row.low:
            row.low_closed, said_low = True, True
        elif _dec(said_number) == row.high:
            row.high_closed, said_high = True, True
    row.low_said, row.high_said = said_low, said_high
    return row


def _partition(rows: list[_Row]) -> list[_Row] | None:
    """Rows highest first, each meeting the next without overlap: an open-ended "5%以上" below a
    "10%以上" ends at 10%; where two rows both hold the meeting point, the one that says so keeps it
    (else the higher row, as "90%—95%" under "95%以上" means)."""
    ordered = sorted(rows, key=lambda r: (r.low is not None, r.low or 0), reverse=True)
    for upper, lower in itertools.pairwise(ordered):
        if upper.low is None:
            return None  # two rows open downwards
        if lower.high is None:
            lower.high, lower.high_closed = upper.low, not upper.low_closed
        elif lower.high > upper.low:
            return None  # rows that overlap: which one is meant is for a person to say
        elif lower.high == upper.low and lower.high_closed and upper.low_closed:
            if lower.high_said and not upper.low_said:
                upper.low_closed = False
            else:
                lower.high_closed = False
        if lower.low is not None and lower.high is not None and lower.low > lower.high:
            return None
    return ordered


def _covers(rows: list[_Row]) -> bool:
    """Whether the rows (highest first) leave no gap from -∞ to ∞."""
    if rows[0].high is not None or rows[-1].low is not None:
        return False
    return all(
        lower.high == upper.low and (lower.high_closed or upper.low_closed) for upper, lower in itertools.pairwise(rows)
    )


# --- 加分/扣分 and 一票否决 rows

_CAP = re.compile(r"[,;]?\(?(累计)?(最多|最高|上限|至多|最多不超过)(加|扣)?(\d+(?:\.\d+)?)分(为限|封顶)?\)?")
_UNITS = "处|项|起|次|个|例|件|人次|人|条|篇|家"


def read_line(text: str, label: str, cap: Decimal | None, namer: Namer) -> tuple[Reading, Decimal | None]:
    """The rule of a 加分/扣分 row and its cap (`cap`, the row's 分值, unless the text says 最多…分)."""
    plain = normalize(text)
    said = _CAP.search(plain)
    if said:
        cap = _dec(said.group(4))
        plain = (plain[: said.start()] + plain[said.end() :]).strip(";,")
    plain = re.sub(r"[,;]?(直到|直至)?(扣|加)(完|满)为止$", "", plain)
    amount = r"(加|扣)(\d+(?:\.\d+)?)分"
    printed = re.fullmatch(rf"每1次\((.+)\){amount}", plain)  # as `rubric sheet` words `each`
    if printed:
        said_words = re.match(r"\s*每\s*1\s*次\s*[（(](.+)[）)]\s*[加扣]", text)
        count = namer(Fact("count", "count", said_words.group(1) if said_words else printed.group(1), low="0"))
        return _each(count, printed.group(3)), cap
    each = re.fullmatch(
        rf"([^,;\d]*?)每(发现|发生|有|出现|查出|被|获得|受到)?(一|1)({_UNITS})(.*?),?(的)?,?{amount}", plain
    )
    if each:
        where, verb, _, unit, thing = each.group(1, 2, 3, 4, 5)
        words = f"{where}{verb or ''}{thing}{unit}数" if thing else f"{label}：{unit}数"
        return _each(namer(Fact("count", "count", words, low="0", unit=unit)), each.group(8)), cap
    after = re.fullmatch(rf"每([^,;\d]+?)(一|1)({_UNITS}),?(的)?,?{amount}", plain)  # 每被通报批评一次扣3分
    if after:
        words = f"{after.group(1)}{after.group(3)}数"
        return _each(namer(Fact("count", "count", words, low="0", unit=after.group(3))), after.group(6)), cap
    per = re.fullmatch(rf"(.+?)(的)?,?(每({_UNITS}))?{amount}(/|每)({_UNITS})", plain) or re.fullmatch(
        rf"(.+?)(的)?,?每({_UNITS})(){amount}()()", plain
    )
    if per:
        unit = per.group(8) or per.group(3)
        count = namer(Fact("count", "count", f"{per.group(1)}{unit}数", low="0", unit=unit))
        return _each(count, per.group(6)), cap
    once = re.fullmatch(rf"(.+?)(的)?,?{amount}", plain)
    if once and not re.search(r"\d|[得扣加]分|得满分|不得分", once.group(1)):
        points = _dec(once.group(4))
        if cap is not None and cap > points:  # more than once: a count
            count = namer(Fact("count", "count", f"{once.group(1)}次数", low="0", unit="次"))
            return _each(count, once.group(4)), cap
        flag = namer(Fact("done", "flag", once.group(1), default="false"))
        return Reading([f"when {flag} => points {fmt(points)}", "otherwise => points 0"], "符合条件时计分"), cap
    reading = read_criteria(text, cap or Decimal(0), label, namer)
    return reading, cap


def _each(count: str, amount: str) -> Reading:
    return Reading([f"each {count} points {fmt(_dec(amount))}"], f"每次计{fmt(_dec(amount))}分")


def read_veto(text: str, kind: str, grades: list[str], namer: Namer) -> tuple[str, str]:
    """The tail of a veto or cap read from a 一票否决/等次限制 row (`when FACT grade G` …, FACT a
    placeholder flag for a person to replace) and how its outcome was read, in Chinese."""
    plain = normalize(text)
    holds = namer(Fact("holds", "flag", f"待人工确认：{text}", default="false"))
    if re.search(r"零分|为0分|计0分|不得分|得分为0|取消.*得分", plain):
        return f"when {holds} zero", "总分计为零"
    ordered = sorted(grades, key=len, reverse=True)
    names = "|".join(re.escape(g) for g in ordered)

    def word(label: str) -> str:
        return label if label.isidentifier() else quote(label)

    if names:
        never = re.search(rf"不得(评为|定为|为)“?({names})", plain)
        if never and grades.index(never.group(2)) + 1 < len(grades):
            below = grades[grades.index(never.group(2)) + 1]
            return f"when {holds} grade at most {word(below)}", f"等次至多为“{below}”"
        most = re.search(rf"(至多|最高|不高于|最多)(评为|为|定为)?“?({names})", plain)
        if most or kind == "cap":
            found = most.group(3) if most else grades[-1]
            return f"when {holds} grade at most {word(found)}", f"等次至多为“{found}”"
        named = list(re.finditer(rf"(为|评为|定为|确定为|等次|等级|结论)“?({names})", plain)) or list(
            re.finditer(rf"({names})", plain)
        )
        if named:
            found = named[-1].groups()[-1]
            return f"when {holds} grade {word(found)}", f"等次为“{found}”"
        return f"when {holds} grade {word(grades[-1])}", f"未写明结果，暂按最低等次“{grades[-1]}”"
    return f"when {holds} zero", "未写明结果，本表不评等次，暂按总分计为零"
