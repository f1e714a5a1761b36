"""Diagnostics are values: stages return them and only render.py prints."""
from __future__ import annotations

from dataclasses import dataclass, field
from .codes import CODES, Severity
from ..source import Span


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the rules: its code (which decides its severity), the message, where it
    points, and an optional help line and notes."""
    code: str
    message: str
    span: Span | None
    help: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class SegError(Exception):
    """Raised when a stage cannot go on; carries every diagnostic found so far."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("; ".join(d.message for d in diagnostics))


@dataclass
class DiagnosticSink:
    """Collects diagnostics for one run so a stage can report many problems at once."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, span: Span | None, help: str | None = None,
              notes: tuple[str, ...] = ()) -> None:
        self.items.append(Diagnostic(code, message, span, help, notes))

    warn = error  # the code decides the severity

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise SegError(self.items)
