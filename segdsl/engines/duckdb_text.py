"""CSV and JSON Lines files read by DuckDB itself, for clean data: the DuckDB
engine's fast path for text input.

The shared Python reader costs microseconds per cell; DuckDB's readers cost
nanoseconds. But the two must never disagree, and DuckDB's readers have no
row numbers and their own ways with malformed rows. So DuckDB only reads
what both read alike, and the SQL types a value only where the Python
validator (`io/validate.py`) reads it the same way: text in the value's own
form (`-12` for an int, a plain decimal such as `3.25`, `150` or `1.5e3`
for a number (the number of a key: its shortest form), `true`/`No`/`1` for a
bool, `2026-11-01` for a date, an enum's data value exactly, an empty cell as
null), and in JSON the typed values the validator takes as they are (an
integer, a number in its shortest form, true/false). Anything else in any
row (a padded value, `1e3` for an int, a cell of spaces, a missing required
value, a value out of range,
a ragged CSV row, bad quoting, a line that is not a JSON object) makes the
query fail on purpose (`error()`), and the run starts again on the shared
reader, which reports bad rows with their numbers. A repeated key or a
`unique` conflict does the same. On clean data, the usual case in a
pipeline, one query is the whole run.

Used for a customer input without related inputs or population values, in
UTF-8, with a key (a keyless input numbers its customers by row), without
null spellings (`--null-values` or a field's `missing` values), date formats or kept columns; CSV files must all have the
same header and start with it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import ir
from ..io.readers import columns as file_columns
from ..io.readers import csv_delimiter, detect_format, expand
from .options import reads_text_plainly

if TYPE_CHECKING:
    from .sql_cache import SqlTexts


def eligible(rs: ir.Ruleset, opts) -> bool:
    if not reads_text_plainly(rs, opts) or rs.related or rs.population or not rs.customer.key:
        return False
    try:
        files = expand(opts.inputs[rs.customer.name])
        kinds = {detect_format(f) for f in files}
        return kinds <= {"csv", "tsv"} or kinds == {"jsonl"}
    except Exception:  # noqa: BLE001 - let the shared reader report it
        return False


class CsvInput:
    """The customer input's CSV files, read by DuckDB as one view of typed rows
    (duckdb_text_sql.py)."""

    def __init__(self, schema: ir.InputSchema, pattern, delimiter: str | None):
        self.schema = schema
        self.files = expand(pattern)
        kinds = {detect_format(f) for f in self.files}
        self.sep = csv_delimiter(delimiter, "tsv" if kinds == {"tsv"} else "csv", self.files[0])
        headers = [file_columns(f, delimiter=self.sep) for f in self.files]
        self.header = headers[0]
        # DuckDB takes the first line as the header; the shared reader, the first line
        # that is not blank: only files that start with their header are read alike
        self.ok = (len(kinds) == 1 and all(h == self.header for h in headers)
                   and len(set(self.header)) == len(self.header)
                   and not any("\n" in c or "\r" in c for c in self.header)
                   and all(_starts_with_text(f) for f in self.files))

    def parts(self) -> tuple:
        """What the view's SQL depends on besides the rules: the files, their header, the delimiter."""
        return ("csv", tuple(self.files), self.sep, tuple(self.header))

    @property
    def key_column(self) -> str:
        return next(f.column for f in self.schema.fields if f.name == self.schema.key)


class JsonlInput:
    """The customer input's JSON Lines files, read by DuckDB as one view of typed
    rows (duckdb_text_sql.py)."""

    def __init__(self, schema: ir.InputSchema, pattern):
        self.schema = schema
        self.files = expand(pattern)
        self.ok = all(detect_format(f) == "jsonl" for f in self.files)

    def parts(self) -> tuple:
        """What the view's SQL depends on besides the rules: the files."""
        return ("jsonl", tuple(self.files))


def view_texts(inp: CsvInput | JsonlInput, view: str, texts: "SqlTexts") -> tuple[str, str, str]:
    """The SQL of a run over `inp` as the view `view`: (create the view, check that no key
    repeats, drop the view). From the SQL cache when an earlier run built them, so a warm run
    imports no sqlglot (engines/sql_cache.py); built together on a miss."""
    built: list[str] = []

    def build(i: int):
        def one() -> str:
            if not built:
                from .duckdb_text_sql import texts as build_texts
                built.extend(build_texts(inp, view))
            return built[i]
        return one
    parts = (*inp.parts(), view)
    return tuple(texts.get(what, parts, build(i))   # type: ignore[return-value]
                 for i, what in enumerate(("text-view", "text-keys", "text-drop")))


def _starts_with_text(path: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return bool(head) and head[:1] not in (b"\n", b"\r")
