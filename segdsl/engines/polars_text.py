"""CSV, TSV and JSON Lines files read by polars itself, for clean data: the
polars engine's fast path for text input, the counterpart of
engines/duckdb_text.py.

The shared Python reader costs microseconds per cell; polars costs
nanoseconds. But the two must never disagree, and polars' own readers have
their ways with malformed text: its CSV reader fills a short row with empty
cells, drops a trailing separator, reads a blank line as a row and a quote in
the middle of a cell as it pleases, where the shared reader (Python's csv
module) reports the row; its JSON reader is strict about types, reads `12.0`
as text `12` and `true` as `true`, and keeps the first of a key repeated in
an object where Python's json keeps the last. So polars reads each line as
one text and takes it apart itself, only where no such question can arise.

CSV and TSV: only files without a single `"` (no quoted cell, so a line is a
row and a separator ends a cell). A line whose separators do not make exactly
the header's cells, an empty line, a carriage return inside a line or a NUL,
a line longer than the cell limit is "suspect".

JSON Lines: a blank line (spaces and tabs) is no row, as to the shared
reader; any other line must be one JSON object, checked against JSON's own
grammar by a regular expression: strings (escapes other than a lone
surrogate), numbers, true, false, null, or arrays and objects of those
nested at most two deep. Anything else (a line that is not an object, `NaN`,
a lone surrogate, a carriage return inside a line, deeper nesting) is
suspect. A field's key is found in any spelling JSON allows (`\\u` escapes
in either case); written twice in one object (Python keeps the last, the
regular expression finds the first), or, in a line with nested objects, not
found among the object's own keys, it makes the row suspect too. A field's
value is its text in the line: a string is decoded by polars (JSON escapes,
proved alike), a number, true or false kept as written, so the JSON type is
known.

A value is then typed only where the validator (`io/validate.py`) reads it
the same way, with duckdb_text's checks: text in the value's own form (`-12`
for an int, a plain decimal such as `3.25` or `1.5e3` for a number,
`true`/`No`/`1` for a bool, `2026-11-01` for a date, `2026-11-01 08:30:00`
or a date for a datetime, an enum's data value exactly, an empty cell or
string as null); in JSON also the typed values the validator takes as they
are (an integer in its own form for an int, string or enum; a number for a
number; true/false, 0 and 1 for a bool; null). Anything else (a padded
value, `1e3` or `12.0` for an int, a cell of spaces, a number for a date, an
array for any field, a missing required value, a value out of range) is
suspect too. One suspect row, or polars refusing the file (bytes that are
not UTF-8), sends the run to the shared reader, which reports bad rows with
their numbers; so does a repeated key. A `unique` conflict is a bad row
found by the query, whose raw row the shared reader reads back (`TextRaws`).

Used for a customer input without related inputs, in UTF-8, without null
spellings (`--null-values` or a field's `missing` values), date formats or
kept columns. CSV: every file has the same header, starts with it, and holds
no `"`. JSON Lines: no file holds the byte 0x1f (polars' "separator", never
in valid JSON), and every field's name can be told from text around it (no
`"`, `\\` or control character; not starting with a space, tab, `,`, `:`,
`]` or `}`).
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
from .options import reads_text_plainly
from .polars_scan import ParquetScan

_LINE = "__segdsl_line"
_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


def eligible(rs: ir.Ruleset, opts) -> bool:
    if not reads_text_plainly(rs, opts) or rs.related or set(opts.inputs) != {rs.customer.name}:
        return False
    try:
        return text_files(opts.inputs[rs.customer.name], opts.delimiter, rs.customer) is not None
    except Exception:  # noqa: BLE001 - let the shared reader report it
        return False


def text_files(pattern, delimiter: str | None, schema: ir.InputSchema) -> "CsvFiles | JsonlFiles | None":
    """The input's files as polars may read them line by line, CSV or JSON Lines; None otherwise."""
    return CsvFiles.of(pattern, delimiter) or JsonlFiles.of(pattern, schema)


class TextScan:
    """A text input as a LazyFrame of typed fields, ORDER (the row's number across the files, as
    the shared reader numbers rows), ROW (keyless) and a suspect flag: ParquetScan's interface.
    The files' format (`CsvFiles`, `JsonlFiles`) gives each field's value and its checks."""

    SUSPECT = ParquetScan.SUSPECT

    def __init__(self, schema: ir.InputSchema, pattern, keyless: bool, used: tuple[str, ...],
                 delimiter: str | None = None, encoding: str = "utf-8"):
        self.schema, self.keyless, self.used = schema, keyless, set(used)
        self.delimiter, self.encoding = delimiter, encoding
        found = text_files(pattern, delimiter, schema)
        if found is None:
            raise ValueError("not a text input polars reads line by line")
        self.source, self.files = found, found.files
        self.suspects = [*found.line_checks(), *(c for f in schema.fields for c in self.checks(f))]
        self._num_rows: int | None = None

    def lines(self) -> pl.LazyFrame:
        return self.source.lines()

    def checks(self, f: ir.FieldSchema) -> list[pl.Expr]:
        """Conditions under which polars is not sure how the shared validator reads the value."""
        read = self.source.read(f, f.name == self.schema.key)
        if read is None:                            # null for every row: a default, or a nullable field
            return []
        null, fmt, typed = read
        checks = [fmt]
        if f.low is not None:
            checks.append(typed >= literal(f.low, f.type))
        if f.high is not None:
            checks.append(typed <= literal(f.high, f.type))
        present = pl.all_horizontal(checks).fill_null(False)
        ok = ~null & present if f.required else null | present
        return [~ok]

    def typed(self, f: ir.FieldSchema) -> pl.Expr:
        """A sure row's value as the field's type."""
        read = self.source.read(f)
        if read is None:
            return literal(f.default if f.has_default else None, f.type).alias(f.name)
        v = read[2].cast(dtype(f.type))
        if f.has_default and f.default is not None:
            v = v.fill_null(literal(f.default, f.type))
        return v.alias(f.name)

    def frame(self) -> pl.LazyFrame:
        """Every row: the fields the rules read, typed; ORDER; ROW (keyless); the suspect flag."""
        cols = [self.typed(f) for f in self.schema.fields if f.name in self.used]
        cols.append(pl.col(ORDER))
        if self.keyless:
            cols.append(pl.col(ORDER).alias(ROW))
        cols.append(pl.any_horizontal(self.suspects).alias(self.SUSPECT))
        return self.source.cells().select(cols)

    @property
    def num_rows(self) -> int:
        if self._num_rows is None:
            self._num_rows = self.lines().select(pl.len()).collect().item()
        return self._num_rows

    def lazy_raws(self, batch_size: int) -> "TextRaws":
        return TextRaws(tuple(self.files), self.delimiter, self.encoding, batch_size)


# ---- CSV and TSV ----

class CsvFiles:
    """The files of a CSV input, their delimiter and their one header, when polars may read
    them line by line: see the module's docstring."""

    def __init__(self, files: list[str], sep: str, header: list[str]):
        self.files, self.sep, self.header = files, sep, header
        self.position = {c: i for i, c in enumerate(header)}

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

    def cells(self) -> pl.LazyFrame:
        """The lines split into the header's cells."""
        width = len(self.header)
        cells = (pl.col(_LINE).str.split_exact(self.sep, width - 1)
                 .struct.rename_fields([_cell(i) for i in range(width)]).alias("__segdsl_cells"))
        return self.lines().with_columns(cells).unnest("__segdsl_cells")

    def read(self, f: ir.FieldSchema, key: bool = False) -> tuple[pl.Expr, pl.Expr, pl.Expr] | None:
        """(whether the value is null, whether it is sure, its typed value); None for a field
        whose column the files lack. An empty cell is null."""
        i = self.position.get(f.column)
        if i is None:
            return None
        raw = pl.when(pl.col(_cell(i)) != "").then(pl.col(_cell(i)))
        return (raw.is_null(), *read_text(f, raw, key))


def _cell(i: int) -> str:
    return f"__segdsl_c{i}"


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
        return _lacks(fh, b'"')


def _lacks(fh, byte: bytes) -> bool:
    """Whether an open file holds no `byte` (an empty file cannot be mapped, and holds none)."""
    fh.seek(0, 2)
    if not fh.tell():
        return True
    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return mm.find(byte) == -1


# ---- JSON Lines ----

# polars' "separator" for JSON lines: a control character, so never in a valid JSON line
_NO_SPLIT = "\x1f"
# how deep arrays and objects may nest in a field's neighbours (`{"a": [[1]]}` is two)
_NESTING = 2

_WS = r"[ \t]*"      # JSON's blanks within a line (a carriage return is a line break to Python)
_ESCAPE = (r'\\["\\/bfnrt]|\\u(?:[0-9a-cA-Ce-fE-F][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2}'
           r'|[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})')       # no lone surrogate
_STRING = rf'"(?:[^"\\\x00-\x1f]|{_ESCAPE})*"'
_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_SCALAR = rf"{_STRING}|{_NUMBER}|true|false|null"
# a value as written, in a line of JSON's grammar: a string to its closing quote, else up to
# what ends the value (a value that is an array or object: its first part, typed by nothing)
_WRITTEN = r'("(?:[^"\\]|\\.)*"|[^,}\] \t]+)'
_CANONICAL_INT = r"^(?:0|-?[1-9][0-9]{0,99})$"     # an integer as Python's str() prints it
_NAME_STARTS = (" ", "\t", ",", ":", "]", "}")


def _json_value(depth: int) -> str:
    """A JSON value whose arrays and objects nest at most `depth` deep."""
    if depth == 0:
        return _SCALAR
    v = _json_value(depth - 1)
    array = rf"\[{_WS}(?:(?:{v}){_WS}(?:,{_WS}(?:{v}){_WS})*)?\]"
    member = rf"{_STRING}{_WS}:{_WS}(?:{v}){_WS}"
    obj = rf"\{{{_WS}(?:{member}(?:,{_WS}{member})*)?\}}"
    return rf"{_SCALAR}|{array}|{obj}"


_VALUE = _json_value(_NESTING)
_PAIR = rf"{_STRING}{_WS}:{_WS}(?:{_VALUE}){_WS}"
_OBJECT_LINE = rf"^{_WS}\{{{_WS}(?:{_PAIR}(?:,{_WS}{_PAIR})*)?\}}{_WS}$"


def _literal(c: str) -> str:
    """Character `c` as a regular expression matching only itself: ASCII letters and digits as
    they are, any other character by its code point."""
    return c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):x}}}"


def _spelled(name: str) -> str:
    """Every way JSON may write the text `name` (no `"`, `\\` or control character): each
    character as it is or as its `\\u` escape(s), in either letter case, and `/` also as `\\/`."""
    def hex_digits(unit: int) -> str:
        return "".join(d if d.isdigit() else f"[{d}{d.upper()}]" for d in f"{unit:04x}")

    def forms(c: str) -> str:
        code = ord(c)
        units = [code] if code < 0x10000 else [0xD800 + ((code - 0x10000) >> 10), 0xDC00 + (code & 0x3FF)]
        escaped = "".join(rf"\\u{hex_digits(u)}" for u in units)
        return f"(?:{_literal(c)}|{escaped}" + (r"|\\/" if c == "/" else "") + ")"
    return "".join(forms(c) for c in name)


def _key_at(name: str, escapes: bool = True) -> str:
    """Key `name`, as JSON may write it (`escapes`: else only as it is, all a line without a
    backslash can hold), after the `{` or `,` before it, up to its colon. In a
    line of JSON's grammar (`_OBJECT_LINE`), with a name `plain_name` allows, it matches nothing
    but a key: inside a string, the `"` after a `{` or `,` would end it, and JSON allows no
    `name"` there."""
    written = _spelled(name) if escapes else "".join(_literal(c) for c in name)
    return rf'[{{,]{_WS}"{written}"{_WS}:'


def plain_name(name: str) -> bool:
    """Whether a field's name is one `_key_at` finds only as a key: see there."""
    return (bool(name) and not name.startswith(_NAME_STARTS)
            and not any(c in '"\\' or ord(c) < 0x20 for c in name))


class JsonlFiles:
    """The files of a JSON Lines input polars may read line by line (see the module's
    docstring), and the columns of the fields, whose values it takes from each line."""

    def __init__(self, files: list[str], columns: list[str]):
        self.files, self.columns = files, columns
        self.position = {c: i for i, c in enumerate(columns)}

    @classmethod
    def of(cls, pattern, schema: ir.InputSchema) -> "JsonlFiles | None":
        files = expand(pattern)
        if any(detect_format(f) != "jsonl" for f in files):
            return None
        columns = list(dict.fromkeys(f.column for f in schema.fields))
        if not all(plain_name(c) for c in columns) or not all(_without_split(f) for f in files):
            return None
        return cls(files, columns)

    def lines(self) -> pl.LazyFrame:
        """Each line that is not blank as one text, numbered as the shared reader numbers rows."""
        line = pl.col(_LINE)
        scan = pl.scan_csv(self.files, has_header=False, new_columns=[_LINE], separator=_NO_SPLIT,
                           quote_char=None, infer_schema=False, empty_string_is_null=False)
        return scan.filter(line.fill_null("").str.strip_chars(" \t") != "").with_row_index(ORDER, offset=1)

    def cells(self) -> pl.LazyFrame:
        """Each field's value as the line writes it (null where its key is not there)."""
        return self.lines().with_columns(
            _by_escapes(lambda lines, escapes: lines.str.extract(rf"{_key_at(c, escapes)}{_WS}{_WRITTEN}", 1))
            .alias(_cell(i)) for i, c in enumerate(self.columns))

    def line_checks(self) -> list[pl.Expr]:
        """A line that is not one JSON object of JSON's grammar (with a carriage return inside, a
        line break to Python), a field's key written twice (counted against the fields found),
        or a field's key only found inside a nested object."""
        line = pl.col(_LINE)
        keys = _by_escapes(lambda lines, escapes: lines.str.count_matches(
            "|".join(f"(?:{_key_at(c, escapes)})" for c in self.columns)))
        found = pl.sum_horizontal(pl.col(_cell(i)).is_not_null().cast(pl.UInt32) for i in range(len(self.columns)))
        out = [~line.str.contains(_OBJECT_LINE), keys != found]
        nested = line.str.count_matches("{", literal=True) > 1
        for i, c in enumerate(self.columns):
            # only lines with a nested object are searched: the others give a null
            own = rf'^{_WS}\{{{_WS}(?:{_PAIR},{_WS})*"{_spelled(c)}"{_WS}:'
            asked = pl.when(nested & pl.col(_cell(i)).is_not_null()).then(line)
            out.append(asked.str.contains(own).not_().fill_null(False))
        return out

    def read(self, f: ir.FieldSchema, key: bool = False) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
        """(whether the value is null, whether it is sure, its typed value)."""
        return read_json(f, pl.col(_cell(self.position[f.column])), key)


def _by_escapes(search) -> pl.Expr:
    """`search(lines, escapes)` over the lines, for the few with a backslash with keys in any
    spelling, for the others with keys as they are (a much faster search): each search skips
    the other lines (nulls)."""
    line = pl.col(_LINE)
    escaped = line.str.contains("\\", literal=True)
    return pl.when(escaped).then(search(pl.when(escaped).then(line), True)) \
        .otherwise(search(pl.when(~escaped).then(line), False))


def _without_split(path: str) -> bool:
    with open(path, "rb") as fh:
        return _lacks(fh, _NO_SPLIT.encode())


# ---- one JSON value, as duckdb_text reads it ----

def read_json(f: ir.FieldSchema, v: pl.Expr, key: bool = False) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(whether the value is null, whether io/validate.py reads it as polars does, that value
    before any default), for `v`, a JSON value as written in a line of JSON's grammar (null:
    no such key). A string is read as a CSV cell's text (`read_text`), an empty one as null; a
    typed value only where the validator takes it as it is."""
    is_text = v.str.starts_with('"')
    text = _decoded(v, is_text)
    null = (v.is_null() | (v == "null") | (is_text & (text == ""))).fill_null(False)
    if f.type.kind is Kind.STRING:
        # text as it is; an integer as its decimal text (Python's str(), so no `-0`)
        as_int = v.str.contains(_CANONICAL_INT)
        value = pl.when(is_text & (text != "")).then(text).when(as_int).then(v)
        return null, (is_text | as_int) & (value.str.len_chars() <= CELL_LIMIT), value
    typed_ok = _typed_json(f.type.kind, v)
    source = pl.when(is_text & (text != "")).then(text).when(typed_ok).then(v)
    fmt, typed = read_text(f, source, key)
    return null, fmt, typed


def _typed_json(kind: Kind, v: pl.Expr) -> pl.Expr:
    """Whether a typed JSON value (not a string) is read by `read_text` from the text it is
    written with as the validator reads the value: a JSON number for an int (only in its own
    form, `read_text` checks) or a number (but the integer `-0`); a number (`0`, `1`) or true/false for a bool; an
    integer in its own form for an enum (matched by its text). Never for dates."""
    number = v.str.contains(r"^-?[0-9]")
    if kind is Kind.INT:
        return number
    if kind is Kind.NUMBER:         # the integer -0 is 0 to Python, so 0.0 (and -0.0 to polars)
        return number & (v != "-0")
    if kind is Kind.BOOL:
        return number | v.is_in(["true", "false"])
    if kind is Kind.ENUM:
        return v.str.contains(_CANONICAL_INT)
    return pl.lit(False)


def _decoded(v: pl.Expr, is_text: pl.Expr) -> pl.Expr:
    """A JSON string's text: between its quotes, or decoded by polars when it holds an escape
    (the grammar leaves only escapes Python decodes alike: no lone surrogate)."""
    escaped = is_text & v.str.contains("\\", literal=True)
    decoded = pl.when(escaped).then(v).str.json_decode(pl.String)
    return pl.when(escaped).then(decoded).when(is_text).then(v.str.strip_prefix('"').str.strip_suffix('"'))


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
