"""The checker's diagnostics as LSP diagnostics: the same codes and words as `segdsl check`.

The help (the did-you-mean) and the notes follow the message on lines of
their own, as the command line shows them. Diagnostics about an imported
file are shown on that file when it is open, not on the importing one.
"""
from __future__ import annotations

from lsprotocol import types as T

from ..diagnostics.codes import Severity
from ..diagnostics.values import Diagnostic
from .analysis import Analysis
from .positions import to_range

_SEVERITY = {Severity.ERROR: T.DiagnosticSeverity.Error, Severity.WARNING: T.DiagnosticSeverity.Warning}


def message(d: Diagnostic) -> str:
    lines = [d.message] + ([f"help: {d.help}"] if d.help else []) + [f"note: {n}" for n in d.notes]
    return "\n".join(lines)


def lsp_diagnostics(a: Analysis) -> list[T.Diagnostic]:
    out = []
    for d in a.result.diagnostics:
        if d.span is not None and d.span.path != a.path:
            continue
        out.append(T.Diagnostic(range=to_range(a.text, d.span), message=message(d), code=d.code, source="segdsl",
                                severity=_SEVERITY.get(d.severity, T.DiagnosticSeverity.Information)))
    return out
