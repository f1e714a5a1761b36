"""The polars engine side by side with hand-written polars, hand-written DuckDB SQL and the
DuckDB engine, on the same Parquet file of N generated customers (benchmarks/rules/
telecom_bench.seg, the data of duckdb_macro.py), each writing the same output as Parquet.

Two measures, interleaved and best of --repeat:
* whole process: a fresh Python process per run (imports, reading, segmenting, writing), as
  `segdsl apply` or a scheduled script runs, with its peak RSS;
* in process: the call alone, in this process, after a warm-up run.

Hand-written polars (benchmarks/hand_polars.py) comes in two forms: the idiomatic one (an `all` dimension as a
`concat_list` of `when/then`, as the polars documentation builds lists) and a tuned one (the
matches as a bit mask that picks the list from a table of every combination, as the engine
does). Every output is checked to hold the same values as the engine's before anything is
timed. Run: `.venv/bin/python benchmarks/polars_macro.py [--rows N] [--repeat K]`.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from duckdb_macro import HAND_WRITTEN, RULES, generate  # noqa: E402
from hand_polars import query  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

HAND_POLARS = Path(__file__).resolve().parent / "hand_polars.py"

HAND_DUCKDB = textwrap.dedent('''
    import sys
    import duckdb
    duckdb.connect().execute(sys.argv[3].format(src=sys.argv[1], out=sys.argv[2], reader="read_parquet"))
''')


# Runs a script or `-m module` and writes the process's peak RSS (VmHWM: of this program
# image only; getrusage would count the forking parent's pages too) to the file argv[1].
PEAK = textwrap.dedent('''
    import atexit, runpy, sys
    def peak(path=sys.argv[1]):
        with open("/proc/self/status") as f:
            kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
        with open(path, "w") as f:
            f.write(str(kib // 1024))
    atexit.register(peak)
    if sys.argv[2] == "-m":
        sys.argv = [sys.argv[3], *sys.argv[4:]]
        runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
    else:
        sys.argv = sys.argv[2:]
        runpy.run_path(sys.argv[0], run_name="__main__")
''')


def run_process(argv: list[str], tmp: Path) -> tuple[float, int]:
    """Seconds and peak RSS (MiB) of one fresh process."""
    peak = tmp / "peak.txt"
    t = time.perf_counter()
    p = subprocess.run([argv[0], str(tmp / "peak.py"), str(peak), *argv[1:]], capture_output=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f"{argv[:4]} failed: {p.stderr.decode()}")
    return seconds, int(peak.read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs of each; the best is kept")
    ap.add_argument("--only", choices=["process", "in-process"], default=None)
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "customers.parquet"
        generate(args.rows, src)
        (tmp / "hand_duckdb.py").write_text(HAND_DUCKDB)
        (tmp / "peak.py").write_text(PEAK)
        out = {name: tmp / f"{name}.parquet" for name in ("polars", "tuned", "duckdb_sql", "engine_duckdb",
                                                          "engine_polars")}
        segdsl = [py, "-m", "segdsl.cli", "apply", str(RULES), "--input", f"customer={src}"]
        commands = {
            "hand-written polars (idiomatic)": [py, str(HAND_POLARS), str(src), str(out["polars"]), "plain"],
            "hand-written polars (tuned)": [py, str(HAND_POLARS), str(src), str(out["tuned"]), "tuned"],
            "hand-written DuckDB SQL": [py, str(tmp / "hand_duckdb.py"), str(src), str(out["duckdb_sql"]), HAND_WRITTEN],
            "segdsl --engine duckdb": [*segdsl, "-o", str(out["engine_duckdb"]), "--engine", "duckdb"],
            "segdsl --engine polars": [*segdsl, "-o", str(out["engine_polars"]), "--engine", "polars"],
        }
        for argv in commands.values():
            run_process(argv, tmp)
        check_outputs(out)
        results: dict[str, dict] = {name: {} for name in commands}
        if args.only != "in-process":
            for _ in range(args.repeat):
                for name, argv in commands.items():
                    seconds, rss = run_process(argv, tmp)
                    r = results[name]
                    r["process"] = min(r.get("process", float("inf")), seconds)
                    r["rss"] = max(r.get("rss", 0), rss)
        if args.only != "process":
            for name, seconds in in_process(src, tmp, args.repeat).items():
                results[name]["in-process"] = seconds
    report(args.rows, results)


def check_outputs(out: dict[str, Path]) -> None:
    """Every output holds the engine's values (the engines' files are byte-identical)."""
    want = pq.read_table(out["engine_polars"]).sort_by("customer_id")
    assert out["engine_polars"].read_bytes() == out["engine_duckdb"].read_bytes(), "the engines' files differ"
    for name, path in out.items():
        got = pq.read_table(path).sort_by("customer_id")
        for column in want.column_names:
            assert got.column(column).to_pylist() == want.column(column).to_pylist(), (name, column)


def in_process(src: Path, tmp: Path, repeat: int) -> dict[str, float]:
    import duckdb

    from segdsl.check.frontend import check_file
    from segdsl.engines.options import ApplyOptions
    from segdsl.service import app as service
    from segdsl.service.params import resolve_params
    rs = check_file(RULES).ruleset
    params = resolve_params(rs)
    con = duckdb.connect()
    runs = {
        "hand-written polars (idiomatic)": lambda: query(str(src), False).sink_parquet(tmp / "p.parquet"),
        "hand-written polars (tuned)": lambda: query(str(src), True).sink_parquet(tmp / "t.parquet"),
        "hand-written DuckDB SQL": lambda: con.execute(HAND_WRITTEN.format(src=src, out=tmp / "d.parquet",
                                                                           reader="read_parquet")),
        "segdsl --engine duckdb": lambda: service.apply(rs, "duckdb", ApplyOptions(
            inputs={"customer": src}, output=tmp / "ed.parquet", params=params)),
        "segdsl --engine polars": lambda: service.apply(rs, "polars", ApplyOptions(
            inputs={"customer": src}, output=tmp / "ep.parquet", params=params)),
    }
    best = {name: float("inf") for name in runs}
    for run in runs.values():
        run()                                     # warm-up
    for _ in range(repeat):
        for name, run in runs.items():
            t = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def report(rows: int, results: dict[str, dict]) -> None:
    base = results["hand-written polars (idiomatic)"]
    print(f"{rows:,} rows, best of the interleaved runs")
    print(f"{'':<34}{'process s':>10}{'ratio':>8}{'peak MiB':>10}{'in-process s':>14}{'ratio':>8}")
    for name, r in results.items():
        cells = []
        for key in ("process", "in-process"):
            if key in r:
                cells.append(f"{r[key]:>{10 if key == 'process' else 14}.3f}{r[key] / base[key]:>8.2f}")
            else:
                cells.append(" " * (18 if key == "process" else 22))
            if key == "process":
                cells.append(f"{r['rss']:>10,}" if "rss" in r else " " * 10)
        print(f"{name:<34}{''.join(cells)}")
    print("ratios: against hand-written polars (idiomatic); outputs checked equal")


if __name__ == "__main__":
    main()
