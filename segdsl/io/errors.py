"""The one error the data layer raises for a file it cannot read at all.

A file-level problem (missing file, wrong encoding, broken JSON line) stops a
run whatever `--on-error` says, because nothing after it can be trusted. A
bad *row* is not an error here: it is reported by the validator as a reason
string so the caller can fail, skip or quarantine it.
"""
from __future__ import annotations

import os


class InputError(Exception):
    """A data file that cannot be read; carries where, so messages can say
    `customers.csv row 4 (line 5): ...` the way analysts look the row up."""

    def __init__(self, message: str, path: str | os.PathLike | None = None,
                 row: int | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else os.fspath(path)
        self.row = row
        self.line = line

    def where(self) -> str:
        parts = []
        if self.path:
            parts.append(self.path)
        if self.row is not None:
            parts.append(f"row {self.row}")
            if self.line is not None:
                parts.append(f"(line {self.line})")
        elif self.line is not None:
            parts.append(f"line {self.line}")
        return " ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def __reduce__(self):
        return (type(self), (self.message, self.path, self.row, self.line))


class OutputError(InputError):
    """An output that cannot hold a value (a character its encoding lacks): the run stops,
    naming the row and column, and the target is never written. An InputError, so that
    every engine reports it as it reports a file it cannot read."""
