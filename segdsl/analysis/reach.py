"""Segments that can never match: SEG406 (the condition can never be true, given the declared
ranges) in every dimension, SEG404 (earlier segments of a `first` dimension take every customer
it would match, naming them)."""
from __future__ import annotations

from collections.abc import Iterator

import z3

from ..diagnostics.values import Diagnostic
from .query import Query
from .witness import Finding

MINIMIZE_UP_TO = 12      # shadowing segments tried one by one for a smaller answer


def impossible(q: Query, i: int) -> Diagnostic | None:
    """SEG406 for segment i, or None when some valid customer satisfies its condition."""
    s = q.d.segments[i]
    if q.sat(q.truths[i].true):
        return None
    why = q.why()
    reason = "given " + " and ".join(why) if why else "for any customer"
    return Diagnostic("SEG406", f"segment `{s.name}` can never match: its condition can never be true, {reason}",
                      s.span, help=f"correct the condition of `{s.name}`, or remove the segment")


def shadowed(q: Query, i: int, taken: list) -> Diagnostic | None:
    """SEG404 for segment i of a `first` dimension: `taken[j]` says segment j did not match."""
    s = q.d.segments[i]
    if q.sat(q.truths[i].true, *taken[:i]):
        return None
    core = q.core_ids()
    by = [j for j in range(i) if taken[j].get_id() in core]
    if len(by) <= MINIMIZE_UP_TO:
        for j in list(by):
            rest = [taken[k] for k in by if k != j]
            if not q.sat(q.truths[i].true, *rest):
                by.remove(j)
    names = [q.d.segments[j].name for j in by]
    shown = " or ".join(f"`{n}`" for n in names[:5]) + (f" (and {len(names) - 5} more)" if len(names) > 5 else "")
    first = names[0] if names else "the segments"
    return Diagnostic("SEG404", f"segment `{s.name}` can never match: every customer it would match "
                                f"is taken by {shown} above it", s.span,
                      help=f"in a `first` dimension the first matching segment wins; move `{s.name}` "
                           f"above `{first}`, or narrow {shown}")


def unreachable(q: Query, exact: list[bool]) -> Iterator[Finding]:
    """Every segment that can never match; `exact[i]`: a "never" about segment i may be said."""
    taken = []
    for i, t in enumerate(q.truths):
        lit = z3.Bool(f"not:{i}")
        q.solver.add(z3.Implies(lit, z3.Not(t.true)))
        taken.append(lit)
    for i in range(len(q.d.segments)):
        if not exact[i]:
            continue
        found = None
        if q.d.policy == "first" and i > 0 and not q.sat(q.truths[i].true, *taken[:i]):
            # not reached: because nothing can match it at all, or because the segments above take it
            found = impossible(q, i) or shadowed(q, i, taken)
        elif q.d.policy != "first" or i == 0:
            found = impossible(q, i)
        if found is not None:
            yield Finding(found, "never", q.d.name, (q.d.segments[i].name,))
