"""SEG401/SEG402: customers a `first` or `unique` dimension without `otherwise` gives no segment.

Silent when the segments provably cover every valid customer. The witness
is looked for first among customers with no missing value (SEG401); only
when every customer left out has one is it SEG402, naming what is missing.
"""
from __future__ import annotations

from collections.abc import Iterator

import z3

from ..diagnostics.values import Diagnostic
from .query import Query, Unconfirmed
from .witness import Finding, described

_HELP = "add `otherwise NAME \"label\"` as the last line, or a segment for these customers"


def gaps(q: Query) -> Iterator[Finding]:
    if q.d.policy == "all" or q.d.otherwise is not None:
        return
    none = z3.And(*[z3.Not(t.true) for t in q.truths]) if q.truths else z3.BoolVal(True)
    present = [z3.Not(leaf.null) for leaf in q.tr.leaves.values() if not z3.is_false(leaf.null)]
    known = z3.Bool("gap:known")
    q.solver.add(z3.Implies(known, z3.And(*present)) if present else z3.BoolVal(True))
    if q.witness_sat(none, known):
        code = "SEG401"
    elif q.witness_sat(none):
        code = "SEG402"
    else:
        return
    witness = q.witness()
    env, truths = q.run(witness)
    if q.matches(truths):
        raise Unconfirmed()
    who = described(q.rs, q.d, witness, env)
    if code == "SEG401":
        message = f"dimension `{q.d.name}` has no `otherwise`, and a customer with {who} matches no segment"
    else:
        message = (f"dimension `{q.d.name}` has no `otherwise`, and a customer with {who} matches no segment: "
                   f"customers with missing values get none")
    yield Finding(Diagnostic(code, message, q.d.span, help=_HELP), "gap", q.d.name, (), witness)
