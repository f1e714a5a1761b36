"""RFM on the shipped Online Retail sample, computed independently with
pandas/numpy, against what every engine assigns through `segdsl apply`.

The oracle follows LANGUAGE.md's definitions, not segdsl's code: recency in
calendar days from the last order to as_of; frequency = distinct invoices with
a positive quantity; monetary = exact sum (math.fsum) of quantity × price over
positive lines; tiles = 1 + number of numpy linear quantile cut points below
the value (desc reverses); "high" = above the exact mean.
"""
from __future__ import annotations

import datetime as dt
import gzip
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from segdsl.cli import app

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rulesets" / "ecommerce_rfm.seg"
ORDERS = ROOT / "segdsl" / "samples" / "online_retail_orders.csv"
AS_OF = dt.date(2011, 5, 23)


def tiles(values: pd.Series, k: int = 5, desc: bool = False) -> pd.Series:
    cuts = [float(np.quantile(values.to_numpy(dtype=float), i / k)) for i in range(1, k)]
    score = values.map(lambda x: 1 + sum(q < x for q in cuts))
    return (k + 1 - score) if desc else score


def rfm_map(r: int, f: int) -> str:
    if r == 5 and f >= 4:
        return "champions"
    if 3 <= r <= 4 and f >= 4:
        return "loyal"
    if r <= 2 and f == 5:
        return "cant_lose"
    if r <= 2 and 3 <= f <= 4:
        return "at_risk"
    if r >= 4 and 2 <= f <= 3:
        return "potential"
    if r == 5 and f == 1:
        return "new"
    if r == 4 and f == 1:
        return "promising"
    if r == 3 and f == 3:
        return "need_attention"
    if r == 3 and f <= 2:
        return "about_to_sleep"
    return "hibernating"


EIGHT = {(True, True, True): "important_value", (True, False, True): "important_develop",
         (False, True, True): "important_keep", (False, False, True): "important_retain",
         (True, True, False): "general_value", (True, False, False): "general_develop",
         (False, True, False): "general_keep", (False, False, False): "general_retain"}


FULL_GZ = ROOT / "tests" / "fixtures" / "online_retail.csv.gz"     # the real 200,002-line extract


def compute_oracle(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype={"CustomerID": str, "InvoiceNo": str})
    df = df[df["CustomerID"].notna()]          # lines without a customer are bad rows (skipped in the run)
    df["at"] = pd.to_datetime(df["InvoiceDate"])
    df["amount"] = df["Quantity"] * df["UnitPrice"]
    positive = df[df["Quantity"] > 0]
    by = df.groupby("CustomerID", sort=False)
    out = pd.DataFrame(index=by.size().index)
    out["recency"] = by["at"].max().map(lambda t: (AS_OF - t.date()).days)
    out["frequency"] = positive.groupby("CustomerID")["InvoiceNo"].nunique().reindex(out.index, fill_value=0)
    out["monetary"] = positive.groupby("CustomerID")["amount"].apply(lambda s: math.fsum(s)) \
        .reindex(out.index, fill_value=0.0)
    out["r"] = tiles(out["recency"], desc=True)
    out["f"] = tiles(out["frequency"])
    out["m"] = tiles(out["monetary"])
    mean = {c: math.fsum(out[c]) / len(out) for c in ("recency", "frequency", "monetary")}
    out["rfm"] = [rfm_map(r, f) for r, f in zip(out["r"], out["f"])]
    out["rfm8"] = [EIGHT[(rec < mean["recency"], fr > mean["frequency"], mo > mean["monetary"])]
                   for rec, fr, mo in zip(out["recency"], out["frequency"], out["monetary"])]
    return out


@pytest.fixture(scope="module")
def oracle() -> pd.DataFrame:
    return compute_oracle(ORDERS)


def run_and_compare(tmp_path, oracle, engine, orders, customers):
    out = tmp_path / f"rfm_{engine}.parquet"
    r = CliRunner().invoke(app, ["apply", str(RULES), "--input", f"orders={orders}", "-o", str(out),
                                 "--engine", engine, "--on-error", "skip"])
    assert r.exit_code == 0, r.output
    got = pd.read_parquet(out).set_index("customer_id")
    assert len(got) == len(oracle) == customers
    assert set(got.index) == set(oracle.index)
    diff_rfm = [(c, got.loc[c, "rfm"], oracle.loc[c, "rfm"]) for c in oracle.index if got.loc[c, "rfm"] != oracle.loc[c, "rfm"]]
    diff_8 = [(c, got.loc[c, "rfm8"], oracle.loc[c, "rfm8"]) for c in oracle.index if got.loc[c, "rfm8"] != oracle.loc[c, "rfm8"]]
    assert diff_rfm == [] and diff_8 == []
    # the data is not degenerate: the classifications really spread
    assert oracle["rfm"].nunique() >= 8 and oracle["rfm8"].nunique() == 8
    return out.read_bytes()


def test_every_engine_matches_the_pandas_oracle_and_writes_the_same_bytes(tmp_path, oracle):
    files = {engine: run_and_compare(tmp_path, oracle, engine, ORDERS, 301) for engine in ("duckdb", "python", "spark")}
    assert files["duckdb"] == files["python"] == files["spark"]


@pytest.fixture(scope="module")
def full_extract(tmp_path_factory) -> Path:
    """The real extract, unpacked once per test process (it ships compressed)."""
    path = tmp_path_factory.mktemp("online_retail") / "online_retail.csv"
    with gzip.open(FULL_GZ, "rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_the_real_online_retail_extract(tmp_path, engine, full_extract):
    run_and_compare(tmp_path, compute_oracle(full_extract), engine, full_extract, 2707)
