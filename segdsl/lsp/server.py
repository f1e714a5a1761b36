"""`segdsl lsp`: the language server, over standard input and output, on pygls.

Each request is answered by a feature module (diagnostics, completion,
describe for hover, navigation, symbols, actions for quick fixes) from the document's analysis
(analysis.py); formatting is `segdsl fmt`'s formatter. Diagnostics are
published whenever a document is opened, changed or saved. While the
analyst types, a document is analysed once they pause (`PAUSE`), in a
worker thread, so that a burst of keystrokes costs one analysis and the
server keeps answering meanwhile.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from lsprotocol import types as T
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from ..fmt import format_source
from ..source import Source
from .actions import quick_fixes
from .analysis import Documents
from .completion import complete
from .describe import hover
from .diagnostics import lsp_diagnostics
from .navigation import definition, references, rename, symbol_at
from .positions import from_position, to_range, whole
from .symbols import outline

server = LanguageServer("segdsl", __version__, text_document_sync_kind=T.TextDocumentSyncKind.Full)
documents = Documents()
PAUSE = 0.2                                   # seconds without a change before a document is analysed
_worker = ThreadPoolExecutor(max_workers=1)   # one analysis at a time, in order
_latest: dict[str, int | None] = {}           # the version of each document last changed


def _path(uri: str) -> str:
    return to_fs_path(uri) or uri


async def _refresh(ls: LanguageServer, uri: str) -> None:
    doc = ls.workspace.get_text_document(uri)
    text, version = doc.source, doc.version
    a = await asyncio.get_running_loop().run_in_executor(_worker, documents.update, uri, _path(uri), text)
    ls.text_document_publish_diagnostics(
        T.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=lsp_diagnostics(a)))


@server.feature(T.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: LanguageServer, params: T.DidOpenTextDocumentParams) -> None:
    _latest[params.text_document.uri] = params.text_document.version
    await _refresh(ls, params.text_document.uri)


@server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: LanguageServer, params: T.DidChangeTextDocumentParams) -> None:
    uri, version = params.text_document.uri, params.text_document.version
    _latest[uri] = version
    await asyncio.sleep(PAUSE)
    if _latest.get(uri) == version:              # no newer change while pausing
        await _refresh(ls, uri)


@server.feature(T.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: LanguageServer, params: T.DidSaveTextDocumentParams) -> None:
    await _refresh(ls, params.text_document.uri)


@server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: LanguageServer, params: T.DidCloseTextDocumentParams) -> None:
    documents.close(params.text_document.uri)
    ls.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


@server.feature(T.TEXT_DOCUMENT_COMPLETION, T.CompletionOptions(trigger_characters=[".", " ", "[", "="]))
def completion(ls: LanguageServer, params: T.CompletionParams) -> T.CompletionList:
    uri = params.text_document.uri
    a = documents.usable(uri, params.position.line)
    text = ls.workspace.get_text_document(uri).source
    line = text.split("\n")[params.position.line] if params.position.line < text.count("\n") + 1 else ""
    _, col = from_position(text, params.position)
    items = complete(a, line[:col - 1]) if a is not None else []
    return T.CompletionList(is_incomplete=False, items=items)


@server.feature(T.TEXT_DOCUMENT_HOVER)
def on_hover(ls: LanguageServer, params: T.HoverParams) -> T.Hover | None:
    a = documents.usable(params.text_document.uri)
    if a is None:
        return None
    line, col = from_position(a.text, params.position)
    key = symbol_at(a, line, col)
    if key is None:
        return None
    d = a.index.definitions[key]
    span = next((s for s in a.index.spans(key) if s.line == line and s.col <= col <= s.end_col), d.span)
    return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=hover(a, d)),
                   range=to_range(a.text, span))


@server.feature(T.TEXT_DOCUMENT_DEFINITION)
def on_definition(ls: LanguageServer, params: T.DefinitionParams) -> T.Location | None:
    a = documents.usable(params.text_document.uri)
    return definition(a, params.text_document.uri, *from_position(a.text, params.position)) if a else None


@server.feature(T.TEXT_DOCUMENT_REFERENCES)
def on_references(ls: LanguageServer, params: T.ReferenceParams) -> list[T.Location]:
    a = documents.usable(params.text_document.uri)
    if a is None:
        return []
    return references(a, params.text_document.uri, *from_position(a.text, params.position),
                      params.context.include_declaration)


@server.feature(T.TEXT_DOCUMENT_RENAME)
def on_rename(ls: LanguageServer, params: T.RenameParams) -> T.WorkspaceEdit | None:
    a = documents.current(params.text_document.uri)
    if a is None or a.index is None:          # renaming needs the text as it is now, parsed
        return None
    return rename(a, params.text_document.uri, *from_position(a.text, params.position), params.new_name)


@server.feature(T.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_symbols(ls: LanguageServer, params: T.DocumentSymbolParams) -> list[T.DocumentSymbol]:
    a = documents.usable(params.text_document.uri)
    return outline(a) if a else []


@server.feature(T.TEXT_DOCUMENT_CODE_ACTION, T.CodeActionOptions(code_action_kinds=[T.CodeActionKind.QuickFix]))
def on_code_action(ls: LanguageServer, params: T.CodeActionParams) -> list[T.CodeAction]:
    return quick_fixes(params.text_document.uri, params.context.diagnostics)


@server.feature(T.TEXT_DOCUMENT_FORMATTING)
def on_formatting(ls: LanguageServer, params: T.DocumentFormattingParams) -> list[T.TextEdit]:
    uri = params.text_document.uri
    text = ls.workspace.get_text_document(uri).source
    result = format_source(Source(_path(uri), text))
    if not result.ok or result.text == text:       # a file that does not parse is left as it is
        return []
    return [T.TextEdit(range=whole(text), new_text=result.text)]


def serve() -> None:
    server.start_io()
