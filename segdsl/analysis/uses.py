"""What the checker saw used, for the lints that need more than the IR shows."""
from __future__ import annotations

from dataclasses import dataclass

from ..source import Span


@dataclass(frozen=True, slots=True)
class Uses:
    """What the lints need that the IR does not show: a let over related rows is inlined where
    it is aggregated, so it has no definition in the IR and no reference to it remains."""
    lets: tuple[tuple[str, Span], ...]     # every let declared, in declaration order
    names: frozenset[str]                  # every field, param, let and dimension read, or pinned by a test
