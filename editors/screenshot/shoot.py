"""The screenshots in docs/editors.md: the segdsl language server's real answers in Monaco.

Monaco is the editor component of VS Code. The text is coloured with the
extension's own TextMate grammar (tokenize.js, through vscode-textmate as in
VS Code); the diagnostics, their quick fixes and the completion items are what
`segdsl lsp` answers over LSP for this text. Headless Chromium (Debian's `chromium`, as
.ci/chromium.sh installs it) takes the pictures.

    cd editors/vscode && npm ci && cd ../screenshot && npm install
    python shoot.py ../../docs/images
"""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from lsprotocol import types as T
from playwright.sync_api import sync_playwright
from pygls.lsp.client import LanguageClient

HERE = Path(__file__).resolve().parent
TEXT = '''ruleset shop "商店客户" version "1.0"

param min_spend: number = 100 "门槛(元)"

input customer key id {
  id:     string from "客户编号"
  spend:  number? in 0..100000 "近一年消费"
  tier:   enum { gold = "Gold" "金卡", silver = "Silver" "银卡" }?
  visits: int = 0
}

let spend_rank "消费百分位" = percent_rank(spend)

dimension value "价值" first {
  segment vip  "贵宾" when spnd >= min_spend * 10 or spend_rank >= 95%
      { channel: "call", priority: 1 }
  segment good "优质" when spend >= min_spend
  otherwise rest "其他"
}

dimension tags "标签" all {
  segment gold     "金卡" when tier = gold
  segment frequent "常客" when visits >= 5
}
'''


async def ask_server(path: Path) -> tuple[list, list, list]:
    client = LanguageClient("screenshot", "1")
    published = asyncio.Event()
    found: list = []

    @client.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: T.PublishDiagnosticsParams) -> None:
        found[:] = params.diagnostics
        published.set()

    await client.start_io(sys.executable, "-m", "segdsl.cli", "lsp")
    await client.initialize_async(T.InitializeParams(capabilities=T.ClientCapabilities()))
    client.initialized(T.InitializedParams())
    uri = path.as_uri()
    client.text_document_did_open(T.DidOpenTextDocumentParams(T.TextDocumentItem(uri, "segdsl", 1, TEXT)))
    await published.wait()
    line = TEXT.split("\n").index('  segment gold     "金卡" when tier = gold')
    at = T.Position(line, len('  segment gold     "金卡" when tier = '))
    items = (await client.text_document_completion_async(T.CompletionParams(T.TextDocumentIdentifier(uri), at))).items
    fixes = await client.text_document_code_action_async(T.CodeActionParams(
        text_document=T.TextDocumentIdentifier(uri), range=found[0].range,
        context=T.CodeActionContext(diagnostics=list(found))))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    convert = client.protocol._converter.unstructure
    return convert(found), [convert(i) for i in items], [convert(f) for f in fixes]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "shop.seg"
        rules.write_text(TEXT, encoding="utf-8")
        diagnostics, completion, fixes = asyncio.run(ask_server(rules))
        tokens = json.loads(subprocess.run(["node", str(HERE / "tokenize.js"), str(rules)], check=True,
                                           capture_output=True, text=True).stdout)
    line = TEXT.split("\n").index('  segment gold     "金卡" when tier = gold') + 1
    shots = {"editor-diagnostics.png": {"lineNumber": 15, "column": 28, "action": "editor.action.showHover"},
             "editor-completion.png": {"lineNumber": line, "column": len('  segment gold     "金卡" when tier = ') + 1,
                                       "action": "editor.action.triggerSuggest"}}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or shutil.which("chromium-browser"))
        for name, shot in shots.items():
            page = browser.new_page(viewport={"width": 980, "height": 560}, device_scale_factor=1)
            data = {"text": TEXT, "tokens": tokens, "diagnostics": diagnostics, "completion": completion, "fixes": fixes,
                    "cursor": {"lineNumber": shot["lineNumber"], "column": shot["column"]}}
            page.add_init_script(f"window.SEGDSL = {json.dumps(data, ensure_ascii=False)};")
            page.goto((HERE / "page.html").as_uri())
            page.wait_for_function("window.ready === true")
            page.wait_for_timeout(500)
            page.evaluate(f"window.editor.trigger('shot', '{shot['action']}', {{}})")
            page.wait_for_timeout(1200)
            page.screenshot(path=str(out / name))
            page.close()
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
