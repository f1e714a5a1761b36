"""Two million customers with population values on the cluster, every job capped at
`spark.driver.maxResultSize=2m` (Spark fails any job that collects more than 2 MB to
the driver): the run can only pass if the inputs are read, the population values
computed and the output written by Spark itself, nothing proportional to the number
of customers passing through the driver. Its output (a directory of part files) holds
the DuckDB engine's rows."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from duckdb_macro import generate  # noqa: E402

from tests.cluster.runner import settings  # noqa: E402

RULES = ROOT / "benchmarks" / "rules" / "telecom_population.seg"
ROWS = 2_000_000


def segdsl(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "segdsl.cli", "apply", str(RULES), *args], cwd=ROOT,
                          env=env | {"PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=1200)


def test_two_million_customers_with_population_values_collect_nothing(master, cluster_env, tmp_path):
    data = tmp_path / "customers.parquet"
    generate(ROWS, data)
    out = tmp_path / "segments"
    conf = [f"--spark-conf={k}={v}" for k, v in settings(master).items()]
    done = segdsl("--input", f"customer={data}", "--engine", "spark", "--master", master, *conf,
                  "--output", f"{out}/", "--labels", env=cluster_env)
    assert done.returncode == 0, done.stderr[-3000:]
    reference = tmp_path / "duckdb.parquet"
    done = segdsl("--input", f"customer={data}", "--output", str(reference), "--labels", env=cluster_env)
    assert done.returncode == 0, done.stderr[-3000:]
    con = duckdb.connect()
    spark_rows = f"read_parquet('{out}/*.parquet')"
    duck_rows = f"read_parquet('{reference}')"
    assert con.execute(f"SELECT count(*) FROM {spark_rows}").fetchone()[0] == ROWS
    for a, b in ((spark_rows, duck_rows), (duck_rows, spark_rows)):
        extra = con.execute(f"SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b} LIMIT 5").fetchall()
        assert not extra, extra
