"""Generated rulesets for the solver analysis benchmark: N segments the solver can analyse.

Deterministic (seeded). Fields with declared ranges (ints, numbers), a required
and a nullable enum, a nullable date; lets over them (a days-since, a
percent_rank); `first` dimensions of tiers and bands over one or two values
with an `otherwise` (each condition two to four comparisons), a `unique`
dimension of disjoint bands, and a dimension without `otherwise` that covers
every customer (the solver must prove it). Run as a script to write one:
`python benchmarks/analysis_rules.py 200 out.seg`.
"""
from __future__ import annotations

import random
import sys

FIELDS = 8


def analysis_ruleset(n: int, per_dimension: int = 100, seed: int = 1) -> str:
    rng = random.Random(seed)
    out = ['ruleset bench "分析基准" version "1"', "", "param as_of: date = 2026-11-01", "",
           "input customer key id {", "  id: string"]
    for i in range(FIELDS):
        out.append(f"  n{i}: int? in 0..1000")
        out.append(f"  x{i}: number in 0..100000")
    out.append("  kind: enum { a, b, c, d, e }")
    out.append("  tier: enum { gold, silver, bronze }?")
    out.append("  seen: date?")
    out += ["}", "", "let idle = days_between(seen, as_of)", "let rank = percent_rank(x0)", ""]

    def comparison() -> str:
        k = rng.randrange(FIELDS)
        lo = rng.randrange(900)
        return rng.choice([
            f"n{k} >= {lo}", f"n{k} between {lo} and {lo + rng.randrange(1, 100)}",
            f"x{k} < {rng.randrange(100000)}.5", f"kind in [{', '.join(rng.sample('abcde', 2))}]",
            f"idle > {rng.randrange(400)}", f"rank >= {rng.randrange(100)}%", "tier = gold", f"n{k} is null",
        ])

    dims, left, d = [], n, 0
    while left > 0:
        count = min(per_dimension, left)
        left -= count
        lines = [f'dimension d{d} "维度{d}" first {{']
        for i in range(count):
            parts = [comparison() for _ in range(rng.randrange(2, 5))]
            cond = f"{parts[0]} and ({parts[1]} or {parts[-1]})" if len(parts) > 2 else " and ".join(parts)
            lines.append(f'  segment s{d}_{i} "段{d}_{i}" when {cond}')
        lines += [f'  otherwise rest{d} "其他"', "}", ""]
        dims.append("\n".join(lines))
        d += 1
    # a unique dimension of disjoint bands and a first dimension that covers everyone without `otherwise`
    bands = "\n".join(f'  segment band{i} "带{i}" when n1 between {i * 100} and {i * 100 + 99}' for i in range(10))
    dims.append(f'dimension bands "区间" unique {{\n{bands}\n  otherwise no_band "无"\n}}\n')
    dims.append('dimension covered "全覆盖" first {\n  segment g "金" when tier = gold\n'
                '  segment s "银" when tier in [silver, bronze]\n  segment u "未知" when tier is null\n}\n')
    return "\n".join(out + dims)


if __name__ == "__main__":
    n, path = int(sys.argv[1]), sys.argv[2]
    with open(path, "w", encoding="utf-8") as f:
        f.write(analysis_ruleset(n))
