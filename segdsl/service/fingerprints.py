"""What a population value depends on, as a fingerprint: frozen stats outlive unrelated edits.

A frozen statistic (`segdsl stats`) stays right as long as the things that
decide it stay the same: its own expression (function, argument, `by`,
parameters), the lets, dimensions and params that expression reaches, and
the declarations of the inputs (their fields decide which rows are
customers at all). A comment, a label, a new segment or a param no
statistic reads changes none of these, so it must not throw the frozen
values away. Each part is hashed on its own, so a refusal can say which
part changed.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from typing import Any, Mapping

from .. import ir


@dataclass(frozen=True)
class Fingerprint:
    """One statistic's parts, each a short hash (params: their values as frozen)."""
    expression: str
    inputs: str
    lets: tuple[tuple[str, str], ...]
    dimensions: tuple[tuple[str, str], ...]
    params: tuple[tuple[str, Any], ...]

    def to_json(self) -> dict:
        return {"expression": self.expression, "inputs": self.inputs, "lets": dict(self.lets),
                "dimensions": dict(self.dimensions), "params": {k: _plain(v) for k, v in self.params}}

    def changes(self, frozen: Mapping) -> list[str]:
        """What differs from a fingerprint read back from a stats file, in words."""
        out = []
        if frozen.get("expression") != self.expression:
            out.append("the statistic itself")
        if frozen.get("inputs") != self.inputs:
            out.append("the inputs' declarations")
        for kind, mine, theirs in (("let", dict(self.lets), frozen.get("lets") or {}),
                                   ("dimension", dict(self.dimensions), frozen.get("dimensions") or {})):
            out += [f"{kind} `{name}`" for name in sorted(set(mine) | set(theirs)) if mine.get(name) != theirs.get(name)]
        then = frozen.get("params") or {}
        for name, value in self.params:
            if _plain(value) != then.get(name, _MISSING):
                out.append(f"param `{name}` ({_shown(then.get(name, _MISSING))} when frozen, {_shown(_plain(value))} now)")
        return out


_MISSING = object()


def _shown(v) -> str:
    return "absent" if v is _MISSING else json.dumps(v, ensure_ascii=False)


def _plain(v):
    return v.isoformat() if hasattr(v, "isoformat") else v


def fingerprint(rs: ir.Ruleset, stat: ir.PopulationStat, params: Mapping[str, Any]) -> Fingerprint:
    reach = _Reach(rs)
    reach.expr(stat)
    return Fingerprint(
        expression=_hash(_shape(stat)),
        inputs=_hash(tuple(_input_shape(i) for i in ((rs.customer,) if rs.customer else ()) + rs.related)),
        lets=tuple(sorted((n, _hash(_shape(rs.let(n).expr))) for n in reach.lets)),
        dimensions=tuple(sorted((n, _hash(_dimension_shape(rs.dimension(n))))
                                for n in reach.dimensions)),
        params=tuple(sorted((n, params.get(n)) for n in reach.params)),
    )


class _Reach:
    """The lets, dimensions and params an expression reaches, through lets and dimensions."""

    def __init__(self, rs: ir.Ruleset):
        self.rs = rs
        self.lets: set[str] = set()
        self.dimensions: set[str] = set()
        self.params: set[str] = set()

    def expr(self, e: ir.Expr) -> None:
        for node in ir.walk(e):
            visit = getattr(self, f"visit_{type(node).__name__}", None)
            if visit is not None:
                visit(node)

    def visit_ParamRef(self, node: ir.ParamRef) -> None:
        self.params.add(node.name)

    def visit_LetRef(self, node: ir.LetRef) -> None:
        if node.name not in self.lets and self.rs.let(node.name) is not None:
            self.lets.add(node.name)
            self.expr(self.rs.let(node.name).expr)

    def visit_DimRef(self, node: ir.DimRef) -> None:
        self._dimension(node.name)

    def visit_InTags(self, node: ir.InTags) -> None:
        self._dimension(node.dimension)

    def _dimension(self, name: str) -> None:
        d = self.rs.dimension(name)
        if name in self.dimensions or d is None:
            return
        self.dimensions.add(name)
        for s in d.all_segments():
            if s.condition is not None:
                self.expr(s.condition)


def _shape(e):
    """ir.shape, with a statistic's id (its place in the file) left out: an edit elsewhere
    that renumbers the statistics does not change what one of them computes."""
    if isinstance(e, ir.PopulationStat):
        return ("PopulationStat", e.func, _shape(e.arg), e.params, e.desc,
                tuple(_shape(b) for b in e.by), e.type)
    if isinstance(e, ir.Expr):
        return (type(e).__name__,) + tuple(_shape(getattr(e, f.name))
                                           for f in fields(e) if f.name != "span")
    if isinstance(e, tuple):
        return tuple(_shape(i) for i in e)
    return e


def _dimension_shape(d: ir.Dimension):
    return (d.policy, tuple((s.name, s.is_otherwise, _shape(s.condition)) for s in d.all_segments()))


def _input_shape(schema: ir.InputSchema):
    """What decides which rows are customers and what their values are (labels are not)."""
    return (schema.name, schema.key, schema.related_by,
            tuple((f.name, f.column, repr(f.type), f.low, f.high, _plain(f.default), f.has_default)
                  for f in schema.fields))


def _hash(value) -> str:
    return hashlib.sha256(repr(value).encode("utf-8")).hexdigest()[:16]
