"""SEG307: two segments of a `unique` dimension that can both match one customer, with that customer."""
from __future__ import annotations

from collections.abc import Iterator

import z3

from ..diagnostics.values import Diagnostic
from .query import Query, Unconfirmed
from .witness import Finding, described

MAX_REPORTED = 10


def overlaps(q: Query) -> Iterator[Finding]:
    trues = [t.true for t in q.truths]
    if len(trues) < 2:
        return
    q.solver.push()
    try:
        for _ in range(MAX_REPORTED):
            if not q.witness_sat(z3.AtLeast(*trues, 2)):
                return
            model = q.solver.model()
            both = [i for i, t in enumerate(trues) if z3.is_true(model.eval(t, model_completion=True))][:2]
            if len(both) < 2:           # the model, completed, does not show the two: say nothing
                raise Unconfirmed()
            witness = q.witness()
            env, truths = q.run(witness)
            names = [q.d.segments[i].name for i in both]
            if [n for n in names if truths.get((q.d.name, n)) is not True]:
                raise Unconfirmed()
            a, b = (q.d.segments[i] for i in both)
            yield Finding(Diagnostic("SEG307", f"segments `{a.name}` and `{b.name}` of unique dimension `{q.d.name}` "
                                       f"can both match: both match a customer with "
                                       f"{described(q.rs, q.d, witness, env)}", b.span,
                             help=f"in a `unique` dimension at most one segment may match; narrow `{a.name}` "
                                  f"or `{b.name}`, or make the dimension `first`"),
                          "overlap", q.d.name, (a.name, b.name), witness)
            q.solver.add(z3.Not(z3.And(trues[both[0]], trues[both[1]])))
    finally:
        q.solver.pop()
