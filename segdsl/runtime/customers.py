"""The unit every engine segments: one customer with its record and related rows."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Customer:
    """One customer as every engine segments it: its key, its customer fields by name, its rows of each
    related input, and the data row it came from."""
    key: Any
    record: dict = field(default_factory=dict)          # customer fields by name
    rows: dict = field(default_factory=dict)            # related input name → list of row dicts
    row: int | None = None                              # data row number (bad-row messages, `_row`)


@dataclass(frozen=True, slots=True)
class UniqueConflict:
    """A customer matched two segments of a `unique` dimension: bad input."""
    dimension: str
    segments: tuple[str, ...]

    def reason(self) -> str:
        return (f"matches {', '.join(self.segments)} in `unique` dimension "
                f"`{self.dimension}` (at most one may match)")
