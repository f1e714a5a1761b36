"""The checker's diagnostics as LSP diagnostics: the same codes and words as `segdsl check`.

The help (the did-you-mean) and the notes follow the message on lines of
their own, as the command line shows them. A diagnostic in an imported
file is shown on the `import` that reads it (the analyst may not have that
file open), its own place named in the message.
"""
from __future__ import annotations

from pathlib import Path

from lsprotocol import types as T

from ..diagnostics.codes import Severity
from ..diagnostics.values import Diagnostic
from .actions import replacements
from .analysis import Analysis
from .positions import to_range

_SEVERITY = {Severity.ERROR: T.DiagnosticSeverity.Error, Severity.WARNING: T.DiagnosticSeverity.Warning}


def message(d: Diagnostic) -> str:
    lines = [d.message] + ([f"help: {d.help}"] if d.help else []) + [f"note: {n}" for n in d.notes]
    return "\n".join(lines)


def lsp_diagnostics(a: Analysis) -> list[T.Diagnostic]:
    out = []
    for d in a.result.diagnostics:
        span, words = d.span, message(d)
        fixes = replacements(d)
        if span is not None and span.path != a.path:
            span, words, fixes = _import_of(a, span.path), f"in {span}: {words}", []
        out.append(T.Diagnostic(range=to_range(a.text, span), message=words, code=d.code, source="segdsl",
                                severity=_SEVERITY.get(d.severity, T.DiagnosticSeverity.Information),
                                data={"replacements": fixes} if fixes else None))
    return out


def _import_of(a: Analysis, path: str):
    """The span of the `import` that reads `path` (the first import when none names it directly)."""
    imports = a.module.imports if a.module is not None else ()
    here = Path(a.path).parent
    for imp in imports:
        if (here / imp.path).resolve() == Path(path).resolve():
            return imp.span
    return imports[0].span if imports else None
