"""Does one condition imply another? A small, conservative prover for SEG404.

In a `first` dimension a segment whose condition implies an earlier
segment's can never match. Deciding implication in general needs a solver;
this prover answers only what it can see syntactically: equal conditions,
and/or structure, and atoms that bound one value by constants (`x >= 3`,
`x in [a, b]`, `x between 1 and 5`). A "no" may be wrong, a "yes" never is,
so the warning is never a false alarm.
"""
from __future__ import annotations


from .. import ir

_INF = float("inf")


def implies(later: ir.Expr | None, earlier: ir.Expr | None) -> bool:
    """Is `earlier` true whenever `later` is (so `later` is unreachable after it)?"""
    if later is None or earlier is None:
        return False
    if isinstance(earlier, ir.Const) and earlier.value is True:
        return True
    if ir.shape(later) == ir.shape(earlier):
        return True
    if isinstance(earlier, ir.And):
        return all(implies(later, e) for e in earlier.items)
    if isinstance(earlier, ir.Or) and any(implies(later, e) for e in earlier.items):
        return True
    if isinstance(later, ir.And):
        return any(implies(l, earlier) for l in later.items)
    if isinstance(later, ir.Or):
        return all(implies(l, earlier) for l in later.items)
    a, b = atom(later), atom(earlier)
    return a is not None and b is not None and a[0] == b[0] and within(a[1], b[1])


def atom(c: ir.Expr):
    """A condition on one value as (the value's shape, the values it allows), or None.

    The values allowed are ("set", frozenset) for `=` and `in`, or ("range", (low, closed),
    (high, closed)) for a numeric comparison or `between`; anything else is not an atom."""
    if isinstance(c, ir.Compare) and _const(c.right) is not None and not isinstance(c.right.value, tuple):
        v, op = c.right.value, c.op
        if op == "=":
            return ir.shape(c.left), ("set", frozenset([v]))
        if _is_number(v) and op in ("<", "<=", ">", ">="):
            low = (v, op == ">=") if op[0] == ">" else (-_INF, False)
            high = (v, op == "<=") if op[0] == "<" else (_INF, False)
            return ir.shape(c.left), ("range", low, high)
    if isinstance(c, ir.InList) and not c.negated and all(_const(i) is not None for i in c.items):
        return ir.shape(c.operand), ("set", frozenset(i.value for i in c.items))
    if isinstance(c, ir.Between) and not c.negated:
        lo, hi = _const(c.low), _const(c.high)
        if isinstance(lo, (int, float)) and isinstance(hi, (int, float)):
            return ir.shape(c.operand), ("range", (lo, True), (hi, True))
    return None


def within(a, b) -> bool:
    """Is every value allowed by atom a also allowed by atom b?"""
    if b[0] == "set":
        return a[0] == "set" and a[1] <= b[1]
    (blo, blo_in), (bhi, bhi_in) = b[1], b[2]
    if a[0] == "set":
        return all(isinstance(v, (int, float)) and (blo < v or blo_in and blo == v) and
                   (v < bhi or bhi_in and v == bhi) for v in a[1])
    (alo, alo_in), (ahi, ahi_in) = a[1], a[2]
    low_ok = alo > blo or alo == blo and (blo_in or not alo_in)
    high_ok = ahi < bhi or ahi == bhi and (bhi_in or not ahi_in)
    return low_ok and high_ok


def _const(x: ir.Expr):
    """The value of a non-null constant, else None."""
    return x.value if isinstance(x, ir.Const) and x.value is not None else None


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
