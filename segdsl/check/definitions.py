"""Lets and dimensions: declared first, then checked, each at most once.

All names are declared before any expression is checked, so a let may read
one declared below it. Lets are checked in the order of what they read
(lets_in_reading_order), so that a let is checked before it is read and a
chain of lets declared bottom-up does not nest one check inside another; a
let met while it is still being checked is a cycle (SEG110). A definition with an error is left out of the
IR, and what reads it is reported once, where the error is.
"""
from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

from .. import ir
from ..source import Span
from ..syntax import ast as A
from .context import Context, Failed, segments_of
from .literals import constant_numbers_ok

if TYPE_CHECKING:
    from .expressions import ExpressionChecker

_NOT_CONST = object()
_BROKEN = object()           # a condition with an error, already reported


def declare_definitions(ctx: Context) -> None:
    """Claim the names of every let and dimension of every file."""
    for let in (l for m in ctx.modules for l in m.lets):
        if ctx.declare(let.name, "let", let.span):
            ctx.let_ast[let.name] = let
    for d in (d for m in ctx.modules for d in m.dimensions):
        if ctx.declare(d.name, "dimension", d.span):
            ctx.dim_ast[d.name] = d
    if not ctx.dim_ast and not ctx.sink.has_errors:
        ctx.error("SEG306", "the ruleset has no dimension, so it assigns no segments",
                  ctx.header_span(), help='add `dimension NAME first { segment ... when ... }`')


def check_definitions(x: ExpressionChecker) -> None:
    """Every let, then every dimension; what checks cleanly lands in ctx.lets and ctx.dims."""
    ctx = x.ctx
    for name in lets_in_reading_order(ctx.let_ast):
        try:
            check_let(x, name)
        except Failed:
            pass
    for d in ctx.dim_ast.values():
        dim = check_dimension(x, d)
        if dim is not None:
            ctx.dims[d.name] = dim


def lets_in_reading_order(lets: dict[str, A.Let]) -> list[str]:
    """Every let after the lets its expression names (as far as a cycle allows), declaration order
    otherwise; found without recursion, so any length of chain is one loop."""
    reads = {n: [m for m in _names(let.expr) if m in lets and m != n] for n, let in lets.items()}
    out: list[str] = []
    state: dict[str, str] = {}
    for root in lets:
        stack = [(root, 0)]
        while stack:
            n, i = stack.pop()
            if i == 0:
                if n in state:
                    continue
                state[n] = "open"
            if i < len(reads[n]):
                stack.append((n, i + 1))
                if reads[n][i] not in state:
                    stack.append((reads[n][i], 0))
            else:
                state[n] = "done"
                out.append(n)
    return out


def _names(expr: A.Expr) -> list[str]:
    """The plain names an expression reads, in order of appearance."""
    out, stack = [], [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, A.Name):
            out.append(e.name)
        elif isinstance(e, (tuple, list)):
            stack.extend(reversed(e))
        elif isinstance(e, A.Expr):
            stack.extend(reversed([getattr(e, f.name) for f in fields(e) if f.name != "span"]))
    return out


def check_let(x: ExpressionChecker, name: str, use_span: Span | None = None) -> ir.Let:
    """The checked let `name`, checking it now if this is its first use."""
    ctx = x.ctx
    state = ctx.let_state.get(name)
    if state == "done":
        return ctx.lets[name]
    if state == "failed":
        raise Failed
    let = ctx.let_ast[name]
    if state == "checking":
        ctx.error("SEG110", f"`{name}` depends on itself", use_span or let.span,
                  help="break the cycle: a let cannot use itself, directly or through other lets")
        ctx.let_state[name] = "failed"
        raise Failed
    ctx.let_state[name] = "checking"
    try:
        expr = x.check(let.expr)
    except Failed:
        ctx.let_state[name] = "failed"
        raise
    if ctx.let_state.get(name) == "failed":      # a cycle through it was reported on the way
        raise Failed
    ctx.lets[name] = ir.Let(name, let.label, expr, let.span)
    ctx.let_state[name] = "done"
    return ctx.lets[name]


def check_dimension(x: ExpressionChecker, d: A.Dimension) -> ir.Dimension | None:
    """The dimension, or None when one of its segments has an error (each is reported)."""
    ctx = x.ctx
    segs, seen, ok = [], {}, True
    if d.policy == "all" and d.otherwise is not None:
        ctx.error("SEG301", f"`otherwise` has no meaning in an `all` dimension (`{d.name}` is a set of tags)",
                  d.otherwise.span, help="remove it: a customer with no tag has the empty set, `[]`")
    for s in segments_of(d):
        if s.name in seen:
            ctx.error("SEG112", f"segment `{s.name}` is defined twice in dimension `{d.name}`", s.span,
                      help="give one of them another name, or join their conditions with `or`",
                      notes=[f"first defined at {seen[s.name]}"])
            ok = False
            continue
        seen[s.name] = s.span
        attrs = _attributes(ctx, s)
        cond = _condition(x, s)
        ok = ok and attrs is not None and cond is not _BROKEN
        if s is d.otherwise and d.policy == "all":
            continue
        if ok:
            segs.append(ir.Segment(s.name, s.label, cond, attrs, s.span, s is d.otherwise))
    if not ok:
        return None
    otherwise = segs.pop() if d.otherwise is not None and d.policy != "all" else None
    return ir.Dimension(d.name, d.label, d.policy, tuple(segs), otherwise, d.span)


def _attributes(ctx: Context, s: A.Segment) -> tuple[tuple[str, object], ...] | None:
    """A segment's attributes as constants; None when one is not a constant (each is reported)."""
    attrs, ok = [], True
    for a in s.attributes:
        v = _attr_value(a.value)
        try:
            constant_numbers_ok(ctx, a.value)
        except Failed:
            ok = False
            continue
        if v is _NOT_CONST:
            ctx.error("SEG216", f"attribute `{a.key}` must be a constant", a.value.span,
                      help='write text in double quotes: `channel: "outbound_call"`')
            ok = False
            continue
        attrs.append((a.key, v))
    return tuple(attrs) if ok else None


def _condition(x: ExpressionChecker, s: A.Segment):
    """A segment's condition (None for `otherwise`), or _BROKEN when it has an error."""
    if s.condition is None:
        return None
    try:
        cond = x.cond(s.condition)
    except Failed:
        return _BROKEN
    if cond.type.level is not None:
        x.ctx.error("SEG205", f"this condition reads each `{cond.type.level}` row; a segment is about a customer",
                    s.condition.span, help=f"aggregate the rows, e.g. `count({cond.type.level} where ...) > 0`")
        return _BROKEN
    return cond


def _attr_value(e: A.Expr):
    match e:
        case A.Number(value=v) | A.Percent(value=v) | A.String(value=v) | A.Bool(value=v) | \
                A.DateLit(value=v) | A.DateTimeLit(value=v):
            return v
        case A.Null():
            return None
    return _NOT_CONST
