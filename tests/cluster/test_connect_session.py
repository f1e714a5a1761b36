"""The engine's session over Spark Connect: the language's settings and the user's on the
server's session, a setting only the server's start can make refused by name, and the
engine's exact sum (a Python UDF) run by the cluster's executors."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from segdsl.builtins import EXACT_SUM
from segdsl.cli import app
from segdsl.engines import spark_session
from tests.cluster.conftest import CONNECT_ENV, cluster_url
from tests.helpers import ROOT


@pytest.fixture
def connect() -> str:
    return cluster_url(CONNECT_ENV)


def test_settings_reach_the_connect_session(connect):
    spark = spark_session.session(connect, (("spark.sql.shuffle.partitions", "7"),))
    assert type(spark).__module__.startswith("pyspark.sql.connect")
    assert spark.conf.get("spark.sql.shuffle.partitions") == "7"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.conf.get("spark.sql.caseSensitive") == "true"
    assert spark.conf.get("spark.sql.variable.substitute") == "false"
    # the exact sum, as a UDF on the executors: 1e16 + 1 - 1e16 is 1 exactly, 0 in floating point
    got = spark_session.run_query(spark, f"SELECT `{EXACT_SUM}`(array(1e16D, 1D, -1e16D)) AS s")
    assert got.column("s").to_pylist() == [1.0]


def test_a_setting_only_the_server_sets_is_refused_by_name(connect, tmp_path):
    out = tmp_path / "out.parquet"
    r = CliRunner().invoke(app, ["apply", str(ROOT / "rulesets" / "telco_churn.seg"), "--input",
                                 f"customer={ROOT / 'segdsl' / 'samples' / 'telco_customers.csv'}", "-o", str(out),
                                 "--engine", "spark", "--master", connect,
                                 "--spark-conf", "spark.driver.maxResultSize=64m"])
    assert r.exit_code == 1 and "Traceback" not in r.output and not out.exists()
    assert ("--spark-conf spark.driver.maxResultSize=64m: a Spark Connect session cannot change it: "
            "the server sets it when it starts") in r.output


def test_a_classic_run_after_a_connect_session_in_one_process(connect, tmp_path):
    # PySpark marks a process that made a Connect session; the next classic run closes the
    # Connect sessions and drops the mark, or PySpark's functions would build Connect columns
    import os

    import pyarrow as pa
    import pyarrow.parquet as pq
    spark_session.session(connect)
    assert "SPARK_CONNECT_MODE_ENABLED" in os.environ
    rules = tmp_path / "r.seg"
    rules.write_text("ruleset r\ninput customer key id { id: string  t: datetime? }\n"
                     "dimension d first { segment late when t > 2000-01-01T00:00:00 otherwise early }\n",
                     encoding="utf-8")
    data = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "t": pa.array([0, 10**15], pa.timestamp("us"))}), data)
    out = tmp_path / "out.csv"
    r = CliRunner().invoke(app, ["apply", str(rules), "--input", f"customer={data}", "-o", str(out),
                                 "--engine", "spark", "--master", "local[2]"])
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8") == "id,d\na,early\nb,late\n"
    assert "SPARK_CONNECT_MODE_ENABLED" not in os.environ


def test_directories_written_over_connect(connect, tmp_path):
    """Over Spark Connect the executors write a directory output and a quarantine directory
    (here on a file system the server shares), read a directory of CSV parts, and the result is
    the DuckDB engine's."""
    import pyarrow.parquet as pq
    rules = tmp_path / "shop.seg"
    rules.write_text("ruleset s\ninput customer key id { id: string  spend: number? in 0..100 }\n"
                     "dimension d first { segment big when spend >= 50 otherwise small }\n", encoding="utf-8")
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.csv").write_text("id,spend\na,10\nb,-1\nc,70\n", encoding="utf-8")
    (tmp_path / "parts" / "b.csv").write_text("id,spend\nd,x\na,5\ne,99\n", encoding="utf-8")
    args = ["apply", str(rules), "--on-error", "quarantine"]
    spark = CliRunner().invoke(app, args + ["--input", f"customer={tmp_path / 'parts'}", "-o", f"{tmp_path / 'out'}/",
                                            "--quarantine", f"{tmp_path / 'bad'}/", "--engine", "spark",
                                            "--master", connect])
    assert spark.exit_code == 0, spark.output
    duck = CliRunner().invoke(app, args + ["--input", f"customer={tmp_path / 'parts' / '*.csv'}", "-o",
                                           str(tmp_path / "duck.parquet"), "--quarantine", str(tmp_path / "duck.csv")])
    assert duck.exit_code == 0, duck.output
    assert pq.read_table(tmp_path / "out").sort_by("id").to_pylist() == \
        pq.read_table(tmp_path / "duck.parquet").sort_by("id").to_pylist()
    bad = sorted((r["_file"].rsplit("/", 1)[-1], r["_row"], r["_reason"]) for r in pq.read_table(tmp_path / "bad").to_pylist())
    lines = (tmp_path / "duck.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(bad) == len(lines) == 3 and [b[:2] for b in bad] == [("a.csv", 2), ("b.csv", 1), ("b.csv", 2)]
    assert "appears twice (first at row 1 of" in bad[2][2]
