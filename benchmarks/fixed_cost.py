"""The fixed cost of one `segdsl` command: a 10-row file, whole process, against a bare
`python -c "import duckdb"` run side by side (interleaved, best of N).

Target: `segdsl apply` (DuckDB engine) at most 0.15 s over the bare import. Also
`check` and `compile --target sql` of the same rule file, and `apply --engine python`.
Run: `python benchmarks/fixed_cost.py [--repeat N]`.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RULES = HERE / "rules" / "telecom_bench.seg"


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one process: on a machine others
    share, the CPU time moves less with their load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    # run from a neutral folder: `python -m` puts the current folder first on the path
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   cwd=tempfile.gettempdir())
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def commands(tmp: Path, tree: Path | None) -> dict[str, list[str]]:
    sys.path.insert(0, str(HERE))
    from duckdb_macro import generate
    data = tmp / "customers.parquet"
    generate(10, data)
    seg = [sys.executable, "-m", "segdsl.cli"]
    apply = [*seg, "apply", str(RULES), "--input", f"customer={data}", "--output", str(tmp / "out.parquet")]
    out = {
        "python -c 'import duckdb'": (None, [sys.executable, "-c", "import duckdb"]),
        "segdsl apply (duckdb)": (None, apply),
        "segdsl apply --engine python": (None, [*apply, "--engine", "python"]),
        "segdsl check": (None, [*seg, "check", str(RULES)]),
        "segdsl compile --target sql": (None, [*seg, "compile", str(RULES), "--target", "sql"]),
    }
    if tree is not None:
        out["segdsl apply (duckdb), --tree"] = (str(tree.resolve()), apply)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--tree", type=Path, help="another segdsl checkout: its `apply` beside this one's")
    ap.add_argument("--imports", type=int, default=15, metavar="N",
                    help="also the N costliest imports of a warm `apply` (python -X importtime)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # bytecode kept (in a folder of its own), as an installed package has it: a process
        # that compiles segdsl's modules from source every time measures the compiler
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(SEGDSL_CACHE_DIR=str(Path(tmp) / "cache"), PYTHONPATH=str(HERE.parent),
                   PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        cmds = commands(Path(tmp), args.tree)

        def env_for(path):
            return env if path is None else {**env, "PYTHONPATH": path}
        for path, cmd in cmds.values():    # warm: bytecode and the caches written
            timed(cmd, env_for(path))
        best = {name: (float("inf"), float("inf")) for name in cmds}
        for _ in range(args.repeat):
            for name, (path, cmd) in cmds.items():
                wall, cpu = timed(cmd, env_for(path))
                best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    base, base_cpu = best["python -c 'import duckdb'"]
    print(f"{'command (10 customers)':<32}{'wall s':>9}{'over import duckdb':>20}{'CPU s':>9}{'over':>9}")
    for name, (t, cpu) in best.items():
        print(f"{name:<32}{t:>9.3f}{t - base:>+20.3f}{cpu:>9.3f}{cpu - base_cpu:>+9.3f}")
    print(f"best of {args.repeat}, interleaved; load average at the end {os.getloadavg()[0]:.1f} (2 cores)")
    if args.imports:
        print(f"\nthe {args.imports} costliest imports of a warm `segdsl apply` (-X importtime, cumulative ms):")
        for ms, name in importtime(args.imports):
            print(f"{ms:>9.1f}  {name}")


def importtime(n: int) -> list[tuple[float, str]]:
    """The imports of a warm `apply` (rules and SQL from the cache), costliest first (their
    cumulative time includes what they import)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(SEGDSL_CACHE_DIR=str(Path(tmp) / "cache"), PYTHONPATH=str(HERE.parent),
                   PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        _, apply = commands(Path(tmp), None)["segdsl apply (duckdb)"]
        for _ in range(2):
            timed(apply, env)
        done = subprocess.run([apply[0], "-X", "importtime", *apply[1:]], env=env, capture_output=True, text=True,
                              cwd=tempfile.gettempdir(), check=True)
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line[len("import time:"):].split("|")
            if cumulative.strip().isdigit():
                rows.append((int(cumulative) / 1000, name.rstrip()))
    return sorted(rows, reverse=True)[:n]


if __name__ == "__main__":
    main()
