"""A DuckDB database opened in a thread while the engine's other modules load.

Opening one is about 0.02 s of DuckDB's own code, which runs without holding
Python's lock; importing pyarrow and the engine's modules holds the lock, with
the machine's other core idle. So the engine module starts the thread before
those imports (`start`), and the first run in the process takes that
connection (`connect`): a short `apply` ends about 0.01 s sooner. Every later
run connects as it always did; a process that imports the engine and never
runs it has one idle in-memory database, closed at exit.
"""
from __future__ import annotations

import threading

import duckdb

_lock = threading.Lock()
_opened: list = []


def _open() -> None:
    try:
        _opened.append(duckdb.connect())
    except Exception:       # noqa: BLE001 - the run connects itself, and any failure is reported then
        pass


_thread = threading.Thread(target=_open, name="segdsl-duckdb-open", daemon=True)


def start() -> None:
    with _lock:
        if _thread.ident is None:
            _thread.start()


def connect() -> "duckdb.DuckDBPyConnection":
    """The connection opened early, the first time it is asked for; a new one after."""
    with _lock:
        if _thread.ident is not None:
            _thread.join()
            if _opened:
                return _opened.pop()
    return duckdb.connect()
