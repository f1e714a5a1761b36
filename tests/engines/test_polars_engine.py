"""The polars engine gives exactly what the Python engine gives, on every path: the same
segments, the same bad rows with the same reasons, the same bytes; and it is a clear
usage problem where polars is not installed."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from segdsl import api
from segdsl.check.frontend import check_file
from segdsl.cli import app
from segdsl.engines import polars_scan
from segdsl.engines.options import ApplyOptions
from segdsl.engines.polars import PolarsEngine
from tests.conformance.cases import all_cases, build
from tests.engines.test_duckdb_parquet import CLEAN, ROWS, RULES, _row, write
from tests.engines_under_test import first_conflict_only, through_contract
from tests.property.rulesets import POPULATION, PYTHON_SIDE
from tests.property.test_random_rulesets import compare

BAD_ROWS = ["4", "5", "6", "7", "8", "9", "10"]


@pytest.fixture
def rules(tmp_path):
    p = tmp_path / "shop.seg"
    p.write_text(RULES, encoding="utf-8")
    return p


def run(tmp_path, rules, data, engines, *args, suffix=".csv"):
    outs = {}
    for engine in engines:
        out = tmp_path / f"out_{engine}{suffix}"
        q = tmp_path / f"rejected_{engine}.csv"
        r = CliRunner().invoke(app, ["apply", str(rules), "--input", str(data), "-o", str(out), "--engine", engine,
                                     "--quarantine", str(q), "--labels", "--attributes", *args])
        assert "Traceback" not in r.output
        outs[engine] = (r.exit_code, out.read_bytes() if out.exists() else None,
                        q.read_bytes() if q.exists() else None, r.output.replace(engine, "ENGINE"))
    return outs


def same_as_python(tmp_path, rules, data, *args, suffix=".csv"):
    outs = run(tmp_path, rules, data, ("polars", "python"), *args, suffix=suffix)
    assert outs["polars"] == outs["python"]
    return outs["polars"]


def test_the_clean_path_is_taken_for_parquet(tmp_path, rules):
    data = tmp_path / "in.parquet"
    write(data, ROWS)
    rs = check_file(rules).ruleset
    assert polars_scan.eligible(rs, ApplyOptions(inputs={"customer": data}))
    assert not polars_scan.eligible(rs, ApplyOptions(inputs={"customer": data}, null_values=("NA",)))
    assert not polars_scan.eligible(rs, ApplyOptions(inputs={"customer": tmp_path / "in.csv"}))


@pytest.mark.parametrize("policy", ["fail", "skip", "quarantine"])
@pytest.mark.parametrize("source", [".parquet", ".csv", ".jsonl"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_bad_rows_and_output_identical_to_python(tmp_path, rules, policy, source, suffix):
    data = tmp_path / f"in{source}"
    parquet = tmp_path / "in.parquet"
    write(parquet, ROWS)
    if source == ".csv":
        pl.read_parquet(parquet).write_csv(data)
    elif source == ".jsonl":
        pl.read_parquet(parquet).write_ndjson(data)
    code, out, quarantine, _ = same_as_python(tmp_path, rules, data, "--on-error", policy, suffix=suffix)
    assert (code, out is None) == ((1, True) if policy == "fail" else (0, False))
    if policy == "quarantine" and source == ".parquet":
        assert [x.split(",")[0] for x in quarantine.decode().splitlines()[1:]] == BAD_ROWS


@pytest.mark.parametrize("extra", [
    [],                                                          # clean: one query is the whole run
    [("c3", 50.0, None, 3, True, None, None, None)],             # only a unique conflict (a and b)
    [("c1", 5.0, None, 0, None, None, None, None)],              # only a repeated key
    [("c3", 5.0, " Gold", 0, None, None, None, None)],           # only a row polars is unsure about
    [("c3", 50.0, None, 3, True, None, None, None),              # a conflict written, then a repeated key:
     ("c1", 5.0, None, 0, None, None, None, None)],              # the conflict is met again on the careful path
], ids=["clean", "conflict", "repeated_key", "suspect", "conflict_then_repeated_key"])
@pytest.mark.parametrize("policy", ["skip", "fail", "quarantine"])
def test_clean_files_and_one_problem_each(tmp_path, rules, extra, policy):
    data = tmp_path / "in.parquet"
    write(data, CLEAN + extra)
    code, *_ = same_as_python(tmp_path, rules, data, "--on-error", policy, suffix=".parquet")
    assert code == (1 if extra and policy == "fail" and extra[0][2] != " Gold" else 0)


@pytest.mark.parametrize("last", [("k0005", 5.0, None, 0, None, None, None, None),   # keys ascending to the end
                                  ("k0001", 5.0, None, 0, None, None, None, None),   # a repeat in the last slice
                                  ("k0000", 5.0, None, 0, None, None, None, None)])  # keys out of order, none repeated
@pytest.mark.parametrize("policy", ["skip", "quarantine"])
def test_the_result_streamed_in_slices(tmp_path, rules, monkeypatch, last, policy):
    """The clean path writes its result a slice at a time (memory stays flat): slices of 3 rows
    here, with a `unique` conflict in the first slice and the key check settled only after the
    last one; a repeated key then starts the run again with nothing of the first try kept."""
    monkeypatch.setattr("segdsl.engines.polars._SLICE", 3)
    if last[0] != "k0001":                  # no repeated key: the streamed query is the whole run

        def careful(*_):
            raise AssertionError("the careful path was taken")
        monkeypatch.setattr("segdsl.engines.polars._PolarsRun.careful_pass", careful)
    rows = [(f"k{i:04d}", 10.0 * i, "Gold", 3 if i == 2 else i % 3, None, None, None, None) for i in range(1, 5)]
    data = tmp_path / "in.parquet"
    write(data, rows + [last])
    code, out, quarantine, _ = same_as_python(tmp_path, rules, data, "--on-error", policy, suffix=".parquet")
    assert code == 0 and out is not None
    if policy == "quarantine":
        assert quarantine.count(b"\n") == (3 if last[0] == "k0001" else 2)


@pytest.mark.parametrize("options", [{"write_statistics": False}, {"row_group_size": 3}],
                         ids=["no_statistics", "small_row_groups"])
def test_footer_statistics_only_ever_skip_checks_they_prove(tmp_path, rules, options):
    data = tmp_path / "in.parquet"
    write(data, ROWS, **options)
    _, _, quarantine, _ = same_as_python(tmp_path, rules, data, "--on-error", "quarantine")
    assert [x.split(",")[0] for x in quarantine.decode().splitlines()[1:]] == BAD_ROWS


def test_nan_hidden_from_parquet_statistics_is_still_a_bad_number(tmp_path, rules):
    data = tmp_path / "in.parquet"
    write(data, [("k1", 0.0, None, None, None, None, None, None),
                 ("k2", float("nan"), None, None, None, None, None, None)])
    _, _, quarantine, _ = same_as_python(tmp_path, rules, data, "--on-error", "quarantine")
    assert b"spend = nan is not a finite number" in quarantine


def test_several_parquet_files_one_input(tmp_path, rules):
    (tmp_path / "parts").mkdir()
    write(tmp_path / "parts" / "a.parquet", CLEAN)
    write(tmp_path / "parts" / "b.parquet", [("c3", 5.0, None, 0, None, None, None, None),
                                             ("c1", 5.0, None, 0, None, None, None, None)])
    code, _, quarantine, _ = same_as_python(tmp_path, rules, str(tmp_path / "parts" / "*.parquet"),
                                            "--on-error", "quarantine", suffix=".parquet")
    assert code == 0 and b"appears twice (first at row 1 of" in quarantine


@pytest.mark.full
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(rows=__import__("hypothesis").strategies.lists(_row(), max_size=12))
def test_random_parquet_files_identical_to_python(tmp_path, rules, rows):
    data = tmp_path / "in.parquet"
    write(data, rows)
    same_as_python(tmp_path, rules, data, "--on-error", "quarantine")


# ---- related inputs and population statistics, through files ----

RELATED = '''
ruleset shop
input customer key id {
  id: string
  spend: number?
  region: enum { north = "N", south = "S" }?
}
related orders of customer by customer_id {
  customer_id: string
  amount: number in 0..1000
  kind: string?
}
let total = sum(orders.amount)
let big = count(orders where orders.amount > 100)
let kinds = count_distinct(orders.kind)
dimension value first {
  segment top when percent_rank(total) >= 0.8
  segment mid when ntile(spend, 4 by region) >= 3
  segment busy when big >= 2 or kinds >= 3
  otherwise rest
}
dimension share first {
  segment whale when cume_share(total) <= 0.2
  segment above when total > mean(total)
  otherwise rest
}
'''


def _related_files(tmp_path, bad: bool):
    customers = pa.table({"id": [f"c{i}" for i in range(40)],
                          "spend": [None if i % 7 == 0 else float(i * 13 % 50) for i in range(40)],
                          "region": [["N", "S", None][i % 3] for i in range(40)]})
    amounts = [float((i * 37) % 300) + 0.1 for i in range(160)]
    if bad:
        amounts[5] = 5000.0                      # out of range
    orders = pa.table({"customer_id": [f"c{(i * 7) % 45}" for i in range(160)],   # some orphans
                       "amount": amounts, "kind": [["a", "b", "c", None][i % 4] for i in range(160)]})
    pq.write_table(customers, tmp_path / "customers.parquet")
    pq.write_table(orders, tmp_path / "orders.parquet")
    return ["--input", f"customer={tmp_path / 'customers.parquet'}", "--input", f"orders={tmp_path / 'orders.parquet'}"]


@pytest.mark.parametrize("bad", [False, True], ids=["clean", "bad_row"])
def test_related_inputs_and_population_identical_to_python(tmp_path, bad):
    rules = tmp_path / "shop.seg"
    rules.write_text(RELATED, encoding="utf-8")
    args = _related_files(tmp_path, bad)
    outs = {}
    for engine in ("polars", "python", "duckdb"):
        out, q = tmp_path / f"{engine}.parquet", tmp_path / f"{engine}.rejected.csv"
        summary = tmp_path / f"{engine}.json"
        r = CliRunner().invoke(app, ["apply", str(rules), *args, "-o", str(out), "--engine", engine, "--on-error",
                                     "quarantine", "--quarantine", str(q), "--labels", "--summary-json", str(summary)])
        assert r.exit_code == 0, r.output
        outs[engine] = (out.read_bytes(), q.read_bytes() if q.exists() else None,
                        summary.read_text().replace(engine, "ENGINE"))
    assert outs["polars"] == outs["python"] == outs["duckdb"]
    assert len(set(pq.read_table(tmp_path / "polars.parquet").column("value").to_pylist())) >= 3


# ---- the conformance cases through the engine contract (Arrow tables in, files between) ----

@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.name)
def test_conformance_case_through_the_contract(case):
    built = build(case)
    got = {str(k): v for k, v in through_contract("polars")(built.ruleset, built.population, built.params).items()}
    expected = first_conflict_only(built.ruleset, built.expected)
    assert got == expected


# ---- availability and the Python API ----

def test_without_polars_the_engine_is_a_usage_problem(tmp_path, rules, monkeypatch):
    monkeypatch.setattr(PolarsEngine, "available", lambda self: False)
    data = tmp_path / "in.parquet"
    write(data, CLEAN)
    r = CliRunner().invoke(app, ["apply", str(rules), "--input", str(data), "-o", str(tmp_path / "o.csv"),
                                 "--engine", "polars"])
    assert r.exit_code == 2 and "--engine polars: is not available here" in r.output
    assert "Traceback" not in r.output


def test_api_polars_frames_in_and_out(rules):
    seg = api.load(rules)
    frame = pl.from_arrow(pa.table({"客户编号": ["c1", "c2"], "spend": [1500.0, 150.5], "visits": [7, 0]}))
    got = seg.apply(frame, engine="polars")
    assert isinstance(got, pl.DataFrame) and got.get_column("value").to_list() == ["vip", "rest"]
    assert got.equals(seg.apply(frame, engine="python"))
    lazy = seg.apply(frame.lazy(), engine="polars")
    assert isinstance(lazy, pl.LazyFrame) and lazy.collect().equals(got)


# ---- random rule files: the whole language (exact sums, full case mapping), population too ----

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=__import__("hypothesis").strategies.data())
def test_random_rule_files_equal_the_interpreter(data):
    compare(data, PYTHON_SIDE, ["polars"])
    compare(data, POPULATION, ["polars"])


CONSTANT_IN = """ruleset t
input customer key id { id: string }
related orders of customer by id { id: string  amount: number }
let s = sum(case when "in_net" in ["a", "in_net"] then orders.amount end where orders.amount < 100)
let unknown = "x" in ["a", null]
dimension d first {
  segment hi  when s > 10
  segment unk when unknown is null and s > 0
  otherwise lo
}
"""


def test_a_constant_in_a_list_inside_an_aggregate(tmp_path):
    # polars' is_in on a constant is a one-row column, which a when/then over a group's rows
    # cannot line up with: the engine decides such a test itself
    rules = tmp_path / "r.seg"
    rules.write_text(CONSTANT_IN, encoding="utf-8")
    (tmp_path / "c.csv").write_text("id\na\nb\nc\n", encoding="utf-8")
    (tmp_path / "o.csv").write_text("id,amount\na,5\na,7\nb,1\na,500\n", encoding="utf-8")
    outs = {}
    for engine in ("python", "polars"):
        out = tmp_path / f"{engine}.csv"
        r = CliRunner().invoke(app, ["apply", str(rules), "-i", f"customer={tmp_path / 'c.csv'}",
                                     "-i", f"orders={tmp_path / 'o.csv'}", "-o", str(out), "--engine", engine])
        assert r.exit_code == 0, r.output
        outs[engine] = out.read_text(encoding="utf-8")
    assert outs["polars"] == outs["python"] == "id,d\na,hi\nb,unk\nc,lo\n"


def test_an_enum_value_with_spaces_around_it_is_the_validators(tmp_path):
    # the shared validator trims a text before it looks for it among an enum's values, so the
    # value " lead" as written never matches there: no native scan may take it as it is
    rules = tmp_path / "r.seg"
    rules.write_text('ruleset r\ninput customer key id { id: string  kind: enum { lead = " lead", won } }\n'
                     'dimension d first { segment w when kind = won  otherwise other }\n', encoding="utf-8")
    data = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "kind": ["won", " lead", "lead"]}), data)
    outs = run(tmp_path, rules, data, ("polars", "python", "duckdb"), "--on-error", "quarantine", suffix=".parquet")
    assert outs["polars"] == outs["python"] == outs["duckdb"]
    assert outs["python"][2].count(b"\n") == 3          # both spellings of `lead` are bad rows



# found by the random rule files: a param (a constant to polars) `not in` a list, inside an
# aggregate's case over a group's rows
PARAM_NOT_IN = 'ruleset t "#not a comment" version "日本語テキスト"\nparam as_of: bool = true\nparam as_of2: enum { in_net "\\"); import os; os.system(\\"x\\"); (\\"" } = in_net ""\ninput customer key id {\n  id: string ""\n  age: enum { in_net "\u202e", off = "x|y" "" }\n  age2: date from "aage2" "{x}"\n  名字: bool?\n}\nrelated orders of customer by customer_id {\n  customer_id: string\n  city: string from "acity" = ""\n  plan: enum { in_net = "Fiber optic" "{x}" } = in_net ""\n  age: int from "{x}age" in 8..233 ""\n}\ndimension value3 first {\n  segment top when count(orders.customer_id) = 10\n  segment 高价值 when 0.5 = 2.5\n}\ndimension value first {\n  segment top "" when id between "${x}" and "" { "action": "", "channel": "", priority: true }\n  segment top2 "日本語テキスト" when coalesce(max(case when as_of2 not in [in_net, in_net] then orders.age end where orders.city >= "NULL"), min((orders.age + 0))) between case when as_of2 in [in_net] then 0.5 when count_distinct(orders.plan where (contains(orders.customer_id, orders.city) or orders.plan not in [in_net, in_net, in_net])) = 5 then avg(orders.age where orders.age is null) end and (min(orders.age where orders.age < 33) / 10) { "channel": "", "since": 2026-01-01T08:00:00, "priority": 5 }\n  segment 高价值 "Ù" when ((sum(abs(orders.age) where orders.city in ["%s", "#not a comment", "$1"]) >= 40 or age is null) and not (false)) {  }\n  segment age "" when age2 not between age2 and age2 { priority: 1e3 "since": 2026-01-01 策略: "NULL" }\n  otherwise top3 {  }\n}\ndimension value2 first {\n  segment top when id != ""\n}\nlet r = age = in_net\n'


def test_a_param_in_a_list_inside_an_aggregate():
    # is_in on a constant is a one-row column, which a when/then over a group's rows cannot line up with
    from segdsl.runtime.customers import Customer
    from segdsl.service.params import resolve_params
    from tests.engines_under_test import ENGINES
    rs = check_file("random.seg", text=PARAM_NOT_IN).ruleset
    population = [Customer(key='c0',
record={'id': 'c0',
'age': 'in_net',
'age2': dt.date(2010, 10, 4),
'名字': None},
rows={'orders': [{'customer_id': 'c0',
'city': '客户',
'plan': 'in_net',
'age': 8},
{'customer_id': 'c0', 'city': '', 'plan': 'in_net', 'age': 8}]},
row=1),
Customer(key='c1',
record={'id': 'c1',
'age': 'off',
'age2': dt.date(2010, 1, 1),
'名字': None},
rows={'orders': [{'customer_id': 'c1',
'city': '',
'plan': 'in_net',
'age': 8}]},
row=2),
Customer(key='c2',
record={'id': 'c2',
'age': 'in_net',
'age2': dt.date(2010, 1, 1),
'名字': None},
rows={'orders': []},
row=3),
Customer(key='c3',
record={'id': 'c3',
'age': 'in_net',
'age2': dt.date(2010, 1, 1),
'名字': None},
rows={'orders': []},
row=4),
Customer(key='c4',
record={'id': 'c4',
'age': 'off',
'age2': dt.date(2010, 3, 1),
'名字': None},
rows={'orders': [{'customer_id': 'c4',
'city': '',
'plan': 'in_net',
'age': 8}]},
row=5)]
    params = resolve_params(rs)
    assert ENGINES["polars"](rs, population, params) == ENGINES["interp"](rs, population, params)

