"""The Python API (segdsl.load → Segmentation) on real files, real DuckDB,
pandas, polars and a local SparkSession; its results against the CLI's."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import segdsl
from segdsl.api import DataError, OptionError, ParamError, RecordError, RulesetError, Segmentation
from segdsl.backends.interp import Interpreter
from segdsl.cli import app
from segdsl.runtime.customers import Customer

ROOT = Path(__file__).resolve().parents[2]
TELCO = ROOT / "rulesets" / "telco_churn.seg"
SAMPLE = ROOT / "segdsl" / "samples" / "telco_customers.csv"

SHOP = '''
ruleset shop "商店" version "1"
param min_spend: number = 100
input customer key id {
  id:     string from "客户编号"
  tier:   enum { gold = "Gold" "金卡", silver = "Silver" }?
  visits: int = 0
}
related orders of customer by customer_id {
  customer_id: string from "cust"
  amount:      number in 0..100000
}
let spend = sum(orders.amount)
dimension value "价值" first {
  segment vip  "贵宾" when spend >= min_spend * 10 { channel: "call", priority: 1 }
  segment good "优质" when spend >= min_spend
  otherwise rest "其他"
}
dimension tags "标签" all {
  segment gold     "金卡" when tier = gold
  segment frequent "常客" when visits >= 5
}
'''

POPULATION = '''
ruleset pop
input customer key id {
  id:   string
  arpu: number?
}
let arpu_pct = percent_rank(arpu)
dimension tier first {
  segment top when arpu_pct >= 90%
  segment low when arpu_pct < 50%
  otherwise mid
}
'''

UNIQUE = '''
ruleset uniq
input customer key id {
  id:  string
  age: int in 0..150
}
let unused = age + 1
dimension band unique {
  segment young when age < 30
  segment teen  when age < 20
  otherwise adult
}
'''

FIRST_ROW = dict(
    customerID="7590-VHVEG", gender="Female", SeniorCitizen=0, Partner="Yes", Dependents="No", tenure=1,
    PhoneService="No", MultipleLines="No phone service", InternetService="DSL", OnlineSecurity="No",
    OnlineBackup="Yes", DeviceProtection="No", TechSupport="No", StreamingTV="No", StreamingMovies="No",
    Contract="Month-to-month", PaperlessBilling="Yes", PaymentMethod="Electronic check", MonthlyCharges=29.85,
    TotalCharges="29.85", Churn="No")

runner = CliRunner()


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def rows(result) -> list[dict]:
    """Any result kind as a list of plain row dicts."""
    if isinstance(result, pa.Table):
        return result.to_pylist()
    if isinstance(result, pd.DataFrame):
        return pa.Table.from_pandas(result, preserve_index=False).to_pylist()
    if isinstance(result, pl.DataFrame):
        return result.to_dicts()
    return [r.asDict() for r in result.collect()]


@pytest.fixture(scope="module")
def telco() -> Segmentation:
    return segdsl.load(TELCO)


@pytest.fixture(scope="module")
def cli_output(tmp_path_factory) -> Path:
    """What `segdsl apply` writes for the telco sample: the reference for every input kind."""
    out = tmp_path_factory.mktemp("cli") / "segments.parquet"
    r = runner.invoke(app, ["apply", str(TELCO), "--input", f"customer={SAMPLE}", "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def expected(cli_output) -> list[dict]:
    return pq.read_table(cli_output).to_pylist()


# ---- loading -------------------------------------------------------------------------

def test_import_segdsl_does_not_load_the_api():
    code = "import sys, segdsl; print('segdsl.api' in sys.modules, 'segdsl.frontend' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    assert segdsl.load is segdsl.api.load and segdsl.LoadError is RulesetError


def test_load_errors_carry_diagnostics_and_the_rendered_text(tmp_path):
    bad = write(tmp_path, "broken.seg", UNIQUE.replace("when age < 30", "when agee < 30"))
    with pytest.raises(segdsl.LoadError) as info:
        segdsl.load(bad)
    err = info.value
    assert [d.code for d in err.diagnostics] == ["SEG102"]
    assert f"{bad}:9:22" in err.text and "^^^^" in err.text and "did you mean `age`?" in err.text
    assert "1 error in the rules" in str(err) and err.text.strip() in str(err)
    with pytest.raises(RulesetError) as info:
        segdsl.load(tmp_path / "missing.seg")
    assert info.value.diagnostics[0].code == "SEG008" and "no such file" in str(info.value)


def test_properties_warnings_params_and_tests(tmp_path, telco):
    assert telco.name == "telco_churn" and telco.inputs == ("customer",)
    assert telco.dimensions == ("churn_risk", "value", "lifecycle", "bundle", "strategy")
    assert telco.params["bill_shock"] == 1.2 and telco.check() == []
    report = telco.test()
    assert report.failures == [] and report.passed == 15 and report.coverage == 1.0

    uniq = segdsl.load(write(tmp_path, "uniq.seg", UNIQUE))
    assert [d.code for d in uniq.check(analyse=False)] == ["SEG403"] and "never used" in uniq.warnings_text()
    # its `unique` dimension lets a customer match two segments: the solver says so, with a witness
    assert [d.code for d in uniq.check()] == ["SEG403", "SEG307"]

    shadowed = segdsl.load(ROOT / "tests" / "diagnostics" / "cases" / "SEG404_shadowed_by_two.seg")
    assert shadowed.check(analyse=False) == []          # what loading found
    found = shadowed.check()                            # what `segdsl check` finds: the solver too
    assert [(d.code, d.span.line) for d in found] == [("SEG404", 11)]
    assert "`young` or `old`" in found[0].message

    shop = segdsl.load(write(tmp_path, "shop.seg", SHOP), params={"min_spend": "50"})
    assert shop.params == {"min_spend": 50.0} and shop.inputs == ("customer", "orders")
    assert shop.with_params(min_spend=2).params == {"min_spend": 2.0} and shop.params == {"min_spend": 50.0}
    with pytest.raises(ParamError, match="no param `min_spnd`; did you mean `min_spend`"):
        shop.with_params(min_spnd=1)
    with pytest.raises(ParamError, match=r"params\['min_spend'\] = 'lots': `min_spend` needs a number"):
        segdsl.load(tmp_path / "shop.seg", params={"min_spend": "lots"})
    with pytest.raises(ParamError, match="needs a number"):
        shop.with_params(min_spend=True)


# ---- one record ----------------------------------------------------------------------

def test_evaluate_takes_data_values_columns_and_field_names(telco):
    assert telco.evaluate(FIRST_ROW) == {"churn_risk": "high", "value": "entry", "lifecycle": "onboarding",
                                         "bundle": ["net_only", "no_support", "paperless"], "strategy": "save"}
    # field names instead of columns, typed values, a blank TotalCharges is null
    by_name = {**{k: v for k, v in FIRST_ROW.items() if k not in ("InternetService", "tenure", "TotalCharges")},
               "internet": "Fiber optic", "tenure_months": 30, "total_charges": " "}
    got = telco.evaluate(by_name)
    assert got["churn_risk"] == "high" and got["lifecycle"] == "mature" and "fiber" in got["bundle"]


def test_evaluate_rejects_a_bad_record_with_the_file_reason(telco):
    with pytest.raises(RecordError, match=r"internet \(column \"InternetService\"\) = 'fiber optic' is not one of "
                                          r".*case-sensitive: \"Fiber optic\"\?"):
        telco.evaluate({**FIRST_ROW, "InternetService": "fiber optic"})
    with pytest.raises(RecordError, match=r"tenure_months \(column \"tenure\"\) = 500 is out of range 0..120"):
        telco.evaluate({**FIRST_ROW, "tenure": 500})
    missing = dict(FIRST_ROW)
    del missing["Contract"]
    with pytest.raises(RecordError, match="missing required field 'contract'"):
        telco.evaluate(missing)
    with pytest.raises(RecordError, match="no field or column `Contrat`; did you mean `Contract`"):
        telco.evaluate({**missing, "Contrat": "One year"})
    with pytest.raises(RecordError, match="field contract is given twice"):
        telco.evaluate({**FIRST_ROW, "contract": "Two year"})
    assert isinstance(RecordError("x"), ValueError)


def test_evaluate_defaults_related_rows_and_unique_conflicts(tmp_path):
    shop = segdsl.load(write(tmp_path, "shop.seg", SHOP))
    assert shop.evaluate({"客户编号": "a1"}) == {"value": "rest", "tags": []}        # visits = 0, no orders
    got = shop.evaluate({"id": "a1", "tier": "Gold", "visits": "7"},
                        rows={"orders": [{"amount": 600}, {"cust": "a1", "amount": "450.5"}]})
    assert got == {"value": "vip", "tags": ["gold", "frequent"]}
    with pytest.raises(RecordError, match=r"rows\['orders'\]\[0\]: customer_id = 'b2' is not this customer's key"):
        shop.evaluate({"id": "a1"}, rows={"orders": [{"customer_id": "b2", "amount": 1}]})
    with pytest.raises(RecordError, match=r"rows\['orders'\]\[0\]: amount = -1(\.0)? is out of range"):
        shop.evaluate({"id": "a1"}, rows={"orders": [{"amount": -1}]})
    uniq = segdsl.load(write(tmp_path, "uniq.seg", UNIQUE))
    assert uniq.evaluate({"id": "x", "age": 25}) == {"band": "young"}
    with pytest.raises(RecordError, match="matches young, teen in `unique` dimension `band`"):
        uniq.evaluate({"id": "x", "age": 15})


def test_evaluate_population_is_the_record_itself_unless_pinned(tmp_path):
    pop = segdsl.load(write(tmp_path, "pop.seg", POPULATION))
    alone = Interpreter(pop.ruleset, dict(pop.params)).run([Customer("c", {"id": "c", "arpu": 80.0}, {}, 1)])[0]
    assert pop.evaluate({"id": "c", "arpu": 80}) == {"tier": alone["tier"]}
    assert pop.evaluate({"id": "c", "arpu": 80}, pins={"arpu_pct": 0.95}) == {"tier": "top"}
    with pytest.raises(ValueError, match="no let `arpu_pc`"):
        pop.evaluate({"id": "c"}, pins={"arpu_pc": 0.5})


# ---- tables --------------------------------------------------------------------------

def test_apply_on_a_path_matches_the_cli_byte_for_byte(tmp_path, telco, cli_output, expected):
    table = telco.apply(SAMPLE)
    assert isinstance(table, pa.Table) and table.to_pylist() == expected
    for engine in ("duckdb", "python"):
        out = tmp_path / f"{engine}.parquet"
        summary = telco.apply(str(SAMPLE), engine=engine, output=out)
        assert summary.written == 1000 and summary.read == {"customer": 1000}
        assert out.read_bytes() == cli_output.read_bytes(), engine


def test_apply_on_arrow_pandas_and_polars_returns_the_same_kind_and_rows(telco, expected):
    arrow = pacsv.read_csv(SAMPLE)                      # TotalCharges stays text: " " cells
    frame = pd.read_csv(SAMPLE)
    polars = pl.read_csv(SAMPLE)
    got_arrow = telco.apply(arrow)
    got_pandas = telco.apply(frame, engine="python")
    got_polars = telco.apply(polars)
    assert isinstance(got_arrow, pa.Table) and isinstance(got_pandas, pd.DataFrame)
    assert isinstance(got_polars, pl.DataFrame)
    assert list(got_pandas.columns) == ["customer_id", *telco.dimensions]
    for got in (got_arrow, got_pandas, got_polars):
        assert rows(got) == expected


def test_bad_rows_in_a_dataframe_fail_skip_or_quarantine(tmp_path, telco):
    frame = pd.read_csv(SAMPLE)
    frame.loc[2, "InternetService"] = "Fibre"
    frame.loc[5, "tenure"] = 500
    with pytest.raises(DataError, match=r"^customer \(pandas DataFrame\) row 3: internet \(column "
                                        r"\"InternetService\"\) = 'Fibre' is not one of"):
        telco.apply(frame)
    result, summary = telco.apply_with_summary(frame, on_error="skip")
    assert len(result) == 998 and summary.skipped == 2 and summary.output_file is None
    assert frame.loc[2, "customerID"] not in set(result["customer_id"])
    with pytest.raises(ValueError, match="give quarantine=PATH"):
        telco.apply(frame, on_error="quarantine")
    rejected = tmp_path / "rejected.csv"
    result = telco.apply(frame, on_error="quarantine", quarantine=rejected)
    assert len(result) == 998
    bad = pd.read_csv(rejected)
    assert list(bad["customerID"]) == list(frame.loc[[2, 5], "customerID"])
    assert "out of range 0..120" in " ".join(map(str, bad.iloc[1].tolist()))


def test_related_inputs_as_a_dict_of_tables_and_paths(tmp_path):
    rules = write(tmp_path, "shop.seg", SHOP)
    customers = write(tmp_path, "customers.csv", "客户编号,tier,visits\na1,Gold,7\na2,,\na3,Silver,1\n")
    orders = write(tmp_path, "orders.csv", "cust,amount\na1,600\na1,450.5\na2,120\nzz,5\n")
    out = tmp_path / "cli.parquet"
    r = runner.invoke(app, ["apply", str(rules), "-i", f"customer={customers}", "-i", f"orders={orders}",
                            "-o", str(out), "--labels"])
    assert r.exit_code == 0, r.output
    expected = pq.read_table(out).to_pylist()
    assert [x["value"] for x in expected] == ["vip", "good", "rest"]
    shop = segdsl.load(rules)
    both = shop.apply({"customer": pd.read_csv(customers), "orders": pd.read_csv(orders)}, labels=True)
    mixed = shop.apply({"customer": pl.read_csv(customers), "orders": orders}, labels=True, engine="python")
    assert isinstance(both, pd.DataFrame) and isinstance(mixed, pl.DataFrame)
    assert rows(both) == expected and rows(mixed) == expected
    with pytest.raises(ValueError, match="no input `order`"):
        shop.apply({"customer": customers, "order": orders})
    with pytest.raises(ValueError, match="give the `customer` input"):
        shop.apply({"orders": orders})


def test_wrong_arguments_say_what_to_do(tmp_path, telco):
    with pytest.raises(TypeError, match="cannot segment a list"):
        telco.apply([FIRST_ROW])
    assert isinstance(telco.apply(pl.scan_csv(SAMPLE)), pl.LazyFrame)      # lazy in, lazy out
    with pytest.raises(ValueError, match="engine='sql': available engines: duckdb, python, spark, polars"):
        telco.apply(SAMPLE, engine="sql")
    with pytest.raises(ValueError, match="on_error='ignore'"):
        telco.apply(SAMPLE, on_error="ignore")
    with pytest.raises(OptionError, match="no such file"):          # a wrong argument, not wrong data
        telco.apply(tmp_path / "nope.csv")
    with pytest.raises(DataError, match=r"customer \(pyarrow Table\): missing column \"Contract\""):
        telco.apply(pacsv.read_csv(SAMPLE).drop_columns(["Contract"]))


def test_population_statistics_over_a_table_on_both_engines(tmp_path):
    pop = segdsl.load(write(tmp_path, "pop.seg", POPULATION))
    table = pa.table({"id": [f"c{i}" for i in range(20)], "arpu": [float(i) for i in range(19)] + [None]})
    population = [Customer(r["id"], r, {}, i) for i, r in enumerate(table.to_pylist(), 1)]
    oracle = [env["tier"] for env in Interpreter(pop.ruleset, dict(pop.params)).run(population)]
    assert set(oracle) == {"top", "low", "mid"}
    for engine in ("duckdb", "python"):
        assert pop.apply(table, engine=engine).column("tier").to_pylist() == oracle, engine


def test_frozen_stats_rank_one_record_and_an_increment_against_the_full_population(tmp_path):
    rules = write(tmp_path, "pop.seg", POPULATION)
    full = write(tmp_path, "full.csv", "id,arpu\n" + "".join(f"c{i},{i}\n" for i in range(20)))
    stats = tmp_path / "stats.json"
    r = runner.invoke(app, ["stats", str(rules), "--input", f"customer={full}", "-o", str(stats)])
    assert r.exit_code == 0, r.output
    everyone = segdsl.load(rules).apply(full).to_pylist()
    frozen = segdsl.load(rules, stats=stats)
    assert frozen.evaluate({"id": "c19", "arpu": 19}) == {"tier": "top"}
    assert frozen.evaluate({"id": "c3", "arpu": "3"}) == {"tier": "low"}
    increment = pa.table({"id": ["c18", "c10", "c2"], "arpu": [18.0, 10.0, 2.0]})
    for engine in ("duckdb", "python"):
        got = frozen.apply(increment, engine=engine).to_pylist()
        assert got == [next(row for row in everyone if row["id"] == k) for k in ("c18", "c10", "c2")], engine
    assert segdsl.load(rules).with_stats(stats).with_stats(None).stats is None
    threshold = write(tmp_path, "threshold.seg", POPULATION.replace("90%", "80%"))
    assert segdsl.load(threshold, stats=stats).evaluate({"id": "c17", "arpu": 17}) == {"tier": "top"}
    other = write(tmp_path, "other.seg", POPULATION.replace("arpu: number?", "arpu: number? in 0..100"))
    with pytest.raises(DataError, match="frozen from other rules: the inputs' declarations changed"):
        segdsl.load(other, stats=stats)


# ---- code ------------------------------------------------------------------------------

def test_to_sql_runs_on_duckdb_over_typed_columns_like_apply(telco, expected):
    con = duckdb.connect()
    con.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?, all_varchar = true)", [str(SAMPLE)])
    con.execute("""
        CREATE TABLE telco AS SELECT * REPLACE (
            CAST(CAST("SeniorCitizen" AS INTEGER) AS BOOLEAN) AS "SeniorCitizen",
            CAST("tenure" AS BIGINT) AS "tenure",
            CAST("MonthlyCharges" AS DOUBLE) AS "MonthlyCharges",
            TRY_CAST(NULLIF(TRIM("TotalCharges"), '') AS DOUBLE) AS "TotalCharges")
        FROM raw""")
    sql = telco.to_sql(tables={"customer": "telco"})
    assert con.sql(sql).to_arrow_table().to_pylist() == expected
    labelled = telco.to_sql(tables={"customer": "telco"}, labels=True, attributes=True)
    assert con.sql(labelled).to_arrow_table().to_pylist() == telco.apply(SAMPLE, labels=True,
                                                                        attributes=True).to_pylist()
    assert 'FROM "stg"."customers"' in telco.to_sql("postgres", tables={"customer": "stg.customers"})
    assert 'FROM "dw"."stg"."cust.v1"' in telco.to_sql("postgres", tables={"customer": 'dw.stg."cust.v1"'})
    with pytest.raises(OptionError, match=r"tables\['customer'\]: `a..b` is not a table name"):
        telco.to_sql(tables={"customer": "a..b"})
    with pytest.raises(ValueError, match="dialect='oracle9'"):
        telco.to_sql("oracle9")
    with pytest.raises(ValueError, match="no input `customers`"):
        telco.to_sql(tables={"customers": "t"})


def test_to_python_is_the_generated_source(telco):
    source = telco.to_python()
    assert source.startswith("# generated by segdsl") and "def evaluate(" in source
    compile(source, "<generated>", "exec")


# ---- Spark -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def spark():
    """The Spark engine's process-wide session (one JVM per test process, shared
    with the engine's own tests); the engine owns it, so it is not stopped here."""
    pytest.importorskip("pyspark")
    from segdsl.engines.spark import session
    try:
        return session()
    except DataError as exc:              # no Java here: say so instead of failing
        pytest.skip(str(exc))


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_spark_dataframes_and_the_spark_engine(tmp_path, spark, telco, cli_output, expected):
    frame = spark.createDataFrame(pacsv.read_csv(SAMPLE))
    got = telco.apply(frame)             # lazily, on the Spark engine: a Spark DataFrame has no row order
    assert got.sparkSession is spark
    assert got.columns == ["customer_id", *telco.dimensions]
    by_id = sorted(expected, key=lambda r: r["customer_id"])
    assert rows(got.orderBy("customer_id")) == by_id
    collected = telco.apply(frame, engine="duckdb")      # the rows collected, segmented, handed back in order
    assert collected.sparkSession is spark and rows(collected) == expected
    out = tmp_path / "spark.parquet"
    assert telco.apply(SAMPLE, engine="spark", output=out).written == 1000
    assert out.read_bytes() == cli_output.read_bytes()
