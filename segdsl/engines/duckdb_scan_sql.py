"""The SQL of a Parquet scan (engines/duckdb_scan.py) as sqlglot trees: which
rows SQL is not sure about, their typed values, and the queries over the scan.

Apart from duckdb_scan.py so that a run whose texts come from the cache
(engines/sql_cache.py) does not import sqlglot. Every builder takes what the
scan knows (`ParquetInput`: its files, their columns, what the footers prove)
and nothing else, which is what the cached texts are filed under.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from sqlglot import exp

from .. import ir
from ..backends.dialects import sql_type
from ..backends.sql import ORDER, ROW, col, double, ident, literal, without_missing
from ..types import Kind
from . import statements as st
from .column_types import sure_enum_values

if TYPE_CHECKING:
    from .duckdb_scan import ColumnStats, ParquetInput

SUSPECT = "__segdsl_suspect"


def sql(tree: exp.Expression) -> str:
    return st.sql(tree, "duckdb")


def _raw(f: ir.FieldSchema, columns: set[str]) -> exp.Expression:
    return without_missing(f, col(f.column)) if f.column in columns else exp.Null()


def _suspect(f: ir.FieldSchema, columns: set[str], stats: ColumnStats | None = None) -> list[exp.Expression]:
    """Conditions under which SQL is not sure how Python would read the value
    (less those the Parquet footers prove false for every row)."""
    raw = _raw(f, columns)
    # footers count nulls and bound values as written: a `missing` value is neither
    st = stats if stats is not None and f.column in columns and not f.missing else None
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
        values = [exp.Literal.string(v) for v in sure_enum_values(f)]
        out.append(exp.Not(this=exp.In(this=raw.copy(), expressions=values)) if values     # null: no check (coalesced)
                   else exp.Not(this=exp.Is(this=raw.copy(), expression=exp.Null())))
    if f.type.kind is Kind.NUMBER:
        out.append(exp.Anonymous(this="isnan", expressions=[double(raw.copy())]))
        if not (lo is not None and st.proves(lambda: math.isfinite(lo) and math.isfinite(hi))):
            out.append(exp.Anonymous(this="isinf", expressions=[double(raw.copy())]))
    if f.type.kind in (Kind.DATE, Kind.DATETIME) and lo is None:
        # a date outside years 1 to 9999 (footers that held one could not be read as bounds)
        day = exp.TryCast(this=raw.copy(), to=sql_type("DATE"))
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
        no_empty = f.required or (stats is not None and not f.missing and stats.proves(
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
        v = exp.Cast(this=raw, to=sql_type("BIGINT"))
    elif kind is Kind.NUMBER:
        v = double(raw)
    elif kind is Kind.DATETIME:
        v = exp.Cast(this=raw, to=sql_type("TIMESTAMP"))
    else:
        v = raw
    if f.has_default and f.default is not None:
        v = exp.Coalesce(this=v, expressions=[literal(f.default, kind)])
    return exp.Cast(this=v, to=sql_type(_SQL[kind]))


_SQL = {Kind.INT: "BIGINT", Kind.NUMBER: "DOUBLE", Kind.BOOL: "BOOLEAN", Kind.STRING: "VARCHAR",
        Kind.ENUM: "VARCHAR", Kind.DATE: "DATE", Kind.DATETIME: "TIMESTAMP"}



def source(inp: "ParquetInput") -> exp.Expression:
    """read_parquet of the input's files, with each row's number in its file (and the file)."""
    options = [exp.EQ(this=exp.column("file_row_number"), expression=exp.Boolean(this=True))]
    if len(inp.files) > 1:
        options.append(exp.EQ(this=exp.column("filename"), expression=exp.Boolean(this=True)))
    return exp.Anonymous(this="read_parquet", expressions=[
        exp.Array(expressions=[exp.Literal.string(f) for f in inp.files]), *options])


def create_scan(inp: "ParquetInput") -> str:
    """CREATE VIEW of the scan: every row raw, its ORDER, and whether it is suspect."""
    schema = inp.schema
    order = exp.Add(this=exp.column("file_row_number"), expression=exp.Literal.number(1))
    if len(inp.files) > 1:
        offset = exp.Case(this=exp.column("filename"), ifs=[
            exp.If(this=exp.Literal.string(f), true=exp.Literal.number(o))
            for f, o in zip(inp.files, inp.offsets)])
        order = exp.Add(this=order, expression=offset)
    # each check is null-safe: a null value is suspect only where a check says so
    conds = [exp.Coalesce(this=c, expressions=[exp.Boolean(this=False)])
             for f in schema.fields
             for c in _suspect(f, inp.columns, inp.stats.get(f.column))]
    suspect = exp.or_(*conds) if conds else exp.Boolean(this=False)
    scan = exp.select(exp.alias_(order, ident(ORDER)),
                      *[exp.alias_(_raw(f, inp.columns), ident(f"__raw_{i}")) for i, f in enumerate(schema.fields)],
                      exp.alias_(suspect, ident(SUSPECT))).from_(exp.Table(this=source(inp)))
    return sql(st.create_view(inp.scan, scan))


def typed_select(inp: "ParquetInput", where: exp.Expression | None) -> exp.Select:
    """The typed rows of the scan that `where` keeps (every row without it)."""
    schema = inp.schema

    def to_raw(node):
        """Typed expressions are written over data columns; in the scan they are `__raw_i`."""
        if isinstance(node, exp.Column) and node.table == "":
            name = node.name
            for i, f in enumerate(schema.fields):
                if f.column == name:
                    return col(f"__raw_{i}")
        return node

    cols = [exp.alias_(_typed(f, inp.columns, inp.stats.get(f.column)).transform(to_raw), ident(f.name))
            for f in schema.fields]
    cols.append(col(ORDER))
    if inp.keyless:
        cols.insert(0, exp.alias_(col(ORDER), ident(ROW)))
    select = exp.select(*cols).from_(exp.Table(this=ident(inp.scan)))
    return select.where(where) if where is not None else select


def create_sure_view(inp: "ParquetInput", view: str) -> str:
    """CREATE VIEW `view` of the typed rows SQL is sure about."""
    return sql(st.create_view(view, typed_select(inp, exp.Not(this=col(SUSPECT)))))


def create_every_row_view(inp: "ParquetInput", view: str) -> str:
    """CREATE VIEW `view` of every row typed as if SQL were sure about it: what population values
    are computed from in a pass that starts again unless every row is sure (duckdb.py)."""
    return sql(st.create_view(view, typed_select(inp, None)))


def keys_distinct(inp: "ParquetInput", column: str) -> str:
    """Whether no key is null or repeated, from the key column alone (not the scan view: a
    cursor of its own cannot see it)."""
    query = exp.select(exp.EQ(this=exp.Count(this=exp.Star()),
                              expression=exp.Count(this=exp.Distinct(expressions=[col(column)])))
                       ).from_(exp.Table(this=source(inp)))
    return sql(query)


def count_and_suspects(inp: "ParquetInput", key: str | None) -> str:
    """Rows in the file, the ORDER of the rows SQL is not sure about, and whether the sure rows
    may repeat a key (all in one scan)."""
    sure = exp.Where(this=exp.Not(this=col(SUSPECT)))
    repeats: exp.Expression = exp.Boolean(this=False)
    if key is not None:
        i = next(i for i, f in enumerate(inp.schema.fields) if f.name == key)
        repeats = exp.GT(this=exp.Filter(this=exp.Count(this=exp.Star()), expression=sure),
                         expression=exp.Filter(this=exp.Count(this=exp.Distinct(expressions=[col(f"__raw_{i}")])),
                                               expression=sure.copy()))
    suspects = exp.Filter(this=exp.Anonymous(this="LIST", expressions=[
        exp.Order(this=col(ORDER), expressions=[exp.Ordered(this=col(ORDER), nulls_first=False)])]),
        expression=exp.Where(this=col(SUSPECT)))
    return sql(exp.select(exp.Count(this=exp.Star()), suspects, repeats).from_(st.table(inp.scan)))



def _repeated_keys(source: str, key: str) -> exp.Select:
    """(ORDER, key, ORDER of the key's first row) of every row whose key an earlier row has."""
    first = exp.Window(this=exp.Min(this=col(ORDER)), partition_by=[col(key)])
    rows = exp.select(col(ORDER), col(key), exp.alias_(first, ident("first"))).from_(st.table(source))
    return (exp.select(col(ORDER), col(key), col("first")).from_(rows.subquery())
            .where(exp.GT(this=col(ORDER), expression=col("first"))).order_by(exp.Literal.number(1)))



def all_rows(inp: "ParquetInput", source_view: str, rescued: str, names: list[str]) -> str:
    """CREATE VIEW `source_view`: the sure typed rows and the rescued ones (table `rescued`)."""
    cols = [col(n) for n in names]
    sure = exp.select(*cols).from_(typed_select(inp, exp.Not(this=col(SUSPECT))).subquery())
    return sql(st.create_view(source_view, exp.union(
        sure, exp.select(*[n.copy() for n in cols]).from_(st.table(rescued)), distinct=False)))


def repeated_keys(source_view: str, key: str) -> str:
    return sql(_repeated_keys(source_view, key))


def view_of_all(view: str, source_view: str, without: str | None = None) -> str:
    """CREATE VIEW `view` of every row of `source_view` (but those whose ORDER table `without` holds)."""
    where = st.column_in(ORDER, without, ORDER, negate=True) if without is not None else None
    return sql(st.create_view(view, st.select_all(source_view, where)))
