"""Population values on the DuckDB engine's Parquet path. They come out of joins that keep no
order across threads; engines/in_order.py puts the rows back in input order as they stream
instead of sorting them: the reordering on its own, then a whole run whose joins do
interleave. The clean pass computes them from every row unchecked, which only holds because
it starts again on any bad row: bad rows that would move every statistic."""
from __future__ import annotations

import os
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from segdsl.backends.names import ORDER
from segdsl.cli import app
from segdsl.engines.in_order import InOrder


@st.composite
def shuffled_runs(draw):
    """1..n cut into runs, the runs shuffled and regrouped into batches (each batch keeps
    its runs in the order drawn, as a thread's vector can hold pieces of two row groups)."""
    n = draw(st.integers(1, 300))
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=n - 1))) if n > 1 else []
    bounds = [1, *(c + 1 for c in cuts), n + 1]
    runs = [list(range(a, b)) for a, b in zip(bounds, bounds[1:])]
    runs = draw(st.permutations(runs))
    sizes = draw(st.lists(st.integers(1, 4), min_size=len(runs), max_size=len(runs)))
    batches, i = [], 0
    for size in sizes:
        if i < len(runs):
            batches.append([o for run in runs[i:i + size] for o in run])
            i += size
    return n, batches


def table(orders):
    return pa.table({"v": [f"r{o}" for o in orders], ORDER: pa.array(orders, pa.int64())})


def put_back(batches):
    buffer = InOrder()
    out = [o for b in batches for t in buffer.add(table(b)) for o in t.column(ORDER).to_pylist()]
    return buffer, out


@given(shuffled_runs())
def test_runs_in_any_order_come_out_in_input_order(case):
    n, batches = case
    buffer, out = put_back(batches)
    assert out == list(range(1, n + 1))
    assert buffer.complete


@given(shuffled_runs(), st.data())
def test_a_missing_or_repeated_row_never_passes_for_the_whole_input(case, data):
    n, batches = case
    flat = [o for b in batches for o in b]
    if data.draw(st.booleans(), label="repeat") or n == 1:
        at = data.draw(st.integers(0, len(batches)), label="where")
        batches = [*batches[:at], [data.draw(st.sampled_from(flat), label="row")], *batches[at:]]
        buffer, out = put_back(batches)
        assert out == list(range(1, n + 1)) or len(out) < n
        assert not buffer.complete
    else:
        # rows after a missing one wait for ever; a missing last row leaves fewer rows
        # written than the input has, which the caller counts
        gone = data.draw(st.sampled_from(flat), label="row")
        batches = [[o for o in b if o != gone] for b in batches]
        buffer, out = put_back([b for b in batches if b])
        assert out == list(range(1, gone))
        assert buffer.complete == (gone == n)


RULES = """
ruleset pop "群体值" version "1"
input customer key id {
  id:    string
  spend: number?
  plan:  enum { a "甲", b "乙", c "丙" }
  age:   int? in 0..120
}
let rank = percent_rank(spend by plan)
let tile = ntile(age, 4)
dimension value "价值" first {
  segment top  "顶级" when rank >= 90%
  segment mean "均值以上" when spend >= mean(spend by plan)
  otherwise rest "其他"
}
dimension age_band "年龄" first {
  segment oldest when tile = 4
  segment old    when tile = 3
  otherwise young
}
"""


def customers(n: int, seed: int = 7) -> pa.Table:
    rng = random.Random(seed)
    return pa.table({
        "id": [f"c{i:06d}" for i in rng.sample(range(n), n)],
        "spend": [None if rng.random() < 0.05 else round(rng.uniform(0, 500), 1) for _ in range(n)],
        "plan": [rng.choice("abc") for _ in range(n)],
        "age": [None if rng.random() < 0.1 else rng.randint(18, 90) for _ in range(n)],
    })


def run_both(tmp_path, data: pa.Table, *args, row_group_size: int = 2_000) -> dict:
    """Output, quarantine file and exit code of the DuckDB and the Python engines."""
    path = tmp_path / "in.parquet"
    pq.write_table(data, path, row_group_size=row_group_size)
    rules = tmp_path / "r.seg"
    rules.write_text(RULES, encoding="utf-8")
    outs = {}
    for engine in ("duckdb", "python"):
        out, q = tmp_path / f"{engine}.parquet", tmp_path / f"{engine}_bad.csv"
        r = CliRunner().invoke(app, ["apply", str(rules), "--input", str(path), "-o", str(out), "--engine", engine,
                                     "--quarantine", str(q), *args])
        assert "Traceback" not in r.output
        outs[engine] = (r.exit_code, out.read_bytes() if out.exists() else None, q.read_bytes() if q.exists() else None)
    return outs


def test_a_population_run_whose_joins_interleave_is_written_in_input_order(tmp_path, monkeypatch):
    """Many small row groups, so DuckDB's threads hand the joins' rows over interleaved: the
    run must hold some pieces back (else this test proves nothing) and write the same bytes as
    the Python engine."""
    held = []

    class Watched(InOrder):
        def add(self, t):
            ready = super().add(t)
            held.append(len(self.waiting))
            return ready

    monkeypatch.setattr("segdsl.engines.duckdb.InOrder", Watched)
    outs = run_both(tmp_path, customers(60_000))
    assert outs["duckdb"] == outs["python"]
    assert outs["duckdb"][0] == 0
    if (os.cpu_count() or 1) > 1:     # DuckDB runs a thread per core: one thread keeps the order
        assert max(held) > 0, "DuckDB gave the rows in order: nothing was put back"


@pytest.mark.parametrize("policy", ["skip", "quarantine"])
def test_bad_rows_count_in_no_statistic(tmp_path, policy):
    """Bad rows far off every statistic (an age past the range, a NaN spend, a plan not in
    the enum, a repeated key): the clean pass reads them unchecked, so it must give way to
    the careful path, which leaves them out of the population."""
    data = customers(3_000).to_pylist()
    data[10]["age"] = 500
    data[20]["spend"] = float("nan")
    data[30]["plan"] = "z"
    data[40]["id"] = data[41]["id"]
    data[50]["spend"] = 1e12
    outs = run_both(tmp_path, pa.Table.from_pylist(data), "--on-error", policy, row_group_size=500)
    assert outs["duckdb"] == outs["python"]
    assert outs["duckdb"][0] == 0
