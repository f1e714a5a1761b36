"""Parquet inputs scanned by polars: the clean path of the polars engine.

The checks here are a cautious *superset* of io/validate.py, written as polars
expressions: a row they are sure about (right types, no nulls in required
fields, inside ranges, exact enum values) is typed in polars; any other row
is "suspect", and one suspect row anywhere sends the whole run to the shared
reader (engines/rows.py), which rescues or rejects each row with the same
reason and row number as every engine. So the answer never depends on the
path, and clean data, the common case, costs one lazy query.

The footers of the files prove most checks on clean data false for every
row (no nulls, the least and greatest value inside the range); a column whose
checks are all proved and which the rules do not read is not read at all.

Used only when every input is Parquet whose column types fit the fields
(int ← integers, number ← integers/floats, string/enum ← text, bool ←
booleans, date ← dates, datetime ← timestamps without zone in s, ms or us),
and no null spellings or kept columns are asked for.
"""
from __future__ import annotations

import math

import polars as pl
import pyarrow.parquet as pq

from .. import ir
from ..backends.polars import ORDER, ROW, dtype, literal
from ..io.readers import LazyRaws, detect_format, expand
from ..types import Kind, Type
from .column_types import fits, sure_enum_values


def eligible(rs: ir.Ruleset, opts) -> bool:
    if opts.null_values or opts.keep:
        return False
    for name, pattern in opts.inputs.items():
        schema = rs.customer if rs.customer and rs.customer.name == name else rs.related_input(name)
        try:
            files = expand(pattern)
            for path in files:
                if detect_format(path) != "parquet":
                    return False
                arrow = pq.read_schema(path)
                for f in schema.fields:
                    i = arrow.get_field_index(f.column)
                    if i >= 0 and not fits(f.type.kind, arrow.field(i).type, nanoseconds=False):
                        return False
        except Exception:  # noqa: BLE001 - unreadable here means: let the shared reader report it
            return False
    return True


class ColumnStats:
    """What the footers prove about a column in every row group of every file: how many
    nulls, the least and greatest value (NaN is left out of a float column's bounds by
    Parquet writers, so it keeps its own per-row test). Unknown: all None."""

    def __init__(self, footers: list, column: str):
        self.nulls, self.min, self.max = 0, None, None
        try:
            for meta in footers:
                i = next(i for i in range(meta.num_columns) if meta.schema.column(i).path == column)
                for g in range(meta.num_row_groups):
                    st = meta.row_group(g).column(i).statistics
                    if st is None or not st.has_null_count:
                        raise LookupError
                    self.nulls += st.null_count
                    if st.null_count == meta.row_group(g).num_rows:
                        continue
                    if not st.has_min_max:
                        raise LookupError
                    self.min = st.min if self.min is None else min(self.min, st.min)
                    self.max = st.max if self.max is None else max(self.max, st.max)
        except (LookupError, StopIteration, TypeError, OverflowError):    # OverflowError: beyond year 9999
            self.nulls, self.min, self.max = None, None, None

    def proves(self, test) -> bool:
        try:
            return self.nulls is not None and bool(test())
        except TypeError:           # a footer value of another type than the field: prove nothing
            return False


class Checks:
    """One input's fields as typed polars expressions over its columns as read, and the
    conditions under which a row is suspect (`checks`), less those `stats` (what is known of
    every row of a column, by column) prove false. Shared by the files polars scans and by a
    LazyFrame segmented lazily (engines/polars_lazy.py)."""

    SUSPECT = "__segdsl_suspect"

    def __init__(self, schema: ir.InputSchema, keyless: bool, columns: set[str], stats: dict, used):
        self.schema, self.keyless, self.columns, self.stats = schema, keyless, columns, stats
        self.suspects = [c for f in schema.fields for c in self.checks(f)]
        self.used = set(used)

    def read_columns(self) -> list[str]:
        """The columns the used fields and the checks read."""
        return sorted({f.column for f in self.schema.fields if f.name in self.used and f.column in self.columns}
                      | {c for e in self.suspects for c in e.meta.root_names()})

    def typed_columns(self) -> list[pl.Expr]:
        """The fields the rules read, typed; ORDER; ROW (keyless); the suspect flag."""
        cols = [self.typed(f) for f in self.schema.fields if f.name in self.used]
        cols.append(pl.col(ORDER))
        if self.keyless:
            cols.append(pl.col(ORDER).alias(ROW))
        suspect = pl.any_horizontal(self.suspects) if self.suspects else pl.lit(False)
        cols.append(suspect.alias(self.SUSPECT))
        return cols

    def raw(self, f: ir.FieldSchema) -> pl.Expr:
        if f.column not in self.columns:
            return pl.lit(None)
        raw = pl.col(f.column)
        if f.missing:                         # `missing 999`: those data values are null
            kind = Type(Kind.STRING) if f.type.kind is Kind.ENUM else f.type
            hit = pl.any_horizontal([raw == literal(v, kind) for v in f.missing])
            raw = pl.when(hit.fill_null(False)).then(None).otherwise(raw)
        return raw

    def checks(self, f: ir.FieldSchema) -> list[pl.Expr]:
        """Conditions under which polars is not sure how the shared validator reads the value,
        less those the footers prove false for every row."""
        if f.column not in self.columns:      # null for every row: a default, or a nullable field
            return []
        # footers count nulls and bound values as written: a `missing` value is neither
        raw, st = self.raw(f), (self.stats.get(f.column) if not f.missing else None)
        lo, hi = (st.min, st.max) if st is not None else (None, None)
        proves = st.proves if st is not None else (lambda test: False)
        out = []
        if f.required:
            if not proves(lambda: st.nulls == 0):
                out.append(raw.is_null())
            if f.type.kind in (Kind.STRING, Kind.ENUM) and not proves(lambda: isinstance(lo, str) and lo != ""):
                out.append(raw == "")
        if f.type.kind is Kind.ENUM:
            out.append(~raw.is_in(pl.Series(sure_enum_values(f), dtype=pl.String).implode()))
        if f.type.kind is Kind.NUMBER:
            out.append(raw.cast(pl.Float64).is_nan())
            if not proves(lambda: math.isfinite(lo) and math.isfinite(hi)):
                out.append(raw.cast(pl.Float64).is_infinite())
        if f.type.kind in (Kind.DATE, Kind.DATETIME) and not proves(lambda: lo is not None):
            # a date outside years 1 to 9999 (footers that held one could not be read as bounds)
            year = raw.cast(pl.Date, strict=False).dt.year()
            out.append(~year.is_between(1, 9999))
        if f.low is not None and not proves(lambda: lo >= f.low):
            out.append(raw < literal(f.low, f.type))
        if f.high is not None and not proves(lambda: hi <= f.high):
            out.append(raw > literal(f.high, f.type))
        return [c.fill_null(False) for c in out]

    def typed(self, f: ir.FieldSchema) -> pl.Expr:
        """A sure row's value as the field's type."""
        raw, kind = self.raw(f), f.type.kind
        if f.column not in self.columns:
            return literal(f.default if f.has_default else None, f.type).alias(f.name)
        if kind is Kind.STRING and not f.required:
            v = pl.when(raw != "").then(raw)            # an empty text is null
        elif kind is Kind.ENUM and any(m.value != m.name for m in f.type.enum.members):
            v = raw.replace_strict({m.value: m.name for m in f.type.enum.members}, default=None,
                                   return_dtype=pl.String)
        else:
            v = raw
        v = v.cast(dtype(f.type))
        if f.has_default and f.default is not None:
            v = v.fill_null(literal(f.default, f.type))
        return v.alias(f.name)


class ParquetScan(Checks):
    """One input (a file, or the files a pattern names, one after the other) as a LazyFrame
    of typed fields, ORDER (the row's place in the input, from 1) and a suspect flag."""

    def __init__(self, schema: ir.InputSchema, pattern, keyless: bool, used: tuple[str, ...]):
        self.files = expand(pattern)
        footers = [pq.read_metadata(f) for f in self.files]
        counts = [m.num_rows for m in footers]
        self.offsets = [sum(counts[:i]) for i in range(len(counts))]
        self.num_rows = sum(counts)
        columns = set.intersection(*(set(m.schema.to_arrow_schema().names) for m in footers))
        stats = {f.column: ColumnStats(footers, f.column) for f in schema.fields if f.column in columns}
        super().__init__(schema, keyless, columns, stats, used)

    def frame(self) -> pl.LazyFrame:
        """Every row: the fields the rules read, typed; ORDER; ROW (keyless); the suspect flag."""
        scan = pl.scan_parquet(self.files, row_index_name=ORDER, row_index_offset=1)
        return scan.select([ORDER, *self.read_columns()]).select(self.typed_columns())

    def lazy_raws(self, batch_size: int) -> LazyRaws:
        return LazyRaws(self.files, self.offsets, self.num_rows, batch_size)
