"""`Segmentation.apply(spark_df)`: a DataFrame back, no Spark job run until its rows are asked
for, and then the same customers, segments and bad rows (row numbers and reasons) as the
DuckDB engine gives for the same rows in a Parquet file: on the bad-row example of the
native path, on every conformance case and with related inputs."""
from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark")

from segdsl import api  # noqa: E402
from segdsl.engines import spark_session  # noqa: E402
from tests.conformance.cases import all_cases, build  # noqa: E402
from tests.engines.test_spark_native import SHOP, shop_parquet  # noqa: E402
from tests.engines_under_test import _contract_tables  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


@pytest.fixture(scope="module")
def spark():
    return spark_session.session()


def rows(table) -> list:
    return sorted([repr(v) for v in r.values()] for r in table.to_pylist())


def rejected_rows(table) -> list:
    return sorted((r["_row"], r["_reason"]) for r in table.to_pylist())


def on_duckdb(rules: api.Segmentation, inputs: dict, folder: Path, **kw) -> tuple[list, list]:
    out, rejected = folder / "duckdb.parquet", folder / "rejected.parquet"
    rules.apply(inputs, "duckdb", out, on_error="quarantine", quarantine=rejected, **kw)
    return rows(pq.read_table(out)), rejected_rows(pq.read_table(rejected)) if rejected.exists() else []


def lazily(rules: api.Segmentation, frames: dict, **kw) -> tuple[list, list]:
    done = rules.apply_with_summary(frames, on_error="quarantine", **kw)
    assert done.summary is None
    got = rows(done.result.toArrow())
    return got, rejected_rows(done.rejected.toArrow()) if done.rejected is not None else []


@pytest.fixture
def shop(tmp_path, spark):
    (tmp_path / "shop.seg").write_text(SHOP, encoding="utf-8")
    shop_parquet(tmp_path / "shop.parquet")
    return api.load(tmp_path / "shop.seg"), tmp_path / "shop.parquet", spark.read.parquet(str(tmp_path / "shop.parquet"))


def test_apply_runs_no_spark_job(shop, spark):
    rules, _, frame = shop
    context = spark.sparkContext
    context.setJobGroup("segdsl-lazy", "apply(spark_df) runs no job")
    try:
        for policy in ("fail", "skip", "quarantine"):
            done = rules.apply_with_summary(frame, on_error=policy, labels=True)
        assert context.statusTracker().getJobIdsForGroup("segdsl-lazy") == []
    finally:
        context.setJobGroup(None, None)
    composed = done.result.where("value = 'vip'").select("id")
    assert sorted(r.id for r in composed.collect()) == ["a1", "a8"]


def test_bad_rows_as_every_engine_words_them(shop, tmp_path):
    rules, path, frame = shop
    expected = on_duckdb(rules, {"customer": path}, tmp_path, labels=True)
    assert lazily(rules, frame, labels=True) == expected
    assert [r for r, _ in expected[1]] == [2, 3, 5, 6, 7, 8, 10]
    skipped = rules.apply(frame, on_error="skip", labels=True)
    assert rows(skipped.toArrow()) == expected[0]


def test_a_bad_row_fails_the_callers_action(shop):
    rules, _, frame = shop
    result = rules.apply(frame)
    with pytest.raises(Exception) as caught:
        result.collect()
    message = str(caught.value)
    assert re.search(r"customer \(Spark DataFrame\) row \d+: ", message), message
    said = re.search(r"row (\d+): (.*?)( SQLSTATE|$)", message, re.S)
    reasons = dict(lazily(rules, frame)[1])
    assert reasons[int(said.group(1))] == said.group(2).strip()


def test_related_inputs_as_dataframes(tmp_path, spark):
    from tests.engines.test_spark import ORDERS
    rules = api.load(_write(tmp_path / "orders.seg", ORDERS))
    rs = rules.ruleset
    import pyarrow as pa
    customers = pa.table({"cid": ["c1", "c2", "c3"], "region": ["n", None, "s"]})
    orders = pa.table({"cid": ["c1", "c1", "c3", "c9"], "invoice": ["i1", "i2", "i3", "i4"],
                       "amount": [10.0, -1.0, 30.0, 5.0],
                       "at": pa.array([1_300_000_000_000_000] * 4, pa.timestamp("us"))})
    paths = {}
    for name, table in (("customer", customers), ("orders", orders)):
        paths[name] = tmp_path / f"{name}.parquet"
        pq.write_table(table, paths[name])
    assert rs.customer.name == "customer"
    frames = {name: spark.read.parquet(str(p)) for name, p in paths.items()}
    assert lazily(rules, frames) == on_duckdb(rules, paths, tmp_path)


def test_wrong_options_for_a_dataframe(shop, tmp_path):
    rules, _, frame = shop
    with pytest.raises(api.OptionError, match=r"^quarantine=.*come back as a frame"):
        rules.apply(frame, on_error="quarantine", quarantine=tmp_path / "q.csv")
    with pytest.raises(api.OptionError, match=r"^master='local\[1\]': a Spark DataFrame is segmented in its own"):
        rules.apply(frame, master="local[1]")
    with pytest.raises(api.OptionError, match=r"^keep="):
        rules.apply(frame, keep="*")
    # the engine named, or an output given: the rows are collected and segmented as before
    assert rules.apply(frame, "duckdb", on_error="skip").count() == 4


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.full
@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.name)
def test_conformance_case_lazily(tmp_path, spark, case):
    built = build(case)
    rules = api.load(_write(tmp_path / "rules.seg", case.rules), params=dict(case.params))
    paths = {}
    for name, table in _contract_tables(built.ruleset, built.population).items():
        paths[name] = tmp_path / f"{name}.parquet"
        pq.write_table(table, paths[name])
    kw = dict(labels=True, attributes=True)
    try:
        expected = on_duckdb(rules, paths, tmp_path, **kw)
    except (api.DataError, api.NotSupported) as exc:
        expected = f"{type(exc).__name__}"
    try:
        got = lazily(rules, {n: spark.read.parquet(str(p)) for n, p in paths.items()}, **kw)
    except (api.DataError, api.NotSupported) as exc:
        got = f"{type(exc).__name__}"
    if "spark" in case.xfail and got != expected:
        pytest.xfail(case.xfail["spark"])
    assert got == expected


def test_columns_of_other_types_are_read_as_a_files_text(tmp_path, spark):
    # text for a number, 0/1 for a bool: each row read by the shared validator, as in a CSV file
    rules = api.load(_write(tmp_path / "r.seg", "ruleset r\ninput customer key id { id: string  spend: number  vip: bool }\n"
                                               "dimension d first { segment big when spend > 10 or vip otherwise small }\n"))
    import pyarrow as pa
    data = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c", "d"], "spend": ["12.5", "abc", "3", "4"], "vip": [0, 1, 1, 7]}), data)
    frame = spark.read.parquet(str(data))
    got = lazily(rules, frame)
    assert got == on_duckdb(rules, {"customer": data}, tmp_path)
    assert [r for r, _ in got[1]] == [2, 4] and "spend = 'abc'" in got[1][0][1]


def test_frozen_population_values_lazily(tmp_path, spark):
    """Rules loaded with a stats file segment a DataFrame with its frozen cut points, as the DuckDB
    engine does with the same file (the data here is a slice, so computing them would differ)."""
    from tests.engines.spark_data import frozen_slice
    rules, computed, data = frozen_slice(tmp_path)
    frame = spark.read.parquet(str(data))
    expected = on_duckdb(rules, {"customer": data}, tmp_path)
    assert lazily(rules, frame) == expected
    assert lazily(computed, frame) != expected         # the frozen values are the ones used


def test_no_views_are_left_in_a_classic_session(shop, spark):
    rules, _, frame = shop
    before = {t.name for t in spark.catalog.listTables() if t.isTemporary}
    done = rules.apply_with_summary(frame, on_error="quarantine", labels=True)
    after = {t.name for t in spark.catalog.listTables() if t.isTemporary}
    assert after == before
    assert sorted(r.id for r in done.result.where("value = 'vip'").collect()) == ["a1", "a8"]
    assert done.rejected.count() == 7
