"""Numbers no engine holds alike never reach one.

A literal that reads as infinity (`1e400`, a percent of 400 digits), a whole
number beyond 64 bits, and a param value `nan`, `inf`, `-Infinity` or beyond
64 bits are refused before any backend sees them: SEG217 at the literal
(wherever a number may be written), a usage error (exit 2) at `--param` or
`params=`, on every engine and for compiled SQL in every dialect tried. The
numbers at the edges (the 64-bit bounds, the largest double) are accepted and
give the same answers on every engine.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import segdsl
from segdsl.api import ParamError
from segdsl.backends.sql import literal
from segdsl.cli import app
from segdsl.engines import registry

runner = CliRunner()

ENGINES = registry.names()
DIALECTS = ("duckdb", "postgres", "spark", "databricks", "hive", "bigquery", "snowflake", "mysql", "tsql")

HEADER = "ruleset n\n"
SCHEMA = """input customer key id {
  id: string
  v: number?
  k: int?
  d: date?
}
related orders of customer by id {
  id: string
  amount: number
}
"""
DIM = "dimension x first {\n  segment s when v > 1\n  otherwise o\n}\n"

INFINITE = ("1e400", "1" + "0" * 400 + "%", "9" * 400 + ".5")
TOO_WIDE = ("9223372036854775808", "99999999999999999999")

# (name, template): `@` marks where the hostile number goes; every place a number may be written
PLACES = [
    ("condition", HEADER + SCHEMA + "dimension x first {\n  segment s when v > @\n  otherwise o\n}\n"),
    ("let", HEADER + SCHEMA + "let big = v * @\n" + DIM.replace("v > 1", "big > 1")),
    ("list", HEADER + SCHEMA + "dimension x first {\n  segment s when v in [1, @]\n  otherwise o\n}\n"),
    ("between", HEADER + SCHEMA + "dimension x first {\n  segment s when v between 0 and @\n  otherwise o\n}\n"),
    ("case", HEADER + SCHEMA + "let c = case when v > 1 then @ else 0 end\n" + DIM.replace("v > 1", "c > 1")),
    ("field default", HEADER + SCHEMA.replace("v: number?", "v: number = @") + DIM),
    ("range bound", HEADER + SCHEMA.replace("v: number?", "v: number? in 0..@") + DIM),
    ("param default", HEADER + "param p: number = @\n" + SCHEMA + DIM.replace("v > 1", "v > p")),
    ("attribute", HEADER + SCHEMA + "dimension x first {\n  segment s when v > 1 { w: @ }\n  otherwise o\n}\n"),
    ("test value", HEADER + SCHEMA + DIM + 'test "t" {\n  given { id: "1", v: @ }\n  expect x = s\n}\n'),
    ("related test value", HEADER + SCHEMA + DIM
     + 'test "t" {\n  given { id: "1" }\n  given orders [ { id: "1", amount: @ } ]\n  expect x = o\n}\n'),
    ("pin", HEADER + SCHEMA + "let big = v * 2\n" + DIM.replace("v > 1", "big > 1")
     + 'test "t" with big = @ {\n  given { id: "1" }\n  expect x = s\n}\n'),
    ("aggregate", HEADER + SCHEMA + "let t = sum(orders.amount where orders.amount > @)\n"
     + DIM.replace("v > 1", "t > 1")),
]
WHOLE_PLACES = [
    ("int default", HEADER + SCHEMA.replace("k: int?", "k: int = @") + DIM),
    ("int param default", HEADER + "param p: int = @\n" + SCHEMA + DIM.replace("v > 1", "k > p")),
    ("int range bound", HEADER + SCHEMA.replace("k: int?", "k: int? in 0..@") + DIM),
    ("ntile", HEADER + SCHEMA + "let t = ntile(v, @)\n" + DIM.replace("v > 1", "t > 1")),
    ("duration", HEADER + SCHEMA + "let later = d + @ days\n" + DIM.replace("v > 1", "later > d")),
    ("negative", HEADER + SCHEMA + "dimension x first {\n  segment s when k > -@\n  otherwise o\n}\n"),
]
CASES = ([(p, t, n) for p, t in PLACES for n in INFINITE + TOO_WIDE]
         + [(p, t, n) for p, t in WHOLE_PLACES for n in TOO_WIDE])
CASES = [c for c in CASES if not (c[0] in ("negative",) and c[2] == "9223372036854775808")]
CASES.append(("negative", WHOLE_PLACES[-1][1], "9223372036854775809"))


def _place(template: str, number: str) -> tuple[str, int, int]:
    """The rule text and the 1-based line and column where the number starts."""
    text = template.replace("@", number)
    before = template[:template.index("@")]
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    return text, line, col


@pytest.mark.parametrize("place,template,number", CASES,
                         ids=[f"{p}-{n[:24]}" for p, _, n in CASES])
def test_a_number_no_engine_holds_is_seg217_at_the_literal(tmp_path, place, template, number):
    text, line, col = _place(template, number)
    f = tmp_path / "rules.seg"
    f.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["check", str(f), "--format", "json"])
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output
    found = [(d["line"], d["column"]) for d in json.loads(r.stdout) if d["code"] == "SEG217"]
    assert (line, col) in found, (found, r.stdout)
    for target in (["compile", str(f), "--target", "sql", "--dialect", "spark"],
                   ["compile", str(f), "--target", "python"]):
        c = runner.invoke(app, target)
        assert c.exit_code == 1 and "SEG217" in c.output and "Traceback" not in c.output, c.output


EDGE = HEADER + """param lo: int = -9223372036854775808
param hi: int = 9223372036854775807
param top: number = 1.7976931348623157e308
""" + SCHEMA + """let low = -9223372036854775808
dimension x first {
  segment huge when v >= 1.7976931348623157e308 or v >= top
  segment edge when k = 9223372036854775807 or k = - 9223372036854775808 or k = lo or k = hi
  segment wide when k > -9223372036854775807 and k < hi and v > -1.7976931348623157e308
  otherwise o { w: 1.7976931348623157e308, m: -9223372036854775808 }
}
test "edges" table {
  k                      | v        | expect x
  9223372036854775807    | null     | edge
  -9223372036854775808   | 1        | edge
  5                      | 1e308    | wide
}
"""
EDGE_DATA = ("id,v,k,d\n1,1.7976931348623157e308,0,\n2,,9223372036854775807,\n"
             "3,1,-9223372036854775808,\n4,5,7,\n5,,,\n")


def _edge_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    rules, data, orders = tmp_path / "edge.seg", tmp_path / "edge.csv", tmp_path / "orders.csv"
    rules.write_text(EDGE, encoding="utf-8")
    data.write_text(EDGE_DATA, encoding="utf-8")
    orders.write_text("id,amount\n1,2.5\n", encoding="utf-8")
    return rules, data, orders


@pytest.mark.parametrize("engine", ENGINES)
def test_the_numbers_at_the_edges_mean_the_same_on_each_engine(tmp_path, engine):
    rules, data, orders = _edge_files(tmp_path)
    assert runner.invoke(app, ["test", str(rules)]).exit_code == 0
    out = tmp_path / f"out_{engine}.csv"
    r = runner.invoke(app, ["apply", str(rules), "--input", f"customer={data}", "--input", f"orders={orders}",
                            "--output", str(out), "--engine", engine, "--attributes",
                            "--param", "lo=-9223372036854775808", "--param", "hi=9223372036854775807",
                            "--param", "top=1.7976931348623157e308"])
    assert r.exit_code == 0, r.output
    rows = {row["id"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert {k: v["x"] for k, v in rows.items()} == {"1": "huge", "2": "edge", "3": "edge", "4": "wide", "5": "o"}
    assert rows["5"]["x_m"] == "-9223372036854775808"
    assert float(rows["5"]["x_w"]) == 1.7976931348623157e308


@pytest.mark.parametrize("dialect", DIALECTS)
def test_compiled_sql_of_the_edges_holds_no_non_finite_token(tmp_path, dialect):
    rules, _, _ = _edge_files(tmp_path)
    r = runner.invoke(app, ["compile", str(rules), "--target", "sql", "--dialect", dialect, "--attributes"])
    assert r.exit_code == 0, r.output
    lowered = r.stdout.lower()
    for token in ("inf", "nan"):
        assert not any(w.strip('"`[]()') == token for w in lowered.replace(",", " ").split()), r.stdout


NUMBER_VALUES = ("nan", "NaN", "inf", "-inf", "Infinity", "-Infinity", "+inf", "1e400", "-1e999", "nan%",
                 "1e309%", " inf ")
INT_VALUES = ("9223372036854775808", "-9223372036854775809", "99999999999999999999999")
PARAM_RULES = HEADER + "param p: number = 1\nparam n: int = 1\n" + SCHEMA + \
    DIM.replace("v > 1", "v > p and k > n")
PARAM_CASES = [("p", v) for v in NUMBER_VALUES] + [("n", v) for v in INT_VALUES]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name,value", PARAM_CASES)
def test_a_non_finite_or_too_wide_param_is_a_usage_error_on_each_engine(tmp_path, engine, name, value):
    rules, data, out = tmp_path / "p.seg", tmp_path / "d.csv", tmp_path / "out.csv"
    rules.write_text(PARAM_RULES, encoding="utf-8")
    data.write_text("id,v,k,d\n1,2,3,\n", encoding="utf-8")
    r = runner.invoke(app, ["apply", str(rules), "--input", f"customer={data}", "--output", str(out),
                            "--engine", engine, "--param", f"{name}={value}"])
    assert r.exit_code == 2, r.output
    assert "--param" in r.output and f"`{name}` needs" in r.output and "Traceback" not in r.output
    assert not out.exists()
    t = runner.invoke(app, ["test", str(rules), "--engine", engine, "--param", f"{name}={value}"])
    assert t.exit_code == 2 and "Traceback" not in t.output, t.output


@pytest.mark.parametrize("dialect", DIALECTS + ("python",))
@pytest.mark.parametrize("name,value", PARAM_CASES)
def test_a_non_finite_or_too_wide_param_never_reaches_compiled_sql(tmp_path, dialect, name, value):
    """Every target checks params, generated Python too (it takes them at run time)."""
    rules, out = tmp_path / "p.seg", tmp_path / "q.sql"
    rules.write_text(PARAM_RULES, encoding="utf-8")
    target = ["--target", "python"] if dialect == "python" else ["--target", "sql", "--dialect", dialect]
    r = runner.invoke(app, ["compile", str(rules), *target, "--param", f"{name}={value}", "-o", str(out)])
    assert r.exit_code == 2, r.output
    assert "--param" in r.output and "Traceback" not in r.output
    assert not out.exists()


API_VALUES = [("p", float("nan")), ("p", float("inf")), ("p", float("-inf")), ("p", "nan"), ("p", "-Infinity"),
              ("n", 2 ** 63), ("n", -(2 ** 63) - 1), ("n", "9223372036854775808")]


@pytest.mark.parametrize("name,value", API_VALUES, ids=[f"{n}-{v!r}" for n, v in API_VALUES])
def test_the_api_refuses_the_same_param_values(tmp_path, name, value):
    rules = tmp_path / "p.seg"
    rules.write_text(PARAM_RULES, encoding="utf-8")
    with pytest.raises(ParamError, match=f"`{name}` needs"):
        segdsl.load(rules, params={name: value})
    loaded = segdsl.load(rules)
    with pytest.raises(ParamError, match=f"`{name}` needs"):
        loaded.with_params(**{name: value})


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 2 ** 63, -(2 ** 63) - 1])
def test_the_sql_backend_has_no_literal_for_a_number_no_engine_holds(value):
    with pytest.raises(ValueError, match="no SQL literal"):
        literal(value)


OVERFLOW = """ruleset overflow
input customer key id {
  id: string
  k: int
  a: int?
  b: int?
}
let square = k * k
let total = a + b
dimension sq first {
  segment null_value when square is null
  segment big when square > 100
  otherwise small
}
dimension sum first {
  segment null_value when total is null
  otherwise other
}
"""
OVERFLOW_DATA = "id,k,a,b\n1,3,1,2\n2,3037000500,9223372036854775807,1\n3,-3037000499,-9223372036854775807,-1\n"


@pytest.mark.parametrize("engine", ENGINES)
def test_whole_arithmetic_beyond_64_bits_is_null_on_every_engine(tmp_path, engine):
    """`k * k` and `a + b` past 2^63 on one row: that row's value is null and the run goes on,
    under the default `--on-error fail` too; the other rows are untouched."""
    rules, data, out = tmp_path / "o.seg", tmp_path / "o.csv", tmp_path / f"out_{engine}.csv"
    rules.write_text(OVERFLOW, encoding="utf-8")
    data.write_text(OVERFLOW_DATA, encoding="utf-8")
    r = runner.invoke(app, ["apply", str(rules), "--input", f"customer={data}", "--output", str(out),
                            "--engine", engine])
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output
    rows = {row["id"]: (row["sq"], row["sum"]) for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows == {"1": ("small", "other"), "2": ("null_value", "null_value"), "3": ("big", "other")}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_compiled_sql_never_multiplies_bigints_unchecked(tmp_path, dialect):
    """Every dialect computes whole arithmetic exactly in DECIMAL(38, 0) and keeps it only within
    64 bits (a TRY_CAST where a failed cast is null, else a range check): no bare BIGINT product
    that a warehouse could wrap or fail on."""
    rules = tmp_path / "o.seg"
    rules.write_text(OVERFLOW, encoding="utf-8")
    r = runner.invoke(app, ["compile", str(rules), "--target", "sql", "--dialect", dialect])
    assert r.exit_code == 0, r.output
    sql = r.output.upper()
    checks = sql.count("TRY_CAST(") + sql.count("SAFE_CAST(") + sql.count("'9223372036854775808'") // 2
    assert checks == 2                                     # one for each of the two lets
    assert sql.count("DECIMAL(38, 0)") + sql.count("NUMERIC(38, 0)") + sql.count("BIGNUMERIC") >= 4


@pytest.mark.parametrize("dialect", DIALECTS + ("sqlite", "trino", "redshift", "oracle", "clickhouse"))
def test_checked_whole_arithmetic_grows_compiled_sql_linearly(tmp_path, dialect):
    """Each checked `+` names its operands once, so a chain of 60 whole-number additions is a
    query of a size proportional to 60 in every dialect, not one that doubles per operator."""
    rules = tmp_path / "chain.seg"
    chain = " + ".join(f"(case when k > {i} then 1 else 0 end)" for i in range(60))
    rules.write_text(OVERFLOW.replace("let total = a + b", f"let total = {chain}"), encoding="utf-8")
    r = runner.invoke(app, ["compile", str(rules), "--target", "sql", "--dialect", dialect])
    assert r.exit_code == 0, r.output
    assert len(r.output) < 60 * 1500


BOUNDED = """ruleset b
input customer key id {
  id: string
  d: date
  k: int
}
let score = (case when k > 1 then 2 else 0 end) + (case when k > 2 then 1 else 0 end) * 3
let months = year(d) * 12 + month(d)
let doubled = k * 2
dimension x first {
  segment s when score > 1 and months > 3 and doubled > 0
  otherwise o
}
"""


def test_arithmetic_known_to_fit_is_never_null_nor_checked():
    """Bounds on the operands (constants, case branches, year/month/day) prove a result fits in
    64 bits: such a let is a non-null int and compiles to plain arithmetic; arithmetic on a
    field is not known to fit and is checked."""
    from segdsl.check.frontend import check_file
    from segdsl.backends.sql import to_sql
    result = check_file("b.seg", BOUNDED)
    assert result.ok
    types = {d.name: d.expr.type for d in result.ruleset.definitions if hasattr(d, "expr")}
    assert not types["score"].nullable and not types["months"].nullable and types["doubled"].nullable
    sql = to_sql(result.ruleset, {}, "duckdb")
    assert sql.count("TRY_CAST(") == 1
