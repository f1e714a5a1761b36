"""Tree → tree rewriting of IR expressions, bottom-up, for the rewriting passes.

IR nodes are frozen dataclasses, so a rewrite builds new nodes; a node whose
children did not change is returned as it is (the same object), which keeps
unchanged rulesets cheap to pass through.
"""
from __future__ import annotations

from dataclasses import fields, replace
from functools import cache
from typing import Callable

from .. import ir

Rewrite = Callable[[ir.Expr], ir.Expr]


@cache
def _child_fields(cls: type) -> tuple[str, ...]:
    """The fields of a node class that may hold expressions (looked up once per class: a
    large ruleset has tens of thousands of nodes)."""
    return tuple(f.name for f in fields(cls) if f.name not in ("type", "span"))


def transform(expr: ir.Expr, fn: Rewrite) -> ir.Expr:
    """`fn` applied to every node, children first."""
    changes = {}
    for name in _child_fields(type(expr)):
        value = getattr(expr, name)
        new = _child(value, fn)
        if new is not value:
            changes[name] = new
    node = replace(expr, **changes) if changes else expr
    return fn(node)


def _child(value, fn: Rewrite):
    if isinstance(value, ir.Expr):
        return transform(value, fn)
    if isinstance(value, tuple) and value and any(isinstance(v, (ir.Expr, tuple)) for v in value):
        items = tuple(_child(v, fn) for v in value)
        return value if all(a is b for a, b in zip(items, value)) else items
    return value


def definition(d: ir.Definition, fn: Rewrite) -> ir.Definition:
    """A let or dimension with `fn` applied to its expressions."""
    if isinstance(d, ir.Let):
        expr = transform(d.expr, fn)
        return d if expr is d.expr else replace(d, expr=expr)
    segments = tuple(s if s.condition is None else replace(s, condition=transform(s.condition, fn))
                     for s in d.segments)
    if all(a.condition is b.condition for a, b in zip(segments, d.segments)):
        return d
    return replace(d, segments=segments)


def ruleset(rs: ir.Ruleset, fn: Rewrite) -> ir.Ruleset:
    """The ruleset with `fn` applied to every definition and population statistic. Dimensions
    appear twice in a ruleset (definitions and declaration order): both get the same node."""
    definitions = tuple(definition(d, fn) for d in rs.definitions)
    if all(a is b for a, b in zip(definitions, rs.definitions)):
        return rs
    by_name = {d.name: d for d in definitions}
    dimensions = tuple(by_name.get(d.name, d) for d in rs.dimensions)
    population = tuple(transform(p, fn) for p in rs.population)
    return replace(rs, definitions=definitions, dimensions=dimensions, population=population)
