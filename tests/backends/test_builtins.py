"""Every built-in of the table (segdsl/builtins.py) means the same in the reference
interpreter, the generated Python and SQL on DuckDB, on sample arguments of the kinds its
type rule accepts, nulls included."""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace

import duckdb
import pytest
from sqlglot import exp

from segdsl import ir
from segdsl.backends import python as python_backend
from segdsl.backends.interp import Interpreter
from segdsl.backends.sql import SqlOptions, _Expressions as SqlExpressions, render
from segdsl.builtins import BUILTINS, DATE, DAYS, NUMBER, TEXT, Builtin
from segdsl.passes import build_plan
from segdsl.runtime.customers import Customer
from segdsl.source import Span
from segdsl.types import Kind, Type

SPAN = Span("builtins", 1, 1, 1, 2)
EMPTY = ir.Ruleset("builtins", None, None, "builtins", None, (), (), (), (), (), ())   # the calls need no rules
SAMPLES = {
    TEXT: [(Kind.STRING, "Straße "), (Kind.STRING, "ab"), (Kind.STRING, None)],
    DATE: [(Kind.DATE, dt.date(2024, 2, 29)), (Kind.DATETIME, dt.datetime(2023, 12, 31, 23, 30)),
           (Kind.DATE, None)],
    DAYS: [(Kind.INT, 3), (Kind.INT, -400), (Kind.INT, None)],
    NUMBER: [(Kind.NUMBER, -2.5), (Kind.INT, -3), (Kind.NUMBER, None)],
}


def _const(kind: Kind, value) -> ir.Const:
    return ir.Const(Type(kind, nullable=value is None), SPAN, value)


def _calls(builtin: Builtin):
    needs = builtin.needs or (NUMBER,) * builtin.min_args       # coalesce: values of one type
    for args in itertools.product(*(SAMPLES[n] for n in needs)):
        if builtin.name == "to_datetime" and args[0][0] is Kind.DATETIME:
            continue                                           # inserted only for dates
        if builtin.same_type and len({k for k, _ in args}) > 1:
            continue
        consts = tuple(_const(k, v) for k, v in args)
        kind = builtin.result(tuple(c.type for c in consts))
        yield ir.Func(Type(kind, nullable=True), SPAN, builtin.name, consts)


def _interpreted(call: ir.Func):
    return Interpreter(EMPTY, {}).eval(call, Customer(None, {}, {}), {}, None)


def _generated(call: ir.Func):
    names = python_backend._Names(build_plan(EMPTY))
    code = python_backend._Expressions(names, lenient=False).code(call)
    namespace = dict(python_backend.RUNTIME)
    for text, name in names.constants.items():
        namespace[name] = eval(text, namespace)
    return eval(code, namespace)


_SQL_TYPES = {Kind.STRING: "VARCHAR", Kind.DATE: "DATE", Kind.DATETIME: "TIMESTAMP", Kind.INT: "BIGINT",
              Kind.NUMBER: "DOUBLE"}


def _sql(con, call: ir.Func):
    """The call over a one-row table of typed columns (as a query reads its arguments)."""
    columns = [f"a{i}" for i in range(len(call.args))]
    con.execute("CREATE OR REPLACE TEMP TABLE args ("
                + ", ".join(f"{c} {_SQL_TYPES[a.type.kind]}" for c, a in zip(columns, call.args)) + ")")
    con.execute(f"INSERT INTO args VALUES ({', '.join('?' for _ in columns)})", [a.value for a in call.args])
    fields = tuple(ir.FieldRef(a.type, SPAN, c) for c, a in zip(columns, call.args))
    tree = exp.select(SqlExpressions({}, SqlOptions()).sql(replace(call, args=fields))).from_("args")
    return con.execute(render(tree, "duckdb")).fetchone()[0]


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_the_backends_agree_on_each_built_in(name):
    con = duckdb.connect()
    calls = list(_calls(BUILTINS[name]))
    assert calls
    for call in calls:
        expected = _interpreted(call)
        assert _generated(call) == expected, call
        got = _sql(con, call)
        if type(expected) is dt.date and isinstance(got, dt.datetime) and got.time() == dt.time():
            got = got.date()          # DuckDB's DATE + INTERVAL is a TIMESTAMP; the output casts it back
        if name in ("lower", "upper") and isinstance(expected, str):
            assert got.casefold() == expected.casefold(), call   # DuckDB maps case one code point at a time
        else:
            assert got == expected, call


@pytest.mark.parametrize("name", sorted(n for n, b in BUILTINS.items() if not b.null_aware))
def test_a_literal_null_argument_gives_null_everywhere(name):
    """`year(null)`: SQL needs the null typed to pick the function; every backend gives null."""
    builtin = BUILTINS[name]
    null = ir.Const(Type(Kind.NULL, nullable=True), SPAN, None)
    call = ir.Func(Type(builtin.result((null.type,) * builtin.min_args), nullable=True), SPAN, name,
                   (null,) * builtin.min_args)
    assert _interpreted(call) is None and _generated(call) is None
    tree = exp.select(SqlExpressions({}, SqlOptions()).sql(call))
    assert duckdb.connect().execute(render(tree, "duckdb")).fetchone()[0] is None


def test_reading_the_table_does_not_import_sqlglot():
    """The front end types calls from the table; `segdsl check` should not pay for sqlglot."""
    import subprocess
    import sys
    code = "import sys, segdsl.builtins, segdsl.check.frontend; print('sqlglot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
