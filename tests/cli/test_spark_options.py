"""`--master` and `--spark-conf` (`master=`, `spark_conf=` in the API): a wrong setting or
a master nothing answers for is a message and an exit code, before any Spark job, with
no traceback and nothing written. (Runs on a real cluster: tests/cluster.)"""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from segdsl import api
from segdsl.cli import app
from tests.helpers import ROOT

TELCO = ROOT / "rulesets" / "telco_churn.seg"
SAMPLE = ROOT / "segdsl" / "samples" / "telco_customers.csv"


def apply(tmp_path, *args: str):
    out = tmp_path / "out.parquet"
    r = CliRunner().invoke(app, ["apply", str(TELCO), "--input", f"customer={SAMPLE}", "-o", str(out), *args])
    assert "Traceback" not in r.output
    assert not out.exists()
    return r


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("setting,words", [
    ("nope", "write KEY=VALUE"),
    ("=1", "write KEY=VALUE"),
    ("executor.memory=4g", "is not a Spark setting"),
    ("spark.sql.session.timeZone=Asia/Shanghai", "for the language's semantics"),
    ("spark.sql.caseSensitive=false", "for the language's semantics"),
])
def test_a_wrong_setting_is_a_usage_error(tmp_path, setting, words):
    r = apply(tmp_path, "--engine", "spark", "--spark-conf", setting)
    assert r.exit_code == 2
    assert f"--spark-conf {setting}: " in r.output and words in r.output


def test_a_setting_given_twice_is_a_usage_error(tmp_path):
    r = apply(tmp_path, "--engine", "spark", "--spark-conf", "spark.executor.memory=1g",
              "--spark-conf", "spark.executor.memory=2g")
    assert r.exit_code == 2 and "given twice" in r.output


def test_spark_settings_for_another_engine_are_a_usage_error(tmp_path):
    r = apply(tmp_path, "--spark-conf", "spark.executor.memory=1g")
    assert r.exit_code == 2
    assert "--spark-conf spark.executor.memory=1g: the duckdb engine takes no Spark settings" in r.output


@pytest.mark.parametrize("scheme", ["spark", "sc"])
def test_a_master_nothing_answers_for_fails_at_once(tmp_path, scheme):
    pytest.importorskip("pyspark")
    url = f"{scheme}://127.0.0.1:{free_port()}"
    r = apply(tmp_path, "--engine", "spark", "--master", url)
    assert r.exit_code == 1
    assert f"--master {url}: nothing answers there" in r.output and "nothing was written" in r.output


def test_a_connect_token_is_never_shown(tmp_path):
    pytest.importorskip("pyspark")
    port = free_port()
    r = apply(tmp_path, "--engine", "spark", "--master", f"sc://127.0.0.1:{port}/;token=s3cr3t")
    assert r.exit_code == 1 and "s3cr3t" not in r.output
    assert f"--master sc://127.0.0.1:{port}: nothing answers there" in r.output


def test_a_master_without_host_is_a_usage_error(tmp_path):
    pytest.importorskip("pyspark")
    r = apply(tmp_path, "--engine", "spark", "--master", "spark://")
    assert r.exit_code == 2 and "names no host" in r.output


def test_the_api_words_settings_with_its_parameter_names(tmp_path):
    rules = api.load(TELCO)
    with pytest.raises(api.OptionError, match=r"^spark_conf='executor.memory=4g': is not a Spark setting"):
        rules.apply(SAMPLE, engine="spark", spark_conf={"executor.memory": "4g"})
    with pytest.raises(api.OptionError, match=r"^spark_conf='spark.executor.memory=4g': the duckdb engine takes no"):
        rules.apply(SAMPLE, spark_conf={"spark.executor.memory": "4g"})
    with pytest.raises(api.OptionError, match=r"^master='local\[1\]': the duckdb engine takes no master URL"):
        rules.apply(SAMPLE, master="local[1]")


def cli(tmp_path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command line in its own process: its Spark application is its own."""
    out = tmp_path / "out.parquet"
    done = subprocess.run([sys.executable, "-m", "segdsl.cli", "apply", str(TELCO), "--input", f"customer={SAMPLE}",
                           "-o", str(out), "--engine", "spark", *args], cwd=tmp_path, capture_output=True, text=True,
                          env=(env or os.environ) | {"PYTHONPATH": str(ROOT)}, timeout=600)
    assert "Traceback" not in done.stderr and "\tat " not in done.stderr, done.stderr[-3000:]
    return done


def test_a_value_spark_refuses_at_start_up_is_a_usage_error(tmp_path):
    # Spark takes a SQL setting given at start-up without a look, and refuses it only when
    # the session's settings are first read: still the user's setting, named, exit 2
    pytest.importorskip("pyspark")
    done = cli(tmp_path, "--spark-conf", "spark.sql.shuffle.partitions=0")
    assert done.returncode == 2, done.stderr
    assert "--spark-conf spark.sql.shuffle.partitions=0: " in done.stderr and "must be positive" in done.stderr
    assert "SQLSTATE" not in done.stderr and not (tmp_path / "out.parquet").exists()


def test_a_process_started_by_a_spark_connect_client_runs_a_classic_session(tmp_path):
    # PySpark marks a process that made a Connect session, and the processes it starts
    # inherit the mark; a classic session must not take the mark for a Connect request
    pytest.importorskip("pyspark")
    done = cli(tmp_path, env=os.environ | {"SPARK_CONNECT_MODE_ENABLED": "1"})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.parquet").exists()
