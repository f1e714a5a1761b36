"""The front end in one call: file → typed IR plus every diagnostic found."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import ir
from ..diagnostics.values import Diagnostic, DiagnosticSink
from ..syntax.loader import load_modules
from .typecheck import check_modules


@dataclass(frozen=True)
class CheckResult:
    ruleset: ir.Ruleset | None
    diagnostics: list[Diagnostic]
    texts: dict[str, str]        # every file read, for rendering source lines

    @property
    def ok(self) -> bool:
        return self.ruleset is not None and not any(d.is_error for d in self.diagnostics)


def check_file(path: str | Path, text: str | None = None) -> CheckResult:
    sink = DiagnosticSink()
    modules, texts = load_modules(path, sink, text)
    if sink.has_errors or not modules:
        return CheckResult(None, sink.items, texts)
    ruleset = check_modules(modules, texts, sink)
    return CheckResult(ruleset, sink.items, texts)
