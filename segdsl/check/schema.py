"""Inputs, fields and params: the declarations every expression is checked against.

Runs first, so the names it declares (fields, related inputs, params) are
known before any let or segment reads them. A field or param with an error
is remembered as broken, so a later use of it is not reported a second time.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from .. import ir
from ..diagnostics.suggest import did_you_mean
from ..syntax import ast as A
from ..types import INT, NUMBER, SCALAR_TYPE_NAMES, EnumMember, EnumType, Kind, Type
from .context import Context, Failed
from .literals import constant_numbers_ok

_TYPE_ALIASES = {"integer": "int", "float": "number", "double": "number", "decimal": "number",
                 "str": "string", "text": "string", "boolean": "bool", "timestamp": "datetime"}

_EXAMPLES = {Kind.INT: "`12`", Kind.NUMBER: "`12.5` or `95%`", Kind.BOOL: "`true`", Kind.STRING: '`"text"`',
             Kind.DATE: "`2026-11-01`", Kind.DATETIME: "`2026-11-01T09:00:00`"}


def check_schema(ctx: Context) -> None:
    """The customer input, the related inputs and the params of every file, in that order."""
    check_customer(ctx)
    for r in (r for m in ctx.modules for r in m.related):
        check_related(ctx, r)
    if ctx.customer is None and not ctx.related:
        ctx.error("SEG304", "the ruleset declares no input", ctx.header_span(),
                  help="declare `input customer key id { ... }` or a `related` input")
    for p in (p for m in ctx.modules for p in m.params):
        check_param(ctx, p)


def check_customer(ctx: Context) -> None:
    """One customer input, whose blocks may be spread over several files."""
    merged: dict[str, list[A.Input]] = {}
    for i in (i for m in ctx.modules for i in m.inputs):
        merged.setdefault(i.name, []).append(i)
    if len(merged) > 1:
        names = list(merged)
        ctx.error("SEG115", f"a ruleset has one customer input; found `{names[0]}` and `{names[1]}`",
                  merged[names[1]][0].span, help="declare other tables as `related NAME of ... by ...`")
    if not merged:
        return
    name, parts = next(iter(merged.items()))
    key = next((p.key for p in parts if p.key), None)
    key_span = next((p.key_span for p in parts if p.key), None)
    fields = check_fields(ctx, tuple(f for p in parts for f in p.fields), None)
    if key and not any(f.name == key for f in fields):
        ctx.error("SEG114", f"the key `{key}` is not a field of input `{name}`", key_span,
                  help=did_you_mean(key, [f.name for f in fields]) or f"declare `{key}: string` in the block")
    else:
        fields = _key_not_null(fields, key)
    ctx.customer = ir.InputSchema(name, key, fields, None, parts[0].span)
    for f in fields:
        ctx.declare(f.name, "field", f.span)


def check_related(ctx: Context, r: A.Related) -> None:
    if r.name in ctx.related:
        ctx.error("SEG101", f"related input `{r.name}` is declared twice", r.span)
        return
    fields = check_fields(ctx, r.fields, r.name)
    if not any(f.name == r.by for f in fields):
        ctx.error("SEG114", f"the key `{r.by}` is not a field of related input `{r.name}`", r.by_span,
                  help=did_you_mean(r.by, [f.name for f in fields]) or f"declare `{r.by}: string` in the block")
    fields = _key_not_null(fields, r.by)
    customer = ctx.customer
    if customer is not None:
        if r.of != customer.name:
            ctx.error("SEG111", f"`{r.of}` is not the customer input (`{customer.name}`)", r.span,
                      help=f"write `related {r.name} of {customer.name} by {r.by}`")
        if not customer.key:
            ctx.error("SEG305", f"related input `{r.name}` needs the customer input to declare a key",
                      customer.span, help=f"write `input {customer.name} key FIELD {{ ... }}`")
    ctx.related[r.name] = ir.InputSchema(r.name, r.by, fields, r.of, r.span)
    ctx.declare(r.name, "related input", r.span)


def check_param(ctx: Context, p: A.Param) -> None:
    try:
        t = type_of(ctx, p.type, p.name)
        default = const_value(ctx, p.default, t, f"the default of `{p.name}`") if p.default is not None else None
    except Failed:
        ctx.broken.add(p.name)
        return
    if ctx.declare(p.name, "param", p.span):
        ctx.params[p.name] = ir.ParamDecl(p.name, t, default, p.default is not None, p.label, p.span)


def _key_not_null(fields: tuple[ir.FieldSchema, ...], key: str | None) -> tuple[ir.FieldSchema, ...]:
    """A key is never missing: rows without one are refused when read."""
    return tuple(replace(f, type=f.type.with_nullable(False)) if f.name == key else f for f in fields)


def check_fields(ctx: Context, fields: tuple[A.Field, ...], level: str | None) -> tuple[ir.FieldSchema, ...]:
    """The fields of one input; a field with an error is left out and remembered as broken."""
    prefix = f"{level}." if level else ""
    out, seen = [], {}
    for f in fields:
        if f.name in seen:
            ctx.error("SEG101", f"field `{f.name}` is declared twice", f.span, help="remove one of them",
                      notes=[f"first declared at {seen[f.name]}"])
            continue
        seen[f.name] = f.span
        try:
            out.append(check_field(ctx, f, level))
        except Failed:
            ctx.broken.add(prefix + f.name)
    return tuple(out)


def check_field(ctx: Context, f: A.Field, level: str | None) -> ir.FieldSchema:
    t = type_of(ctx, f.type, f.name).with_nullable(f.nullable).at_level(level)
    low = high = None
    if f.range is not None:
        if not t.is_numeric:
            ctx.error("SEG208", f"a range `in a..b` needs an int or number field; `{f.name}` is {t.describe()}",
                      f.range[0].span)
        else:
            bound = NUMBER if t.kind is Kind.NUMBER else INT
            low = const_value(ctx, f.range[0], bound, "a range bound", "SEG208")
            high = const_value(ctx, f.range[1], bound, "a range bound", "SEG208")
            if low is not None and high is not None and low > high:
                ctx.error("SEG208", f"the range {low}..{high} is empty", f.range[0].span,
                          help="write the lower bound first")
    default, has_default = None, False
    if f.default is not None:
        default = const_value(ctx, f.default, t, f"the default of `{f.name}`")
        has_default = True
        if default is not None and low is not None and not (low <= default <= high):
            ctx.error("SEG207", f"the default {default} of `{f.name}` is outside its range {low}..{high}",
                      f.default.span)
    missing = _missing_values(ctx, f, t) if f.missing is not None else ()
    return ir.FieldSchema(f.name, t, f.column or f.name, low, high, default, has_default, f.label, f.span, missing)


def _missing_values(ctx: Context, f: A.Field, t: Type) -> tuple:
    """`missing 999` / `missing [998, 999]`: values of the field's type (an enum's are data
    texts, as they appear in the data), at least one, none twice."""
    written = f.missing.items if isinstance(f.missing, A.ListLit) else (f.missing,)
    as_type = Type(Kind.STRING) if t.kind is Kind.ENUM else t.with_nullable(False)
    values: list = []
    for e in written:
        if isinstance(e, A.Null):
            ctx.error("SEG207", "`missing` lists data values that mean null; null itself is always missing",
                      e.span, help="remove it")
            raise Failed
        what = f"a `missing` value of `{f.name}`" + (" (an enum's data text)" if t.kind is Kind.ENUM else "")
        v = const_value(ctx, e, as_type, what)
        if v in values:
            ctx.error("SEG207", f"the `missing` value {_shown(v)} is given twice", e.span,
                      help="remove one of them")
            raise Failed
        values.append(v)
    if not values:
        ctx.error("SEG207", f"`missing` needs at least one value for `{f.name}`", f.missing.span,
                  help="for example `missing 999`, or `missing [998, 999]`")
        raise Failed
    return tuple(values)


def _shown(v) -> str:
    return f'"{v}"' if isinstance(v, str) else v.isoformat() if hasattr(v, "isoformat") else str(v)


def type_of(ctx: Context, t: A.TypeRef, owner: str) -> Type:
    """A written type; an enum's type is named after its owner (the field or param)."""
    if t.name == "enum":
        return Type(Kind.ENUM, enum=EnumType(owner, _enum_members(ctx, t)))
    kind = SCALAR_TYPE_NAMES.get(t.name)
    if kind is None:
        hint = f"did you mean `{_TYPE_ALIASES[t.name]}`?" if t.name in _TYPE_ALIASES else \
            did_you_mean(t.name, list(SCALAR_TYPE_NAMES) + ["enum"])
        ctx.error("SEG106", f"unknown type `{t.name}`", t.span,
                  help=hint or "types are int, number, bool, string, date, datetime, enum {...}")
        raise Failed
    return Type(kind)


def _enum_members(ctx: Context, t: A.TypeRef) -> tuple[EnumMember, ...]:
    seen: dict[str, object] = {}
    members = []
    for m in t.members:
        if m.name in seen:
            ctx.error("SEG113", f"enum member `{m.name}` is defined twice", m.span,
                      help="remove the second one", notes=[f"first defined at {seen[m.name]}"])
            continue
        seen[m.name] = m.span
        members.append(EnumMember(m.name, m.value, m.label))
    return tuple(members)


def const_value(ctx: Context, e: A.Expr, t: Type, what: str, code: str = "SEG207"):
    """A constant written in the rule file (a default, a bound, a test value) as the runtime value of type t."""
    if isinstance(e, A.Null):
        return None
    constant_numbers_ok(ctx, e)
    value = _const_of_kind(ctx, e, t)
    if value is None:
        example = _EXAMPLES.get(t.kind)
        ctx.error(code, f"{what} must be {expected_kind(t)}, not {describe_const(e)}", e.span,
                  help=f"for example {example}" if example else None)
        raise Failed
    return value


def _const_of_kind(ctx: Context, e: A.Expr, t: Type):
    """The value of `e` if it is a constant of t's kind, else None."""
    k = t.kind
    if k is Kind.INT and isinstance(e, A.Number) and e.is_int:
        return e.value
    if k is Kind.NUMBER and isinstance(e, (A.Number, A.Percent)):
        return float(e.value)
    if (k is Kind.BOOL and isinstance(e, A.Bool) or k is Kind.STRING and isinstance(e, A.String)
            or k is Kind.DATE and isinstance(e, A.DateLit) or k is Kind.DATETIME and isinstance(e, A.DateTimeLit)):
        return e.value
    if k is Kind.DATETIME and isinstance(e, A.DateLit):
        return dt.datetime.combine(e.value, dt.time())
    if k is Kind.ENUM and isinstance(e, A.Name):
        if t.enum.member(e.name) is None:
            ctx.error("SEG103", f"`{e.name}` is not a member of the enum of `{t.enum.owner}`", e.span,
                      help=did_you_mean(e.name, [m.name for m in t.enum.members])
                      or "members: " + ", ".join(m.name for m in t.enum.members))
            raise Failed
        return e.name
    return None


def describe_const(e: A.Expr) -> str:
    """What a written value is, in the words of a message: `a number`, `text`, ..."""
    return {A.Number: "a number", A.Percent: "a percentage", A.String: "text", A.Bool: "true/false",
            A.DateLit: "a date", A.DateTimeLit: "a date and time", A.Name: "a bare name",
            A.ListLit: "a list", A.Null: "null"}.get(type(e), "an expression")


def expected_kind(t: Type) -> str:
    """What a value of type t looks like, in the words of a message."""
    return {Kind.INT: "a whole number", Kind.NUMBER: "a number", Kind.BOOL: "true or false",
            Kind.STRING: "text in double quotes", Kind.DATE: "a date (2026-11-01)",
            Kind.DATETIME: "a date and time (2026-11-01T09:00:00)",
            Kind.ENUM: f"a member of the enum of `{t.enum.owner}`" if t.enum else "an enum member"
            }.get(t.kind, t.describe())
