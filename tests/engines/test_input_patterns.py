"""`--input NAME='parts/*.parquet'`: the files a pattern names are one input,
read one after the other in sorted order, by every engine alike; a bad row is
reported by its file and its row in that file."""
from __future__ import annotations

import csv

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from segdsl.engines import registry
from segdsl.cli import app

RULES = '''
ruleset parts
input customer key id {
  id: string
  spend: number in 0..1000
  tier: enum { gold = "G", silver = "S" }?
}
dimension value first {
  segment big when spend >= 100
  otherwise small
}
dimension tier_seg unique {
  segment g when tier = gold
  segment s when tier = silver
  otherwise none_
}
'''

PARTS = {
    "part-1": [("a", 10.0, "G"), ("b", 200.0, None)],
    "part-2": [("c", 300.0, "S"), ("d", -5.0, "G"), ("a", 1.0, None)],     # out of range; repeats a (part-1)
    "part-3": [("e", 50.0, "X"), ("f", 999.0, "S")],                       # unknown enum value
}


def write_parts(directory, fmt):
    directory.mkdir()
    for name, rows in PARTS.items():
        if fmt == "parquet":
            pq.write_table(pa.table({"id": [r[0] for r in rows], "spend": [r[1] for r in rows],
                                     "tier": [r[2] for r in rows]}), directory / f"{name}.parquet")
        else:
            with open(directory / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["id", "spend", "tier"])
                w.writerows([[r[0], r[1], r[2] or ""] for r in rows])
    (directory / "notes.txt").write_text("not an input")


@pytest.fixture
def rules(tmp_path):
    p = tmp_path / "parts.seg"
    p.write_text(RULES, encoding="utf-8")
    return p


def run(rules, pattern, out, engine, *args):
    return CliRunner().invoke(app, ["apply", str(rules), "--input", f"customer={pattern}", "-o", str(out),
                                    "--engine", engine, *args])


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_every_engine_reads_a_pattern_alike(tmp_path, rules, fmt):
    write_parts(tmp_path / "parts", fmt)
    pattern = tmp_path / "parts" / f"part-*.{fmt}"
    seen = {}
    for engine in registry.available():          # every engine that runs here, registered ones too
        out, q = tmp_path / f"{engine}.csv", tmp_path / f"{engine}.rejected.csv"
        r = run(rules, pattern, out, engine, "--on-error", "quarantine", "--quarantine", str(q))
        assert r.exit_code == 0, r.output
        seen[engine] = (out.read_bytes(), q.read_bytes())
    assert {"duckdb", "python", "spark"} <= set(seen) and len(set(seen.values())) == 1
    out, quarantine = seen["python"]
    assert [line.split(",")[0] for line in out.decode().splitlines()] == ["id", "a", "b", "c", "f"]
    rejected = list(csv.reader(quarantine.decode().splitlines()))
    assert rejected[0][:3] == ["_file", "_row", "_reason"]
    where = [(r[0].rsplit("/", 1)[-1], r[1]) for r in rejected[1:]]
    assert where == [(f"part-2.{fmt}", "2"), (f"part-2.{fmt}", "3"), (f"part-3.{fmt}", "1")]
    assert f"appears twice (first at row 1 of {tmp_path / 'parts' / f'part-1.{fmt}'})" in rejected[2][2]


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_fail_names_the_file_and_its_row(tmp_path, rules, engine):
    write_parts(tmp_path / "parts", "parquet")
    r = run(rules, tmp_path / "parts" / "part-*.parquet", tmp_path / "o.csv", engine)
    assert r.exit_code == 1
    assert f"{tmp_path / 'parts' / 'part-2.parquet'} row 2: spend = -5.0 is out of range" in r.output
    assert not (tmp_path / "o.csv").exists()


def test_a_pattern_that_matches_nothing_is_a_usage_error(tmp_path, rules):
    r = run(rules, tmp_path / "none-*.parquet", tmp_path / "o.csv", "duckdb")
    assert r.exit_code == 2 and "no file matches" in r.output and "Traceback" not in r.output


def test_a_keyless_input_must_be_one_file(tmp_path):
    rules = tmp_path / "k.seg"
    rules.write_text("ruleset k\ninput customer { spend: number }\n"
                     "dimension v first { segment big when spend >= 100  otherwise small }\n")
    write_parts(tmp_path / "parts", "parquet")
    r = run(rules, tmp_path / "parts" / "part-*.parquet", tmp_path / "o.csv", "duckdb")
    assert r.exit_code == 1 and "has no key" in r.output and "Traceback" not in r.output
