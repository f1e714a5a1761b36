"""The DuckDB engine's query spells segments by index (backends/sql_segments.py) and the
engine names them (engines/arrow.SegmentNames): every way rules read a segment gives
what the Python engine gives, byte for byte, on each of the engine's paths; warehouse
SQL still spells names; the summary lists segments as the rules declare them."""
from __future__ import annotations

import datetime as dt
import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from segdsl.backends.sql import SqlOptions, build_query, render, to_sql
from segdsl.cli import app
from segdsl.passes import build_plan
from tests.helpers import ruleset

# every reading of a segment the checker takes: = and != a segment, `in` a list of them,
# `is null`, a tag `in` an `all` dimension, `tags = [...]` and `tags = []`, a `unique`
# conflict read by a later dimension, coalesce and case giving a segment, a let holding
# one, a population value grouped by a dimension, labels and attributes of each policy
RULES = """\
ruleset idx
input customer key id {
  id: string
  v:  int?
  w:  int?
}
let picked = case when v > 5 then size end
let band = coalesce(picked, size)
dimension size first {
  segment big "大" when v >= 7 { rank: 1 }
  segment mid "中" when v >= 4 { rank: 2 }
  segment small when v >= 0
}
dimension tiny first {
  segment t1 when w = 1
  otherwise t0 "零"
}
dimension tags all {
  segment even "双" when w in [0, 2, 4, 6, 8] { weight: 2.5 }
  segment high when w >= 5
  segment both when v >= 5 and w >= 5
}
dimension one unique {
  segment lo "低" when w < 3
  segment hi "高" when w > 1
}
dimension read first {
  segment a when size = big and even in tags
  segment b when size != mid and tags = [even, high]
  segment c when size in [mid, small] and tags = []
  segment d when one = hi or one is null
  segment e when band = small or picked = mid
  segment f when size is null
  segment g when percent_rank(v by size) >= 50%
  otherwise z
}
"""


def data(tmp_path, n: int = 400) -> tuple:
    rows = [(f"c{i:04d}", None if i % 11 == 0 else i % 10, None if i % 7 == 0 else (i * 7) % 9) for i in range(n)]
    csv = tmp_path / "in.csv"
    csv.write_text("id,v,w\n" + "".join(f"{k},{'' if v is None else v},{'' if w is None else w}\n"
                                        for k, v, w in rows), encoding="utf-8")
    parquet = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [r[0] for r in rows], "v": pa.array([r[1] for r in rows], pa.int64()),
                             "w": pa.array([r[2] for r in rows], pa.int64())}), parquet)
    return csv, parquet


def apply(tmp_path, rules, source, engine: str, *extra: str) -> tuple[bytes, dict]:
    out = tmp_path / f"{engine}-{source.suffix[1:]}-{len(extra)}.csv"
    summary = out.with_suffix(".json")
    r = CliRunner().invoke(app, ["apply", str(rules), "-i", f"customer={source}", "-o", str(out), "--engine", engine,
                                 "--labels", "--attributes", "--on-error", "skip", "--summary-json", str(summary),
                                 *extra])
    assert r.exit_code == 0, r.output
    return out.read_bytes(), json.loads(summary.read_text(encoding="utf-8"))


@pytest.mark.parametrize("batch", [[], ["--batch-size", "37"]], ids=["one-batch", "many-batches"])
@pytest.mark.parametrize("source", ["csv", "parquet"])
def test_every_reading_of_a_segment_as_on_the_python_engine(tmp_path, source, batch):
    rules = tmp_path / "r.seg"
    rules.write_text(RULES, encoding="utf-8")
    path = dict(zip(("csv", "parquet"), data(tmp_path)))[source]
    duck, duck_summary = apply(tmp_path, rules, path, "duckdb", *batch)
    python, python_summary = apply(tmp_path, rules, path, "python", *batch)
    assert duck == python
    for s in (duck_summary, python_summary):
        s.pop("output")
    assert duck_summary == python_summary
    assert json.dumps(duck_summary) == json.dumps(python_summary)       # the segments' order too
    text = duck.decode()
    assert all(f",{x}," in text for x in "abcdez"), text[:500]          # the readings really vary
    assert "matches lo, hi" not in text and python_summary["skipped"] > 0   # conflicts are bad rows


def test_the_summary_lists_segments_as_declared(tmp_path):
    """In the order the rules declare them, none last, whichever customer came first."""
    rules = tmp_path / "r.seg"
    rules.write_text(RULES, encoding="utf-8")
    csv, _ = data(tmp_path)
    for engine in ("duckdb", "python", "polars"):
        _, summary = apply(tmp_path, rules, csv, engine)
        assert list(summary["segments"]["size"]) == ["big", "mid", "small", "(none)"], engine
        assert list(summary["segments"]["tags"]) == ["even", "high", "both", "(none)"], engine
        assert list(summary["segments"]["read"]) == [x for x in "abcdefgz" if x in summary["segments"]["read"]]


def test_the_query_hands_over_whole_numbers_and_warehouse_sql_names(tmp_path):
    rs = ruleset(tmp_path, RULES)
    plan = build_plan(rs)
    con = duckdb.connect()
    con.execute("CREATE TABLE customer AS SELECT 'k' AS id, 8 AS v, 6 AS w")
    indexes = con.sql(render(build_query(plan, {}, SqlOptions(segment_indexes=True)), "duckdb")).to_arrow_table()
    assert indexes.schema.field("size").type == pa.int32()
    assert indexes.schema.field("tags").type == pa.list_(pa.int32())
    assert indexes.column("size").to_pylist() == [0] and indexes.column("tags").to_pylist() == [[0, 1, 2]]
    named = con.sql(to_sql(rs, {})).to_arrow_table()
    assert named.column("size").to_pylist() == ["big"] and named.column("tags").to_pylist() == [["even", "high", "both"]]
    assert named.column("read").to_pylist() == ["a"] and indexes.column("read").to_pylist() == [0]
