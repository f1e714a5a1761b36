"""The polars backend: every built-in has a builder, and the population statistics it writes
as window expressions give runtime/population.py's values bit for bit."""
from __future__ import annotations

import random
import struct

import polars as pl
import pytest

from segdsl.backends.polars import FUNCTIONS, Options, build_query
from segdsl.builtins import BUILTINS
from segdsl.check.frontend import check_file
from segdsl.passes import build_plan
from segdsl.runtime import population
from segdsl.service.params import resolve_params


def test_every_builtin_has_a_polars_builder():
    assert set(FUNCTIONS) == set(BUILTINS)


RULES = '''
ruleset t
input customer key id {
  id: string
  x: number?
  n: int?
  g: string?
}
let pr = percent_rank(x by g)
let prd = percent_rank(n, desc)
let t3 = ntile(x, 3 by g)
let t4 = ntile(n, 4)
let t7 = ntile(x, 7, desc)
let t10 = ntile(x, 10)
let med = median(x by g)
let q = quantile(n, 0.9)
let cnt = count(x by g)
let lo = min(n by g)
let hi = max(x)
let s = sum(n by g)
let m = mean(x by g)
let cs = cume_share(x)
'''

STATS = ["pr", "prd", "t3", "t4", "t7", "t10", "med", "q", "cnt", "lo", "hi", "s", "m", "cs"]
RULES += "dimension d all {\n" + "".join(f"  segment s_{x} when {x} is null\n" for x in STATS) + "}\n"


def _bits(v):
    return struct.pack("<d", v) if isinstance(v, float) else v


@pytest.mark.parametrize("seed", range(6))
def test_population_values_are_population_py_bit_for_bit(seed):
    rng = random.Random(seed)
    rs = check_file("t.seg", text=RULES).ruleset
    n = rng.choice([1, 2, 3, 17, 200])
    pool = [rng.uniform(-1e3, 1e3) for _ in range(5)] + [0.1, 0.2, 0.3, 1e-300, 1e300]
    xs = [None if rng.random() < 0.15 else rng.choice(pool) if rng.random() < 0.4 else rng.uniform(-50, 50)
          for _ in range(n)]
    ns = [None if rng.random() < 0.15 else rng.randint(-5, 5) for _ in range(n)]
    gs = [rng.choice(["a", "b", None]) for _ in range(n)]
    frame = pl.DataFrame({"id": [f"c{i}" for i in range(n)], "x": xs, "n": ns, "g": gs,
                          "__segdsl_order": list(range(n))},
                         schema={"id": pl.String, "x": pl.Float64, "n": pl.Int64, "g": pl.String,
                                 "__segdsl_order": pl.Int64})
    plan = build_plan(rs)
    lets = [d.name for d in plan.definitions if d.name in STATS]
    query = _with_lets(plan, resolve_params(rs), frame.lazy())
    got = query.collect()
    for node in rs.population:
        let = next(d for d in rs.definitions if getattr(d, "expr", None) is node)
        arg = {"x": xs, "n": ns}[node.arg.name]
        groups = [(g,) for g in gs] if node.by else [()] * n
        stat = population.build(node.func, node.params, node.desc, zip(arg, groups))
        want = [stat.value(v, k) for v, k in zip(arg, groups)]
        have = got.get_column(let.name).to_list()
        assert [_bits(v) for v in have] == [_bits(v) for v in want], (let.name, node.func)
    assert lets


def _with_lets(plan, params, frame):
    """The query up to the definitions (the lets' columns kept)."""
    from segdsl.backends.polars import _Query
    q = _Query(plan, params, Options())
    return q.definitions(q.customers({"customer": frame}))


def test_rule_text_is_never_code():
    """Names and texts that would be code anywhere are plain names and values to polars."""
    text = '''
ruleset t
input customer key id {
  id: string from "pl.col('x'); import os"
  v: string? from "\\"); os.system(\\"x"
}
dimension d first {
  segment a "'); DROP TABLE t; --" when v = "pl.lit(1)" or contains(v, "__import__")
  otherwise b
}
'''
    rs = check_file("t.seg", text=text).ruleset
    frame = pl.LazyFrame({"id": ["k1", "k2", "k3"], "v": ["pl.lit(1)", "x__import__y", None],
                          "__segdsl_order": [1, 2, 3]})
    out = build_query(build_plan(rs), {}, {"customer": frame}, Options(labels=True)).collect()
    assert out.get_column("d").to_list() == ["a", "a", "b"]
    assert out.get_column("d_label").to_list() == ["'); DROP TABLE t; --"] * 2 + ["b"]
