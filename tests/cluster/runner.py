"""Every conformance case and every shipped ruleset applied by the Spark engine on
one master and by the DuckDB engine, in one process (one Spark application per
master: a session is started once, not once per case), compared as sorted tables.

Run as `python -m tests.cluster.runner MASTER REPORT.json`; the report lists how
many runs were compared and every difference. The cluster tests
(tests/cluster/test_cluster.py) start it once per master.

Each run goes through the Python API with files in and files out, as a user's job
would: inputs written to Parquet (conformance cases) or the shipped samples and
generated CSV files (rulesets), `Segmentation.apply_with_summary(..., engine=...,
master=..., spark_conf=...)`, and the output and quarantine files read back.
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from segdsl import api
from tests.conformance.cases import all_cases, build
from tests.engines.test_every_engine_on_every_ruleset import FILES, SHIPPED, generated_data
from tests.engines_under_test import _contract_tables

ROOT = Path(__file__).resolve().parents[2]
# The cap every cluster run works under: a job collecting more than this to the driver fails.
MAX_RESULT = {"spark.driver.maxResultSize": "2m"}
# A standalone application takes every free core unless capped: two, so that the other
# cluster tests' applications run beside this one (the Connect server has its own two).
STANDALONE = {"spark.cores.max": "2"}


def settings(master: str) -> dict:
    return MAX_RESULT | (STANDALONE if master.startswith("spark://") else {})


@dataclass(frozen=True)
class Run:
    """One rule file on its inputs, with the options both engines get."""
    name: str
    rules: Path
    inputs: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    spark_inputs: dict[str, str] | None = None    # the same files as Spark gets them, where that differs


def conformance_runs(tmp: Path) -> list[Run]:
    """Every conformance case, its rows written as Parquet in the data's own shape."""
    runs = []
    for case in all_cases():
        built = build(case)
        folder = tmp / "cases" / case.name
        folder.mkdir(parents=True)
        rules = folder / "rules.seg"
        rules.write_text(case.rules, encoding="utf-8")
        inputs = {}
        for name, table in _contract_tables(built.ruleset, built.population).items():
            path = folder / f"{name}.parquet"
            pq.write_table(table, path)
            inputs[name] = str(path)
        runs.append(Run(f"case {case.name}", rules, inputs, dict(case.params)))
    return runs


def ruleset_runs(tmp: Path) -> list[Run]:
    """Every shipped ruleset and example: on its shipped sample where it has one, else on
    seeded customers shaped by its schema (as tests/engines/test_every_engine_on_every_ruleset.py).
    Spark gets each text file as a directory holding it, which its executors read and check
    (engines/spark_text.py); DuckDB reads the file."""
    runs = []
    for path in FILES:
        label = str(path.relative_to(ROOT))
        rs = api.load(path).ruleset
        folder = tmp / "rulesets" / label.replace("/", "_")
        folder.mkdir(parents=True)
        if path.name in SHIPPED and "rulesets" in (path.parent.name, path.parent.parent.name):
            name, data, extra = SHIPPED[path.name]
            inputs, delimiter = {name: str(data)}, extra[1] if extra else None
        else:
            args = generated_data(rs, folder)
            inputs, delimiter = dict(a.split("=", 1) for a in args[1::2]), None
        runs.append(Run(f"ruleset {label}", path, inputs, delimiter=delimiter,
                        spark_inputs={n: as_directory(Path(p), folder / "spark_in" / n) for n, p in inputs.items()}))
    return runs


def as_directory(file: Path, folder: Path) -> str:
    """A directory holding a copy of `file`, as a Spark job's input would be."""
    folder.mkdir(parents=True)
    shutil.copyfile(file, folder / file.name)
    return str(folder)


def outcome(run: Run, engine: str, folder: Path, inputs: dict | None = None, **spark) -> dict:
    """What one engine made of the run: sorted output and rejected rows and the summary,
    or the error it reported (both engines must agree on that too)."""
    folder.mkdir(parents=True)
    out, rejected = folder / "out.parquet", folder / "rejected.parquet"
    try:
        seg = api.load(run.rules, params=run.params)
        applied = seg.apply_with_summary(dict(inputs or run.inputs), engine, out, on_error="quarantine", quarantine=rejected,
                                         labels=True, attributes=True, delimiter=run.delimiter, **spark)
    except (api.DataError, api.OptionError, api.NotSupported) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    facts = applied.summary.as_dict() | {"output": None, "quarantine": None}
    return {"columns": pq.read_schema(out).names, "rows": _sorted_rows(pq.read_table(out)),
            "rejected": _sorted_rows(pq.read_table(rejected)) if rejected.exists() else [], "summary": facts}


def _sorted_rows(table: pa.Table) -> list:
    rows = [[repr(v) for v in row.values()] for row in table.to_pylist()]
    return sorted(rows)


def compare(master: str, tmp: Path) -> dict:
    runs = conformance_runs(tmp) + ruleset_runs(tmp)
    mismatches, errors, seconds = [], [], {}
    for i, run in enumerate(runs):
        try:
            want = outcome(run, "duckdb", tmp / "out" / str(i) / "duckdb")
            start = time.perf_counter()
            got = outcome(run, "spark", tmp / "out" / str(i) / "spark", master=master, spark_conf=settings(master),
                          inputs=run.spark_inputs)
            seconds[run.name] = round(time.perf_counter() - start, 2)
        except Exception:  # noqa: BLE001 - a crash is a finding, reported with the others
            mismatches.append({"run": run.name, "crash": traceback.format_exc()})
            continue
        if got != want:
            mismatches.append({"run": run.name, "duckdb": _brief(want), "spark": _brief(got)})
        elif "error" in got:
            errors.append(run.name)
    return {"master": master, "runs": [r.name for r in runs], "mismatches": mismatches,
            "both_refused": errors, "spark_seconds": seconds, "cap": cap_refusal(master)}


def cap_refusal(master: str) -> str:
    """What the engine's session says to a query collecting 20 MB: the cap's refusal, which
    shows the runs above were made under it."""
    from segdsl.engines import spark_session
    spark = spark_session.session(master, tuple(settings(master).items()))
    try:
        table = spark_session.run_query(spark, "SELECT id, repeat('x', 1000) AS pad FROM range(0, 20000, 1, 4)")
    except api.DataError as exc:
        return str(exc)
    return f"collected {table.nbytes} bytes"


def _brief(found: dict) -> dict:
    """An outcome short enough to read in a failed test's message."""
    if "error" in found:
        return found
    return {"columns": found["columns"], "rows": len(found["rows"]), "first rows": found["rows"][:3],
            "rejected": found["rejected"][:3], "summary": found["summary"]}


def main(argv: list[str]) -> int:
    master, report = argv
    with tempfile.TemporaryDirectory(prefix="segdsl-cluster-") as tmp:
        found = compare(master, Path(tmp))
    Path(report).write_text(json.dumps(found, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
