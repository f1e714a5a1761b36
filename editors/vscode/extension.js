// The segdsl extension: starts `segdsl lsp` (the language server of the segdsl package) for .seg files.
// Highlighting, brackets, comments and snippets are declared in package.json.
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("segdsl");
  const command = config.get("server.command", "segdsl");
  const args = config.get("server.args", ["lsp"]);
  const server = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient("segdsl", "segdsl", { run: server, debug: server }, {
    documentSelector: [{ scheme: "file", language: "segdsl" }, { scheme: "untitled", language: "segdsl" }],
  });
  context.subscriptions.push(client);
  return client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `segdsl: could not start \`${command} ${args.join(" ")}\` (${err.message}). ` +
      "Install segdsl (pip install segdsl) or set segdsl.server.command.");
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
