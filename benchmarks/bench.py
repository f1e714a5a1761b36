"""`make bench`: every side-by-side comparison in one run, one table after another.

1. whole process, Parquet in and out: segdsl's DuckDB, Python and polars engines against
   hand-written DuckDB SQL, Python, polars and pandas, CSV on DuckDB against a typed
   `read_csv`, with peak memory (benchmarks/whole_process.py);
2. the fixed cost of a command against a bare `import duckdb` (benchmarks/fixed_cost.py);
3. compile time as the ruleset grows (benchmarks/compile_scale.py);
4. the generated `evaluate` against hand-written if/elif in-process (benchmarks/macro.py);
5. against rule-engine, zen-engine (expressions and decision tables) and JsonLogic on the same
   logic (benchmarks/rules_engines.py).

`--rows N` (default 1,000,000; 10,000,000 on request), `--quick` for small sizes.
Figures and the machine: docs/performance.md.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def section(title: str, script: str, *args: str) -> None:
    print(f"\n== {title}", flush=True)
    subprocess.run([sys.executable, str(HERE / script), *args], check=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 rows, 1,000 segments, fewer repeats")
    args = ap.parse_args()
    rows = 100_000 if args.quick else args.rows
    repeat = "2" if args.quick else "3"
    section(f"whole process, {rows:,} customers (telecom_bench.seg; telecom_population.seg)", "whole_process.py",
            "--rows", str(rows), "--python", "--csv", "--dataframes", "--population", "--repeat", repeat)
    section("fixed cost per command (10 customers)", "fixed_cost.py", "--repeat", "5" if args.quick else "7")
    section("compile time", "compile_scale.py", "--sizes", *(["1000"] if args.quick else ["1000", "5000"]),
            "--repeat", repeat)
    section("generated evaluate against hand-written if/elif, in-process", "macro.py",
            "--rows", str(min(rows, 1_000_000)), "--interp-rows", "10000")
    section("against rules engines on the same logic, in-process (optional: pip install '.[bench]')",
            "rules_engines.py", "--rows", "5000" if args.quick else "20000")


if __name__ == "__main__":
    main()
