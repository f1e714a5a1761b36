"""How long the solver analysis of `segdsl check` takes as rulesets grow, against the front end
it follows (parse, type check, quick lints) run side by side on the same file.

Rulesets from benchmarks/analysis_rules.py (dimensions of 100 segments the
solver analyses whole, a `unique` dimension, a dimension it must prove
covers everyone), plus one dimension of N segments alone, which shows the
per-dimension budget at work. In-process, best of R; the ratio is the
analysis over the front end.
Target: 200 segments in a few seconds at most; 2,000 reasonable.

Run: `python benchmarks/analysis_scale.py [--sizes 200 2000] [--repeat 3]`.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from analysis_rules import analysis_ruleset  # noqa: E402


def best(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def measure(path: Path, repeat: int) -> tuple[float, float, Counter]:
    from segdsl.analysis.dimensions import findings
    from segdsl.check.frontend import check_file
    from segdsl.service.witnesses import confirm
    front, checked = best(lambda: check_file(path), repeat)
    assert checked.ok, checked.diagnostics[:3]
    rs = checked.ruleset
    analysis, found = best(lambda: findings(rs, partial(confirm, rs)), repeat)
    return front, analysis, Counter(f.diagnostic.code for f in found)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 2000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import z3  # noqa: F401  (its import is paid once, by `check`, not counted per run here)
    print(f"{'ruleset':<34} {'front end s':>11} {'analysis s':>10} {'ratio':>6}  findings")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            for name, text in ((f"{n} segments, 100 per dimension", analysis_ruleset(n)),
                               (f"{n} segments in one dimension", analysis_ruleset(n, per_dimension=n))):
                path = Path(tmp) / "rules.seg"
                path.write_text(text, encoding="utf-8")
                front, analysis, codes = measure(path, args.repeat)
                shown = ", ".join(f"{c} {k}" for c, k in sorted(codes.items()))
                print(f"{name:<34} {front:>11.2f} {analysis:>10.2f} {analysis / front:>6.1f}  {shown}")


if __name__ == "__main__":
    main()
