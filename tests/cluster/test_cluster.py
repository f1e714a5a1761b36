"""Every conformance case and every shipped ruleset, on the Spark engine against a real
standalone cluster (spark://) and a Spark Connect server (sc://), each job capped at
`spark.driver.maxResultSize=2m`: the same output, rejected rows and summary as the
DuckDB engine, compared as sorted tables.

One process per master runs every case (tests/cluster/runner.py), so each master's
Spark application starts once."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conformance.cases import all_cases
from tests.engines.test_every_engine_on_every_ruleset import FILES

ROOT = Path(__file__).resolve().parents[2]


def test_every_case_and_ruleset_gives_the_duckdb_engines_output(master, cluster_env, tmp_path):
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "tests.cluster.runner", master, str(report)], cwd=ROOT,
                          env=cluster_env | {"PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-4000:]
    found = json.loads(report.read_text(encoding="utf-8"))
    assert len(found["runs"]) == len(all_cases()) + len(FILES) >= 70      # nothing left out
    assert "spark.driver.maxResultSize" in found["cap"], found["cap"]     # the runs were made under the cap
    assert not found["mismatches"], json.dumps(found["mismatches"], indent=1, ensure_ascii=False)[:20000]
