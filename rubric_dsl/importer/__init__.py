"""`rubric import`: an existing 评分表 (Excel or Word) read into a draft rubric and a report.

Takes the path of an `.xlsx` or `.docx` score sheet; gives a `Draft` (`draft.py`): the rubric text
(indicators in their sections, 加分/扣分 lines, 一票否决/等次限制, grades or none), what was mapped, what
needs a person, the weight checks and the draft's own `rubric check` diagnostics. Three steps, one
module each: `table` reads the file into rows (merged cells resolved), `phrases` reads each 评分标准
into a rule, `draft` builds the section tree and the text.
`report_text` words the report, Chinese first.
"""

from __future__ import annotations

from pathlib import Path

from rubric_dsl.importer.draft import Draft, Item, build_draft
from rubric_dsl.importer.table import ImportProblem, SheetRows, read_sheet

__all__ = ["Draft", "ImportProblem", "Item", "SheetRows", "build_draft", "import_sheet", "read_sheet", "report_text"]


def import_sheet(path: str | Path, rubric_id: str, output: str = "draft.rubric") -> Draft:
    """The draft rubric `rubric_id` read from the 评分表 at `path`, checked as if saved at `output`."""
    return build_draft(read_sheet(path), rubric_id, output)


def report_text(draft: Draft, source: str, output: str, lang: str = "zh") -> str:
    """The report `rubric import` prints: Chinese, then English unless `lang` is "zh" only."""
    zh = lang != "en"
    out: list[str] = []
    if zh:
        more = f"、{draft.lines}条加分/扣分" if draft.lines else ""
        more += f"、{draft.vetoes}条一票否决/等次限制" if draft.vetoes else ""
        out.append(f"从 {source} 读出 {draft.indicators} 项指标{more}，草稿写入 {output}")
        out.append(f"已识别（{len(draft.mapped)}项）：")
        out += [f"  第{i.row}行 {i.indicator}：{i.text}" for i in draft.mapped]
        out.append(f"需要人工处理（{len(draft.needs)}项）：" if draft.needs else "需要人工处理：无")
        out += [f"  {'第' + str(i.row) + '行 ' if i.row else ''}{i.indicator}：{i.text}" for i in draft.needs]
        out.append("分值核对：" + ("全部相符" if draft.weights_ok else "有不符，请核对"))
        out += [f"  {i.text}" for i in draft.weights]
        errors = len(draft.errors)
        out.append("规则检查（rubric check）：" + ("通过" if not errors else f"{errors}个错误，见下"))
    else:
        more = f", {draft.lines} bonus/penalty lines" if draft.lines else ""
        more += f", {draft.vetoes} vetoes/grade caps" if draft.vetoes else ""
        out.append(f"read {draft.indicators} indicators{more} from {source}; draft written to {output}")
        out.append(f"mapped ({len(draft.mapped)}):")
        out += [f"  row {i.row} {i.indicator}: {i.text_en} ({i.text})" for i in draft.mapped]
        out.append(f"needs a person ({len(draft.needs)}):" if draft.needs else "needs a person: nothing")
        out += [f"  {'row ' + str(i.row) + ' ' if i.row else ''}{i.indicator}: {i.text_en}" for i in draft.needs]
        out.append("weights: " + ("all add up" if draft.weights_ok else "some do not add up"))
        out += [f"  {i.text_en}" for i in draft.weights]
        errors = len(draft.errors)
        out.append("rubric check: " + ("clean" if not errors else f"{errors} errors, below"))
    return "\n".join(out)
