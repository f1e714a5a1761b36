"""A chain of if-then-else terms with whole-number branches compared with a number, as booleans.

A dimension's value is such a chain (solver.Translator.dimension_value: the
first true condition's segment index, else `otherwise`'s), and so is a `case`
of enum members. `tier in [gold, silver]` compares it with constants. As
arithmetic, z3 gives each if-then-else of the chain a variable and clauses
that tie it to the next; in a file of dimensions that each read the one
before, a dimension's first question spent most of its time setting those up
for every dimension under it (docs/performance.md, eleventh round). The same
comparison as booleans: `value = k` exactly when no condition before a
branch of k is true and that branch's is, which is what z3's own simplifier
rewrites it to, at a fraction of what calling the simplifier costs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from .connectives import all_of, any_of, negation

LONGEST = 10_000        # a chain longer than any dimension is left to z3 as it is


@dataclass(frozen=True)
class Chain:
    """`If(conditions[0], numbers[0], If(conditions[1], numbers[1], ... last))`, with the
    booleans `none_before[j]`: no condition before branch j is true (`none_before[n]`: none is)."""
    term: Any                   # kept, so that its id stays its own
    conditions: tuple
    numbers: tuple
    last: int
    none_before: tuple


class Choices:
    """`equal(x, y)`: `x == y` as booleans where `x` is such a chain and `y` a whole number, else
    None; each chain is walked once."""

    def __init__(self) -> None:
        self._chains: dict[int, Chain | None] = {}

    def equal(self, x: Any, y: Any) -> Any:
        if not z3.is_int_value(y) or not z3.is_app_of(x, z3.Z3_OP_ITE):     # the common case: cheap
            return None
        chain = self.chain(x)
        if chain is None:
            return None
        k = y.as_long()
        ways = [all_of(chain.none_before[j], c) for j, (c, n) in enumerate(zip(chain.conditions, chain.numbers))
                if n == k]
        if chain.last == k:
            ways.append(chain.none_before[-1])
        if not ways:
            return z3.BoolVal(False)
        return ways[0] if len(ways) == 1 else any_of(*ways)

    def chain(self, x: Any) -> Chain | None:
        key = x.get_id()
        if key not in self._chains:
            self._chains[key] = walked(x)
        return self._chains[key]


def walked(x: Any) -> Chain | None:
    """The chain under `x`, or None when a branch is not a whole number. Walked through z3's C
    API: its Python objects cost more than the walk itself."""
    ctx = x.ctx
    ref = ctx.ref()
    conditions, numbers, t = [], [], x.as_ast()
    while is_ite(ref, t) and len(conditions) < LONGEST:
        then = z3.Z3_get_app_arg(ref, t, 1)
        n = whole_number(ref, then)
        if n is None:
            return None
        conditions.append(z3.BoolRef(z3.Z3_get_app_arg(ref, t, 0), ctx))
        numbers.append(n)
        t = z3.Z3_get_app_arg(ref, t, 2)
    last = whole_number(ref, t)
    if last is None:
        return None
    none_before = [z3.BoolVal(True, ctx)]
    for c in conditions:
        none_before.append(all_of(none_before[-1], negation(c)))
    return Chain(x, tuple(conditions), tuple(numbers), last, tuple(none_before))


def is_ite(ref, a) -> bool:
    return z3.Z3_get_ast_kind(ref, a) == z3.Z3_APP_AST and \
        z3.Z3_get_decl_kind(ref, z3.Z3_get_app_decl(ref, a)) == z3.Z3_OP_ITE


def whole_number(ref, a) -> int | None:
    if z3.Z3_get_ast_kind(ref, a) != z3.Z3_NUMERAL_AST or \
            z3.Z3_get_sort_kind(ref, z3.Z3_get_sort(ref, a)) != z3.Z3_INT_SORT:
        return None
    return int(z3.Z3_get_numeral_string(ref, a))
