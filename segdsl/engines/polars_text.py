"""CSV and TSV files read by polars itself, for clean data: the polars engine's
fast path for text input, the counterpart of engines/duckdb_text.py.

The shared Python reader costs microseconds per cell; polars costs
nanoseconds. But the two must never disagree, and polars' CSV reader has its
own ways with malformed text: it fills a short row with empty cells, drops a
trailing separator, reads a blank line as a row and a quote in the middle of
a cell as it pleases, where the shared reader (Python's csv module) reports
the row. So polars reads only files where no such question can arise, and
splits the lines itself: a file without a single `"` (no quoted cell, so a
line is a row and a separator ends a cell), read one line at a time. A line
whose separators do not make exactly the header's cells, an empty line, a
carriage return inside a line or a NUL, a line longer than the cell limit
is "suspect".

A cell is then typed only where the validator (`io/validate.py`) reads it
the same way, with duckdb_text's checks: text in the value's own form (`-12`
for an int, a plain decimal such as `3.25` or `1.5e3` for a number,
`true`/`No`/`1` for a bool, `2026-11-01` for a date, `2026-11-01 08:30:00`
or a date for a datetime, an enum's data value exactly, an empty cell as
null). Anything else (a padded value, `1e3` for an int, a cell of spaces, a
missing required value, a value out of range) is suspect too. One suspect
row, or polars refusing the file (bytes that are not UTF-8), sends the run
to the shared reader, which reports bad rows with their numbers; so does a
repeated key. A `unique` conflict is a bad row found by the query, whose raw
row the shared reader reads back (`TextRaws`).

Used for a customer input without related inputs, in UTF-8, without null
spellings (`--null-values` or a field's `missing` values), date formats or
kept columns; every file has the same header, starts with it, and holds no
`"`. JSON Lines files take the careful path.
"""
from __future__ import annotations

import mmap
from typing import Iterator

import polars as pl

from .. import ir
from ..backends.polars import ORDER, ROW, dtype, literal
from ..io.readers import CELL_LIMIT, RawRow, csv_delimiter, detect_format, expand, iter_files
from ..io.readers import columns as file_columns
from ..types import Kind
from .column_types import sure_enum_values
from .polars_scan import ParquetScan

_LINE = "__segdsl_line"
_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


def eligible(rs: ir.Ruleset, opts) -> bool:
    if (opts.null_values or opts.keep or opts.date_format or rs.related or rs.customer is None
            or set(opts.inputs) != {rs.customer.name}):
        return False
    if any(f.missing for f in rs.customer.fields):      # null spellings of a field's own
        return False
    if opts.encoding.lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
        return False
    try:
        return CsvFiles.of(opts.inputs[rs.customer.name], opts.delimiter) is not None
    except Exception:  # noqa: BLE001 - let the shared reader report it
        return False


class CsvFiles:
    """The files of a CSV input, their delimiter and their one header, when polars may read
    them line by line: see the module's docstring."""

    def __init__(self, files: list[str], sep: str, header: list[str]):
        self.files, self.sep, self.header = files, sep, header

    @classmethod
    def of(cls, pattern, delimiter: str | None) -> "CsvFiles | None":
        files = expand(pattern)
        kinds = {detect_format(f) for f in files}
        if len(kinds) != 1 or not kinds <= {"csv", "tsv"}:
            return None
        sep = csv_delimiter(delimiter, kinds.pop(), files[0])
        if len(sep.encode("utf-8")) != 1:               # polars splits on one byte
            return None
        headers = [file_columns(f, delimiter=sep) for f in files]
        header = headers[0]
        ok = (all(h == header for h in headers) and len(set(header)) == len(header)
              and not any("\n" in c or "\r" in c or sep in c for c in header)
              and all(_plain_text(f) for f in files))
        return cls(files, sep, header) if ok else None


def _plain_text(path: str) -> bool:
    """Whether a file starts with a line of text (the shared reader skips blank lines before
    the header) and holds no `"`: without quoting, a line is a row and a separator ends a cell,
    for polars as for Python's csv module."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        if not head or head[:1] in (b"\n", b"\r"):
            return False
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return mm.find(b'"') == -1


class TextScan:
    """A CSV input as a LazyFrame of typed fields, ORDER (the row's number across the files, as
    the shared reader numbers rows), ROW (keyless) and a suspect flag: ParquetScan's interface."""

    SUSPECT = ParquetScan.SUSPECT

    def __init__(self, schema: ir.InputSchema, pattern, keyless: bool, used: tuple[str, ...],
                 delimiter: str | None = None, encoding: str = "utf-8"):
        self.schema, self.keyless, self.used = schema, keyless, set(used)
        self.delimiter, self.encoding = delimiter, encoding
        found = CsvFiles.of(pattern, delimiter)
        if found is None:
            raise ValueError("not a CSV input polars reads line by line")
        self.files, self.sep, self.header = found.files, found.sep, found.header
        self.position = {c: i for i, c in enumerate(self.header)}
        self.suspects = [*self.line_checks(), *(c for f in schema.fields for c in self.checks(f))]
        self._num_rows: int | None = None

    def lines(self) -> pl.LazyFrame:
        """Each line after the header as one text (no `"` in the files: `"` splits nothing)."""
        return pl.scan_csv(self.files, has_header=True, new_columns=[_LINE], separator='"', quote_char=None,
                           infer_schema=False, empty_string_is_null=False,
                           row_index_name=ORDER, row_index_offset=1)

    def line_checks(self) -> list[pl.Expr]:
        """A line the shared reader reads otherwise: another number of cells, an empty line (not a
        row to it), a carriage return inside it (a line break to it) or a NUL, or too long."""
        line, width = pl.col(_LINE), len(self.header)
        out = [line.is_null(),
               line.str.count_matches(self.sep, literal=True) != width - 1,
               line.str.contains(r"[\r\x00]"),
               line.str.len_bytes() > CELL_LIMIT]
        if width == 1:
            out.append(line == "")
        return out

    def raw(self, f: ir.FieldSchema) -> pl.Expr:
        """The field's cell as text; an empty cell (or a column the files lack) is null."""
        i = self.position.get(f.column)
        if i is None:
            return pl.lit(None, dtype=pl.String)
        cell = pl.col(_cell(i))
        return pl.when(cell != "").then(cell)

    def checks(self, f: ir.FieldSchema) -> list[pl.Expr]:
        """Conditions under which polars is not sure how the shared validator reads the cell."""
        if f.column not in self.position:           # null for every row: a default, or a nullable field
            return []
        raw = self.raw(f)
        fmt, typed = read_text(f, raw, f.name == self.schema.key)
        checks = [fmt]
        if f.low is not None:
            checks.append(typed >= literal(f.low, f.type))
        if f.high is not None:
            checks.append(typed <= literal(f.high, f.type))
        present = pl.all_horizontal(checks).fill_null(False)
        ok = raw.is_not_null() & present if f.required else raw.is_null() | present
        return [~ok]

    def typed(self, f: ir.FieldSchema) -> pl.Expr:
        """A sure row's value as the field's type."""
        if f.column not in self.position:
            return literal(f.default if f.has_default else None, f.type).alias(f.name)
        v = read_text(f, self.raw(f))[1].cast(dtype(f.type))
        if f.has_default and f.default is not None:
            v = v.fill_null(literal(f.default, f.type))
        return v.alias(f.name)

    def frame(self) -> pl.LazyFrame:
        """Every row: the fields the rules read, typed; ORDER; ROW (keyless); the suspect flag."""
        width = len(self.header)
        cells = (pl.col(_LINE).str.split_exact(self.sep, width - 1)
                 .struct.rename_fields([_cell(i) for i in range(width)]).alias("__segdsl_cells"))
        split = self.lines().with_columns(cells).unnest("__segdsl_cells")
        cols = [self.typed(f) for f in self.schema.fields if f.name in self.used]
        cols.append(pl.col(ORDER))
        if self.keyless:
            cols.append(pl.col(ORDER).alias(ROW))
        cols.append(pl.any_horizontal(self.suspects).alias(self.SUSPECT))
        return split.select(cols)

    @property
    def num_rows(self) -> int:
        if self._num_rows is None:
            self._num_rows = self.lines().select(pl.len()).collect().item()
        return self._num_rows

    def lazy_raws(self, batch_size: int) -> "TextRaws":
        return TextRaws(tuple(self.files), self.delimiter, self.encoding, batch_size)


def _cell(i: int) -> str:
    return f"__segdsl_c{i}"


class TextRaws:
    """Rows read back by the shared reader for the rare customer that needs one (a `unique`
    conflict found by the query), by their number across the files. The query gives them in
    ascending order, so one pass over the files serves them all."""

    def __init__(self, files: tuple[str, ...], delimiter: str | None, encoding: str, batch_size: int):
        self.files, self.delimiter, self.encoding, self.batch_size = files, delimiter, encoding, batch_size
        self._rows: Iterator[RawRow] | None = None
        self._last = 0

    def by_order(self, order: int) -> RawRow:
        if self._rows is None or order <= self._last:
            self._rows = self._read()
        for raw in self._rows:
            self._last = raw.order
            if raw.order == order:
                return raw
        raise KeyError(order)

    def _read(self) -> Iterator[RawRow]:
        for batch in iter_files(list(self.files), delimiter=self.delimiter, encoding=self.encoding,
                                batch_size=self.batch_size):
            yield from batch


# ---- one cell's text, as duckdb_text reads it ----

def read_text(f: ir.FieldSchema, raw: pl.Expr, key: bool = False) -> tuple[pl.Expr, pl.Expr]:
    """(whether the non-null text `raw` is read alike by polars and io/validate.py, given its
    value; that value, before any default). Each kind's form is the one duckdb_text trusts;
    `key`: the input's key, whose distinct values must be distinct keys to Python too."""
    return _READERS[f.type.kind](f, raw, key)


def _string(f, raw, key):
    # the only unbounded cells: the shared reader refuses very long ones
    return raw.str.len_chars() <= CELL_LIMIT, raw


def _int(f, raw, key):
    # the integer's own decimal form: no sign, spaces, zeros or exponent to read
    typed = raw.cast(pl.Int64, strict=False)
    return raw == typed.cast(pl.String), typed


def _number(f, raw, key):
    # a plain decimal: polars and Python's float() both round it correctly, so to the same
    # double; an overflow to infinity is a bad number to the validator. A key's zero only as
    # `0`: -0.0 and 0.0 are one key to Python
    typed = raw.cast(pl.Float64, strict=False)
    fmt = raw.str.contains(_DECIMAL) & typed.is_finite()
    if key:
        fmt = fmt & ((typed != 0) | (raw == "0"))
    return fmt, typed


def _bool(f, raw, key):
    low = raw.str.to_lowercase()
    return low.is_in(_TRUE + _FALSE), low.is_in(_TRUE)


def _date(f, raw, key):
    # YYYY-MM-DD itself, years 1 to 9999 as Python has them
    typed = raw.str.to_date("%Y-%m-%d", strict=False)
    fmt = (raw == typed.dt.to_string("%Y-%m-%d")) & (raw.str.len_bytes() == 10) & (raw >= "0001")
    return fmt, typed


_DATETIME_FORMS = ((10, "%Y-%m-%d"), (19, "%Y-%m-%d %H:%M:%S"), (26, "%Y-%m-%d %H:%M:%S%.6f"))


def _datetime(f, raw, key):
    # a date (midnight), or a space, the time to the second, and six digits of fraction or none;
    # the text is the value printed back, so no hour 24, second 60 or day 30 of February
    n = raw.str.len_bytes()
    typed = pl.lit(None, dtype=pl.Datetime("us"))
    back = pl.lit(None, dtype=pl.String)
    for length, form in reversed(_DATETIME_FORMS):
        value = raw.str.to_datetime(form, time_unit="us", strict=False)
        typed = pl.when(n == length).then(value).otherwise(typed)
        back = pl.when(n == length).then(value.dt.to_string(form)).otherwise(back)
    return (raw == back) & (raw >= "0001"), typed


def _enum(f, raw, key):
    # the data value exactly (the shared reader trims first, so only trimmed values)
    sure = set(sure_enum_values(f))
    members = [m for m in f.type.enum.members if m.value in sure]
    values = pl.Series([m.value for m in members], dtype=pl.String)
    fmt = raw.is_in(values.implode()) if members else pl.lit(False)
    if not members:
        return fmt, pl.lit(None, dtype=pl.String)
    if all(m.value == m.name for m in f.type.enum.members):
        return fmt, raw
    return fmt, raw.replace_strict({m.value: m.name for m in members}, default=None, return_dtype=pl.String)


_READERS = {Kind.STRING: _string, Kind.INT: _int, Kind.NUMBER: _number, Kind.BOOL: _bool,
            Kind.DATE: _date, Kind.DATETIME: _datetime, Kind.ENUM: _enum}
