"""Lowering the `test` blocks of the main file to ir.Test: values checked against the schema.

A test case gives a customer record, related rows, pinned lets and the
segments it expects; each value is checked as a constant of the type it
fills. A case with an error is reported and left out; the other cases of its
test still run. Only the main file's tests are lowered: an imported file's
tests run when that file is tested.
"""
from __future__ import annotations

from .. import ir
from ..diagnostics.suggest import did_you_mean
from ..source import Span
from ..syntax import ast as A
from ..types import Kind
from .context import Context, Failed, segments_of
from .schema import const_value, describe_const


def lower_tests(ctx: Context) -> tuple[ir.Test, ...]:
    out = []
    for t in ctx.main.tests:
        cases = []
        for c in t.cases:
            try:
                cases.append(lower_case(ctx, c, t))
            except Failed:
                pass
        out.append(ir.Test(t.name, tuple(cases), t.is_table, t.span))
    return tuple(out)


def lower_case(ctx: Context, c: A.TestCase, t: A.Test) -> ir.TestCase:
    """One case; every problem in it is reported before it is given up (Failed)."""
    failed = False
    pins = {}
    for p in c.pins:
        try:
            pins[p.name] = pin_value(ctx, p.name, p.value, p.span)
        except Failed:
            failed = True
    record = None
    if c.record is not None:
        record, ok = _record(ctx, c.record, t, pins)
        failed = failed or not ok
    rows, ok = _rows(ctx, c.rows)
    failed = failed or not ok
    expects, ok = _expectations(ctx, c.expectations)
    failed = failed or not ok
    if not expects and not failed:
        ctx.error("SEG303", f"test `{t.name}` expects nothing", c.span, help="add `expect DIMENSION = SEGMENT`")
        failed = True
    if failed:
        raise Failed
    for name in pins:
        ctx.used.add(name)
    return ir.TestCase(record, rows, pins, tuple(expects), c.span)


def _record(ctx: Context, rec: A.Record, t: A.Test, pins: dict) -> tuple[dict, bool]:
    """The customer's fields; in a table test a column named after a let pins it (into `pins`)."""
    customer = ctx.customer
    sets_fields = any(not (t.is_table and name in ctx.let_ast) for name, _, _ in rec.fields)
    if customer is None and sets_fields:
        ctx.error("SEG302", "this ruleset has no customer input; give related rows instead",
                  rec.span, help="`given orders [ {...} ]`")
        raise Failed
    record, ok = {}, True
    for name, value, span in rec.fields:
        try:
            if t.is_table and name in ctx.let_ast:
                pins[name] = pin_value(ctx, name, value, span)
                continue
            f = customer.field(name) if customer else None
            if f is None and name in ctx.broken:
                raise Failed
            if f is None:
                cands = [f.name for f in customer.fields] if customer else []
                ctx.error("SEG102", f"unknown field `{name}`" + (f" of input `{customer.name}`" if customer else ""),
                          span, help=did_you_mean(name, cands + (list(ctx.let_ast) if t.is_table else [])))
                raise Failed
            record[name] = const_value(ctx, value, f.type, f"`{name}`", "SEG211")
        except Failed:
            ok = False
    return record, ok


def _rows(ctx: Context, given: tuple[tuple[str, tuple[A.Record, ...], Span], ...]) -> tuple[dict, bool]:
    """The related rows, by related input."""
    rows, ok = {}, True
    for rname, recs, span in given:
        r = ctx.related.get(rname)
        if r is None:
            ctx.error("SEG302", f"`{rname}` is not a related input", span, help=did_you_mean(rname, ctx.related))
            ok = False
            continue
        lst = []
        for rec in recs:
            row = {}
            for name, value, fspan in rec.fields:
                f = r.field(name)
                if f is None:
                    ctx.error("SEG102", f"unknown field `{name}` of related input `{rname}`", fspan,
                              help=did_you_mean(name, [f.name for f in r.fields]))
                    ok = False
                    continue
                try:
                    row[name] = const_value(ctx, value, f.type, f"`{rname}.{name}`", "SEG211")
                except Failed:
                    ok = False
            lst.append(row)
        rows[rname] = lst
    return rows, ok


def _expectations(ctx: Context, expectations: tuple[A.Expectation, ...]) -> tuple[list, bool]:
    expects, ok = [], True
    for ex in expectations:
        d = ctx.dim_ast.get(ex.dimension)
        if d is None:
            ctx.error("SEG107", f"unknown dimension `{ex.dimension}`", ex.span,
                      help=did_you_mean(ex.dimension, ctx.dim_ast))
            ok = False
            continue
        try:
            expects.append((d.name, expected_value(ctx, d, ex.value), ex.span))
        except Failed:
            ok = False
    return expects, ok


def pin_value(ctx: Context, name: str, value: A.Expr, span: Span):
    """`with NAME = value`: the let's value for this case, a constant of the let's type."""
    if name not in ctx.lets:
        if name in ctx.let_ast:
            raise Failed           # the let itself has an error, already reported
        is_field = ctx.customer is not None and ctx.customer.field(name) is not None
        ctx.error("SEG116", f"`{name}` is not a let, so it cannot be pinned", span,
                  help=f"`{name}` is a field: give it in the record, `given {{ {name}: ... }}`"
                  if is_field else did_you_mean(name, ctx.let_ast) or "`with NAME = value` pins a `let`")
        raise Failed
    t = ctx.lets[name].expr.type
    if t.kind in (Kind.SEGMENT, Kind.TAGS, Kind.LIST):
        ctx.error("SEG211", f"`{name}` cannot be pinned", span)
        raise Failed
    return const_value(ctx, value, t, f"the pinned value of `{name}`", "SEG211")


def expected_value(ctx: Context, d: A.Dimension, v: A.Expr):
    """`expect DIM = value`: a segment name or null; for an `all` dimension, its tags in declaration order."""
    names = [s.name for s in segments_of(d)]
    if d.policy == "all":
        return _expected_tags(ctx, d, v, names)
    if isinstance(v, A.Null):
        return None
    if isinstance(v, A.Name):
        if v.name not in names:
            ctx.error("SEG104", f"`{v.name}` is not a segment of dimension `{d.name}`", v.span,
                      help=did_you_mean(v.name, names))
            raise Failed
        return v.name
    ctx.error("SEG212", f"expect a segment of `{d.name}` (or `null`), not {describe_const(v)}", v.span,
              help=f"segments are written bare, without quotes: `{v.value}`"
              if isinstance(v, A.String) and v.value in names else "segments: " + ", ".join(names))
    raise Failed


def _expected_tags(ctx: Context, d: A.Dimension, v: A.Expr, names: list[str]) -> tuple[str, ...]:
    items = v.items if isinstance(v, A.ListLit) else (v,) if isinstance(v, A.Name) else None
    if items is None:
        ctx.error("SEG212", f"`{d.name}` is an `all` dimension: expect a list of its segments, "
                            f"e.g. `[{names[0] if names else 'a'}]` or `[]`", v.span)
        raise Failed
    got = []
    for i in items:
        if not isinstance(i, A.Name) or i.name not in names:
            n = i.name if isinstance(i, A.Name) else describe_const(i)
            ctx.error("SEG104", f"`{n}` is not a segment of dimension `{d.name}`", i.span,
                      help=did_you_mean(n, names))
            raise Failed
        got.append(i.name)
    return tuple(sorted(set(got), key=names.index))
