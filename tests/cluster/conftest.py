"""The Spark cluster the tests here run on: a standalone master with two workers and a
Spark Connect server on 127.0.0.1, started by `.ci/spark.sh` (`make spark-up`).

`.ci/run` starts the cluster and names it in $SEGDSL_TEST_SPARK_MASTER and
$SEGDSL_TEST_SPARK_CONNECT: then every test here must run, and one that finds
nothing answering fails. Without those variables the tests run against a cluster
answering on the default ports (`make spark-up` by hand) and say they are skipped
when there is none.
"""
from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlsplit

import pytest

MASTER_ENV, CONNECT_ENV = "SEGDSL_TEST_SPARK_MASTER", "SEGDSL_TEST_SPARK_CONNECT"
DEFAULTS = {MASTER_ENV: "spark://127.0.0.1:7077", CONNECT_ENV: "sc://127.0.0.1:15002"}


def answers(url: str) -> bool:
    parts = urlsplit(url.replace("sc://", "http://").replace("spark://", "http://"))
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=2).close()
        return True
    except OSError:
        return False


def cluster_url(variable: str) -> str:
    """The URL to test on, failing when CI named it and it does not answer, skipping when
    nobody named it and nothing answers on the default port."""
    named = os.environ.get(variable)
    url = named or DEFAULTS[variable]
    if answers(url):
        return url
    if named:
        pytest.fail(f"${variable} names {url}, and nothing answers there: .ci/spark.sh started the "
                    f"cluster for these tests (its logs are under out/spark-cluster/logs)")
    pytest.skip(f"no Spark cluster answers at {url}: `make spark-up` starts one (.ci/spark.sh)")


@pytest.fixture(params=[MASTER_ENV, CONNECT_ENV], ids=["standalone", "connect"])
def master(request) -> str:
    return cluster_url(request.param)


@pytest.fixture
def cluster_env() -> dict:
    """The environment of a process that runs on the cluster: executors run this Python."""
    return os.environ | {"PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable)}
