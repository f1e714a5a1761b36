"""The DuckDB database opened while the engine loads (engines/duckdb_early.py): the first
run in a process takes it, every other run opens its own, and no thread is left behind
(a thread still running would make the command line exit the slow way, cli._leave)."""
from __future__ import annotations

import subprocess
import sys

PROBE = """
import threading
from segdsl.engines import duckdb, duckdb_early
early = duckdb_early._thread
early.join()
opened = list(duckdb_early._opened)
first, second = duckdb_early.connect(), duckdb_early.connect()
print(len(opened), first is opened[0], second is not first,
      first.execute("select 41 + 1").fetchall()[0][0], second.execute("select 42").fetchall()[0][0],
      early.is_alive(), threading.active_count())
"""


def test_the_first_run_takes_the_database_opened_early_and_later_ones_open_their_own():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["1", "True", "True", "42", "42", "False", "1"]


def test_a_run_in_this_process_gets_a_working_connection_each_time():
    from segdsl.engines import duckdb_early
    cons = [duckdb_early.connect() for _ in range(3)]
    assert len({id(c) for c in cons}) == 3
    assert [c.execute("select 1").fetchall() for c in cons] == [[(1,)]] * 3
    assert not duckdb_early._thread.is_alive()
