// Tokenizes a rule file with the extension's TextMate grammar, as VS Code does (vscode-textmate and
// vscode-oniguruma, from ../vscode/node_modules): prints one JSON array of [start, scope] per line.
"use strict";
const fs = require("fs");
const path = require("path");
const modules = path.join(__dirname, "..", "vscode", "node_modules");
const tm = require(path.join(modules, "vscode-textmate"));
const onig = require(path.join(modules, "vscode-oniguruma"));

async function main() {
  const wasm = fs.readFileSync(path.join(modules, "vscode-oniguruma", "release", "onig.wasm")).buffer;
  await onig.loadWASM(wasm);
  const registry = new tm.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p) => new onig.OnigScanner(p), createOnigString: (s) => new onig.OnigString(s) }),
    loadGrammar: async () => tm.parseRawGrammar(
      fs.readFileSync(path.join(__dirname, "..", "vscode", "syntaxes", "segdsl.tmLanguage.json"), "utf8"), "segdsl.json"),
  });
  const grammar = await registry.loadGrammar("source.segdsl");
  let state = tm.INITIAL;
  const out = [];
  for (const line of fs.readFileSync(process.argv[2], "utf8").split("\n")) {
    const r = grammar.tokenizeLine(line, state);
    out.push(r.tokens.map((t) => [t.startIndex, t.scopes[t.scopes.length - 1]]));
    state = r.ruleStack;
  }
  process.stdout.write(JSON.stringify(out));
}
main();
