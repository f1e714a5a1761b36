"""Parquet inputs read by DuckDB itself: the fast path of the DuckDB engine.

Validating every row in Python costs microseconds per cell; DuckDB's own
Parquet reader with the checks written in SQL costs nanoseconds. The checks
here are a cautious *superset* of io/validate.py: a row SQL is sure about
(right types, no nulls in required fields, inside ranges, exact enum values)
is typed in SQL; every other row is "suspect" and goes through the very same
Python validator the other engines use, which either rescues it (a padded
enum value, say) or rejects it with the same reason and row number. So the
answer never depends on which path a row took.

Used only when every input is a Parquet file whose column types fit the
fields (int ← integers, number ← integers/floats, string/enum ← text,
bool ← booleans, date ← dates, datetime ← timestamps without zone), and no
null spellings or kept columns are asked for; otherwise the engine reads
through Python.
"""
from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from .. import ir
from ..backends.sql import ORDER, ROW, col, double, ident, literal
from ..io.readers import LazyRaws, detect_format, expand, rows_at
from ..io.validate import RowValidator
from ..types import Kind
from .column_types import fits
from . import statements as st
from .rows import repeated_key

SUSPECT = "__segdsl_suspect"


def eligible(rs: ir.Ruleset, opts) -> bool:
    if opts.null_values or opts.keep:
        return False
    for name, pattern in opts.inputs.items():
        fields = rs.customer if rs.customer and rs.customer.name == name else rs.related_input(name)
        try:
            files = expand(pattern)
        except Exception:  # noqa: BLE001 - let the Python reader report it
            return False
        for path in files:
            try:
                if detect_format(path) != "parquet":
                    return False
                schema = pq.read_schema(path)
            except Exception:  # noqa: BLE001 - unreadable here means: let the Python reader report it
                return False
            for f in fields.fields:
                i = schema.get_field_index(f.column)
                if i >= 0 and not fits(f.type.kind, schema.field(i).type):
                    return False
    return True


def _raw(f: ir.FieldSchema, columns: set[str]) -> exp.Expression:
    return col(f.column) if f.column in columns else exp.Null()


class ColumnStats:
    """What the Parquet footers prove about a column in every row group of every
    file: how many nulls, and the least and greatest value. A check these prove
    false for the whole input is left out of the per-row test: most checks on
    clean data are.

    Parquet writers leave NaN out of min and max, so for floats they bound only
    the other values; NaN keeps its own per-row test (`isnan`). A string column's
    min is a prefix of the true min when truncated, so a non-empty min still
    proves that no value is empty."""

    def __init__(self, footers: list, column: str):
        self.nulls, self.min, self.max = 0, None, None
        known = True
        for meta in footers:
            i = next((i for i in range(meta.num_columns) if meta.schema.column(i).path == column), None)
            if i is None:                           # missing, or inside a nested column
                known = False
                break
            for g in range(meta.num_row_groups):
                st = meta.row_group(g).column(i).statistics
                if st is None or not st.has_null_count:
                    known = False
                    break
                self.nulls += st.null_count
                if st.null_count == meta.row_group(g).num_rows:
                    continue                        # all null: no value to bound
                if not st.has_min_max:
                    known = False
                    break
                try:
                    self.min = st.min if self.min is None else min(self.min, st.min)
                    self.max = st.max if self.max is None else max(self.max, st.max)
                except (TypeError, OverflowError):       # OverflowError: a date beyond year 9999
                    known = False
                    break
        if not known:
            self.nulls, self.min, self.max = None, None, None

    def proves(self, test) -> bool:
        try:
            return bool(test())
        except TypeError:           # a footer value of another type than the field: prove nothing
            return False


def _suspect(f: ir.FieldSchema, columns: set[str], stats: ColumnStats | None = None) -> list[exp.Expression]:
    """Conditions under which SQL is not sure how Python would read the value
    (less those the Parquet footers prove false for every row)."""
    raw = _raw(f, columns)
    st = stats if stats is not None and f.column in columns else None
    no_nulls = st is not None and st.nulls == 0
    lo, hi = (st.min, st.max) if st is not None else (None, None)
    out = []
    if f.required:
        empty = [] if no_nulls else [exp.Is(this=raw.copy(), expression=exp.Null())]
        if f.type.kind in (Kind.STRING, Kind.ENUM) and not (
                lo is not None and st.proves(lambda: isinstance(lo, str) and lo != "")):
            empty.append(exp.EQ(this=raw.copy(), expression=exp.Literal.string("")))
        if empty:
            out.append(exp.or_(*empty))
    if f.type.kind is Kind.ENUM:
        values = [exp.Literal.string(m.value) for m in f.type.enum.members]
        out.append(exp.Not(this=exp.In(this=raw.copy(), expressions=values)))     # null: no check (coalesced)
    if f.type.kind is Kind.NUMBER:
        out.append(exp.Anonymous(this="isnan", expressions=[double(raw.copy())]))
        if not (lo is not None and st.proves(lambda: math.isfinite(lo) and math.isfinite(hi))):
            out.append(exp.Anonymous(this="isinf", expressions=[double(raw.copy())]))
    if f.type.kind in (Kind.DATE, Kind.DATETIME) and lo is None:
        # a date outside years 1 to 9999 (footers that held one could not be read as bounds)
        day = exp.TryCast(this=raw.copy(), to=exp.DataType.build("DATE"))
        out.append(exp.Not(this=exp.Between(this=day, low=literal(dt.date.min), high=literal(dt.date.max))))
    if f.low is not None and not (lo is not None and st.proves(lambda: lo >= f.low)):
        out.append(exp.LT(this=raw.copy(), expression=literal(f.low, f.type.kind)))
    if f.high is not None and not (hi is not None and st.proves(lambda: hi <= f.high)):
        out.append(exp.GT(this=raw.copy(), expression=literal(f.high, f.type.kind)))
    return out


def _typed(f: ir.FieldSchema, columns: set[str], stats: ColumnStats | None = None) -> exp.Expression:
    """A sure row's value as the field's type (sure rows only: see `_suspect`)."""
    raw = _raw(f, columns)
    kind = f.type.kind
    if kind is Kind.STRING:
        # an empty text is null; a required field's empty text made the row suspect already
        no_empty = f.required or (stats is not None and stats.proves(
            lambda: isinstance(stats.min, str) and stats.min != ""))
        v = raw if no_empty else exp.Nullif(this=raw, expression=exp.Literal.string(""))
    elif kind is Kind.ENUM:
        members = f.type.enum.members
        if all(m.value == m.name for m in members):
            v = raw                              # a sure row holds one of the values, or null
        else:
            v = exp.Case(this=raw, ifs=[exp.If(this=exp.Literal.string(m.value), true=exp.Literal.string(m.name))
                                        for m in members])
    elif kind is Kind.INT:
        v = exp.Cast(this=raw, to=exp.DataType.build("BIGINT"))
    elif kind is Kind.NUMBER:
        v = double(raw)
    elif kind is Kind.DATETIME:
        v = exp.Cast(this=raw, to=exp.DataType.build("TIMESTAMP"))
    else:
        v = raw
    if f.has_default and f.default is not None:
        v = exp.Coalesce(this=v, expressions=[literal(f.default, kind)])
    return exp.Cast(this=v, to=exp.DataType.build(_SQL[kind]))


_SQL = {Kind.INT: "BIGINT", Kind.NUMBER: "DOUBLE", Kind.BOOL: "BOOLEAN", Kind.STRING: "VARCHAR",
        Kind.ENUM: "VARCHAR", Kind.DATE: "DATE", Kind.DATETIME: "TIMESTAMP"}


class ParquetInput:
    """One input (a file, or the files a pattern names) as DuckDB views: `scan`
    (all rows, raw), then the typed rows.

    ORDER is a row's place in the whole input: the files one after the other in
    sorted order, as the Python reader meets them; a row's own number in its
    file is ORDER less the rows of the files before it."""

    def __init__(self, con, schema: ir.InputSchema, path, keyless: bool):
        self.con, self.schema, self.keyless = con, schema, keyless
        self.files = expand(path)
        footers = [pq.read_metadata(f) for f in self.files]      # each file's footer, read once
        counts = [m.num_rows for m in footers]
        self.offsets = [sum(counts[:i]) for i in range(len(counts))]
        self.num_rows = sum(counts)
        self.columns = set.intersection(*(set(m.schema.to_arrow_schema().names) for m in footers))
        self.scan = f"__segdsl_scan_{schema.name}"
        self.stats = {f.column: ColumnStats(footers, f.column) for f in schema.fields if f.column in self.columns}
        options = [exp.EQ(this=exp.column("file_row_number"), expression=exp.Boolean(this=True))]
        if len(self.files) > 1:
            options.append(exp.EQ(this=exp.column("filename"), expression=exp.Boolean(this=True)))
        source = exp.Anonymous(this="read_parquet", expressions=[
            exp.Array(expressions=[exp.Literal.string(f) for f in self.files]), *options])
        self.source = source.copy()
        order = exp.Add(this=exp.column("file_row_number"), expression=exp.Literal.number(1))
        if len(self.files) > 1:
            offset = exp.Case(this=exp.column("filename"), ifs=[
                exp.If(this=exp.Literal.string(f), true=exp.Literal.number(o))
                for f, o in zip(self.files, self.offsets)])
            order = exp.Add(this=order, expression=offset)
        # each check is null-safe: a null value is suspect only where a check says so
        conds = [exp.Coalesce(this=c, expressions=[exp.Boolean(this=False)])
                 for f in schema.fields
                 for c in _suspect(f, self.columns, self.stats.get(f.column))]
        suspect = exp.or_(*conds) if conds else exp.Boolean(this=False)
        scan = exp.select(exp.alias_(order, ident(ORDER)),
                          *[exp.alias_(_raw(f, self.columns), ident(f"__raw_{i}")) for i, f in enumerate(schema.fields)],
                          exp.alias_(suspect, ident(SUSPECT))).from_(exp.Table(this=source))
        con.execute(st.sql(st.create_view(self.scan, scan), "duckdb"))

    def typed_select(self, where: exp.Expression) -> exp.Select:
        cols = [exp.alias_(_typed(f, self.columns, self.stats.get(f.column)).transform(self._to_raw), ident(f.name))
                for f in self.schema.fields]
        cols.append(col(ORDER))
        if self.keyless:
            cols.insert(0, exp.alias_(col(ORDER), ident(ROW)))
        return exp.select(*cols).from_(exp.Table(this=ident(self.scan))).where(where)

    def _to_raw(self, node):
        """Typed expressions are written over data columns; in the scan they are `__raw_i`."""
        if isinstance(node, exp.Column) and node.table == "":
            name = node.name
            for i, f in enumerate(self.schema.fields):
                if f.column == name:
                    return col(f"__raw_{i}")
        return node

    def locate(self, order: int) -> tuple[int, str | None]:
        """A row's number in its file, and the file when the input has several."""
        if len(self.files) == 1:
            return order, None
        i = max(i for i, o in enumerate(self.offsets) if o < order)
        return order - self.offsets[i], self.files[i]

    def keys_distinct(self, key: str, cursor=None) -> bool:
        """Whether no key is null or repeated (read from the key column alone)."""
        f = next(f for f in self.schema.fields if f.name == key)
        if f.column not in self.columns:
            return False
        # not the scan view: a cursor of its own cannot see it
        query = exp.select(exp.EQ(this=exp.Count(this=exp.Star()),
                                  expression=exp.Count(this=exp.Distinct(expressions=[col(f.column)])))
                           ).from_(exp.Table(this=self.source.copy()))
        return bool((cursor or self.con).execute(st.sql(query, "duckdb")).fetchall()[0][0])

    def count_and_suspects(self, key: str | None) -> tuple[int, list[int], bool]:
        """Rows in the file, the row numbers SQL is not sure about, and whether the sure
        rows may repeat a key (all in one scan)."""
        sure = exp.Where(this=exp.Not(this=col(SUSPECT)))
        repeats: exp.Expression = exp.Boolean(this=False)
        if key is not None:
            i = next(i for i, f in enumerate(self.schema.fields) if f.name == key)
            repeats = exp.GT(this=exp.Filter(this=exp.Count(this=exp.Star()), expression=sure),
                             expression=exp.Filter(this=exp.Count(this=exp.Distinct(expressions=[col(f"__raw_{i}")])),
                                                   expression=sure.copy()))
        suspects = exp.Filter(this=exp.Anonymous(this="LIST", expressions=[
            exp.Order(this=col(ORDER), expressions=[exp.Ordered(this=col(ORDER), nulls_first=False)])]),
            expression=exp.Where(this=col(SUSPECT)))
        query = exp.select(exp.Count(this=exp.Star()), suspects, repeats).from_(st.table(self.scan))
        n, rows, repeated = self.con.execute(st.sql(query, "duckdb")).fetchall()[0]
        return n, rows or [], bool(repeated)

    def raw_rows(self, rows: set[int], batch_size: int) -> dict:
        """The rows as the Python reader gives them (for the validator and the quarantine file)."""
        return rows_at(self.files, self.offsets, self.num_rows, rows, batch_size)

    def lazy_raws(self, batch_size: int) -> LazyRaws:
        return LazyRaws(self.files, self.offsets, self.num_rows, batch_size)


def _sql(tree: exp.Expression) -> str:
    return st.sql(tree, "duckdb")


def _repeated_keys(source: str, key: str) -> exp.Select:
    """(ORDER, key, ORDER of the key's first row) of every row whose key an earlier row has."""
    first = exp.Window(this=exp.Min(this=col(ORDER)), partition_by=[col(key)])
    rows = exp.select(col(ORDER), col(key), exp.alias_(first, ident("first"))).from_(st.table(source))
    return (exp.select(col(ORDER), col(key), col("first")).from_(rows.subquery())
            .where(exp.GT(this=col(ORDER), expression=col("first"))).order_by(exp.Literal.number(1)))


def load(rows, inp: ParquetInput, table: str, arrow_schema, unique_key: str | None) -> bool:
    """Typed rows of one input into view `table`: SQL-sure rows plus the suspects Python accepts.

    Bad rows (and repeated keys of a customer input) go to the bad-row policy of `rows` (InputRows)
    in row order, exactly as the Python reader would meet them. Returns whether the
    rows may no longer be in file order (a suspect rescued, a repeated key dropped)."""
    con, schema = inp.con, inp.schema
    count, suspects, repeats = inp.count_and_suspects(unique_key)
    rows.summary.read[schema.name] = rows.summary.read.get(schema.name, 0) + count
    raws = inp.raw_rows(set(suspects), rows.opts.batch_size)
    validator = RowValidator(schema, date_format=rows.opts.date_format)
    rescued, bad = [], []
    for row in suspects:
        raw = raws[row]
        if raw.problem:
            bad.append((row, raw, raw.problem))
            continue
        rec, reason = validator.convert(raw)
        if reason is not None:
            bad.append((row, raw, reason))
        else:
            rescued.append((raw, rec))
    cols = {f.name: [r[f.name] for _, r in rescued] for f in schema.fields}
    cols[ORDER] = [raw.order for raw, _ in rescued]
    if inp.keyless:
        cols[ROW] = [raw.row for raw, _ in rescued]
    rescued_name = f"__segdsl_rescued_{schema.name}"
    con.register(rescued_name, pa.Table.from_pydict(cols, schema=arrow_schema))
    names = [col(n) for n in arrow_schema.names]
    sure = exp.select(*names).from_(inp.typed_select(exp.Not(this=col(SUSPECT))).subquery())
    source = f"__segdsl_all_{schema.name}"
    con.execute(_sql(st.create_view(source, exp.union(
        sure, exp.select(*[n.copy() for n in names]).from_(st.table(rescued_name)), distinct=False))))
    dups = []
    if unique_key is not None and (repeats or rescued):
        dups = con.execute(_sql(_repeated_keys(source, unique_key))).fetchall()
        if dups:
            dup_raws = inp.raw_rows({d[0] for d in dups}, rows.opts.batch_size)
            for row, key, first in dups:
                bad.append((row, dup_raws[row], repeated_key(schema, key, *inp.locate(first))))
            dup_table = f"__segdsl_dups_{schema.name}"
            con.register(dup_table, pa.table({ORDER: pa.array([d[0] for d in dups], pa.int64())}))
            con.execute(_sql(st.create_view(table, st.select_all(
                source, st.column_in(ORDER, dup_table, ORDER, negate=True)))))
        else:
            con.execute(_sql(st.create_view(table, st.select_all(source))))
    else:
        con.execute(_sql(st.create_view(table, st.select_all(source))))
    for row, raw, reason in sorted(bad, key=lambda b: b[0]):
        rows.bad.add(schema.name, raw, reason)
    # rows added after the scan's, or an anti-join (which need not keep the order): sort back
    return bool(rescued or dups)
