"""`rubric lsp` end to end: the server runs as `python -m rubric_cli lsp`, pytest-lsp is the editor.

Each test starts a server, says `initialize` (with a locale and position encodings where that is the
point), opens documents and asks. A request is answered only after every notification the server
sent before it (one stdio stream, handled in order), so a request after `didOpen`/`didChange`
finds that change's diagnostics already published: no test waits for time. Positions are counted
in UTF-16 code units, as editors do, with characters outside the BMP (𠀀, 😀) before what is asked.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import TypeVar

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from rubric_dsl.formatter import format_source
from tests.conftest import RUBRICS

pytestmark = pytest.mark.asyncio

T = TypeVar("T")
HANG = 120  # seconds: bounds a hang, never a measure of speed

BASE = """\
abstract rubric demo.base "示例（共性部分）" {
  version "1"
  total 10
  input rate percent "预算执行率" range 0% .. 100% unit "%"
  let on_track = rate >= 90%
  grades { 好 >= 8 差 otherwise }
}
"""
CHILD = """\
rubric demo.child "示例：𠀀项目" extends demo.base {
  indicator execution "𠀀😀执行" 10 { points rate * 10 }
}
"""
BROKEN = CHILD.replace("points rate", "points rat")  # `rat` is not declared


def env() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    environment["LANG"] = "C.UTF-8"  # English unless the client's locale says otherwise
    return environment


SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "rubric_cli", "lsp"], server_env=env())


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    yield
    await bounded(lsp_client.shutdown_session())


async def bounded(step: Awaitable[T]) -> T:
    return await asyncio.wait_for(step, HANG)


async def start(
    client: LanguageClient, locale: str | None = None, encodings: list[types.PositionEncodingKind] | None = None
) -> types.InitializeResult:
    general = types.GeneralClientCapabilities(position_encodings=encodings) if encodings else None
    params = types.InitializeParams(capabilities=types.ClientCapabilities(general=general), locale=locale)
    return await bounded(client.initialize_session(params))


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """rubrics/demo/{base,child}.rubric: the child finds its parent as `rubric check` does."""
    folder = tmp_path / "rubrics" / "demo"
    folder.mkdir(parents=True)
    (folder / "base.rubric").write_text(BASE, encoding="utf-8")
    (folder / "child.rubric").write_text(CHILD, encoding="utf-8")
    return folder


def uri(path: Path) -> str:
    return path.resolve().as_uri()


def units(text: str) -> int:
    """The length of `text` in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def position(text: str, line: int, word: str, offset: int = 0) -> types.Position:
    """Where `word` starts (plus `offset` code points) on line `line` (from 0), in UTF-16 units."""
    row = text.split("\n")[line]
    return types.Position(line, units(row[: row.index(word) + offset]))


def word_range(text: str, line: int, word: str) -> types.Range:
    return types.Range(position(text, line, word), position(text, line, word, len(word)))


def open_document(client: LanguageClient, path: Path, text: str | None = None) -> str:
    document = uri(path)
    body = path.read_text(encoding="utf-8") if text is None else text
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(document, "rubric", 1, body)))
    return document


def change(client: LanguageClient, document: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=document),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def hover_at(client: LanguageClient, document: str, at: types.Position) -> types.Hover | None:
    params = types.HoverParams(types.TextDocumentIdentifier(document), at)
    return await bounded(client.text_document_hover_async(params))


async def published(client: LanguageClient, document: str) -> list[types.Diagnostic]:
    """The diagnostics last published for the document, once the server has handled all that came before."""
    await hover_at(client, document, types.Position(0, 0))
    return list(client.diagnostics[document])


def markdown(answer: types.Hover | None) -> str:
    assert answer is not None
    assert isinstance(answer.contents, types.MarkupContent)
    assert answer.contents.kind == types.MarkupKind.Markdown
    return answer.contents.value


# --- diagnostics


async def test_diagnostics_appear_at_the_exact_range_and_go_when_fixed(client: LanguageClient, demo: Path) -> None:
    await start(client)
    document = open_document(client, demo / "child.rubric", BROKEN)
    (found,) = await published(client, document)
    assert found.code == "rubric_unknown_name"
    assert found.severity == types.DiagnosticSeverity.Error
    assert found.source == "rubric"
    assert found.message == "`rat` is not a declared input or let value; did you mean `rate`?"
    # after 𠀀 and 😀, two UTF-16 units each: the range counts them so
    assert found.range == types.Range(position(BROKEN, 1, "rat "), position(BROKEN, 1, "rat ", 3))
    assert found.range.start.character == len('  indicator execution "𠀀😀执行" 10 { points ') + 2
    change(client, document, 2, CHILD)
    assert await published(client, document) == []


async def test_a_document_that_does_not_parse_still_gets_its_syntax_error(client: LanguageClient, demo: Path) -> None:
    await start(client)
    text = CHILD.replace("10 {", "10 ")
    document = open_document(client, demo / "child.rubric", text)
    found = await published(client, document)
    assert [d.code for d in found] == ["rubric_syntax_error"]
    assert found[0].range.start.line == 1
    # nothing stands anywhere in a file that does not parse: null, not an error
    assert await hover_at(client, document, position(text, 1, "rate")) is None
    definition = types.DefinitionParams(types.TextDocumentIdentifier(document), position(text, 1, "rate"))
    assert await bounded(client.text_document_definition_async(definition)) is None


async def test_messages_are_chinese_when_the_clients_locale_is_zh(client: LanguageClient, demo: Path) -> None:
    await start(client, locale="zh-CN")
    document = open_document(client, demo / "child.rubric", BROKEN)
    (found,) = await published(client, document)
    assert found.message == "`rat` 不是已声明的输入（input）或派生值（let）；是不是 `rate`？"
    assert found.data == {
        "message": "`rat` is not a declared input or let value; did you mean `rate`?",
        "message_zh": found.message,
    }
    hovered = markdown(await hover_at(client, document, position(BROKEN, 1, "执行")))
    assert "10 分" in hovered


async def test_a_client_that_counts_code_points_gets_code_points(client: LanguageClient, demo: Path) -> None:
    result = await start(client, encodings=[types.PositionEncodingKind.Utf32])
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf32
    document = open_document(client, demo / "child.rubric", BROKEN)
    (found,) = await published(client, document)
    column = BROKEN.split("\n")[1].index("rat ")
    assert found.range == types.Range(types.Position(1, column), types.Position(1, column + 3))


# --- hover


async def test_hover_on_an_indicator_of_a_chinese_rubric(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, locale="zh-CN")
    folder = tmp_path / "rubrics" / "wuping"
    folder.mkdir(parents=True)
    common = folder / "common.rubric"
    shutil.copyfile(RUBRICS / "wuping" / "common.rubric", common)
    text = common.read_text(encoding="utf-8")
    line = next(i for i, row in enumerate(text.split("\n")) if 'indicator basis "立项依据充分性"' in row)
    document = open_document(client, common)
    expected = [
        "**立项依据充分性** `basis` — 5 分",
        "所属：共性绩效指标 › 决策 › 项目立项",
        "评分标准：",
    ]
    for at in (position(text, line, "立项依据"), position(text, line, "basis"), position(text, line + 1, "deduct")):
        hovered = markdown(await hover_at(client, document, at))
        assert all(part in hovered for part in expected), hovered
    section = next(i for i, row in enumerate(text.split("\n")) if 'section decision "决策"' in row)
    hovered = markdown(await hover_at(client, document, position(text, section, "决策")))
    assert hovered.startswith("**决策** `decision` — 21 分")
    # a comment before the rubric: nothing there
    assert await hover_at(client, document, types.Position(0, 2)) is None


async def test_hover_after_characters_outside_the_bmp(client: LanguageClient, demo: Path) -> None:
    await start(client)
    document = open_document(client, demo / "child.rubric")
    # the last letter of `rate`: a server counting code points would land on the space after it
    answer = await hover_at(client, document, position(CHILD, 1, "rate", 3))
    hovered = markdown(answer)
    assert hovered.startswith("**预算执行率** `rate`")
    assert "- kind: percent (a percent)" in hovered
    assert "- unit: %" in hovered
    assert "- range: 0% .. 100%" in hovered
    assert answer is not None and answer.range == word_range(CHILD, 1, "rate")
    # the indicator's label, after 𠀀😀 in it
    hovered = markdown(await hover_at(client, document, position(CHILD, 1, "执行", 1)))
    assert hovered.startswith("**𠀀😀执行** `execution` — 10 points")
    assert "评分标准：" in hovered


async def test_a_position_with_nothing_there_answers_null(client: LanguageClient, demo: Path) -> None:
    await start(client)
    document = open_document(client, demo / "child.rubric")
    assert await hover_at(client, document, types.Position(40, 0)) is None  # past the end
    assert await hover_at(client, document, types.Position(2, 1)) is None  # after the last `}`


async def test_a_failing_request_answers_null_logs_and_the_server_goes_on(client: LanguageClient, demo: Path) -> None:
    await start(client)
    missing = uri(demo / "nowhere" / "gone.rubric")  # never opened, not on disk: reading it fails
    assert await hover_at(client, missing, types.Position(0, 0)) is None
    assert any("rubric lsp: on_hover failed" in m.message for m in client.log_messages)
    document = open_document(client, demo / "child.rubric")
    assert "`rate`" in markdown(await hover_at(client, document, position(CHILD, 1, "rate")))


# --- definition


async def test_definition_of_an_input_in_the_parent_file(client: LanguageClient, demo: Path) -> None:
    await start(client)
    document = open_document(client, demo / "child.rubric")
    params = types.DefinitionParams(types.TextDocumentIdentifier(document), position(CHILD, 1, "rate", 2))
    found = await bounded(client.text_document_definition_async(params))
    assert isinstance(found, types.Location)
    assert found.uri == uri(demo / "base.rubric")
    assert found.range == word_range(BASE, 3, "rate")


async def test_definition_of_the_extends_parent(client: LanguageClient, demo: Path) -> None:
    await start(client)
    document = open_document(client, demo / "child.rubric")
    params = types.DefinitionParams(types.TextDocumentIdentifier(document), position(CHILD, 0, "demo.base", 5))
    found = await bounded(client.text_document_definition_async(params))
    assert isinstance(found, types.Location)
    assert found.uri == uri(demo / "base.rubric")
    assert found.range == word_range(BASE, 0, "demo.base")


async def test_definition_of_a_let_in_the_same_file(client: LanguageClient, demo: Path) -> None:
    await start(client)
    text = BASE.replace("grades {", 'indicator track "达标" 10 { points if on_track then 10 else 0 }\n  grades {')
    (demo / "base.rubric").write_text(text, encoding="utf-8")
    document = open_document(client, demo / "base.rubric")
    assert await published(client, document) == []
    use = text.split("\n").index(next(r for r in text.split("\n") if "if on_track" in r))
    params = types.DefinitionParams(types.TextDocumentIdentifier(document), position(text, use, "on_track"))
    found = await bounded(client.text_document_definition_async(params))
    assert isinstance(found, types.Location)
    assert found.uri == document
    assert found.range == word_range(text, 4, "on_track")


# --- formatting


async def test_formatting_returns_the_formatted_text(client: LanguageClient, demo: Path) -> None:
    await start(client)
    document = open_document(client, demo / "child.rubric")
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    params = types.DocumentFormattingParams(types.TextDocumentIdentifier(document), options)
    (edit,) = await bounded(client.text_document_formatting_async(params)) or []
    assert edit.new_text == format_source(CHILD)[0]
    assert edit.new_text.split("\n")[1:4] == ['  indicator execution "𠀀😀执行" 10 {', "    points rate * 10", "  }"]
    assert edit.range == types.Range(types.Position(0, 0), types.Position(3, 0))
    change(client, document, 2, edit.new_text)  # formatted already: nothing to change
    assert await bounded(client.text_document_formatting_async(params)) == ()  # an empty list, not null
    change(client, document, 3, CHILD.replace("10 {", "10 "))  # a syntax error: no edit, no error
    assert await bounded(client.text_document_formatting_async(params)) == ()
    assert client.log_messages == []
