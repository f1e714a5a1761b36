"""How compile time grows with the ruleset: generated rulesets of N segments
(benchmarks/generated_rules.py), each command a fresh process, best of R.

Columns: the whole `segdsl check`, `compile --target sql` and `compile --target
python` commands with the analyses (analysis/: the lints, the solver's
dimension checks) left out, then each of those alone (in-process, one run,
cut off at --analysis-limit seconds), then the stages
of the front end and backends in-process: parse (loading), type check, plan
(passes), SQL (build and render), Python (generate). The checked-file cache
is emptied before every command, so each one does the whole work.
Targets: each command under 1 s at 1,000 segments and under 5 s at 5,000.

Run: `python benchmarks/compile_scale.py [--sizes 1000 5000] [--repeat 3]`.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generated_rules import generated_ruleset  # noqa: E402

# the command line without the analyses (analysis/: the lints, and the solver's dimension
# checks that `check` and `test` run): what the commands cost without them
RUN_WITHOUT_LINTS = """
import sys, runpy
import segdsl.analysis
segdsl.analysis.lint = lambda *args, **kwargs: []      # before anything imports it by name
import segdsl.service.app as app
checked = app.check
def check(path, *args, **kwargs):
    kwargs.pop("analyse", None)
    return checked(path, *args, **kwargs)
app.check = check
sys.argv = ["segdsl", *sys.argv[1:]]
runpy.run_module("segdsl.cli", run_name="__main__")
"""

STAGES = """
import contextlib, json, sys, time, signal
try:
    from segdsl.collector import paused
except ImportError:         # a checkout from before the collector was paused
    paused = contextlib.nullcontext
from segdsl.diagnostics.values import DiagnosticSink
from segdsl.syntax.loader import load_modules
from segdsl.check.modules import check_modules
from segdsl.passes.pipeline import run_passes
from segdsl.service.params import resolve_params
from segdsl.backends import sql, python
from segdsl.syntax.parse import parser
parser()
path, limit = sys.argv[1], float(sys.argv[2])
out = {}
def timed(name, fn):
    t = time.perf_counter()
    with paused():
        r = fn()
    out[name] = time.perf_counter() - t
    return r
sink = DiagnosticSink()
modules, texts = timed("parse", lambda: load_modules(path, sink, None, False))
checked = timed("type check", lambda: check_modules(modules, texts, sink))
rs = checked.ruleset
params = resolve_params(rs)
timed("plan", lambda: run_passes(rs))
timed("SQL", lambda: sql.to_sql(rs, params))
timed("Python", lambda: python.generate(rs))
def stop(*args):
    raise TimeoutError
signal.signal(signal.SIGALRM, stop)
signal.setitimer(signal.ITIMER_REAL, limit)
from segdsl.analysis import lint
try:
    found = timed("lints", lambda: lint(rs, checked.uses))
except TimeoutError:
    out["lints"] = None
signal.setitimer(signal.ITIMER_REAL, 0)
try:
    from segdsl.service.witnesses import analysed
    from segdsl.check.frontend import CheckResult
except ImportError:         # a checkout without the solver's analysis
    out["solver"] = None
else:
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        timed("solver", lambda: analysed(CheckResult(rs, list(sink.items), texts)))
    except TimeoutError:
        out["solver"] = -1
    signal.setitimer(signal.ITIMER_REAL, 0)
print(json.dumps(out))
"""


def command_time(args: list[str], env: dict, cache: Path) -> float:
    for f in cache.glob("checked-*"):
        f.unlink()
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUN_WITHOUT_LINTS, *args], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=cache.parent)
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stderr[-2000:])
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--analysis-limit", type=float, default=60.0)
    ap.add_argument("--tree", type=Path, help="measure another segdsl checkout (say, an older commit)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cache = tmp / "cache"
        # bytecode kept (in a folder of its own), as an installed package has it
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(SEGDSL_CACHE_DIR=str(cache), PYTHONPATH=str(args.tree or HERE.parent),
                   PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
        for n in args.sizes:
            path = tmp / f"generated_{n}.seg"
            path.write_text(generated_ruleset(n), encoding="utf-8")
            commands = {"check": ["check", str(path)],
                        "compile sql": ["compile", str(path), "--target", "sql"],
                        "compile python": ["compile", str(path), "--target", "python"]}
            best = {k: float("inf") for k in commands}
            for _ in range(args.repeat):
                for k, c in commands.items():
                    best[k] = min(best[k], command_time(c, env, cache))
            stages = json.loads(subprocess.run([sys.executable, "-c", STAGES, str(path), str(args.analysis_limit)],
                                               env=env, capture_output=True, text=True, check=True,
                                               cwd=tmp).stdout)
            rows.append((n, best, stages))
    head = ["segments", "check", "compile sql", "compile python", "lints", "solver", "parse", "type check", "plan",
            "SQL", "Python"]
    print(" | ".join(f"{h:>14}" for h in head))
    for n, best, st in rows:
        lints = f">{args.analysis_limit:.0f}" if st["lints"] is None else f"{st['lints']:.2f}"
        solver = ("-" if st["solver"] is None else f">{args.analysis_limit:.0f}" if st["solver"] < 0
                  else f"{st['solver']:.2f}")
        cells = [f"{n:,}", *(f"{best[k]:.2f}" for k in ("check", "compile sql", "compile python")), lints, solver,
                 *(f"{st[k]:.2f}" for k in ("parse", "type check", "plan", "SQL", "Python"))]
        print(" | ".join(f"{c:>14}" for c in cells))
    print("seconds; commands are whole processes without the analyses (analysis/: lints, solver), "
          "stages in-process, each cut off at --analysis-limit")


if __name__ == "__main__":
    main()
