"""What a backend says when a ruleset asks for something it cannot express."""
from __future__ import annotations

from ..diagnostics.values import Diagnostic, SegError
from ..source import Span

NOT_SUPPORTED = "SEG501"


class NotSupported(SegError):
    """A construct this backend cannot express: a diagnostic (SEG501) at the rule that asks
    for it, raised because the query cannot be built without it. `str()` is its message."""

    def __init__(self, message: str, span: Span | None = None, help: str | None = None):
        super().__init__([Diagnostic(NOT_SUPPORTED, message, span, help)])

    @property
    def diagnostic(self) -> Diagnostic:
        return self.diagnostics[0]


class NameRefused(NotSupported):
    """Names a dialect cannot hold as written (`names`); the caller knows which rules they come from."""

    def __init__(self, message: str, names: tuple[str, ...], help: str | None = None):
        super().__init__(message, None, help)
        self.names = names


class NameTooLong(NameRefused):
    """Names the database would cut."""
