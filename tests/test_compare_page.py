"""The compare report as a reader sees it: the Wuping sample under its three schemes, laid out by
`compare_report.to_html` and measured in real headless chromium (/usr/bin/chromium)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rubric_dsl import compare
from rubric_dsl.compare_report import to_html

ROOT = Path(__file__).resolve().parents[1]
WUPING = ROOT / "rubrics" / "samples" / "wuping.csv"
SCHEMES = ["wuping.inspection,wuping.casework", "wuping.*.kaiping_scale", "wuping.*.national_weights"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Run in the page: every chart label's drawn box, against the chart it is drawn in; how far each table
# reaches past the page's text width (182 mm, A4 less its margins).
MEASURE = """
<script>
window.addEventListener("load", () => {
  const found = [];
  document.querySelectorAll("svg").forEach((svg, chart) => {
    const box = svg.viewBox.baseVal;
    svg.querySelectorAll("text:not([transform])").forEach((text) => {
      const b = text.getBBox();
      found.push({chart, text: text.textContent, left: b.x, right: b.x + b.width, top: b.y,
                  bottom: b.y + b.height, width: box.width, height: box.height});
    });
  });
  const out = document.createElement("pre");
  out.id = "measured";
  const body = document.body.getBoundingClientRect().right;
  const tables = [...document.querySelectorAll("table")].map((t) => t.getBoundingClientRect().right - body);
  out.textContent = JSON.stringify({labels: found, tables});
  document.body.appendChild(out);
});
</script>
"""


@pytest.fixture(scope="module")
def page() -> str:
    schemes, rubrics = compare.load_schemes(SCHEMES, ROOT / "rubrics", mixed=True)
    found = compare.compare(
        schemes, rubrics, compare.read_table(WUPING), id_column="project", weight_column="funds", rubric_column="rubric"
    )
    found.units["funds"] = "万元"
    return to_html(found)


def test_schemes_are_named_by_rubric_titles_not_patterns(page: str) -> None:
    assert "<b>A</b> = 武平县纪委项目支出绩效评价（基准）" in page
    assert "<b>B</b> = 武平县纪委项目支出绩效评价（开平等次）：" in page
    assert "<b>C</b> = 武平县纪委项目支出绩效评价（自评表一级权重）：" in page
    legends = re.findall(r"<p><span.*?</p>", page)
    assert legends and all("*" not in legend for legend in legends)


def test_units_and_one_decimal_style(page: str) -> None:
    assert "加权平均分（按 funds（万元））" in page and "298.34\u00a0万元" in page  # the unit stays with its number
    summary = page[page.index("<h2>汇总</h2>") : page.index("<h2>等次分布</h2>")]
    numbers = re.findall(r"<td class=n>(\d+\.\d+)</td>", summary)
    assert numbers and {len(n.split(".")[1]) for n in numbers} == {2}  # 94.60 beside 91.60, never 94.6
    assert "<td class=n>94.60</td>" in summary and "<td class=n>91.60</td>" in summary


def test_grade_transition_matrix_counts_records_and_funds(page: str) -> None:
    section = page[page.index("A → C") : page.index("<h2>总分分布</h2>")]
    rows = re.findall(r"<tr>(.*?)</tr>", section)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in rows]
    assert cells[0] == ["A 等次 ＼ C 等次", "优", "良", "中", "差", "合计"]
    assert cells[1] == ["优", "·", "2（12.34万元）", "·", "·", "2"]  # the two 办案 projects, 8.76 + 3.58
    assert cells[2] == ["良", "·", "·", "1（286.00万元）", "·", "1"]  # amounts with two decimals


def test_only_the_compared_rubrics_are_listed(page: str) -> None:
    footer = page[page.index("<footer>") :]
    listed = re.findall(r"(wuping\.[\w.]+) 2022\.1 sha256:", footer)
    assert sorted(listed) == sorted(
        f"wuping.{kind}{variant}"
        for kind in ("inspection", "casework")
        for variant in ("", ".kaiping_scale", ".national_weights")
    )


def test_identical_points_are_counted_and_the_axes_fit_the_data(page: str) -> None:
    chart = page[page.index("<h2>C 对 A 的总分</h2>") : page.index("<h2>按指标的平均失分</h2>")]
    assert chart.count("<circle") == 2  # three records, two at the same point
    assert "×2</text>" in chart and "2021年办案费补助年终结转结余、2021年专项业务费年终结转结余" in chart
    ticks = [int(t) for t in re.findall(r'font-size="9" text-anchor="middle" fill="#222">(\d+)</text>', chart)]
    assert ticks and min(ticks) >= 70 and max(ticks) <= 100 and ticks != [0, 100]


def test_in_chromium_every_chart_label_is_whole_and_every_table_fits_the_page(page: str, tmp_path: Path) -> None:
    file = tmp_path / "report.html"
    file.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    uri = file.as_uri()
    found = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom", uri],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(re.search(r'<pre id="measured">(.*?)</pre>', found.stdout, re.S).group(1))  # type: ignore[union-attr]
    assert len(report["tables"]) >= 4 and max(report["tables"]) <= 0.5  # no table wider than the page
    measured = report["labels"]
    assert len(measured) > 40
    assert any(m["text"] == "违反中央八项规定精神方面问题人次减少数" for m in measured)
    outside = [m for m in measured if m["left"] < -0.5 or m["right"] > m["width"] + 0.5]
    assert outside == []
