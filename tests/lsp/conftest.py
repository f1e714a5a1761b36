"""A real `segdsl lsp` subprocess and a pygls client speaking LSP to it over stdio.

One server for the module's tests (starting one takes a second); each test
opens documents of its own. `lsp.call(coroutine)` runs one request on the
client's event loop; published diagnostics are kept per document.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from lsprotocol import types as T
from pygls.lsp.client import LanguageClient


class Session:
    def __init__(self, root: Path):
        self.loop = asyncio.new_event_loop()
        self.client = LanguageClient("segdsl-tests", "1")
        self.diagnostics: dict[str, list[T.Diagnostic]] = {}
        self.published: dict[str, asyncio.Event] = {}
        self.versions: dict[str, list[int | None]] = {}
        self.root = root

        @self.client.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: T.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = params.diagnostics
            self.versions.setdefault(params.uri, []).append(params.version)
            self.event(params.uri).set()

        self.call(self.client.start_io(sys.executable, "-m", "segdsl.cli", "lsp"))
        self.call(self.client.initialize_async(T.InitializeParams(
            capabilities=T.ClientCapabilities(), root_uri=root.as_uri())))
        self.client.initialized(T.InitializedParams())

    def event(self, uri: str) -> asyncio.Event:
        if uri not in self.published:
            self.published[uri] = asyncio.Event()
        return self.published[uri]

    def call(self, coroutine, timeout: float = 30):
        return self.loop.run_until_complete(asyncio.wait_for(coroutine, timeout))

    def open(self, name: str, text: str) -> str:
        """Opens a document (written to disk too, as an editor's file is) and waits for its diagnostics."""
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        self.event(uri).clear()
        self.client.text_document_did_open(T.DidOpenTextDocumentParams(
            T.TextDocumentItem(uri=uri, language_id="segdsl", version=1, text=text)))
        self.call(self.event(uri).wait())
        return uri

    def change(self, uri: str, text: str, version: int = 2, wait: bool = True) -> None:
        self.event(uri).clear()
        self.client.text_document_did_change(T.DidChangeTextDocumentParams(
            T.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [T.TextDocumentContentChangeWholeDocument(text=text)]))
        if wait:
            self.call(self.event(uri).wait())

    def pause(self, seconds: float) -> None:
        self.call(asyncio.sleep(seconds))

    def close(self) -> None:
        self.call(self.client.shutdown_async(None))
        self.client.exit(None)
        self.call(self.client.stop())
        self.loop.close()


@pytest.fixture(scope="module")
def lsp(tmp_path_factory):
    session = Session(tmp_path_factory.mktemp("lsp"))
    yield session
    session.close()
