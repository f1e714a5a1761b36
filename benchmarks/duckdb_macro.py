"""The DuckDB engine against the same segmentation hand-written as DuckDB SQL.

Both read the same Parquet file of N generated customers and write the same
Parquet output; the script checks the two outputs are equal, then prints the
best of five interleaved timings and the ratio (target: segdsl ≤ 1.15× the hand-written
time). Run: `.venv/bin/python benchmarks/duckdb_macro.py [--rows N]`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from segdsl.service import app as service
from segdsl.engines.options import ApplyOptions
from segdsl.check.frontend import check_file
from segdsl.service.params import resolve_params

RULES = Path(__file__).resolve().parent / "rules" / "telecom_bench.seg"

HAND_WRITTEN = """
COPY (
  WITH c AS (
    SELECT *, date_diff('day', last_recharge, DATE '2026-11-01') AS days_idle FROM {reader}('{src}')
  ), d AS (
    SELECT *,
      CASE WHEN arpu >= 300 THEN 'top' WHEN arpu >= 150 THEN 'high' WHEN arpu >= 60 THEN 'mid'
           WHEN arpu < 60 THEN 'low' ELSE 'unknown' END AS value,
      CASE WHEN network = 'in_net' AND (days_idle > 60 OR complaints_90d >= 3) THEN 'churn_risk'
           WHEN network = 'in_net' AND tenure_months < 3 THEN 'new'
           WHEN network = 'in_net' THEN 'active'
           WHEN network = 'recalled' THEN 'recalled'
           WHEN network IN ('off_net', 'former') THEN 'lost'
           WHEN network = 'competitor' THEN 'prospect' END AS status,
      CASE WHEN credit_score >= 750 THEN 'excellent' WHEN credit_score >= 650 THEN 'good'
           WHEN credit_score >= 550 THEN 'fair' WHEN credit_score < 550 THEN 'poor' ELSE 'unrated' END AS credit,
      list_filter([CASE WHEN age >= 60 THEN 'senior' END,
                   CASE WHEN age BETWEEN 18 AND 30 THEN 'youth' END,
                   CASE WHEN gender = 'F' AND age BETWEEN 18 AND 35 THEN 'young_f' END,
                   CASE WHEN complaints_90d >= 2 THEN 'complainer' END,
                   CASE WHEN satisfaction < 3 THEN 'unhappy' END,
                   CASE WHEN plan IN ('family', 'business') THEN 'group_plan' END], lambda x: x IS NOT NULL) AS tags
    FROM c
  )
  SELECT customer_id, value, status, credit, tags,
    CASE WHEN value IN ('top', 'high') AND status IN ('active', 'new') THEN 'star'
         WHEN value IN ('top', 'high', 'mid') AND status = 'churn_risk' THEN 'save'
         WHEN value = 'mid' AND status IN ('active', 'new') THEN 'grow' ELSE 'other' END AS quadrant
  FROM d
) TO '{out}' (FORMAT parquet)
"""


def generate(n: int, path: Path, seed: int = 7) -> None:
    """Customers with the benchmark ruleset's columns (its enum members are their own data values)."""
    rng = np.random.default_rng(seed)

    def maybe_null(values: np.ndarray, share: float) -> pa.Array:
        return pa.array(values, mask=rng.random(n) < share)

    labels = lambda options: np.array(options, dtype=object)[rng.integers(0, len(options), n)]  # noqa: E731
    table = pa.table({
        "customer_id": pa.array([f"C{i:08d}" for i in range(n)]),
        "age": maybe_null(rng.integers(0, 100, n), 0.1),
        "gender": maybe_null(labels(["M", "F"]), 0.05),
        "arpu": maybe_null(np.round(rng.gamma(2.0, 60.0, n), 2), 0.05),
        "tenure_months": pa.array(rng.integers(0, 600, n)),
        "network": pa.array(labels(["in_net", "in_net", "in_net", "off_net", "former", "recalled", "competitor"])),
        "plan": pa.array(labels(["prepaid", "postpaid", "family", "business"])),
        "last_recharge": maybe_null(np.datetime64("2026-11-01") - rng.integers(0, 400, n).astype("timedelta64[D]"),
                                    0.1),
        "complaints_90d": pa.array(rng.poisson(0.7, n)),
        "credit_score": maybe_null(rng.integers(300, 851, n), 0.2),
        "satisfaction": maybe_null(np.round(rng.uniform(0, 5, n), 1), 0.2),
    })
    pq.write_table(table, path)


def best_of(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5, help="interleaved runs of each; the best is kept")
    ap.add_argument("--format", choices=["parquet", "csv", "jsonl"], default="parquet", help="the input file's format")
    args = ap.parse_args()
    rs = check_file(RULES).ruleset
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src, ours, theirs = tmp / "customers.parquet", tmp / "segdsl.parquet", tmp / "hand.parquet"
        generate(args.rows, src)
        reader = "read_parquet"
        if args.format == "csv":
            # the same customers as CSV (written by DuckDB: ISO dates, empty cells for nulls)
            csv_src = tmp / "customers.csv"
            duckdb.execute(f"COPY (SELECT * FROM read_parquet('{src}')) TO '{csv_src}' (HEADER, DELIMITER ',')")
            src, reader = csv_src, "read_csv"
        elif args.format == "jsonl":
            json_src = tmp / "customers.jsonl"
            duckdb.execute(f"COPY (SELECT * FROM read_parquet('{src}')) TO '{json_src}' (FORMAT json)")
            src, reader = json_src, "read_ndjson"
        opts = ApplyOptions(inputs={"customer": src}, output=ours, params=resolve_params(rs))
        con = duckdb.connect()

        def hand():
            con.execute(HAND_WRITTEN.format(src=src, out=theirs, reader=reader))

        def segdsl_run():
            service.apply(rs, "duckdb", opts)

        hand()
        summary = service.apply(rs, "duckdb", opts)
        a = pq.read_table(ours).sort_by("customer_id")
        b = pq.read_table(theirs).sort_by("customer_id")
        assert a.column_names == b.column_names, (a.column_names, b.column_names)
        for name in a.column_names:
            assert a.column(name).to_pylist() == b.column(name).to_pylist(), name
        assert summary.written == args.rows
        # interleaved, so a busy spell on a shared machine hits both alike
        t_hand, t_ours = float("inf"), float("inf")
        for _ in range(args.repeat):
            t_hand = min(t_hand, best_of(hand, 1))
            t_ours = min(t_ours, best_of(segdsl_run, 1))
    print(f"{'engine':<34}{'rows':>12}{'seconds':>10}{'rows/s':>14}")
    print(f"{'hand-written DuckDB SQL':<34}{args.rows:>12,}{t_hand:>10.3f}{args.rows / t_hand:>14,.0f}")
    print(f"{'segdsl apply --engine duckdb':<34}{args.rows:>12,}{t_ours:>10.3f}{args.rows / t_ours:>14,.0f}")
    print(f"ratio segdsl / hand-written time: {t_ours / t_hand:.2f}x (target <= 1.15x); outputs equal")


if __name__ == "__main__":
    main()
