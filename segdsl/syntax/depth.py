"""How deeply an expression may nest: one limit, checked once, before any stage recurses.

The checker, the passes and every backend (generated Python, sqlglot's
trees and generators, the SQL engines' parsers) walk expressions
recursively, and each has its own ceiling: Python's recursion limit, the
200 parentheses Python's compiler accepts, a database's parser (Spark's
takes 2 s at 60 nested calls, 7 s at 70 and two minutes at 80). So the
language has one limit, MAX_DEPTH levels, inside all of them and far beyond
what a rule needs, and a deeper expression is SEG009 at the
expression instead of a crash in whichever stage meets it first.

Chains that the IR keeps flat do not nest: `a or b or c ...` and `a and b
and ...` become one n-ary node, and `not not x` is `x` (three-valued `not`
is its own inverse), so a 5,000-term `or` is one level. Arithmetic chains
(`a + b + c ...`) are binary in the IR, so each term is a level.
"""
from __future__ import annotations

from dataclasses import fields
from functools import cache

from . import ast as A
from ..diagnostics.values import Diagnostic

MAX_DEPTH = 64


def too_deep(module: A.Module) -> list[Diagnostic]:
    """SEG009 for each top-level expression of the module that nests beyond MAX_DEPTH."""
    out = []
    for root in _roots(module):
        depth = _depth(root)
        if depth > MAX_DEPTH:
            out.append(Diagnostic("SEG009", f"this expression nests {depth} levels deep; "
                                            f"at most {MAX_DEPTH} are allowed", root.span,
                                  help="split it into `let` definitions, or use `in [...]` for a long list "
                                       "of `=` comparisons"))
    return out


def _roots(node):
    """The outermost expressions under a declaration (iteratively: declarations are shallow)."""
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, A.Expr):
            yield x
        elif isinstance(x, (tuple, list)):
            stack.extend(reversed(x))
        elif hasattr(x, "__dataclass_fields__"):
            stack.extend(reversed([getattr(x, name) for name in _fields(type(x))]))


def _depth(root: A.Expr) -> int:
    """The nesting depth of an expression, counting a flat chain as one level; no recursion."""
    deepest = 0
    stack = [(root, 1, None)]
    while stack:
        x, d, parent = stack.pop()
        if isinstance(x, (tuple, list)):
            stack.extend((i, d, parent) for i in x)
            continue
        if not isinstance(x, A.Expr):
            continue
        if parent is not None and _same_chain(parent, x):
            d -= 1                          # one n-ary node in the IR
        deepest = max(deepest, d)
        for name in _fields(type(x)):
            if name != "span":
                stack.append((getattr(x, name), d + 1, x))
    return deepest


@cache
def _fields(cls) -> tuple[str, ...]:
    """A node class's field names, looked up once per class (`dataclasses.fields` builds a tuple
    on every call, for every node of every expression)."""
    return tuple(f.name for f in fields(cls))


def _same_chain(parent: A.Expr, child: A.Expr) -> bool:
    return type(parent) is type(child) and isinstance(child, (A.And, A.Or, A.Not))
