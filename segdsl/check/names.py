"""Name resolution: what a bare name or `related.field` means where it is written.

A bare name is first an enum member or a segment, when the expected type is
that enum or dimension and it has a member of that name; then a field,
param, let or dimension; else it is reported with the nearest spelling.
Resolution needs the expected type, which is why it is part of typing and
not a pass of its own.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from .. import ir
from ..diagnostics.suggest import did_you_mean
from ..syntax import ast as A
from ..types import EnumType, Kind, Type
from .context import Context, Failed, segments_of
from .definitions import check_let

if TYPE_CHECKING:
    from .expressions import ExpressionChecker


def resolve_name(x: ExpressionChecker, e: A.Name, expect: Type | None) -> ir.Expr:
    found = _expected_member(x.ctx, e, expect)
    if found is None:
        found = _declared(x, e)
    if found is None:
        _report_unknown(x.ctx, e, expect)
    return found


def _expected_member(ctx: Context, e: A.Name, expect: Type | None) -> ir.Expr | None:
    """A member of the expected enum, or a segment of the expected dimension."""
    if expect is None:
        return None
    n = e.name
    if expect.kind is Kind.ENUM and expect.enum.member(n) is not None:
        return ir.Const(Type(Kind.ENUM, enum=expect.enum), e.span, n)
    if expect.kind in (Kind.SEGMENT, Kind.TAGS):
        d = ctx.dim_ast.get(expect.dimension)
        if d is not None and any(s.name == n for s in segments_of(d)):
            return ir.Const(Type(Kind.SEGMENT, dimension=d.name), e.span, n)
    return None


def _declared(x: ExpressionChecker, e: A.Name) -> ir.Expr | None:
    """A field, param, let or dimension of that name, marked as used."""
    ctx, n = x.ctx, e.name
    if ctx.customer and (f := ctx.customer.field(n)):
        ctx.used.add(n)
        return ir.FieldRef(f.type, e.span, n)
    if n in ctx.params:
        ctx.used.add(n)
        return ir.ParamRef(ctx.params[n].type, e.span, n)
    if n in ctx.let_ast:
        ctx.used.add(n)
        let = check_let(x, n, e.span)
        if let.expr.type.level is not None:
            return let.expr          # row-level lets are inlined where they are aggregated
        return ir.LetRef(let.expr.type, e.span, n)
    if n in ctx.dim_ast:
        ctx.used.add(n)
        d = ctx.dim_ast[n]
        if d.policy == "all":
            return ir.DimRef(Type(Kind.TAGS, dimension=n), e.span, n)
        return ir.DimRef(Type(Kind.SEGMENT, nullable=d.otherwise is None, dimension=n), e.span, n)
    return None


def _report_unknown(ctx: Context, e: A.Name, expect: Type | None) -> NoReturn:
    """The name means nothing here: say what it is not, in the words of what was expected."""
    n = e.name
    if n in ctx.related:
        ctx.error("SEG205", f"`{n}` is a related input; use an aggregate such as `count({n})`", e.span)
        raise Failed
    if expect is not None and expect.kind is Kind.ENUM:
        ctx.error("SEG103", f"`{n}` is not a member of the enum of `{expect.enum.owner}`", e.span,
                  help=did_you_mean(n, [m.name for m in expect.enum.members])
                  or "members: " + ", ".join(m.name for m in expect.enum.members))
        raise Failed
    if expect is not None and expect.kind in (Kind.SEGMENT, Kind.TAGS):
        d = ctx.dim_ast.get(expect.dimension)
        ctx.error("SEG104", f"`{n}` is not a segment of dimension `{expect.dimension}`", e.span,
                  help=did_you_mean(n, [s.name for s in segments_of(d)]) if d else None)
        raise Failed
    if n in ctx.broken:
        raise Failed                # its declaration has an error, already reported
    hint = did_you_mean(n, list(ctx.names) + list(ctx.let_ast) + list(ctx.dim_ast))
    if hint is None and n in (m.name for t in _enum_types(ctx) for m in t.members):
        hint = "an enum member is written where its field is compared, e.g. `network = in_net`"
    ctx.error("SEG102", f"unknown field `{n}`", e.span, help=hint)
    raise Failed


def _enum_types(ctx: Context) -> list[EnumType]:
    fields = list(ctx.customer.fields) if ctx.customer else []
    for r in ctx.related.values():
        fields += list(r.fields)
    return [f.type.enum for f in fields if f.type.kind is Kind.ENUM]


def resolve_member(x: ExpressionChecker, e: A.Member) -> ir.Expr:
    """`orders.amount`: a field of each row of a related input."""
    ctx = x.ctx
    if isinstance(e.obj, A.Name) and e.obj.name in ctx.related:
        r = ctx.related[e.obj.name]
        f = r.field(e.name)
        if f is None and f"{r.name}.{e.name}" in ctx.broken:
            raise Failed
        if f is None:
            ctx.error("SEG111", f"related input `{r.name}` has no field `{e.name}`", e.name_span,
                      help=did_you_mean(e.name, [f.name for f in r.fields]))
            raise Failed
        return ir.RowFieldRef(f.type, e.span, r.name, f.name)
    obj = e.obj.name if isinstance(e.obj, A.Name) else "this"
    ctx.error("SEG111", f"`{obj}` is not a related input, so `{obj}.{e.name}` means nothing", e.span,
              help=did_you_mean(obj, ctx.related) if ctx.related else "declare it with `related NAME of ... by ...`")
    raise Failed


def resolvable(ctx: Context, n: str) -> bool:
    """Does the bare name `n` name a field, param, let, dimension or related input (even a broken one)?"""
    return n in ctx.names or n in ctx.let_ast or n in ctx.dim_ast or n in ctx.params or n in ctx.broken
