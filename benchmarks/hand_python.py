"""telecom_bench.seg written by hand in Python, whole process: a Parquet file of customers
in (pyarrow, a batch at a time), benchmarks/macro.hand_segment per customer, a Parquet file
out (pyarrow). No validation: the baseline for `segdsl apply --engine python`.

Run: `python benchmarks/hand_python.py IN.parquet OUT.parquet`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from macro import hand_segment  # noqa: E402

SCHEMA = pa.schema([("customer_id", pa.string()), ("value", pa.string()), ("status", pa.string()),
                    ("credit", pa.string()), ("tags", pa.list_(pa.string())), ("quadrant", pa.string())])


def main(src: str, dst: str) -> None:
    with pq.ParquetWriter(dst, SCHEMA) as out:
        for batch in pq.ParquetFile(src).iter_batches(batch_size=100_000):
            cols = batch.to_pydict()
            names = list(cols)
            keys, results = cols["customer_id"], []
            for values in zip(*cols.values()):
                results.append(hand_segment(dict(zip(names, values))))
            value, status, credit, tags, quadrant = zip(*results) if results else ([],) * 5
            out.write_table(pa.table([keys, list(value), list(status), list(credit), list(tags), list(quadrant)],
                                     schema=SCHEMA))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
