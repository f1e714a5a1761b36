"""A generated ruleset of N segments, for measuring how compile time grows with size.

Deterministic (seeded): `generated_ruleset(n)` returns the text of a rule file with
`n` segments spread over dimensions of `per_dimension` segments each, with
conditions of four to six comparisons over int, number, enum and date fields,
lets that read other lets, and dimensions that read the dimension before them
(in chains of 20 dimensions, within the language's limit on chains of definitions). Run as
a script to write one: `python benchmarks/generated_rules.py 1000 out.seg`.
"""
from __future__ import annotations

import random
import sys

FIELDS = 12
CHAIN = 20


def generated_ruleset(n: int, per_dimension: int = 100, seed: int = 1) -> str:
    rng = random.Random(seed)
    out = ['ruleset generated "生成的规则集" version "1"', "",
           "param as_of: date = 2026-11-01", "param gap: int = 60", "",
           "input customer key id {", "  id: string"]
    for i in range(FIELDS):
        out.append(f"  n{i}: int? in 0..1000")
        out.append(f"  x{i}: number?")
    out.append("  kind: enum { a, b, c, d, e }")
    out.append("  seen: date?")
    out.append("}")
    out.append("")
    out.append("let idle = days_between(seen, as_of)")
    for i in range(FIELDS):
        out.append(f"let r{i} = x{i} / (n{i} + 1)")
    out.append("let busy = idle < gap and r0 > 1")
    out.append("")

    def comparison() -> str:
        k = rng.randrange(FIELDS)
        return rng.choice([
            f"n{k} >= {rng.randrange(1000)}",
            f"x{k} < {rng.randrange(1000)}.5",
            f"r{k} between {rng.randrange(10)} and {rng.randrange(10, 20)}",
            f"kind in [{', '.join(rng.sample('abcde', 2))}]",
            f"idle > {rng.randrange(400)}",
            "busy",
            f"n{k} is null",
        ])

    def condition() -> str:
        parts = [comparison() for _ in range(rng.randrange(4, 7))]
        return f"{parts[0]} and ({parts[1]} or {parts[2]}) and " + " and ".join(parts[3:])

    dims = max(1, (n + per_dimension - 1) // per_dimension)
    left = n
    previous: list[tuple[str, list[str]]] = []
    for d in range(dims):
        count = min(per_dimension, left)
        left -= count
        names = [f"s{d}_{i}" for i in range(count)]
        out.append(f'dimension d{d} "维度{d}" first {{')
        for name in names:
            cond = condition()
            # a dimension reads the one before it, in chains of at most CHAIN dimensions (a
            # longer chain of definitions is SEG009: the file would stop at `check`)
            if previous and d % CHAIN and rng.random() < 0.2:
                pd, pnames = previous[-1]
                cond = f"{pd} in [{', '.join(rng.sample(pnames, 2))}] and {cond}"
            out.append(f'  segment {name} "细分{name}" when {cond}')
        out.append("  otherwise rest")
        out.append("}")
        out.append("")
        previous.append((f"d{d}", names))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    size = int(sys.argv[1])
    text = generated_ruleset(size)
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
