"""The language server of `rubric lsp`, over stdio, with pygls.

Diagnostics as a file is opened, changed and saved; hover on indicators, sections, inputs and
lets; go to the definition of an input, a let or the parent rubric (`extends`); whole-file
formatting. What it answers comes from `analysis`, in the library's positions (lines and columns
from 1, in code points); this module converts them to the client's units (UTF-16 unless the
client negotiated another `positionEncoding`) through the workspace's position codec, line by
line, lines split at `\\n` as the library splits them.

A handler that fails logs the traceback with `window/logMessage` and answers null: the server
keeps running.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from rubric_cli.lsp.analysis import Analysis, analyse, definition, hover
from rubric_dsl.diagnostics import Diagnostic, Language, choose_language
from rubric_dsl.formatter import format_source
from rubric_dsl.source import Span

NAME = "rubric"
SOURCE = "rubric"  # the `source` of every diagnostic, as editors show it

Result = TypeVar("Result")


class RubricServer(LanguageServer):
    def __init__(self, version: str, lang: str | None = None, rubrics: Path | None = None) -> None:
        super().__init__(NAME, version, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.lang_flag = lang  # `--lang`, which wins over the client's locale
        self.lang: Language = choose_language(lang)
        self.rubrics = rubrics
        self.analyses: dict[str, Analysis] = {}  # uri -> the analysis of the text last seen

    # --- documents

    def path_of(self, uri: str) -> tuple[str, bool]:
        """The file-system path of a document, and whether it is one (an unsaved buffer is not)."""
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return (path, True) if path else (uri, False)

    def analysis(self, uri: str) -> Analysis:
        """The analysis of the document's current text, made again only when the text changed."""
        text = self.workspace.get_text_document(uri).source
        known = self.analyses.get(uri)
        if known is None or known.text != text:
            path, on_disk = self.path_of(uri)
            known = analyse(text, path, self.rubrics, on_disk and Path(path).parent.is_dir())
            self.analyses[uri] = known
        return known

    def publish(self, uri: str) -> None:
        found = self.analysis(uri)
        diagnostics = [self.diagnostic(found, d) for d in found.diagnostics]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))

    def diagnostic(self, found: Analysis, d: Diagnostic) -> types.Diagnostic:
        """One diagnostic at its range; one found in an ancestor's file (an inherited indicator) is shown
        at `extends` in this file, with the place it points at as related information."""
        related = None
        span = d.span
        if span.path != found.path:
            related = [
                types.DiagnosticRelatedInformation(self.location(found, span), d.text(self.lang)),
            ]
            tree = found.tree
            span = tree.extends.span if tree is not None and tree.extends is not None else Span(found.path, 1, 1, 1, 1)
        return types.Diagnostic(
            range=self.range(found.text, span),
            message=d.text(self.lang),
            severity=types.DiagnosticSeverity.Error if d.severity == "error" else types.DiagnosticSeverity.Warning,
            code=d.code,
            source=SOURCE,
            related_information=related,
            data={"message": d.message, "message_zh": d.message_zh},
        )

    # --- positions

    def range(self, text: str, span: Span) -> types.Range:
        lines = text.split("\n")
        codec = self.workspace.position_codec
        start = codec.position_to_client_units(lines, types.Position(span.line - 1, span.column - 1))
        end = codec.position_to_client_units(lines, types.Position(span.end_line - 1, span.end_column - 1))
        return types.Range(start, end)

    def location(self, found: Analysis, span: Span) -> types.Location:
        text = found.sources.get(span.path, "")
        uri = from_fs_path(span.path) if Path(span.path).is_absolute() else span.path
        return types.Location(uri=uri or span.path, range=self.range(text, span))

    def place(self, text: str, position: types.Position) -> tuple[int, int]:
        """A client's position as the library counts: line and column from 1, in code points."""
        lines = text.split("\n")
        asked = types.Position(position.line, position.character)  # the codec may change what it is given
        at = self.workspace.position_codec.position_from_client_units(lines, asked)
        return at.line + 1, at.character + 1

    def whole(self, text: str) -> types.Range:
        lines = text.split("\n")
        end = types.Position(len(lines) - 1, self.workspace.position_codec.client_num_units(lines[-1]))
        return types.Range(types.Position(0, 0), end)

    def log_failure(self, what: str) -> None:
        self.window_log_message(
            types.LogMessageParams(
                type=types.MessageType.Error, message=f"rubric lsp: {what} failed\n" + traceback.format_exc()
            )
        )


def guarded(handler: Callable[[RubricServer, Any], Result]) -> Callable[[RubricServer, Any], Result | None]:
    """The handler, answering None (and logging the traceback) where it raises."""

    @functools.wraps(handler)
    def run(ls: RubricServer, params: Any) -> Result | None:  # `ls`: pygls passes the server to that name
        try:
            return handler(ls, params)
        except Exception:
            ls.log_failure(handler.__name__)
            return None

    return run


def make_server(version: str, lang: str | None = None, rubrics: Path | None = None) -> RubricServer:
    server = RubricServer(version, lang, rubrics)

    @server.feature(types.INITIALIZE)
    @guarded
    def initialize(ls: RubricServer, params: types.InitializeParams) -> None:
        if ls.lang_flag is None and params.locale:
            ls.lang = "zh" if params.locale.lower().startswith("zh") else "en"

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded
    def did_open(ls: RubricServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded
    def did_change(ls: RubricServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @guarded
    def did_save(ls: RubricServer, params: types.DidSaveTextDocumentParams) -> None:
        # a saved parent changes what its open children inherit: check every open document again
        ls.analyses.clear()
        for uri in list(ls.workspace.text_documents):
            ls.publish(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded
    def did_close(ls: RubricServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.analyses.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded
    def on_hover(ls: RubricServer, params: types.HoverParams) -> types.Hover | None:
        found = ls.analysis(params.text_document.uri)
        line, column = ls.place(found.text, params.position)
        answer = hover(found, line, column, ls.lang)
        if answer is None:
            return None
        content = types.MarkupContent(kind=types.MarkupKind.Markdown, value=answer.markdown)
        return types.Hover(content, ls.range(found.text, answer.span) if answer.span is not None else None)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @guarded
    def on_definition(ls: RubricServer, params: types.DefinitionParams) -> types.Location | None:
        found = ls.analysis(params.text_document.uri)
        line, column = ls.place(found.text, params.position)
        target = definition(found, line, column)
        return ls.location(found, target) if target is not None else None

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    @guarded
    def on_formatting(ls: RubricServer, params: types.DocumentFormattingParams) -> list[types.TextEdit]:
        text = ls.workspace.get_text_document(params.text_document.uri).source
        path, _ = ls.path_of(params.text_document.uri)
        formatted, _ = format_source(text, path)
        if formatted is None or formatted == text:  # syntax errors (shown as diagnostics): nothing to do
            return []
        return [types.TextEdit(range=ls.whole(text), new_text=formatted)]

    return server
