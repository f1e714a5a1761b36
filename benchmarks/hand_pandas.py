"""telecom_bench.seg written by hand with pandas, whole process: the Parquet file of
customers read into a DataFrame, each dimension one `numpy.select` over boolean columns, the
`all` dimension's matches as a bit mask that picks its list from a table of every
combination, and a Parquet file out. No validation: a baseline for `segdsl apply`
(benchmarks/whole_process.py --dataframes).

A missing value compares false, as SQL's unknown does in a `first` dimension (the rules
have no `not`, where the two would differ).

Run: `python benchmarks/hand_pandas.py IN.parquet OUT.parquet`.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd

AS_OF = pd.Timestamp("2026-11-01")
GAP_DAYS = 60
TAGS = ["senior", "youth", "young_f", "complainer", "unhappy", "group_plan"]


def tag_lists() -> np.ndarray:
    """The `all` dimension's list for each bit mask of its matches, in the order of TAGS."""
    lists = np.empty(1 << len(TAGS), dtype=object)
    for m in range(len(lists)):
        lists[m] = [n for i, n in enumerate(TAGS) if m >> i & 1]
    return lists


TAG_LISTS = tag_lists()


def first(conditions: list, names: list[str], otherwise) -> np.ndarray:
    return np.select(conditions, np.array(names, dtype=object), default=otherwise)


def segment(df: pd.DataFrame) -> pd.DataFrame:
    arpu, net, credit, age = df["arpu"], df["network"], df["credit_score"], df["age"]
    complaints = df["complaints_90d"].fillna(0)
    days_idle = (AS_OF - pd.to_datetime(df["last_recharge"])).dt.days
    value = first([arpu >= 300, arpu >= 150, arpu >= 60, arpu < 60], ["top", "high", "mid", "low"], "unknown")
    in_net = net == "in_net"
    status = first([in_net & ((days_idle > GAP_DAYS) | (complaints >= 3)), in_net & (df["tenure_months"] < 3),
                    in_net, net == "recalled", net.isin(["off_net", "former"]), net == "competitor"],
                   ["churn_risk", "new", "active", "recalled", "lost", "prospect"], None)
    credit_band = first([credit >= 750, credit >= 650, credit >= 550, credit < 550],
                        ["excellent", "good", "fair", "poor"], "unrated")
    tags = [age >= 60, age.between(18, 30), (df["gender"] == "F") & age.between(18, 35), complaints >= 2,
            df["satisfaction"] < 3, df["plan"].isin(["family", "business"])]
    mask = sum(t.fillna(False).to_numpy(dtype=np.int64) << i for i, t in enumerate(tags))
    quadrant = first([np.isin(value, ["top", "high"]) & np.isin(status, ["active", "new"]),
                      np.isin(value, ["top", "high", "mid"]) & (status == "churn_risk"),
                      (value == "mid") & np.isin(status, ["active", "new"])], ["star", "save", "grow"], "other")
    return pd.DataFrame({"customer_id": df["customer_id"], "value": value, "status": status,
                         "credit": credit_band, "tags": TAG_LISTS[mask], "quadrant": quadrant})


def main(src: str, dst: str) -> None:
    segment(pd.read_parquet(src)).to_parquet(dst, index=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
