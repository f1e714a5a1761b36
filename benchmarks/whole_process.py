"""segdsl against hand-written code, whole process: each run is a fresh process from start
to the output file, as a user or a scheduler runs it. Interleaved, best of N, with each
process's peak memory (RSS).

Rows: hand-written DuckDB SQL (one COPY, no validation), `segdsl apply --engine duckdb`,
and with `--python` the hand-written Python (pyarrow in, if/elif, pyarrow out) and
`segdsl apply --engine python`; `--csv` adds the same customers as CSV: hand-written typed
`read_csv` against segdsl on DuckDB; `--dataframes` adds hand-written polars
(benchmarks/hand_polars.py, the idiomatic form) and pandas (benchmarks/hand_pandas.py) and
`segdsl apply --engine polars`; `--population` adds `segdsl apply` of
rules/telecom_population.seg (percent_rank, ntile, quantile, mean, median, cume_share) on the
same customers, its ratio against segdsl on the same customers without population values.
`--tree DIR` adds `segdsl apply` run from another
checkout (say, an older commit) for a before/after in the same run (with `--python`, the
Python engine's too).
Outputs are compared before anything is timed.

Run: `python benchmarks/whole_process.py [--rows 1000000 3000000] [--repeat 3]`.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from duckdb_macro import HAND_WRITTEN, RULES, generate  # noqa: E402

POPULATION = HERE / "rules" / "telecom_population.seg"
HAND_SQL = "import duckdb, sys; duckdb.connect().execute(sys.stdin.read())"
HAND_PYTHON = str(HERE / "hand_python.py")
HAND_POLARS = str(HERE / "hand_polars.py")
HAND_PANDAS = str(HERE / "hand_pandas.py")


def run(cmd: list[str], env: dict, stdin: str | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one process. The RSS comes from GNU time, whose
    child is started from a small process: a child forked from this one would count this
    process's memory as its own."""
    with tempfile.NamedTemporaryFile("r") as rss:
        t = time.perf_counter()
        # from a neutral folder: `python -m` puts the current folder first on the path
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd], env=env, input=stdin,
                              text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              cwd=tempfile.gettempdir())
        wall = time.perf_counter() - t
        if done.returncode != 0:
            raise RuntimeError(f"{cmd[:4]} failed: {done.stderr[-2000:]}")
        return wall, int(rss.read().split()[-1]) / 1024


def same_rows(a: Path, b: Path) -> None:
    x = pq.read_table(a).sort_by("customer_id")
    y = pq.read_table(b).sort_by("customer_id")
    assert x.column_names == y.column_names, (x.column_names, y.column_names)
    for name in x.column_names:
        assert x.column(name).to_pylist() == y.column(name).to_pylist(), name


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--python", action="store_true", help="also the Python engine and hand-written Python")
    ap.add_argument("--csv", action="store_true", help="also CSV input on DuckDB")
    ap.add_argument("--dataframes", action="store_true",
                    help="also hand-written polars and pandas, and the polars engine")
    ap.add_argument("--population", action="store_true", help="also the ruleset with population values")
    ap.add_argument("--tree", type=Path, help="another segdsl checkout to run beside this one")
    args = ap.parse_args()
    # bytecode kept (in a folder of its own), as an installed package has it
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    here_env = {**env, "PYTHONPATH": str(HERE.parent)}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env["SEGDSL_CACHE_DIR"] = here_env["SEGDSL_CACHE_DIR"] = str(tmp / "cache")
        env["PYTHONPYCACHEPREFIX"] = here_env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        for n in args.rows:
            src = tmp / f"customers_{n}.parquet"
            generate(n, src)
            seg = [sys.executable, "-m", "segdsl.cli", "apply", str(RULES), "--input"]
            cases: dict[str, tuple] = {
                "hand-written DuckDB SQL": ([sys.executable, "-c", HAND_SQL], env,
                                            HAND_WRITTEN.format(src=src, out=tmp / "hand.parquet", reader="read_parquet"),
                                            tmp / "hand.parquet"),
                "segdsl --engine duckdb": ([*seg, f"customer={src}", "-o", str(tmp / "duck.parquet")], here_env,
                                           None, tmp / "duck.parquet"),
            }
            if args.tree:
                tree_env = {**env, "PYTHONPATH": str(args.tree.resolve())}
                cases["segdsl --engine duckdb (--tree)"] = (
                    [*seg, f"customer={src}", "-o", str(tmp / "tree.parquet")], tree_env, None, tmp / "tree.parquet")
            if args.csv:
                csv = tmp / f"customers_{n}.csv"
                duckdb.execute(f"COPY (SELECT * FROM read_parquet('{src}')) TO '{csv}' (HEADER, DELIMITER ',')")
                cases["hand-written DuckDB SQL, CSV"] = (
                    [sys.executable, "-c", HAND_SQL], env,
                    HAND_WRITTEN.format(src=csv, out=tmp / "hand_csv.parquet", reader="read_csv"), tmp / "hand_csv.parquet")
                cases["segdsl --engine duckdb, CSV"] = (
                    [*seg, f"customer={csv}", "-o", str(tmp / "duck_csv.parquet")], here_env, None,
                    tmp / "duck_csv.parquet")
                if args.tree:
                    cases["segdsl --engine duckdb, CSV (--tree)"] = (
                        [*seg, f"customer={csv}", "-o", str(tmp / "tree_csv.parquet")],
                        {**env, "PYTHONPATH": str(args.tree.resolve())}, None, tmp / "tree_csv.parquet")
            if args.dataframes:
                cases["hand-written polars"] = ([sys.executable, HAND_POLARS, str(src), str(tmp / "hand_pl.parquet")],
                                                env, None, tmp / "hand_pl.parquet")
                cases["hand-written pandas"] = ([sys.executable, HAND_PANDAS, str(src), str(tmp / "hand_pd.parquet")],
                                                env, None, tmp / "hand_pd.parquet")
                cases["segdsl --engine polars"] = (
                    [*seg, f"customer={src}", "-o", str(tmp / "pl.parquet"), "--engine", "polars"], here_env, None,
                    tmp / "pl.parquet")
            if args.population:
                pop = [sys.executable, "-m", "segdsl.cli", "apply", str(POPULATION), "--input", f"customer={src}"]
                cases["segdsl --engine duckdb, population"] = (
                    [*pop, "-o", str(tmp / "pop.parquet")], here_env, None, tmp / "pop.parquet")
                if args.tree:
                    cases["segdsl --engine duckdb, population (--tree)"] = (
                        [*pop, "-o", str(tmp / "tree_pop.parquet")], {**env, "PYTHONPATH": str(args.tree.resolve())},
                        None, tmp / "tree_pop.parquet")
            if args.python:
                cases["hand-written Python"] = ([sys.executable, HAND_PYTHON, str(src), str(tmp / "hand_py.parquet")],
                                                env, None, tmp / "hand_py.parquet")
                cases["segdsl --engine python"] = (
                    [*seg, f"customer={src}", "-o", str(tmp / "py.parquet"), "--engine", "python"], here_env, None,
                    tmp / "py.parquet")
                if args.tree:
                    cases["segdsl --engine python (--tree)"] = (
                        [*seg, f"customer={src}", "-o", str(tmp / "tree_py.parquet"), "--engine", "python"],
                        {**env, "PYTHONPATH": str(args.tree.resolve())}, None, tmp / "tree_py.parquet")
            for cmd, e, stdin, _ in cases.values():       # warm, and the outputs to compare
                run(cmd, e, stdin)
            plain = [c[3] for k, c in cases.items() if "population" not in k]
            for other in plain[1:]:
                same_rows(plain[0], other)
            population = [c[3] for k, c in cases.items() if "population" in k]
            for other in population[1:]:
                same_rows(population[0], other)
            best = {k: (float("inf"), 0.0) for k in cases}
            for _ in range(args.repeat):
                for k, (cmd, e, stdin, _) in cases.items():
                    wall, rss = run(cmd, e, stdin)
                    best[k] = (min(best[k][0], wall), max(best[k][1], rss))
            results.append((n, best))
    print(f"{'rows':>10}  {'run (whole process)':<38}{'seconds':>9}{'ratio':>8}{'peak MiB':>10}")
    for n, best in results:
        for k, (wall, rss) in best.items():
            print(f"{n:>10,}  {k:<38}{wall:>9.3f}{wall / best[reference(k)][0]:>7.2f}x{rss:>10.0f}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores); ratios against the hand-written "
          f"code in the same language for the same input (hand-written polars and pandas: against DuckDB "
          f"SQL; population values: against segdsl without them); outputs equal")


def reference(run: str) -> str:
    """The run a run's ratio is taken against."""
    if "population" in run:
        return "segdsl --engine duckdb"
    if "CSV" in run:
        return "hand-written DuckDB SQL, CSV"
    if "--engine python" in run or run == "hand-written Python":
        return "hand-written Python"
    if "--engine polars" in run:
        return "hand-written polars"
    return "hand-written DuckDB SQL"


if __name__ == "__main__":
    main()
