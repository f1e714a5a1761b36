"""Diagnostics as SARIF 2.1.0, the format code-scanning services read (`check --format sarif`).

One run, one tool (segdsl, with every code it reported as a rule), one
result per diagnostic with its rule id, level, message and region. Paths
under the current folder are written relative to it (with `%SRCROOT%` as
their base), as GitHub's code scanning expects; others as `file://` URIs.
tests/diagnostics validates the output against the official schema.
"""
from __future__ import annotations

from pathlib import Path

from .codes import CODES, Severity
from .values import Diagnostic

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
HELP_URI = "https://github.com/segdsl/segdsl/blob/main/docs/diagnostics.md"


def sarif(diags: list[Diagnostic], version: str) -> dict:
    codes = sorted({d.code for d in diags})
    rules = [{"id": c, "name": c, "shortDescription": {"text": CODES[c].title},
              "defaultConfiguration": {"level": LEVELS[CODES[c].severity]}, "helpUri": HELP_URI} for c in codes]
    index = {c: i for i, c in enumerate(codes)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "segdsl", "version": version, "informationUri": HELP_URI,
                                "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
            "results": [result(d, index[d.code]) for d in diags],
        }],
    }


def result(d: Diagnostic, rule_index: int) -> dict:
    text = d.message + (f"\nhelp: {d.help}" if d.help else "") + "".join(f"\nnote: {n}" for n in d.notes)
    out = {"ruleId": d.code, "ruleIndex": rule_index, "level": LEVELS[d.severity], "message": {"text": text}}
    if d.span is not None and d.span.path:
        location: dict = {"artifactLocation": artifact(d.span.path)}
        if d.span.line > 0:
            region = {"startLine": d.span.line, "startColumn": max(1, d.span.col)}
            if d.span.end_line >= d.span.line and d.span.end_col > 0:
                region["endLine"] = d.span.end_line
                if d.span.end_line > d.span.line or d.span.end_col > region["startColumn"]:
                    region["endColumn"] = d.span.end_col
            location["region"] = region
        out["locations"] = [{"physicalLocation": location}]
    return out


def artifact(path: str) -> dict:
    p = Path(path)
    full = p.resolve() if p.is_absolute() or p.exists() else Path.cwd() / p
    try:
        return {"uri": full.relative_to(Path.cwd().resolve()).as_posix(), "uriBaseId": "%SRCROOT%"}
    except ValueError:
        return {"uri": full.as_uri()}
