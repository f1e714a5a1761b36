"""The SQL of a clean CSV or JSON Lines input read by DuckDB (engines/duckdb_text.py
says which inputs and why): a view of typed rows that stops its query on any row DuckDB
and the shared reader might read differently, and a check that no key repeats.

Built on a miss of the SQL cache only: a warm run finds these texts there.
"""
from __future__ import annotations

from sqlglot import exp

from .. import ir
from ..backends.dialects import sql_type
from ..backends.sql import ORDER, ident, literal
from ..io.readers import CELL_LIMIT
from ..types import Kind
from . import statements as st
from .column_types import sure_enum_values
from .duckdb_text import CsvInput, JsonlInput

UNSURE = "segdsl: a row the shared reader must read"
# the shared reader's cell limit, the one every engine keeps: a longer cell goes to it
_CELL_LIMIT = CELL_LIMIT


def texts(inp: CsvInput | JsonlInput, view: str) -> tuple[str, str, str]:
    """(create the view `view` of typed rows with the key first, check that no key repeats,
    drop the view), rendered for DuckDB."""
    key_check, rows = _jsonl_select(inp) if isinstance(inp, JsonlInput) else _csv_select(inp)
    return (st.sql(st.create_view(view, rows), "duckdb"), st.sql(key_check, "duckdb"),
            st.sql(st.drop_view(view), "duckdb"))


def _csv_select(inp: CsvInput) -> tuple[exp.Select, exp.Select]:
    """(the key check, the typed rows with the key first: any row that is not sure stops the query)."""
    position = {name: i for i, name in enumerate(inp.header)}
    names = [f"c{i}" for i in range(len(inp.header))]
    source = exp.Anonymous(this="read_csv", expressions=[
        exp.Array(expressions=[exp.Literal.string(f) for f in inp.files]),
        _opt("header", exp.Boolean(this=True)),
        _opt("auto_detect", exp.Boolean(this=False)),
        _opt("columns", exp.Struct(expressions=[
            exp.PropertyEQ(this=ident(n), expression=exp.Literal.string("VARCHAR")) for n in names])),
        _opt("delim", exp.Literal.string(inp.sep)),
        _opt("quote", exp.Literal.string('"')),
        _opt("escape", exp.Literal.string('"')),
        _opt("strict_mode", exp.Boolean(this=True)),
    ])
    cells = []
    for f in inp.schema.fields:
        i = position.get(f.column)
        # an empty cell, quoted or not, is null to DuckDB's reader as to the shared one; a
        # cell of spaces (null to the shared reader for every type but string) fails its
        # format below and goes to the shared reader: rare, and trimming every cell to
        # find it cost more than the whole rest of the checks
        cells.append({"r": exp.column(names[i]) if i is not None else exp.Null()})
    key_check = _key_check(source, exp.column(names[position[inp.key_column]])
                           if inp.key_column in position else exp.Null())
    return key_check, _typed_rows(inp.schema, source, cells,
                                  lambda n, f: _read(f, exp.column(f"r{n}"), exp.column(f"v{n}"),
                                                     canonical=f.name == inp.schema.key))


def _jsonl_select(inp: JsonlInput) -> tuple[exp.Select, exp.Select]:
    """(the key check, the typed rows with the key first: any row that is not sure stops the query)."""
    columns = list(dict.fromkeys(f.column for f in inp.schema.fields))
    names = {c: f"c{i}" for i, c in enumerate(columns)}
    source = exp.Anonymous(this="read_json", expressions=[
        exp.Array(expressions=[exp.Literal.string(f) for f in inp.files]),
        _opt("format", exp.Literal.string("newline_delimited")),
        _opt("columns", exp.Struct(expressions=[
            exp.PropertyEQ(this=ident(c), expression=exp.Literal.string("JSON")) for c in columns])),
    ])
    renamed = exp.select(*[exp.alias_(exp.column(ident(c)), ident(names[c])) for c in columns]) \
        .from_(exp.Table(this=source))
    cells = []
    for f in inp.schema.fields:
        j = exp.column(names[f.column])
        cells.append({"r": j, "t": exp.Anonymous(this="json_type", expressions=[j.copy()]),
                      "s": exp.JSONExtractScalar(this=j.copy(), expression=exp.Literal.string("$"))})
    key = exp.column(names[next(f.column for f in inp.schema.fields if f.name == inp.schema.key)])
    as_text = exp.Case(ifs=[exp.If(this=exp.EQ(this=exp.Anonymous(this="json_type", expressions=[key.copy()]),
                                               expression=exp.Literal.string("VARCHAR")),
                                   true=exp.JSONExtractScalar(this=key.copy(), expression=exp.Literal.string("$")))],
                       default=_text(key))
    key_check = _key_check(renamed.subquery("cells_in"), as_text)
    return key_check, _typed_rows(inp.schema, renamed.subquery("cells_in"), cells,
                                  lambda n, f: _read_json(f, exp.column(f"r{n}"), exp.column(f"t{n}"),
                                                          exp.column(f"s{n}"), exp.column(f"v{n}")))


def _key_check(source: exp.Expression, key: exp.Expression) -> exp.Select:
    """Whether no key repeats, from the key column alone. On the clean path every key is
    in its own form, so distinct texts are distinct keys."""
    src = source if isinstance(source, exp.Subquery) else exp.Table(this=source)
    return exp.select(exp.EQ(this=exp.Count(this=exp.Star()),
                             expression=exp.Count(this=exp.Distinct(expressions=[key])))).from_(src.copy())


def _typed_rows(schema: ir.InputSchema, source: exp.Expression, cells: list[dict], read) -> exp.Select:
    """Three steps, so each cell is cleaned once and cast once: the cells (`cells[n]`:
    alias letter → expression over `source`), their typed values, then the check, folded
    into the key: a row not every field is sure about stops the query."""
    step1_cols, values, sure, out = [], [], [], []
    for n, f in enumerate(schema.fields):
        for letter, e in cells[n].items():
            step1_cols.append(exp.alias_(e, ident(f"{letter}{n}")))
        ok, value = read(n, f)
        values.append(exp.alias_(value, ident(f"v{n}")))
        sure.append(exp.Coalesce(this=ok, expressions=[exp.Boolean(this=False)]))
    all_sure = exp.and_(*sure) if sure else exp.Boolean(this=True)
    for n, f in enumerate(schema.fields):
        v = exp.column(f"v{n}")
        if f.has_default and f.default is not None:
            v = exp.Coalesce(this=v, expressions=[literal(f.default, f.type.kind)])
        if f.name == schema.key:     # in every output row: the check cannot be skipped
            v = exp.Case(ifs=[exp.If(this=all_sure, true=v)],
                         default=exp.Cast(this=exp.Anonymous(this="error", expressions=[
                             exp.Literal.string(UNSURE)]), to=sql_type(_SQL[f.type.kind])))
        out.append(exp.alias_(v, ident(f.name)))
    out.append(exp.alias_(exp.Literal.number(0), ident(ORDER)))
    step1 = exp.select(*step1_cols).from_(source if isinstance(source, exp.Subquery) else exp.Table(this=source))
    step2 = exp.select(exp.Star(), *values).from_(step1.subquery("cells"))
    return exp.select(*out).from_(step2.subquery("typed"))


def _opt(name: str, value: exp.Expression) -> exp.Expression:
    return exp.EQ(this=exp.column(name), expression=value)


def _finite(e: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="isfinite", expressions=[e.copy()])


def _text(e: exp.Expression) -> exp.Expression:
    return exp.Cast(this=e.copy(), to=sql_type("VARCHAR"))


def _cast(raw: exp.Expression, kind: Kind) -> exp.Expression:
    return exp.TryCast(this=raw.copy(), to=sql_type(_SQL[kind]))


_DECIMAL = r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?"

_SQL = {Kind.INT: "BIGINT", Kind.NUMBER: "DOUBLE", Kind.BOOL: "BOOLEAN", Kind.STRING: "VARCHAR",
        Kind.ENUM: "VARCHAR", Kind.DATE: "DATE", Kind.DATETIME: "TIMESTAMP"}


def _read(f: ir.FieldSchema, raw: exp.Expression, typed: exp.Expression,
          canonical: bool = False) -> tuple[exp.Expression, exp.Expression]:
    """(whether `raw` is read alike by DuckDB and io/validate.py, given `typed`, its typed
    value before any default; that typed value, from `raw`). `canonical`: only the value's
    own text (a key, whose distinct texts must be distinct values)."""
    kind = f.type.kind
    if kind is Kind.STRING:
        # the only unbounded cells: the shared reader refuses very long ones
        fmt = exp.LTE(this=exp.Length(this=raw.copy()), expression=exp.Literal.number(_CELL_LIMIT))
        value = raw.copy()
    elif kind is Kind.INT:
        # the text is the integer's own decimal form: no sign, spaces, zeros or exponent to read
        value = _cast(raw, kind)
        fmt = exp.EQ(this=raw.copy(), expression=_text(typed))
    elif kind is Kind.NUMBER:
        # a plain decimal (`-12`, `3.25`, `1.5e3`): DuckDB and Python's float() both round it
        # correctly, so to the same double (matching it is half the cost of printing the
        # double back); an overflow to infinity is a bad number to the validator
        value = _cast(raw, kind)
        fmt = exp.and_(exp.Anonymous(this="regexp_full_match", expressions=[
            raw.copy(), exp.Literal.string(_DECIMAL)]), _finite(typed))
        if canonical:       # the double's shortest form, or a whole number's integer form
            whole = exp.and_(exp.EQ(this=typed.copy(), expression=exp.Anonymous(this="trunc", expressions=[typed.copy()])),
                             exp.LT(this=exp.Abs(this=typed.copy()), expression=exp.Literal.number(2 ** 53)))
            fmt = exp.and_(fmt, exp.or_(exp.EQ(this=raw.copy(), expression=_text(typed)),
                                        exp.and_(whole, exp.EQ(this=raw.copy(), expression=_text(
                                            exp.Cast(this=typed.copy(), to=sql_type("BIGINT")))))))
    elif kind is Kind.BOOL:
        low = exp.Lower(this=raw.copy())
        fmt = exp.In(this=low, expressions=[exp.Literal.string(t) for t in ("true", "false", "yes", "no", "1", "0")])
        value = exp.In(this=low.copy(), expressions=[exp.Literal.string(t) for t in ("true", "yes", "1")])
    elif kind is Kind.DATE:
        value = _cast(raw, kind)
        # YYYY-MM-DD itself, years 1 to 9999 as Python has them (DuckDB also has 10000 and BC)
        fmt = exp.and_(exp.EQ(this=raw.copy(), expression=_text(typed)),
                       exp.EQ(this=exp.Length(this=raw.copy()), expression=exp.Literal.number(10)),
                       exp.GTE(this=raw.copy(), expression=exp.Literal.string("0001")))
    elif kind is Kind.DATETIME:
        value = _cast(raw, kind)
        as_date = exp.Cast(this=typed.copy(), to=sql_type("DATE"))
        fmt = exp.and_(exp.or_(exp.EQ(this=raw.copy(), expression=_text(typed)),   # YYYY-MM-DD HH:MM:SS[.f]
                               exp.and_(exp.EQ(this=raw.copy(), expression=_text(as_date)),   # a date: midnight
                                        exp.EQ(this=typed.copy(), expression=as_date.copy()))),
                       exp.Anonymous(this="regexp_full_match", expressions=[
                           raw.copy(), exp.Literal.string(r"[0-9]{4}-[0-9 :.-]*")]),   # years 1-9999, no BC
                       exp.GTE(this=raw.copy(), expression=exp.Literal.string("0001")))
    else:   # enum: the data value exactly (the shared reader trims first, so only trimmed values)
        sure = set(sure_enum_values(f))
        members = [m for m in f.type.enum.members if m.value in sure]
        fmt = exp.In(this=raw.copy(), expressions=[exp.Literal.string(m.value) for m in members]) \
            if members else exp.Boolean(this=False)
        if not members:
            value = exp.Null()
        elif all(m.value == m.name for m in f.type.enum.members):
            value = raw.copy()          # a sure value is one of the members, named by itself
        else:
            value = exp.Case(this=raw.copy(), ifs=[exp.If(this=exp.Literal.string(m.value),
                                                          true=exp.Literal.string(m.name)) for m in members])
    checks = [fmt]
    if f.low is not None:
        checks.append(exp.GTE(this=typed.copy(), expression=literal(f.low, kind)))
    if f.high is not None:
        checks.append(exp.LTE(this=typed.copy(), expression=literal(f.high, kind)))
    present = exp.and_(*checks)
    is_null = exp.Is(this=raw.copy(), expression=exp.Null())
    ok = exp.and_(exp.Not(this=exp.Paren(this=is_null)), present) if f.required else exp.or_(is_null, present)
    return ok, exp.Cast(this=value, to=sql_type(_SQL[kind]))     # the default comes last


_JSON_INTS = ("UBIGINT", "BIGINT")


def _read_json(f: ir.FieldSchema, j: exp.Expression, t: exp.Expression, s: exp.Expression,
               typed: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
    """`_read` for a JSON value `j` (`t`: its json_type, `s`: its text when a string).

    Typed JSON values are sure where io/validate.py takes them as they are: an
    integer for an int, string (its decimal text) or number field; a number in
    its shortest form for a number; true/false for a bool. Text is sure where
    `_read` says so for the same text in a CSV cell."""
    kind = f.type.kind
    is_text = exp.EQ(this=t.copy(), expression=exp.Literal.string("VARCHAR"))
    is_int = exp.In(this=t.copy(), expressions=[exp.Literal.string(x) for x in _JSON_INTS])
    json_text = _text(j)

    def canonical(value: exp.Expression) -> exp.Expression:
        return exp.EQ(this=json_text.copy(), expression=_text(value))

    if kind is Kind.STRING:
        empty = exp.and_(is_text.copy(), exp.EQ(this=s.copy(), expression=exp.Literal.string("")))
        is_null = exp.or_(exp.Is(this=j.copy(), expression=exp.Null()), empty)
        fmt = exp.or_(exp.and_(is_text.copy(), exp.LTE(this=exp.Length(this=s.copy()),
                                                       expression=exp.Literal.number(_CELL_LIMIT))),
                      exp.and_(is_int.copy(), canonical(exp.TryCast(this=j.copy(), to=sql_type("HUGEINT")))))
        value = exp.Case(ifs=[exp.If(this=is_text.copy(), true=exp.Nullif(this=s.copy(), expression=exp.Literal.string("")))],
                         default=json_text.copy())
        value = exp.Cast(this=value, to=sql_type("VARCHAR"))
        return _null_or(f, is_null, fmt, typed, value)
    blank = exp.and_(is_text.copy(), exp.EQ(this=exp.Trim(this=s.copy(), expression=exp.Literal.string(" \t")),
                                            expression=exp.Literal.string("")))
    is_null = exp.or_(exp.Is(this=j.copy(), expression=exp.Null()), blank)
    if kind is Kind.INT:
        fmt = exp.and_(is_int, canonical(typed))
        value = _cast(j, kind)
    elif kind is Kind.NUMBER:
        whole = exp.and_(exp.EQ(this=typed.copy(), expression=exp.Anonymous(this="trunc", expressions=[typed.copy()])),
                         exp.LT(this=exp.Abs(this=typed.copy()), expression=exp.Literal.number(2 ** 53)))
        fmt = exp.and_(exp.In(this=t.copy(), expressions=[exp.Literal.string(x) for x in (*_JSON_INTS, "DOUBLE")]),
                       _finite(typed),
                       exp.or_(canonical(typed), exp.and_(whole, canonical(
                           exp.Cast(this=typed.copy(), to=sql_type("BIGINT"))))))
        value = _cast(j, kind)
    elif kind is Kind.BOOL:
        fmt = exp.EQ(this=t.copy(), expression=exp.Literal.string("BOOLEAN"))
        value = _cast(j, kind)
    else:   # date, datetime, enum: text, read as in a CSV cell
        text = exp.Case(ifs=[exp.If(this=is_text.copy(), true=s.copy())], default=exp.Null())
        ok, value = _read(f, text, typed)
        return exp.and_(exp.or_(is_null.copy(), is_text.copy()), ok), value
    return _null_or(f, is_null, fmt, typed, exp.Cast(this=value, to=sql_type(_SQL[kind])))


def _null_or(f: ir.FieldSchema, is_null: exp.Expression, fmt: exp.Expression, typed: exp.Expression,
             value: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
    checks = [fmt]
    if f.low is not None:
        checks.append(exp.GTE(this=typed.copy(), expression=literal(f.low, f.type.kind)))
    if f.high is not None:
        checks.append(exp.LTE(this=typed.copy(), expression=literal(f.high, f.type.kind)))
    present = exp.and_(*checks)
    ok = exp.and_(exp.Not(this=exp.Paren(this=is_null)), present) if f.required else exp.or_(is_null, present)
    return ok, value
