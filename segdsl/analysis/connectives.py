"""Boolean connectives built through z3's C API.

z3.And, z3.Or and z3.Not check and coerce every argument in Python; on a generated file of
1,000 segments that was half the time of translating it. These build the very same terms
through z3's C API when every argument is already a z3 Bool, and leave anything else to z3.
"""
from __future__ import annotations

import z3


def all_of(*items):
    return connective(z3.Z3_mk_and, z3.And, items)


def any_of(*items):
    return connective(z3.Z3_mk_or, z3.Or, items)


def connective(make, fallback, items: tuple):
    if not items or not all(type(i) is z3.BoolRef for i in items):
        return fallback(*items)
    ctx = items[0].ctx
    args = (z3.Ast * len(items))(*[i.as_ast() for i in items])
    return z3.BoolRef(make(ctx.ref(), len(items), args), ctx)


def negation(item):
    if type(item) is not z3.BoolRef:
        return z3.Not(item)
    return z3.BoolRef(z3.Z3_mk_not(item.ctx.ref(), item.as_ast()), item.ctx)
