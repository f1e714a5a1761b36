"""Can DuckDB write the output Parquet itself and keep every engine's bytes the same?

A warm `segdsl apply` on the DuckDB engine imports pyarrow (with numpy) only to write
its output through the shared Parquet writer (io/writers.py), which cuts row groups of
exactly 131,072 rows however the rows came. Letting DuckDB write the file (`COPY
(query) TO ... (FORMAT parquet, ROW_GROUP_SIZE 131072)`) would save that import, but
only if DuckDB's file depended on the rows alone. This script writes the same 300,000
rows with DuckDB's COPY from Parquet inputs of different row-group sizes, with 1, 2 and
4 threads, and from Arrow streams of different batch sizes, and prints each file's row
groups and a hash of its bytes. Where the hashes differ, the same rows would give
different output files depending on how the input file was laid out.

Run: `python benchmarks/duckdb_copy_layout.py`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import random
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

ROWS = 300_000
ROW_GROUP = 131_072
COPY = f"(FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP})"


def rows() -> pa.Table:
    """Output-like columns: a key, a segment name, an `all` dimension's list, a date, a number."""
    rng = random.Random(1)
    segments = ["high", "mid", "low", None]
    tags = ["new", "roaming", "family"]
    return pa.table({
        "id": pa.array(range(ROWS), pa.int64()),
        "value": pa.array([rng.choice(segments) for _ in range(ROWS)]),
        "tags": pa.array([rng.sample(tags, rng.randint(0, 3)) for _ in range(ROWS)], pa.list_(pa.string())),
        "seen": pa.array([dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1000)) for _ in range(ROWS)]),
        "arpu": pa.array([rng.random() * 300 for _ in range(ROWS)]),
    })


def layout(path: Path) -> tuple[list[int], str]:
    meta = pq.ParquetFile(path).metadata
    groups = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    return groups, hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def connect(threads: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("SET preserve_insertion_order = true")
    return con


def from_parquet(tmp: Path, table: pa.Table, input_group: int, threads: int) -> Path:
    source, out = tmp / f"in_{input_group}.parquet", tmp / "out.parquet"
    pq.write_table(table, source, row_group_size=input_group)
    connect(threads).execute(f"COPY (SELECT * FROM read_parquet('{source}')) TO '{out}' {COPY}")
    return out


def from_stream(tmp: Path, table: pa.Table, batch: int) -> Path:
    out = tmp / "out.parquet"
    con = connect(2)
    con.register("incoming", pa.RecordBatchReader.from_batches(table.schema, table.to_batches(batch)))
    con.execute(f"COPY (SELECT * FROM incoming) TO '{out}' {COPY}")
    return out


def main() -> None:
    table = rows()
    print(f"DuckDB {duckdb.__version__}: {ROWS:,} rows written with COPY ... {COPY}\n")
    print(f"{'source':<46} {'row groups':<28} bytes")
    seen = set()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = [(f"Parquet of {g:,}-row groups, {t} thread{'s' if t > 1 else ''}",
                  lambda g=g, t=t: from_parquet(tmp, table, g, t))
                 for g in (ROW_GROUP, 50_000, 7_777) for t in (1, 2, 4)]
        cases += [(f"Arrow stream of {b:,}-row batches", lambda b=b: from_stream(tmp, table, b))
                  for b in (ROW_GROUP, 50_000, 1_000)]
        for name, write in cases:
            groups, digest = layout(write())
            seen.add(digest)
            print(f"{name:<46} {', '.join(f'{n:,}' for n in groups):<28} {digest}")
    print(f"\n{len(seen)} different files from the same rows" if len(seen) > 1 else
          "\nthe same file from every source: DuckDB's COPY keeps a layout of its own")


if __name__ == "__main__":
    main()
