"""The DuckDB engine's SQL texts kept on disk (engines/sql_cache.py): a second run on
the same rules and input builds no query and imports no sqlglot, writes the same bytes,
and a cached text is never used where the rules, the options or the data call for
another one."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segdsl.check.frontend import check_file
from segdsl.engines import registry
from segdsl.engines.options import ApplyOptions
from segdsl.engines.sql_cache import KEPT, SqlTexts
from segdsl.passes import build_plan
from tests.helpers import cli_probe

ROOT = Path(__file__).resolve().parents[2]

RULES = '''ruleset shop "商店" version "1"
input customer key id {
  id:    string
  spend: number? in 0..1000
  tier:  enum { gold = "Gold", silver = "Silver" }?
}
dimension value "价值" first {
  segment vip "贵宾" when spend >= 500
  otherwise rest "其他"
}
'''


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SEGDSL_CACHE_DIR", str(folder))
    return folder


def _data(path: Path, spend: list, tiers: list | None = None) -> Path:
    n = len(spend)
    pq.write_table(pa.table({"id": [f"c{i}" for i in range(n)], "spend": pa.array(spend, pa.float64()),
                             "tier": tiers or ["Gold"] * n}), path)
    return path


def _apply(rules: Path, data: Path, out: Path, **options):
    rs = check_file(rules).ruleset
    opts = ApplyOptions(inputs={"customer": data}, output=out, **options)
    return registry.get("duckdb").apply(build_plan(rs), opts)


def test_a_second_run_reads_its_texts_and_writes_the_same_bytes(tmp_path, cache):
    rules = tmp_path / "r.seg"
    rules.write_text(RULES, encoding="utf-8")
    data = _data(tmp_path / "c.parquet", [10.0, 600.0, None])
    _apply(rules, data, tmp_path / "a.parquet")
    entries = list(cache.glob("sql-*.json"))
    assert len(entries) == 1
    _apply(rules, data, tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert list(cache.glob("sql-*.json")) == entries


def test_other_footers_other_texts(tmp_path, cache):
    """Checks the footers of the first file proved needless are back for a file with a bad value."""
    rules = tmp_path / "r.seg"
    rules.write_text(RULES, encoding="utf-8")
    good = _data(tmp_path / "good.parquet", [10.0, 600.0])
    _apply(rules, good, tmp_path / "a.parquet")
    bad = _data(tmp_path / "bad.parquet", [10.0, 5000.0])       # out of 0..1000
    summary = _apply(rules, bad, tmp_path / "b.parquet", on_error="skip")
    assert summary.written == 1 and summary.skipped == 1
    bad2 = _data(tmp_path / "good.parquet", [10.0, 5000.0], ["Gold", "Bronze"])     # same path, new file
    summary = _apply(rules, bad2, tmp_path / "c.parquet", on_error="skip")
    assert summary.written == 1 and summary.skipped == 1


def test_other_rules_or_options_other_texts(tmp_path, cache):
    rules = tmp_path / "r.seg"
    rules.write_text(RULES, encoding="utf-8")
    data = _data(tmp_path / "c.parquet", [10.0, 600.0])
    _apply(rules, data, tmp_path / "a.parquet")
    _apply(rules, data, tmp_path / "b.parquet", labels=True)
    assert "value_label" in pq.read_schema(tmp_path / "b.parquet").names
    rules.write_text(RULES.replace(">= 500", ">= 5"), encoding="utf-8")
    _apply(rules, data, tmp_path / "c.parquet")
    assert pq.read_table(tmp_path / "c.parquet").column("value").to_pylist() == ["vip", "vip"]


def test_a_damaged_entry_is_rebuilt(tmp_path, cache):
    rules = tmp_path / "r.seg"
    rules.write_text(RULES, encoding="utf-8")
    data = _data(tmp_path / "c.parquet", [10.0, 600.0])
    _apply(rules, data, tmp_path / "a.parquet")
    for entry in cache.glob("sql-*.json"):
        entry.write_text('{"main:x": 1, ', encoding="utf-8")
    _apply(rules, data, tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_texts_are_filed_by_what_they_depend_on(cache):
    texts = SqlTexts("rules", 1)
    assert texts.get("main", (True,), lambda: "SELECT 1") == "SELECT 1"
    texts.save()
    again = SqlTexts("rules", 1)
    assert again.has("main", (True,)) and not again.has("main", (False,))
    assert again.get("main", (True,), lambda: pytest.fail("built again")) == "SELECT 1"
    assert not SqlTexts("rules", 2).has("main", (True,))
    assert not SqlTexts("rules", 1.0).has("main", (True,))      # 1 and 1.0 are other rules


def test_an_entry_keeps_a_bounded_number_of_texts(cache):
    for i in range(KEPT + 10):
        texts = SqlTexts("rules")
        texts.get("scan", (i,), lambda: f"SELECT {i}")
        texts.save()
    last = SqlTexts("rules")
    assert len(last.known) == KEPT and last.has("scan", (KEPT + 9,))


def test_a_value_without_a_stable_spelling_is_never_cached(cache):
    texts = SqlTexts(object())
    texts.get("main", (), lambda: "SELECT 1")
    texts.save()
    assert not list(cache.glob("sql-*"))


POPULATION_RULES = RULES.replace('  segment vip "贵宾" when spend >= 500',
                                 '  segment vip "贵宾" when percent_rank(spend) >= 50%')


def _text_data(path: Path) -> Path:
    """The customers of `_data(path, [10.0, 600.0, None])` as CSV or JSON Lines."""
    rows = [("c0", "10.0", "Gold"), ("c1", "600.0", "Gold"), ("c2", "", "Gold")]
    if path.suffix == ".csv":
        path.write_text("id,spend,tier\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps({"id": i, "spend": float(s) if s else None, "tier": t}) + "\n"
                                for i, s, t in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("text, suffix", [(RULES, ".parquet"), (POPULATION_RULES, ".parquet"), (RULES, ".csv"),
                                          (RULES, ".jsonl")], ids=["plain", "population_values", "csv", "jsonl"])
def test_a_warm_apply_imports_neither_sqlglot_nor_the_parser_nor_pydantic(tmp_path, text, suffix):
    """Population values: the clean pass's text (statistics from every row) is the one kept.
    CSV and JSON Lines: the view DuckDB reads them through, and its key check."""
    rules = tmp_path / "r.seg"
    rules.write_text(text, encoding="utf-8")
    data = (_data(tmp_path / "c.parquet", [10.0, 600.0, None]) if suffix == ".parquet"
            else _text_data(tmp_path / f"c{suffix}"))
    env = {**os.environ, "SEGDSL_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    # the command ends the process itself (cli._leave), running the atexit functions first
    probe = cli_probe("sorted(m for m in ('sqlglot', 'lark', 'pydantic') if m in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", probe, "apply", str(rules), "-i", str(data), "-o",
                            str(tmp_path / f"out{i}.parquet")], env=env, capture_output=True, text=True,
                           cwd=tmp_path) for i in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    assert runs[0].stdout.strip().splitlines()[-1] == "['lark', 'sqlglot']", runs[0].stderr
    assert runs[1].stdout.strip().splitlines()[-1] == "[]", runs[1].stderr
    assert (tmp_path / "out0.parquet").read_bytes() == (tmp_path / "out1.parquet").read_bytes()
    if suffix != ".parquet":      # read by DuckDB itself (engines/duckdb_text.py), from the cached texts
        kept = json.loads(next((tmp_path / "cache").glob("sql-*.json")).read_text(encoding="utf-8"))
        assert {k.split(":")[0] for k in kept} >= {"text-view", "text-keys", "text-drop"}


def test_a_function_is_registered_for_a_query_that_calls_it_in_any_case():
    from segdsl.builtins import EXACT_SUM, FULL_UPPER
    from segdsl.engines.duckdb_functions import called_in
    assert called_in(f"SELECT {EXACT_SUM.upper()}(x), {FULL_UPPER}(y) FROM t") == (EXACT_SUM, FULL_UPPER)
    assert called_in("SELECT sum(x) FROM t") == ()
