"""The front end in one call: file → typed IR plus every diagnostic found."""
from __future__ import annotations

from pathlib import Path

from . import ir
from .diagnostics import Diagnostic, DiagnosticSink
from .loader import load_modules
from .typecheck import check_modules


def check_file(path: str | Path, text: str | None = None) -> tuple[ir.Ruleset | None, list[Diagnostic]]:
    sink = DiagnosticSink()
    modules, texts = load_modules(path, sink, text)
    if sink.has_errors or not modules:
        return None, sink.items
    ruleset = check_modules(modules, texts, sink)
    return ruleset, sink.items
