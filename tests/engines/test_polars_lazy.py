"""`Segmentation.apply(lazy_frame)`: a LazyFrame back, nothing run until the caller collects
it, and then the same customers, segments and bad rows (row numbers and reasons) as the
engines give for the same rows in a Parquet file: on the bad-row examples of the Parquet
path, random files, every conformance case, random rule files and related inputs."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segdsl import api
from segdsl.engines import registry
from segdsl.engines.options import ApplyOptions
from segdsl.passes import build_plan
from segdsl.service import app as service
from segdsl.service.params import resolve_params
from tests.conformance.cases import all_cases, build
from tests.engines.spark_data import frozen_slice
from tests.engines.test_duckdb_parquet import CLEAN, ROWS, RULES, _row, write
from tests.engines.test_polars_engine import RELATED, _related_files
from tests.engines_under_test import _contract_tables, first_conflict_only, polars_lazy
from tests.property.rulesets import POPULATION, PYTHON_SIDE, rulesets
from tests.property.test_random_rulesets import checked, populations


@pytest.fixture
def shop(tmp_path):
    (tmp_path / "shop.seg").write_text(RULES, encoding="utf-8")
    return api.load(tmp_path / "shop.seg")


def rows(table: pa.Table) -> list:
    return sorted([repr(v) for v in r.values()] for r in table.to_pylist())


def rejected_rows(table: pa.Table) -> list:
    return sorted((r["_row"], r["_reason"]) for r in table.to_pylist())


def on_python(rules: api.Segmentation, inputs: dict, folder, **kw) -> tuple[list, list]:
    """The Python engine on the same rows in Parquet files: segments and (row, reason) of bad rows."""
    out, rejected = folder / "python.parquet", folder / "rejected.parquet"
    rules.apply(inputs, "python", out, on_error="quarantine", quarantine=rejected, **kw)
    return rows(pq.read_table(out)), rejected_rows(pq.read_table(rejected)) if rejected.exists() else []


def lazily(rules: api.Segmentation, frames, **kw) -> tuple[list, list]:
    done = rules.apply_with_summary(frames, on_error="quarantine", **kw)
    assert done.summary is None and isinstance(done.result, pl.LazyFrame)
    got = rows(done.result.collect().to_arrow())
    return got, rejected_rows(done.rejected.collect().to_arrow()) if done.rejected is not None else []


def test_apply_runs_nothing_and_composes(shop, tmp_path):
    data = tmp_path / "in.parquet"
    write(data, CLEAN)
    calls = []

    def watched(df):
        calls.append(df.height)
        return df

    frame = pl.scan_parquet(data)
    frame = frame.map_batches(watched, schema=frame.collect_schema())
    for policy in ("fail", "skip", "quarantine"):
        done = shop.apply_with_summary(frame, on_error=policy, labels=True)
    assert calls == []                                  # nothing read yet
    composed = done.result.filter(pl.col("value") == "vip").select("id")
    assert composed.collect().get_column("id").to_list() == ["c1"]
    assert calls


@pytest.mark.parametrize("rows_", [ROWS, CLEAN], ids=["bad_rows", "clean"])
def test_bad_rows_as_every_engine_words_them(shop, tmp_path, rows_):
    data = tmp_path / "in.parquet"
    write(data, rows_)
    expected = on_python(shop, {"customer": data}, tmp_path, labels=True, attributes=True)
    assert lazily(shop, pl.scan_parquet(data), labels=True, attributes=True) == expected
    skipped = shop.apply(pl.scan_parquet(data), on_error="skip", labels=True, attributes=True).collect()
    assert rows(skipped.to_arrow()) == expected[0]


def test_the_same_frame_as_the_eager_path(shop, tmp_path):
    data = tmp_path / "in.parquet"
    write(data, ROWS)
    frame = pl.read_parquet(data)
    eager = shop.apply(frame, "polars", on_error="skip", labels=True)
    lazy = shop.apply(frame.lazy(), on_error="skip", labels=True).collect()
    assert lazy.sort("id").equals(eager.sort("id"))


def test_a_bad_row_fails_the_callers_collect(shop, tmp_path):
    data = tmp_path / "in.parquet"
    write(data, ROWS)
    result = shop.apply(pl.scan_parquet(data))
    with pytest.raises(api.DataError) as caught:
        result.collect()
    said = re.fullmatch(r"customer \(polars LazyFrame\) row (\d+): (.*)", str(caught.value), re.S)
    assert said, str(caught.value)
    reasons = dict(lazily(shop, pl.scan_parquet(data))[1])
    assert reasons[int(said.group(1))] == said.group(2)


def test_a_conflict_fails_the_callers_collect(shop):
    frame = pl.LazyFrame({"客户编号": ["c1", "c2"], "visits": [3, 0]})
    with pytest.raises(api.DataError, match=r"^customer \(polars LazyFrame\) row 1: matches a, b in `unique`"):
        shop.apply(frame).collect()


def test_columns_of_other_types_are_read_as_a_files_text(tmp_path):
    # text for a number, 0/1 for a bool: each row read by the shared validator, as in a CSV file
    rules_file = tmp_path / "r.seg"
    rules_file.write_text("ruleset r\ninput customer key id { id: string  spend: number  vip: bool }\n"
                          "dimension d first { segment big when spend > 10 or vip otherwise small }\n", encoding="utf-8")
    rules = api.load(rules_file)
    data = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c", "d"], "spend": ["12.5", "abc", "3", "4"], "vip": [0, 1, 1, 7]}), data)
    got = lazily(rules, pl.scan_parquet(data))
    assert got == on_python(rules, {"customer": data}, tmp_path)
    assert [r for r, _ in got[1]] == [2, 4] and "spend = 'abc'" in got[1][0][1]


def test_related_inputs_as_lazy_frames(tmp_path):
    rules = tmp_path / "shop.seg"
    rules.write_text(RELATED, encoding="utf-8")
    seg = api.load(rules)
    args = _related_files(tmp_path, True)
    paths = dict(a.split("=", 1) for a in args[1::2])
    got = lazily(seg, {n: pl.scan_parquet(p) for n, p in paths.items()}, labels=True)
    assert got == on_python(seg, paths, tmp_path, labels=True)
    assert any(reason.startswith("orders: ") for _, reason in got[1])


def test_a_required_column_missing_is_said_at_once(shop):
    with pytest.raises(api.DataError, match=r"^customer \(polars LazyFrame\): .*客户编号"):
        shop.apply(pl.LazyFrame({"spend": [1.0]}))


def test_wrong_options_for_a_lazy_frame(shop, tmp_path):
    frame = pl.LazyFrame({"客户编号": ["c1"], "visits": [1]})
    with pytest.raises(api.OptionError, match=r"^quarantine=.*come back as a frame"):
        shop.apply(frame, on_error="quarantine", quarantine=tmp_path / "q.csv")
    with pytest.raises(api.OptionError, match=r"^master='local\[1\]': the polars engine takes no master URL"):
        shop.apply(frame, master="local[1]")
    with pytest.raises(api.OptionError, match=r"^keep="):
        shop.apply(frame, keep="*")
    # another engine named, or an output given: the rows are collected and segmented as before
    assert isinstance(shop.apply(frame, "duckdb"), pl.LazyFrame)
    assert shop.apply(frame, "duckdb").collect().height == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.lists(_row(), max_size=12))
def test_random_parquet_files(tmp_path, shop, data):
    path = tmp_path / "in.parquet"
    write(path, data)
    assert lazily(shop, pl.scan_parquet(path)) == on_python(shop, {"customer": path}, tmp_path)


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.name)
def test_conformance_case_lazily(case):
    built = build(case)
    got = {str(k): v for k, v in polars_lazy(built.ruleset, built.population, built.params).items()}
    assert got == first_conflict_only(built.ruleset, built.expected)


def _on_python(rs, tables: dict, params: dict) -> tuple[list, list]:
    engine = registry.get("python")
    with tempfile.TemporaryDirectory() as tmp:
        rejected = Path(tmp) / "rejected.parquet"
        options = ApplyOptions(inputs={}, params=params, on_error="quarantine", quarantine=rejected, labels=True,
                               attributes=True)
        table, _ = engine.run_tables(build_plan(rs), tables, options)
        return rows(table), rejected_rows(pq.read_table(rejected)) if rejected.exists() else []


def _lazily(rs, tables: dict, params: dict) -> tuple[list, list]:
    frames = {n: pl.from_arrow(t).lazy() for n, t in tables.items()}
    options = ApplyOptions(inputs={}, params=params, on_error="quarantine", labels=True, attributes=True)
    result, rejected = service.apply_frames(rs, frames, options, {n: n for n in frames}, "polars")
    return rows(result.collect().to_arrow()), rejected_rows(rejected.collect().to_arrow())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_rule_files_as_the_python_engine(data):
    """Random rule files and customers: the same segments and bad rows as the Python engine
    gives for the same tables (a value no file can hold, such as an empty required text, is a
    bad row on both)."""
    for features in (PYTHON_SIDE, POPULATION):
        rs = checked(data.draw(rulesets(features), label="rule file"))
        tables = _contract_tables(rs, data.draw(populations(rs), label="population"))
        params = resolve_params(rs)
        try:
            expected = _on_python(rs, tables, params)
        except api.DataError as exc:                # a whole-input problem (a required column absent)
            with pytest.raises(api.DataError, match=re.escape(str(exc).split(": ", 1)[1])):
                _lazily(rs, tables, params)
            continue
        assert _lazily(rs, tables, params) == expected


def test_frozen_population_values_lazily(tmp_path):
    """Rules loaded with a stats file segment a LazyFrame with its frozen cut points, as the Python
    engine does with the same file (the data here is a slice, so computing them would differ)."""
    rules, computed, data = frozen_slice(tmp_path)
    expected = on_python(rules, {"customer": data}, tmp_path)
    assert lazily(rules, pl.scan_parquet(data)) == expected
    assert lazily(computed, pl.scan_parquet(data)) != expected        # the frozen values are the ones used
