"""CSV files read by DuckDB itself, for clean data: the DuckDB engine's fast
path for text input.

The shared Python reader costs microseconds per cell; DuckDB's CSV reader
costs nanoseconds. But the two must never disagree, and DuckDB's reader has
no row numbers and its own ways with malformed rows. So DuckDB only reads
what both readers read alike, and the SQL types a cell only where the text
is one the Python validator reads the same way (`io/validate.py`): `-12` for
an int, `3.25` for a number, `true`/`No`/`1` for a bool, `2026-11-01` for a date, an
enum's data value exactly, blank text as null. Anything else in any row (a padded value, `1e3`,
`Yes`, a missing required value, a value out of range, a ragged row, bad
quoting) makes the query fail on purpose (`error()`), and the run starts
again on the shared reader, which reports bad rows with their numbers. A
repeated key or a `unique` conflict does the same. On clean data, the usual
case in a pipeline, one query is the whole run.

Used for a customer input without related inputs or population values, in
UTF-8, with a key (a keyless input numbers its customers by row), without
null spellings, date formats or kept columns, and with the same header in
every file.
"""
from __future__ import annotations

import csv

from sqlglot import exp

from .. import ir
from ..backends.sql import ORDER, ident, literal
from ..io.readers import columns as file_columns
from ..io.readers import _delimiter, detect_format, expand
from ..types import Kind

UNSURE = "segdsl: a row the shared reader must read"
# Python's csv module refuses longer cells (csv.field_size_limit()); DuckDB would not
_CELL_LIMIT = csv.field_size_limit()


def eligible(rs: ir.Ruleset, opts) -> bool:
    if (opts.null_values or opts.keep or opts.date_format or rs.related or rs.population
            or rs.customer is None or not rs.customer.key):
        return False
    if opts.encoding.lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
        return False
    try:
        files = expand(opts.inputs[rs.customer.name])
        return all(detect_format(f) in ("csv", "tsv") for f in files)
    except Exception:  # noqa: BLE001 - let the shared reader report it
        return False


class CsvInput:
    """The customer input's CSV files as one DuckDB view of typed rows."""

    def __init__(self, schema: ir.InputSchema, pattern, delimiter: str | None):
        self.schema = schema
        self.files = expand(pattern)
        kinds = {detect_format(f) for f in self.files}
        self.sep = _delimiter(delimiter, "\t" if kinds == {"tsv"} else ",", self.files[0])
        headers = [file_columns(f, delimiter=self.sep) for f in self.files]
        self.header = headers[0]
        # DuckDB takes the first line as the header; the shared reader, the first line
        # that is not blank: only files that start with their header are read alike
        self.ok = (len(kinds) == 1 and all(h == self.header for h in headers)
                   and len(set(self.header)) == len(self.header)
                   and not any("\n" in c or "\r" in c for c in self.header)
                   and all(_starts_with_text(f) for f in self.files))

    def select(self) -> str:
        """Typed rows with the key first; any row that is not sure stops the query."""
        position = {name: i for i, name in enumerate(self.header)}
        names = [f"c{i}" for i in range(len(self.header))]
        source = exp.Anonymous(this="read_csv", expressions=[
            exp.Array(expressions=[exp.Literal.string(f) for f in self.files]),
            _opt("header", exp.Boolean(this=True)),
            _opt("auto_detect", exp.Boolean(this=False)),
            _opt("columns", exp.Struct(expressions=[
                exp.PropertyEQ(this=ident(n), expression=exp.Literal.string("VARCHAR")) for n in names])),
            _opt("delim", exp.Literal.string(self.sep)),
            _opt("quote", exp.Literal.string('"')),
            _opt("escape", exp.Literal.string('"')),
            _opt("strict_mode", exp.Boolean(this=True)),
        ])
        sure, typed = [], {}
        for f in self.schema.fields:
            i = position.get(f.column)
            raw = exp.column(names[i]) if i is not None else exp.Null()
            ok, value = _read(f, raw)
            sure.append(exp.Coalesce(this=ok, expressions=[exp.Boolean(this=False)]))
            typed[f.name] = value
        all_sure = exp.and_(*sure) if sure else exp.Boolean(this=True)
        key = self.schema.key
        cols = []
        for f in self.schema.fields:
            v = typed[f.name]
            if f.name == key:     # the key is in every output row: the check cannot be skipped
                v = exp.Case(ifs=[exp.If(this=all_sure, true=v)],
                             default=exp.Cast(this=exp.Anonymous(this="error", expressions=[
                                 exp.Literal.string(UNSURE)]), to=exp.DataType.build(_SQL[f.type.kind])))
            cols.append(exp.alias_(v, ident(f.name)))
        cols.append(exp.alias_(exp.Literal.number(0), ident(ORDER)))
        return exp.select(*cols).from_(exp.Table(this=source)).sql("duckdb")


def _starts_with_text(path: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return bool(head) and head[:1] not in (b"\n", b"\r")


def _opt(name: str, value: exp.Expression) -> exp.Expression:
    return exp.EQ(this=exp.column(name), expression=value)


def _match(raw: exp.Expression, pattern: str) -> exp.Expression:
    return exp.Anonymous(this="regexp_full_match", expressions=[raw.copy(), exp.Literal.string(pattern)])


def _cast(raw: exp.Expression, kind: Kind) -> exp.Expression:
    return exp.TryCast(this=raw.copy(), to=exp.DataType.build(_SQL[kind]))


_SQL = {Kind.INT: "BIGINT", Kind.NUMBER: "DOUBLE", Kind.BOOL: "BOOLEAN", Kind.STRING: "VARCHAR",
        Kind.ENUM: "VARCHAR", Kind.DATE: "DATE", Kind.DATETIME: "TIMESTAMP"}


def _read(f: ir.FieldSchema, raw: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
    """(the cell is read alike by DuckDB and io/validate.py, its typed value)."""
    kind = f.type.kind
    if kind is not Kind.STRING:
        # blank text is null for every type but string (the shared reader strips; here only
        # spaces and tabs count, anything else stays text and fails its format below)
        raw = exp.Case(ifs=[exp.If(this=_match(raw, r"[ \t]*"), true=exp.Null())], default=raw)
    if kind is Kind.STRING:
        fmt, value = exp.Boolean(this=True), raw.copy()
    elif kind is Kind.INT:
        fmt, value = _match(raw, r"-?[0-9]{1,18}"), _cast(raw, kind)
    elif kind is Kind.NUMBER:
        # plain decimals, both readers round them to the nearest double; not -0 (its sign)
        fmt = exp.and_(_match(raw, r"-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,15})?"),
                       exp.Not(this=_match(raw, r"-0(\.0*)?")))
        value = _cast(raw, kind)
    elif kind is Kind.BOOL:
        low = exp.Lower(this=raw.copy())
        fmt = exp.In(this=low, expressions=[exp.Literal.string(t) for t in ("true", "false", "yes", "no", "1", "0")])
        value = exp.In(this=low.copy(), expressions=[exp.Literal.string(t) for t in ("true", "yes", "1")])
    elif kind is Kind.DATE:
        fmt = exp.and_(_match(raw, r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
                       exp.GTE(this=raw.copy(), expression=exp.Literal.string("0001")),
                       exp.Not(this=exp.Is(this=_cast(raw, kind), expression=exp.Null())))
        value = _cast(raw, kind)
    elif kind is Kind.DATETIME:
        fmt = exp.and_(_match(raw, r"[0-9]{4}-[0-9]{2}-[0-9]{2}( ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])?"),
                       exp.GTE(this=raw.copy(), expression=exp.Literal.string("0001")),
                       exp.Not(this=exp.Is(this=_cast(raw, kind), expression=exp.Null())))
        value = _cast(raw, kind)
    else:   # enum: the data value exactly (the shared reader trims first, so only trimmed values)
        members = [m for m in f.type.enum.members if m.value and m.value == m.value.strip()]
        fmt = exp.In(this=raw.copy(), expressions=[exp.Literal.string(m.value) for m in members]) \
            if members else exp.Boolean(this=False)
        value = exp.Case(this=raw.copy(), ifs=[exp.If(this=exp.Literal.string(m.value),
                                                      true=exp.Literal.string(m.name)) for m in members]) \
            if members else exp.Null()
    fmt = exp.and_(fmt, exp.LTE(this=exp.Length(this=raw.copy()), expression=exp.Literal.number(_CELL_LIMIT)))
    checks = [fmt]
    if f.low is not None:
        checks.append(exp.GTE(this=value.copy(), expression=literal(f.low, kind)))
    if f.high is not None:
        checks.append(exp.LTE(this=value.copy(), expression=literal(f.high, kind)))
    present = exp.and_(*checks)
    is_null = exp.Is(this=raw.copy(), expression=exp.Null())
    if f.required:
        ok = exp.and_(exp.Not(this=is_null), present)
    else:
        ok = exp.or_(is_null, present)
    if f.has_default and f.default is not None:
        value = exp.Coalesce(this=value, expressions=[literal(f.default, kind)])
    return ok, exp.Cast(this=value, to=exp.DataType.build(_SQL[kind]))
