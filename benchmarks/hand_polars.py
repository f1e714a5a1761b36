"""telecom_bench.seg written by hand with polars, whole process: a lazy query over the
Parquet file of customers, sunk to a Parquet file. No validation: the baseline for
`segdsl apply --engine polars` (benchmarks/whole_process.py --dataframes, polars_macro.py).

Two forms: the idiomatic one (an `all` dimension as a `concat_list` of `when/then`, as the
polars documentation builds lists) and a tuned one (the matches as a bit mask that picks the
list from a table of every combination, as the engine does).

Run: `python benchmarks/hand_polars.py IN.parquet OUT.parquet [plain|tuned]`.
"""
from __future__ import annotations

import datetime as dt
import sys

import polars as pl


def query(src, tuned: bool) -> pl.LazyFrame:
    """The segmentation of the customers in Parquet file `src`, as a lazy query."""
    days_idle = (pl.lit(dt.date(2026, 11, 1)) - pl.col("last_recharge")).dt.total_days()
    arpu, net, credit = pl.col("arpu"), pl.col("network"), pl.col("credit_score")
    value = (pl.when(arpu >= 300).then(pl.lit("top")).when(arpu >= 150).then(pl.lit("high"))
             .when(arpu >= 60).then(pl.lit("mid")).when(arpu < 60).then(pl.lit("low")).otherwise(pl.lit("unknown")))
    in_net = net == "in_net"
    status = (pl.when(in_net & ((days_idle > 60) | (pl.col("complaints_90d") >= 3))).then(pl.lit("churn_risk"))
              .when(in_net & (pl.col("tenure_months") < 3)).then(pl.lit("new"))
              .when(in_net).then(pl.lit("active")).when(net == "recalled").then(pl.lit("recalled"))
              .when(net.is_in(["off_net", "former"])).then(pl.lit("lost"))
              .when(net == "competitor").then(pl.lit("prospect")).otherwise(pl.lit(None, pl.String)))
    credit_band = (pl.when(credit >= 750).then(pl.lit("excellent")).when(credit >= 650).then(pl.lit("good"))
                   .when(credit >= 550).then(pl.lit("fair")).when(credit < 550).then(pl.lit("poor"))
                   .otherwise(pl.lit("unrated")))
    age = pl.col("age")
    conds = [age >= 60, age.is_between(18, 30), (pl.col("gender") == "F") & age.is_between(18, 35),
             pl.col("complaints_90d") >= 2, pl.col("satisfaction") < 3, pl.col("plan").is_in(["family", "business"])]
    names = ["senior", "youth", "young_f", "complainer", "unhappy", "group_plan"]
    if tuned:
        mask = pl.sum_horizontal([c.fill_null(False).cast(pl.Int32) * (1 << i) for i, c in enumerate(conds)])
        table = pl.Series([[n for i, n in enumerate(names) if m >> i & 1] for m in range(64)])
        tags = pl.lit(table).gather(mask)
    else:
        tags = pl.concat_list([pl.when(c).then(pl.lit(n)).otherwise(pl.lit(None, pl.String))
                               for c, n in zip(conds, names)]).list.drop_nulls()
    v, s = pl.col("value"), pl.col("status")
    quadrant = (pl.when(v.is_in(["top", "high"]) & s.is_in(["active", "new"])).then(pl.lit("star"))
                .when(v.is_in(["top", "high", "mid"]) & (s == "churn_risk")).then(pl.lit("save"))
                .when((v == "mid") & s.is_in(["active", "new"])).then(pl.lit("grow")).otherwise(pl.lit("other")))
    return (pl.scan_parquet(src)
            .select("customer_id", value.alias("value"), status.alias("status"), credit_band.alias("credit"),
                    tags.alias("tags"))
            .with_columns(quadrant.alias("quadrant")))


if __name__ == "__main__":
    query(sys.argv[1], len(sys.argv) > 3 and sys.argv[3] == "tuned").sink_parquet(sys.argv[2])
