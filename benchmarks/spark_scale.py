"""The Spark engine on the local standalone cluster (`make spark-up`) next to the DuckDB
engine, as the input grows: whole processes (`segdsl apply`), each timed from start to
output, with the peak memory of the process tree that runs it (for Spark: the driver,
Python and its JVM; the executors run in the cluster's workers and are not counted).

Two rulesets on the same generated customers: benchmarks/rules/telecom_bench.seg (no
population values: it streams) and benchmarks/rules/telecom_population.seg (percent_rank,
ntile, cume_share, quantile, mean and median, some by group). Each Spark output is
compared with the DuckDB engine's (as sorted tables) before its figures count.

Run: `python benchmarks/spark_scale.py [--rows 1000000 3000000 10000000]
[--master spark://127.0.0.1:7077] [--spark-conf KEY=VALUE ...] [--timeout SECONDS]`.
Figures and the plan beyond one machine: docs/scale.md.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from duckdb_macro import generate  # noqa: E402

RULES = {"plain": HERE / "rules" / "telecom_bench.seg", "population": HERE / "rules" / "telecom_population.seg"}
# The settings of docs/scale.md's figures: a 2 MB cap on what any job may collect to the
# driver (the engine keeps the data in the cluster), the driver's default memory, and two
# one-core executors of 2 GB on the local cluster.
DEFAULT_CONF = ["spark.driver.maxResultSize=2m", "spark.executor.memory=2g", "spark.cores.max=2",
                "spark.executor.cores=1"]


def tree_rss(root: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total


def run(cmd: list[str], env: dict, timeout: float) -> tuple[float, float, str | None]:
    """Wall seconds, peak RSS (MiB) of the process tree, and the error if it failed."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            cwd=tempfile.gettempdir())
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.2)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        err = f"stopped after {timeout:.0f} s"
    sampler.join()
    wall = time.perf_counter() - start
    failed = None if proc.returncode == 0 else (err or "").strip().splitlines()[-1:] or ["failed"]
    return wall, peak[0] / 2**20, failed[0] if isinstance(failed, list) else failed


def same_rows(spark_out: Path, duck_out: Path) -> bool:
    con = duckdb.connect()
    a = f"read_parquet('{spark_out}/*.parquet')" if spark_out.is_dir() else f"read_parquet('{spark_out}')"
    b = f"read_parquet('{duck_out}')"
    return all(con.execute(f"SELECT count(*) FROM (SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y})").fetchone()[0] == 0
               for x, y in ((a, b), (b, a)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 3_000_000])
    ap.add_argument("--master", default=os.environ.get("SEGDSL_TEST_SPARK_MASTER", "spark://127.0.0.1:7077"))
    ap.add_argument("--spark-conf", nargs="*", default=DEFAULT_CONF)
    ap.add_argument("--rulesets", nargs="+", choices=sorted(RULES), default=sorted(RULES))
    ap.add_argument("--dir-output", action="store_true", help="Spark writes a directory of part files (--output DIR/)")
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable)}
    commit = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True,
                            text=True).stdout.strip()
    print(f"commit {commit}; master {args.master}; Spark settings {' '.join(args.spark_conf)}", flush=True)
    print("| customers | ruleset | DuckDB s | DuckDB peak MiB | Spark s | Spark driver peak MiB | Spark/DuckDB | note |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |", flush=True)
    with tempfile.TemporaryDirectory(prefix="segdsl-scale-") as tmp:
        tmp = Path(tmp)
        env["SEGDSL_CACHE_DIR"] = str(tmp / "cache")
        for n in args.rows:
            data = tmp / f"customers_{n}.parquet"
            generate(n, data)
            for name in args.rulesets:
                base = [sys.executable, "-m", "segdsl.cli", "apply", str(RULES[name]), "--input", f"customer={data}"]
                duck_out = tmp / f"duckdb_{n}_{name}.parquet"
                d_wall, d_rss, d_err = run([*base, "-o", str(duck_out)], env, args.timeout)
                spark_out = tmp / f"spark_{n}_{name}" if args.dir_output else tmp / f"spark_{n}_{name}.parquet"
                conf = [a for c in args.spark_conf for a in ("--spark-conf", c)]
                s_wall, s_rss, s_err = run([*base, "-o", f"{spark_out}/" if args.dir_output else str(spark_out),
                                            "--engine", "spark", "--master", args.master, *conf], env, args.timeout)
                note = d_err or s_err or ("" if same_rows(spark_out, duck_out) else "OUTPUTS DIFFER")
                ratio = f"{s_wall / d_wall:.1f}×" if not (d_err or s_err) else "–"
                spark_s = f"{s_wall:.1f}" if not s_err else f"({s_wall:.0f})"
                print(f"| {n:,} | {name} | {d_wall:.1f} | {d_rss:.0f} | {spark_s} | {s_rss:.0f} | {ratio} | {note} |",
                      flush=True)
                for p in (duck_out, spark_out):
                    subprocess.run(["rm", "-rf", str(p)])
            data.unlink()


if __name__ == "__main__":
    main()
