"""The workbench in a real browser: `rubric studio DIR --no-browser` on a copy of the bundled rubrics, driven by
Playwright in Debian's chromium (``/usr/bin/chromium``; ``.ci/run`` installs it when missing).

The page is opened as a person would use it: a mistake typed into the editor shows its diagnostic at its line,
the fix clears it, the seed's 定额基本业务费 facts typed into the generated form give 85.6 良 with explanations,
the test cases run with coverage in the gutter, the 评分表 downloads as xlsx, and saving writes the file and
reloads what is served. Screenshots go to ``build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright
from service_harness import BUNDLED, INSPECTION_FACTS, WAIT

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("RUBRIC_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "build" / "screenshots"
INSPECTION = "wuping/inspection.rubric"
MS = int(WAIT * 1000) * 3  # bounds a hang only: a loaded machine may take long


class Studio:
    """`rubric studio` in a subprocess; its JSON log lines read on a thread, the page's address from them."""

    def __init__(self, directory: Path) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "service")])}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rubric_cli", "studio", str(directory), "--no-browser"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.events: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        assert self.ready.wait(WAIT), f"rubric studio did not serve: {self.events[-5:]}"
        self.url = next(e["url"] for e in self.events if e.get("event") == "http_serving")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
            if self.events[-1].get("event") == "http_serving":
                self.ready.set()
        self.ready.set()

    def stop(self) -> int:
        self.proc.terminate()
        try:
            return self.proc.wait(WAIT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.reader.join(WAIT)
            if self.proc.stdout is not None:
                self.proc.stdout.close()


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Studio, Path]]:
    directory = tmp_path_factory.mktemp("studio") / "rubrics"
    shutil.copytree(BUNDLED, directory)
    running = Studio(directory)
    yield running, directory
    assert running.stop() == 0


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run does)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, studio: tuple[Studio, Path]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    outside: list[str] = []
    base = studio[0].url.rstrip("/")
    context.route("**/*", lambda route: _local_only(route, base, outside))
    opened = context.new_page()
    opened.set_default_timeout(MS)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert outside == [], f"the page asked for something elsewhere: {outside}"
    assert errors == [], f"the page's script failed: {errors}"


def _local_only(route: Any, base: str, outside: list[str]) -> None:
    url = route.request.url
    if url.startswith(base) or url.startswith(("blob:", "data:", "about:")):
        route.continue_()
    else:
        outside.append(url)
        route.abort()


def shot(page: Any, name: str, locator: Any = None) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if locator is not None:
        locator.scroll_into_view_if_needed()
    (locator or page).screenshot(path=str(path))
    assert path.stat().st_size > 10_000  # a real picture, not an empty one
    return path


def open_inspection(page: Any, studio: tuple[Studio, Path]) -> None:
    page.goto(studio[0].url + "#" + INSPECTION)
    page.wait_for_selector("#outline strong")
    assert page.input_value("#file") == INSPECTION
    page.wait_for_selector("#diagnostics .ok")


def put_cursor_after(page: Any, text: str) -> None:
    page.eval_on_selector(
        "#source",
        "(area, text) => { const at = area.value.indexOf(text) + text.length; area.focus();"
        " area.setSelectionRange(at, at); }",
        text,
    )


def test_a_typed_mistake_shows_its_diagnostic_at_its_line_and_the_fix_clears_it(
    page: Any, studio: tuple[Studio, Path]
) -> None:
    open_inspection(page, studio)
    source = page.input_value("#source")
    line = source[: source.index("inspected_units / planned_units")].count("\n") + 1
    put_cursor_after(page, "min(1, inspected_units")
    page.keyboard.press("Backspace")  # inspected_unit: a name the rubric does not declare
    page.wait_for_selector("#gutter div.error")
    flagged = page.eval_on_selector_all("#gutter div.error", "nodes => nodes.map(n => Number(n.dataset.line))")
    assert flagged == [line]
    shown = page.inner_text("#diagnostics li.error pre")
    assert f"inspection.rubric:{line}:" in shown and "^" in shown and "inspected_unit" in shown
    assert "错误" in shown  # Chinese by default, as `rubric check --lang zh` renders it
    assert page.locator("#highlight .diag-error").count() >= 1
    shot(page, "editor-with-diagnostic")
    page.select_option("#lang", "en")
    assert "error" in page.inner_text("#diagnostics li.error pre")
    page.select_option("#lang", "zh")
    page.keyboard.type("s")
    page.wait_for_selector("#diagnostics .ok")
    assert page.locator("#gutter div.error").count() == 0


def test_the_seed_facts_score_85_6_with_explanations_and_the_sheet(page: Any, studio: tuple[Studio, Path]) -> None:
    open_inspection(page, studio)
    labels = page.eval_on_selector_all("#facts label", "nodes => nodes.map(n => n.dataset.fact)")
    assert set(INSPECTION_FACTS) <= set(labels)
    assert "范围" in page.inner_text('#facts label[data-fact="satisfaction"]')  # its range, from the rubric
    for name, value in INSPECTION_FACTS.items():
        field = page.locator(f'#facts [name="{name}"]')
        if field.evaluate("node => node.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.wait_for_function("document.querySelector('#total') && document.querySelector('#total').textContent == '85.6'")
    assert page.inner_text("#grade") == "良"
    lost = page.locator("#result tr.lost")
    assert lost.count() >= 1
    assert all(text.strip() for text in lost.locator("td:nth-child(3)").all_inner_texts())  # each loss explained
    frame = page.frame_locator("#sheet")
    assert "85.6" in frame.locator("body").inner_text()
    shot(page, "facts-form-with-seed-result", page.locator(".right"))
    shot(page, "sheet-preview", page.locator("#sheet"))
    page.fill('#facts [name="satisfaction"]', "百分百")
    page.wait_for_selector('#facts label.invalid[data-fact="satisfaction"]')
    assert page.inner_text('#facts label[data-fact="satisfaction"] .problem')
    page.fill('#facts [name="satisfaction"]', INSPECTION_FACTS["satisfaction"])
    page.wait_for_function("document.querySelector('#total') && document.querySelector('#total').textContent == '85.6'")
    with page.expect_download() as waiting:
        page.click("#download")
    saved = Path(waiting.value.path())
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(saved.read_bytes()), data_only=True)  # the cached values of its formulas
    values = {str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None}
    assert "良" in values and any("85.6" in v for v in values)


def test_the_test_cases_run_with_coverage_in_the_gutter(page: Any, studio: tuple[Studio, Path]) -> None:
    open_inspection(page, studio)
    page.click("#run-tests")
    page.wait_for_selector("#tests li.pass")
    summary = page.inner_text("#test-summary")
    assert " 0 失败" in summary and "条款" in summary
    assert page.locator("#tests li.fail").count() == 0
    assert page.locator("#gutter div.covered, #gutter div.missed").count() >= 1
    shot(page, "test-cases-and-coverage")


def test_format_and_save_write_the_file_and_reload_what_is_served(page: Any, studio: tuple[Studio, Path]) -> None:
    running, directory = studio
    open_inspection(page, studio)
    assert page.is_enabled("#save")
    assert "工作室" in page.inner_text("#mode")
    source = page.input_value("#source")
    page.fill("#source", source.replace("  input planned_units", "input planned_units"))
    page.click("#format")
    page.wait_for_function("document.querySelector('#status').textContent == '已格式化'")
    assert page.input_value("#source") == source
    page.fill("#source", source.replace('"实际完成巡察单位数量" 15', '"实际完成巡察单位数量（已核）" 15'))
    page.wait_for_selector("#diagnostics .ok")
    page.click("#save")
    page.wait_for_function("document.querySelector('#status').textContent == '已保存'")
    assert "（已核）" in (directory / INSPECTION).read_text(encoding="utf-8")
    with urllib.request.urlopen(running.url + "v1/rubrics/wuping.inspection", timeout=30) as reply:
        served = json.loads(reply.read())
    labels = [i["label"] for i in served["rubric"]["indicators"]]
    assert "实际完成巡察单位数量（已核）" in labels


def test_on_a_shared_server_the_page_is_read_only_and_drafts_are_scored_unwritten(browser: Any, tmp_path: Path) -> None:
    from service_harness import ServerProcess, copy_rubrics

    directory = copy_rubrics(tmp_path / "rubrics")
    before = (directory / INSPECTION).read_text(encoding="utf-8")
    server = ServerProcess(directory, "--http-port", "0")
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        url = server.wait_for(lambda e: e.get("event") == "http_serving")["url"]
        page = context.new_page()
        page.set_default_timeout(MS)
        page.goto(url + "#" + INSPECTION)
        page.wait_for_selector("#diagnostics .ok")
        assert page.is_disabled("#save") and "只读" in page.inner_text("#mode")
        page.fill("#source", before.replace('"产出" 30', '"产出" 31'))  # a draft with a mistake: checked, not written
        page.wait_for_selector("#diagnostics li.error")
        page.fill("#source", before.replace("15 × ", "15 * "))
        page.wait_for_selector("#diagnostics .ok")
        for name, value in INSPECTION_FACTS.items():
            field = page.locator(f'#facts [name="{name}"]')
            if field.evaluate("node => node.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)
        page.wait_for_function(
            "document.querySelector('#grade') && document.querySelector('#grade').textContent == '良'"
        )
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "shared-server-read-only")
    finally:
        context.close()
        assert server.terminate() == 0
    assert (directory / INSPECTION).read_text(encoding="utf-8") == before


LONG_NAME = "inspected_units_counted_by_the_second_inspection_team_of_the_county_during_the_year"


def test_problems_wrap_inside_their_panel_in_the_pages_language(page: Any, studio: tuple[Studio, Path]) -> None:
    asked: list[tuple[str, str]] = []  # (path, accept-language) of each call the page makes
    page.on(
        "request",
        lambda r: asked.append((r.url, r.headers.get("accept-language", ""))) if "/v1/" in r.url else None,
    )
    page.set_viewport_size({"width": 1100, "height": 900})
    open_inspection(page, studio)
    put_cursor_after(page, "min(1, inspected_units")
    page.keyboard.type("_" + LONG_NAME[len("inspected_units_") :])  # a long name the rubric does not declare
    page.wait_for_selector("#diagnostics li.error pre")
    message = page.locator("#diagnostics li.error pre .message").first
    assert LONG_NAME in message.inner_text() and "错误" in message.inner_text()
    box, panel = message.bounding_box(), page.locator("#diagnostics").bounding_box()
    assert box["x"] + box["width"] <= panel["x"] + panel["width"], (box, panel)  # not past the panel's edge…
    assert box["height"] > 2.5 * 12 * 1.4, box  # …but wrapped, on three lines or more
    code = page.inner_text("#diagnostics li.error pre .code").split("\n")  # the source line and its carets
    assert code[1].index("^") == code[0].index(LONG_NAME)  # still in their columns
    shot(page, "problems-panel-wrapped", page.locator("#diagnostics").locator(".."))
    assert asked and {language for _, language in asked} == {"zh-CN,zh;q=0.9"}
    asked.clear()
    page.select_option("#lang", "en")
    put_cursor_after(page, LONG_NAME)
    with page.expect_request(lambda r: r.url.endswith("/v1/studio/analyze")):
        page.keyboard.type("s")  # analysed again, now asked for in English
    assert asked and {language for _, language in asked} == {"en-US,en;q=0.9"}


def test_the_servers_refusal_reaches_the_page_in_its_language(browser: Any, tmp_path: Path) -> None:
    from service_harness import ServerProcess, copy_rubrics

    tokens = tmp_path / "tokens"
    tokens.write_text("s3cret\n", encoding="utf-8")
    tokens.chmod(0o600)
    server = ServerProcess(copy_rubrics(tmp_path / "rubrics"), "--http-port", "0", "--token-file", str(tokens))
    try:
        url = server.wait_for(lambda e: e.get("event") == "http_serving")["url"]
        for lang, expected in (("zh", "此服务需要访问令牌"), ("en", "this server needs a bearer token")):
            context = browser.new_context(viewport={"width": 1100, "height": 700})
            context.add_init_script(f"localStorage.setItem('rubric.lang', '{lang}')")
            try:
                page = context.new_page()
                page.set_default_timeout(MS)
                page.goto(url)
                page.wait_for_function(f"document.querySelector('#status').textContent.includes({expected!r})")
                assert page.is_visible("#token-box")
                if lang == "zh":
                    shot(page, "token-refused-zh")
            finally:
                context.close()
    finally:
        assert server.terminate() == 0


def test_facts_not_yet_filled_in_are_named_by_their_labels(page: Any, studio: tuple[Studio, Path]) -> None:
    open_inspection(page, studio)
    page.fill('#facts [name="planned_units"]', "10")
    page.wait_for_function("document.querySelector('#result').textContent.includes('尚未填写')")
    hint = page.inner_text("#result p.hint")
    assert hint.startswith("尚未填写（") and "实际完成巡察单位数" in hint and "inspected_units" not in hint
    assert "missing" not in hint
