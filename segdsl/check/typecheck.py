"""Names, types and levels: the AST of a ruleset → the typed IR.

One pass that resolves each name where it is used (enum members and segment
names from the type that is expected there), gives every expression a Type,
orders definitions by dependency and reports every problem it can find, not
just the first.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import fields as dc_fields, replace

from ..syntax import ast as A
from .. import ir
from ..diagnostics.values import DiagnosticSink
from .functions import AGGREGATES, ALL_FUNCTIONS, POPULATION, SCALARS
from ..source import Span
from ..diagnostics.suggest import did_you_mean
from ..types import (BOOL, DATE, DATETIME, DURATION, INT, NULL, NUMBER, SCALAR_TYPE_NAMES, STRING, EnumMember,
                     EnumType, Kind, Type, comparable, ordered, unify)


class _Failed(Exception):
    """An expression could not be typed; its diagnostic is already in the sink."""


_POISON = Type(Kind.NULL, nullable=True)


class Checker:
    def __init__(self, modules: list[A.Module], sink: DiagnosticSink, texts: dict[str, str]):
        self.sink = sink
        self.main = modules[-1]
        self.modules = modules
        self.texts = texts
        self.customer: ir.InputSchema | None = None
        self.related: dict[str, ir.InputSchema] = {}
        self.params: dict[str, ir.ParamDecl] = {}
        self.let_ast: dict[str, A.Let] = {}
        self.dim_ast: dict[str, A.Dimension] = {}
        self.names: dict[str, tuple[str, Span]] = {}     # shared namespace: name → (kind, span)
        self.lets: dict[str, ir.Let] = {}
        self.let_state: dict[str, str] = {}              # name → "checking" | "done" | "failed"
        self.dims: dict[str, ir.Dimension] = {}
        self.pop_nodes: list[ir.PopulationStat] = []
        self.deps: dict[str, set[str]] = {}
        self.used: set[str] = set()
        self.broken: set[str] = set()                    # declared, but with an error already reported

    # ---- helpers ----
    def error(self, code, msg, span, help=None, notes=()):
        self.sink.error(code, msg, span, help, tuple(notes))

    def declare(self, name: str, kind: str, span: Span) -> bool:
        if name in self.names:
            other_kind, other_span = self.names[name]
            self.error("SEG101", f"`{name}` is already defined (as a {other_kind})", span,
                       help="fields, lets, params and dimensions share one namespace; rename one",
                       notes=[f"first defined at {other_span}"])
            return False
        self.names[name] = (kind, span)
        return True

    def _header_span(self) -> Span:
        """Where a problem with the whole file is shown: its `ruleset` line."""
        return self.main.header.span if self.main.header is not None else _file_span(self.main.path)

    # ---- schema ----
    def type_ref(self, t: A.TypeRef, owner: str) -> Type:
        if t.name == "enum":
            seen: dict[str, Span] = {}
            members = []
            for m in t.members:
                if m.name in seen:
                    self.error("SEG113", f"enum member `{m.name}` is defined twice", m.span,
                               help="remove the second one", notes=[f"first defined at {seen[m.name]}"])
                    continue
                seen[m.name] = m.span
                members.append(EnumMember(m.name, m.value, m.label))
            return Type(Kind.ENUM, enum=EnumType(owner, tuple(members)))
        kind = SCALAR_TYPE_NAMES.get(t.name)
        if kind is None:
            aliases = {"integer": "int", "float": "number", "double": "number", "decimal": "number",
                       "str": "string", "text": "string", "boolean": "bool", "timestamp": "datetime"}
            hint = f"did you mean `{aliases[t.name]}`?" if t.name in aliases else \
                did_you_mean(t.name, list(SCALAR_TYPE_NAMES) + ["enum"])
            self.error("SEG106", f"unknown type `{t.name}`", t.span,
                       help=hint or "types are int, number, bool, string, date, datetime, enum {...}")
            raise _Failed
        return Type(kind)

    def const_value(self, e: A.Expr, t: Type, what: str, code: str = "SEG207"):
        """A constant written in the rule file, as the runtime value of type t."""
        if isinstance(e, A.Null):
            return None
        k = t.kind
        ok = None
        if k is Kind.INT and isinstance(e, A.Number) and e.is_int:
            ok = e.value
        elif k is Kind.NUMBER and isinstance(e, (A.Number, A.Percent)):
            ok = float(e.value)
        elif k is Kind.BOOL and isinstance(e, A.Bool):
            ok = e.value
        elif k is Kind.STRING and isinstance(e, A.String):
            ok = e.value
        elif k is Kind.DATE and isinstance(e, A.DateLit):
            ok = e.value
        elif k is Kind.DATETIME and isinstance(e, A.DateTimeLit):
            ok = e.value
        elif k is Kind.DATETIME and isinstance(e, A.DateLit):
            ok = dt.datetime.combine(e.value, dt.time())
        elif k is Kind.ENUM and isinstance(e, A.Name):
            if t.enum.member(e.name) is None:
                self.error("SEG103", f"`{e.name}` is not a member of the enum of `{t.enum.owner}`", e.span,
                           help=did_you_mean(e.name, [m.name for m in t.enum.members])
                           or "members: " + ", ".join(m.name for m in t.enum.members))
                raise _Failed
            ok = e.name
        if ok is None:
            example = {Kind.INT: "`12`", Kind.NUMBER: "`12.5` or `95%`", Kind.BOOL: "`true`",
                       Kind.STRING: '`"text"`', Kind.DATE: "`2026-11-01`",
                       Kind.DATETIME: "`2026-11-01T09:00:00`"}.get(k)
            self.error(code, f"{what} must be {_a(t)}, not {_describe_const(e)}", e.span,
                       help=f"for example {example}" if example else None)
            raise _Failed
        return ok

    def field(self, f: A.Field, level: str | None) -> ir.FieldSchema:
        t = self.type_ref(f.type, f.name).with_nullable(f.nullable).at_level(level)
        low = high = None
        if f.range is not None:
            if not t.is_numeric:
                self.error("SEG208", f"a range `in a..b` needs an int or number field; `{f.name}` is {t.describe()}",
                           f.range[0].span)
            else:
                low = self.const_value(f.range[0], NUMBER if t.kind is Kind.NUMBER else INT, "a range bound", "SEG208")
                high = self.const_value(f.range[1], NUMBER if t.kind is Kind.NUMBER else INT, "a range bound", "SEG208")
                if low is not None and high is not None and low > high:
                    self.error("SEG208", f"the range {low}..{high} is empty", f.range[0].span,
                               help="write the lower bound first")
        default, has_default = None, False
        if f.default is not None:
            default = self.const_value(f.default, t, f"the default of `{f.name}`")
            has_default = True
            if default is not None and low is not None and not (low <= default <= high):
                self.error("SEG207", f"the default {default} of `{f.name}` is outside its range {low}..{high}",
                           f.default.span)
        return ir.FieldSchema(f.name, t, f.column or f.name, low, high, default, has_default, f.label, f.span)

    def fields(self, fields: tuple[A.Field, ...], level: str | None) -> tuple[ir.FieldSchema, ...]:
        prefix = f"{level}." if level else ""
        out, seen = [], {}
        for f in fields:
            if f.name in seen:
                self.error("SEG101", f"field `{f.name}` is declared twice", f.span, help="remove one of them",
                           notes=[f"first declared at {seen[f.name]}"])
                continue
            seen[f.name] = f.span
            try:
                out.append(self.field(f, level))
            except _Failed:
                self.broken.add(prefix + f.name)
        return tuple(out)

    def schema(self) -> None:
        inputs = [i for m in self.modules for i in m.inputs]
        merged: dict[str, list[A.Input]] = {}
        for i in inputs:
            merged.setdefault(i.name, []).append(i)
        if len(merged) > 1:
            names = list(merged)
            self.error("SEG115", f"a ruleset has one customer input; found `{names[0]}` and `{names[1]}`",
                       merged[names[1]][0].span, help="declare other tables as `related NAME of ... by ...`")
        if merged:
            name, parts = next(iter(merged.items()))
            key = next((p.key for p in parts if p.key), None)
            key_span = next((p.key_span for p in parts if p.key), None)
            fields = self.fields(tuple(f for p in parts for f in p.fields), None)
            if key and not any(f.name == key for f in fields):
                self.error("SEG114", f"the key `{key}` is not a field of input `{name}`", key_span,
                           help=did_you_mean(key, [f.name for f in fields]) or f"declare `{key}: string` in the block")
            else:
                fields = tuple(replace(f, type=f.type.with_nullable(False)) if f.name == key else f for f in fields)
            self.customer = ir.InputSchema(name, key, fields, None, parts[0].span)
            for f in fields:
                self.declare(f.name, "field", f.span)
        for r in (r for m in self.modules for r in m.related):
            if r.name in self.related:
                self.error("SEG101", f"related input `{r.name}` is declared twice", r.span)
                continue
            fields = self.fields(r.fields, r.name)
            if not any(f.name == r.by for f in fields):
                self.error("SEG114", f"the key `{r.by}` is not a field of related input `{r.name}`", r.by_span,
                           help=did_you_mean(r.by, [f.name for f in fields]) or f"declare `{r.by}: string` in the block")
            fields = tuple(replace(f, type=f.type.with_nullable(False)) if f.name == r.by else f for f in fields)
            if self.customer is not None:
                if r.of != self.customer.name:
                    self.error("SEG111", f"`{r.of}` is not the customer input (`{self.customer.name}`)", r.span,
                               help=f"write `related {r.name} of {self.customer.name} by {r.by}`")
                if not self.customer.key:
                    self.error("SEG305", f"related input `{r.name}` needs the customer input to declare a key",
                               self.customer.span, help=f"write `input {self.customer.name} key FIELD {{ ... }}`")
            self.related[r.name] = ir.InputSchema(r.name, r.by, fields, r.of, r.span)
            self.declare(r.name, "related input", r.span)
        if self.customer is None and not self.related:
            self.error("SEG304", "the ruleset declares no input", self._header_span(),
                       help="declare `input customer key id { ... }` or a `related` input")
        for p in (p for m in self.modules for p in m.params):
            try:
                t = self.type_ref(p.type, p.name)
                default = self.const_value(p.default, t, f"the default of `{p.name}`") if p.default is not None else None
            except _Failed:
                self.broken.add(p.name)
                continue
            if self.declare(p.name, "param", p.span):
                self.params[p.name] = ir.ParamDecl(p.name, t, default, p.default is not None, p.label, p.span)

    # ---- expressions ----
    def expr(self, e: A.Expr, expect: Type | None = None) -> ir.Expr:
        method = getattr(self, "x_" + type(e).__name__)
        return method(e, expect)

    def x_Number(self, e, expect):
        return ir.Const(INT if e.is_int else NUMBER, e.span, e.value)

    def x_Percent(self, e, expect):
        return ir.Const(NUMBER, e.span, e.value)

    def x_String(self, e, expect):
        return ir.Const(STRING, e.span, e.value)

    def x_DateLit(self, e, expect):
        return ir.Const(DATE, e.span, e.value)

    def x_DateTimeLit(self, e, expect):
        return ir.Const(DATETIME, e.span, e.value)

    def x_Bool(self, e, expect):
        return ir.Const(BOOL, e.span, e.value)

    def x_Null(self, e, expect):
        return ir.Const(expect.with_nullable(True) if expect else NULL, e.span, None)

    def x_Duration(self, e, expect):
        return ir.Const(DURATION, e.span, e.days)

    def x_Name(self, e: A.Name, expect):
        n = e.name
        if expect is not None and expect.kind is Kind.ENUM and expect.enum.member(n) is not None:
            return ir.Const(Type(Kind.ENUM, enum=expect.enum), e.span, n)
        if expect is not None and expect.kind in (Kind.SEGMENT, Kind.TAGS):
            d = self.dim_ast.get(expect.dimension)
            if d is not None and any(s.name == n for s in _segments(d)):
                return ir.Const(Type(Kind.SEGMENT, dimension=d.name), e.span, n)
        if self.customer and (f := self.customer.field(n)):
            self.used.add(n)
            return ir.FieldRef(f.type, e.span, n)
        if n in self.params:
            self.used.add(n)
            return ir.ParamRef(self.params[n].type, e.span, n)
        if n in self.let_ast:
            self.used.add(n)
            let = self.check_let(n, e.span)
            if let.expr.type.level is not None:
                return let.expr          # row-level lets are inlined where they are aggregated
            return ir.LetRef(let.expr.type, e.span, n)
        if n in self.dim_ast:
            self.used.add(n)
            d = self.dim_ast[n]
            if d.policy == "all":
                return ir.DimRef(Type(Kind.TAGS, dimension=n), e.span, n)
            return ir.DimRef(Type(Kind.SEGMENT, nullable=d.otherwise is None, dimension=n), e.span, n)
        if n in self.related:
            self.error("SEG205", f"`{n}` is a related input; use an aggregate such as `count({n})`", e.span)
            raise _Failed
        if expect is not None and expect.kind is Kind.ENUM:
            self.error("SEG103", f"`{n}` is not a member of the enum of `{expect.enum.owner}`", e.span,
                       help=did_you_mean(n, [m.name for m in expect.enum.members])
                       or "members: " + ", ".join(m.name for m in expect.enum.members))
            raise _Failed
        if expect is not None and expect.kind in (Kind.SEGMENT, Kind.TAGS):
            d = self.dim_ast.get(expect.dimension)
            self.error("SEG104", f"`{n}` is not a segment of dimension `{expect.dimension}`", e.span,
                       help=did_you_mean(n, [s.name for s in _segments(d)]) if d else None)
            raise _Failed
        if n in self.broken:
            raise _Failed                # its declaration has an error, already reported
        candidates = list(self.names) + list(self.let_ast) + list(self.dim_ast)
        hint = did_you_mean(n, candidates)
        if hint is None:
            members = [m.name for t in self._enum_types() for m in t.members]
            if n in members:
                hint = "an enum member is written where its field is compared, e.g. `network = in_net`"
        self.error("SEG102", f"unknown field `{n}`", e.span, help=hint)
        raise _Failed

    def _enum_types(self):
        fields = list(self.customer.fields) if self.customer else []
        for r in self.related.values():
            fields += list(r.fields)
        return [f.type.enum for f in fields if f.type.kind is Kind.ENUM]

    def x_Member(self, e: A.Member, expect):
        if isinstance(e.obj, A.Name) and e.obj.name in self.related:
            r = self.related[e.obj.name]
            f = r.field(e.name)
            if f is None and f"{r.name}.{e.name}" in self.broken:
                raise _Failed
            if f is None:
                self.error("SEG111", f"related input `{r.name}` has no field `{e.name}`", e.name_span,
                           help=did_you_mean(e.name, [f.name for f in r.fields]))
                raise _Failed
            return ir.RowFieldRef(f.type, e.span, r.name, f.name)
        obj = e.obj.name if isinstance(e.obj, A.Name) else "this"
        self.error("SEG111", f"`{obj}` is not a related input, so `{obj}.{e.name}` means nothing", e.span,
                   help=did_you_mean(obj, self.related) if self.related else "declare it with `related NAME of ... by ...`")
        raise _Failed

    def x_ListLit(self, e: A.ListLit, expect):
        elem_expect = expect.elem if expect is not None and expect.kind is Kind.LIST else expect
        if expect is not None and expect.kind is Kind.TAGS:      # `tags = [a, b]`: a list of its segments
            elem_expect = Type(Kind.SEGMENT, dimension=expect.dimension)
        items = tuple(self.expr(i, elem_expect) for i in e.items)
        t = elem_expect or NULL
        for i in items:
            u = unify(t, i.type) if t is not NULL else i.type
            if u is None:
                self.error("SEG210", f"a list holds values of one type; this is {i.type.describe()}, "
                                     f"the others {t.describe()}", i.span)
                raise _Failed
            t = u
        return ir.Const(Type(Kind.LIST, elem=t), e.span, tuple(_align_to(i, t) for i in items))

    def level_of(self, *xs: ir.Expr, span: Span) -> str | None:
        levels = {x.type.level for x in xs if x.type.level is not None}
        if len(levels) > 1:
            a, b = sorted(levels)
            self.error("SEG215", f"values of `{a}` rows and `{b}` rows cannot be combined row by row", span,
                       help="aggregate each one first, e.g. `sum(...)`")
            raise _Failed
        return levels.pop() if levels else None

    def x_Neg(self, e: A.Neg, expect):
        x = self.expr(e.operand)
        if not x.type.is_numeric:
            self.error("SEG202", f"`-` needs a number, not {x.type.describe()}", e.span)
            raise _Failed
        return ir.Neg(x.type, e.span, x)

    def x_Arith(self, e: A.Arith, expect):
        l, r = self.expr(e.left), self.expr(e.right)
        level = self.level_of(l, r, span=e.span)
        nullable = l.type.nullable or r.type.nullable
        if e.op in "+-" and l.type.is_temporal and r.type.kind is Kind.DURATION:
            return ir.Arith(Type(l.type.kind, nullable, level), e.span, "date_add" if e.op == "+" else "date_sub", l, r)
        if e.op == "+" and r.type.is_temporal and l.type.kind is Kind.DURATION:
            return ir.Arith(Type(r.type.kind, nullable, level), e.span, "date_add", r, l)
        for side in (l, r):
            if not side.type.is_numeric and side.type.kind is not Kind.NULL:
                hint = None
                if side.type.is_temporal and e.op == "-":
                    hint = "for the days between two dates use `days_between(a, b)`"
                elif side.type.kind is Kind.DURATION:
                    hint = "a duration is added to or taken from a date: `as_of - 30 days`"
                self.error("SEG202", f"`{e.op}` needs numbers; this is {side.type.describe()}", side.span, help=hint)
                raise _Failed
        op = {"+": "add", "-": "sub", "*": "mul", "/": "div"}[e.op]
        if op == "div":
            kind = Kind.NUMBER
            nonzero_const = isinstance(r, ir.Const) and r.value not in (0, None)
            nullable = nullable or not nonzero_const
        else:
            kind = Kind.INT if l.type.kind is Kind.INT and r.type.kind is Kind.INT else Kind.NUMBER
        return ir.Arith(Type(kind, nullable, level), e.span, op, l, r)

    def _pair(self, left: A.Expr, right: A.Expr):
        """Type two sides where either may be a bare member resolved from the other's type.

        `in_net = network` reads like `network = in_net`: a bare name on the left that names nothing
        else is typed second, against the right side's enum or dimension. When both sides are such
        names, the left one is reported (it is the one written first)."""
        if isinstance(left, A.Name) and not self._resolvable(left.name) and \
                not (isinstance(right, A.Name) and not self._resolvable(right.name)):
            r = self.expr(right)
            return self.expr(left, r.type), r
        l = self.expr(left)
        return l, self.expr(right, l.type)

    def _resolvable(self, n: str) -> bool:
        """Does the bare name `n` name a field, param, let, dimension or related input (even a broken one)?"""
        return (n in self.names or n in self.let_ast or n in self.dim_ast or n in self.params or n in self.broken)

    def x_Compare(self, e: A.Compare, expect):
        if isinstance(e.left, A.Compare):
            self.error("SEG209", "comparisons do not chain", e.span, help="write `a < b and b < c`")
            raise _Failed
        l, r = self._pair(e.left, e.right)
        level = self.level_of(l, r, span=e.span)
        if l.type.kind is Kind.TAGS or r.type.kind is Kind.TAGS:
            return self._compare_tags(e, l, r, level)
        if not comparable(l.type, r.type):
            self.error("SEG201", f"cannot compare {l.type.describe()} with {r.type.describe()}", e.span,
                       help=_shadow_hint(e.left, r) or _compare_hint(l, r))
            raise _Failed
        if e.op not in ("=", "!=") and not (ordered(l.type) and ordered(r.type)):
            self.error("SEG201", f"`{e.op}` needs values with an order; {l.type.describe()} has none", e.span,
                       help="compare with `=` or `!=`, or use `in [...]`")
            raise _Failed
        l, r = _align_all(l, r)
        return ir.Compare(Type(Kind.BOOL, l.type.nullable or r.type.nullable, level), e.span, e.op, l, r)

    def _compare_tags(self, e, l, r, level):
        tags, other = (l, r) if l.type.kind is Kind.TAGS else (r, l)
        if e.op not in ("=", "!=") or not (isinstance(other, ir.Const) and other.type.kind is Kind.LIST):
            self.error("SEG201", f"an `all` dimension is a set of tags: compare it with a list, e.g. "
                                 f"`{tags.name} = []`, or test one tag with `x in {tags.name}`", e.span)
            raise _Failed
        d = self.dim_ast[tags.type.dimension]
        order = [s.name for s in _segments(d)]
        names = []
        for item in other.value:
            if not (isinstance(item, ir.Const) and item.type.kind is Kind.SEGMENT):
                self.error("SEG201", f"`{tags.type.dimension}` holds segment names", item.span)
                raise _Failed
            names.append(item.value)
        value = tuple(sorted(set(names), key=order.index))
        const = ir.Const(Type(Kind.TAGS, dimension=d.name), other.span, value)
        return ir.Compare(Type(Kind.BOOL, False, level), e.span, e.op, tags, const)

    def x_Between(self, e: A.Between, expect):
        x = self.expr(e.operand)
        lo, hi = self.expr(e.low, x.type), self.expr(e.high, x.type)
        level = self.level_of(x, lo, hi, span=e.span)
        for b in (lo, hi):
            if not comparable(x.type, b.type) or not ordered(x.type):
                self.error("SEG201", f"`between` needs ordered values of one type; got {x.type.describe()} "
                                     f"and {b.type.describe()}", b.span)
                raise _Failed
        x, lo, hi = _align_all(x, lo, hi)
        nullable = x.type.nullable or lo.type.nullable or hi.type.nullable
        return ir.Between(Type(Kind.BOOL, nullable, level), e.span, x, lo, hi, e.negated)

    def x_In(self, e: A.In, expect):
        target = e.target
        if isinstance(target, A.Name) and target.name in self.dim_ast and self.dim_ast[target.name].policy == "all":
            d = self.dim_ast[target.name]
            self.used.add(d.name)
            if not isinstance(e.operand, A.Name) or not any(s.name == e.operand.name for s in _segments(d)):
                name = e.operand.name if isinstance(e.operand, A.Name) else "this"
                self.error("SEG104", f"`{name}` is not a segment of dimension `{d.name}`", e.operand.span,
                           help=did_you_mean(name, [s.name for s in _segments(d)]))
                raise _Failed
            return ir.InTags(Type(Kind.BOOL), e.span, e.operand.name, d.name, e.negated)
        x = self.expr(e.operand)
        if not isinstance(target, A.ListLit):
            self.error("SEG201", "`in` takes a list `[a, b]` or an `all` dimension", target.span)
            raise _Failed
        if not target.items:          # nothing is in an empty list, not even a missing value
            return ir.Const(Type(Kind.BOOL), e.span, e.negated)
        items = []
        for i in target.items:
            it = self.expr(i, x.type)
            if not comparable(x.type, it.type):
                self.error("SEG201", f"cannot compare {x.type.describe()} with {it.type.describe()}", it.span,
                           help=_compare_hint(x, it))
                raise _Failed
            items.append(it)
        x, *items = _align_all(x, *items)
        level = self.level_of(x, *items, span=e.span)
        nullable = x.type.nullable or any(i.type.nullable for i in items)
        return ir.InList(Type(Kind.BOOL, nullable, level), e.span, x, tuple(items), e.negated)

    def x_IsNull(self, e: A.IsNull, expect):
        x = self.expr(e.operand)
        return ir.IsNull(Type(Kind.BOOL, False, x.type.level), e.span, x, e.negated)

    def cond(self, e: A.Expr) -> ir.Expr:
        x = self.expr(e, BOOL)
        if x.type.kind not in (Kind.BOOL, Kind.NULL):
            self.error("SEG203", f"a condition must be true or false; this is {x.type.describe()}", e.span,
                       help="compare it, e.g. `x > 0`, or test `x is not null`")
            raise _Failed
        return x

    def x_And(self, e: A.And, expect):
        l, r = self.cond(e.left), self.cond(e.right)
        items = (l.items if isinstance(l, ir.And) else (l,)) + (r.items if isinstance(r, ir.And) else (r,))
        level = self.level_of(l, r, span=e.span)
        return ir.And(Type(Kind.BOOL, any(i.type.nullable for i in items), level), e.span, items)

    def x_Or(self, e: A.Or, expect):
        l, r = self.cond(e.left), self.cond(e.right)
        items = (l.items if isinstance(l, ir.Or) else (l,)) + (r.items if isinstance(r, ir.Or) else (r,))
        level = self.level_of(l, r, span=e.span)
        return ir.Or(Type(Kind.BOOL, any(i.type.nullable for i in items), level), e.span, items)

    def x_Not(self, e: A.Not, expect):
        x = self.cond(e.operand)
        return ir.Not(x.type, e.span, x)

    def x_Case(self, e: A.Case, expect):
        whens, t = [], None
        for c, v in e.whens:
            cx = self.cond(c)
            vx = self.expr(v, t or expect)
            if t is None:
                t = vx.type
            else:
                u = unify(t, vx.type)
                if u is None:
                    self.error("SEG213", f"this branch is {vx.type.describe()}, an earlier one {t.describe()}", v.span)
                    raise _Failed
                t = u
            whens.append((cx, vx))
        else_ = None
        if e.else_ is not None:
            else_ = self.expr(e.else_, t)
            u = unify(t, else_.type)
            if u is None:
                self.error("SEG213", f"`else` is {else_.type.describe()}, the branches {t.describe()}", e.else_.span)
                raise _Failed
            t = u
        else:
            t = t.with_nullable(True)
        whens = [(c, _align_to(v, t)) for c, v in whens]
        else_ = _align_to(else_, t) if else_ is not None else None
        parts = [x for w in whens for x in w] + ([else_] if else_ is not None else [])
        level = self.level_of(*parts, span=e.span)
        nullable = t.nullable or any(w[1].type.nullable for w in whens)
        return ir.Case(replace(t, nullable=nullable, level=level), e.span, tuple(whens), else_)

    # ---- calls ----
    def x_Call(self, e: A.Call, expect):
        f = e.func
        if f not in SCALARS and f not in AGGREGATES and f not in POPULATION:
            self.error("SEG105", f"unknown function `{f}`", e.func_span,
                       help=did_you_mean(f, ALL_FUNCTIONS) or "functions: " + ", ".join(ALL_FUNCTIONS))
            raise _Failed
        if f in SCALARS:
            return self.scalar_call(e)
        # aggregate or population: the first argument's level decides
        if not e.args:
            self.error("SEG204", f"`{f}` needs an argument", e.span)
            raise _Failed
        first = e.args[0]
        if isinstance(first, A.Name) and first.name in self.related:
            if f != "count":
                self.error("SEG204", f"`{f}({first.name})` needs a field: `{f}({first.name}.FIELD)`", first.span)
                raise _Failed
            return self.aggregate(e, first.name, None)
        arg = self.expr(first)
        if arg.type.level is not None:
            if f not in AGGREGATES:
                self.error("SEG214", f"`{f}` compares customers, so it needs a customer value; "
                                     f"`{_text(first)}` is a value of each `{arg.type.level}` row", first.span,
                           help=f"aggregate it first, e.g. `{f}(sum({_text(first)}))`")
                raise _Failed
            return self.aggregate(e, arg.type.level, arg)
        if f not in POPULATION:
            self.error("SEG206", f"`{f}` aggregates related rows; `{_text(first)}` is a customer value", first.span,
                       help="use it on a related input's field, e.g. `count_distinct(orders.invoice)`")
            raise _Failed
        return self.population(e, arg)

    def scalar_call(self, e: A.Call) -> ir.Expr:
        f = e.func
        lo, hi = SCALARS[f]
        if not lo <= len(e.args) <= hi or e.where is not None or e.by or e.desc:
            want = f"{lo}" if lo == hi else f"{lo} to {hi}"
            self.error("SEG204", f"`{f}` takes {want} argument{'s' if hi > 1 else ''}", e.span)
            raise _Failed
        args = tuple(self.expr(a) for a in e.args)
        level = self.level_of(*args, span=e.span)
        nullable = any(a.type.nullable for a in args)

        def need(i, pred, what):
            if not pred(args[i].type) and args[i].type.kind is not Kind.NULL:
                self.error("SEG204", f"`{f}` needs {what} as argument {i + 1}; this is {args[i].type.describe()}",
                           args[i].span)
                raise _Failed

        is_str = lambda t: t.kind is Kind.STRING  # noqa: E731
        is_temporal = lambda t: t.is_temporal  # noqa: E731
        if f == "coalesce":
            t = args[0].type
            for a in args[1:]:
                u = unify(t, a.type)
                if u is None:
                    self.error("SEG204", f"`coalesce` needs values of one type; this is {a.type.describe()}", a.span)
                    raise _Failed
                t = u
            rt = replace(t, nullable=all(a.type.nullable for a in args), level=level)
            args = tuple(_align_to(a, rt) for a in args)
            return ir.Func(rt, e.span, f, args)
        if f in ("lower", "upper", "trim"):
            need(0, is_str, "text")
            return ir.Func(Type(Kind.STRING, nullable, level), e.span, f, args)
        if f == "length":
            need(0, is_str, "text")
            return ir.Func(Type(Kind.INT, nullable, level), e.span, f, args)
        if f in ("starts_with", "ends_with", "contains"):
            need(0, is_str, "text")
            need(1, is_str, "text")
            return ir.Func(Type(Kind.BOOL, nullable, level), e.span, f, args)
        if f == "days_between":
            need(0, is_temporal, "a date")
            need(1, is_temporal, "a date")
            return ir.Func(Type(Kind.INT, nullable, level), e.span, f, args)
        if f in ("year", "month", "day"):
            need(0, is_temporal, "a date")
            return ir.Func(Type(Kind.INT, nullable, level), e.span, f, args)
        if f == "add_days":
            need(0, is_temporal, "a date")
            need(1, lambda t: t.kind is Kind.INT, "a whole number of days")
            return ir.Func(Type(args[0].type.kind, nullable, level), e.span, f, args)
        if f == "abs":
            need(0, lambda t: t.is_numeric, "a number")
            return ir.Func(Type(args[0].type.kind, nullable, level), e.span, f, args)
        raise AssertionError(f)

    def aggregate(self, e: A.Call, related: str, arg: ir.Expr | None) -> ir.Expr:
        f = e.func
        if len(e.args) != 1 or e.by or e.desc:
            self.error("SEG204", f"`{f}` over related rows takes one argument and an optional `where`", e.span)
            raise _Failed
        where = None
        if e.where is not None:
            where = self.cond(e.where)
            if where.type.level not in (None, related):
                self.error("SEG215", f"the `where` of an aggregate over `{related}` filters `{related}` rows; "
                                     f"this reads `{where.type.level}` rows", e.where.span)
                raise _Failed
        if f in ("count", "count_distinct"):
            t = Type(Kind.INT)
        elif f == "sum":
            if not arg.type.is_numeric:
                self.error("SEG204", f"`sum` needs numbers; this is {arg.type.describe()}", arg.span)
                raise _Failed
            t = Type(arg.type.kind)
        elif f == "avg":
            if not arg.type.is_numeric:
                self.error("SEG204", f"`avg` needs numbers; this is {arg.type.describe()}", arg.span)
                raise _Failed
            t = Type(Kind.NUMBER, True)
        else:
            if not ordered(arg.type):
                self.error("SEG204", f"`{f}` needs values with an order; this is {arg.type.describe()}", arg.span)
                raise _Failed
            t = replace(arg.type, nullable=True, level=None)
        return ir.Aggregate(t, e.span, f, related, arg, where)

    def population(self, e: A.Call, arg: ir.Expr) -> ir.Expr:
        f = "mean" if e.func == "avg" else e.func
        if e.where is not None:
            self.error("SEG204", f"`where` filters related rows; `{f}` over customers takes none", e.where.span,
                       help="use `case when ... then x end` to leave customers out (nulls are ignored)")
            raise _Failed
        by = tuple(self.expr(b) for b in e.by)
        for b in by:
            if b.type.level is not None:
                self.error("SEG214", "`by` groups customers, so it needs a customer value", b.span)
                raise _Failed
        params: tuple = ()
        extra = e.args[1:]
        if f == "ntile":
            if len(extra) != 1 or not (isinstance(extra[0], A.Number) and extra[0].is_int and extra[0].value >= 1):
                self.error("SEG204", "`ntile(x, k)` needs a whole number of tiles k ≥ 1", e.span,
                           help="e.g. `ntile(recency, 5, desc)`")
                raise _Failed
            params = (extra[0].value,)
        elif f == "quantile":
            if len(extra) != 1 or not isinstance(extra[0], (A.Number, A.Percent)) or not 0 <= extra[0].value <= 1:
                self.error("SEG204", "`quantile(x, p)` needs a constant p between 0 and 1 (or 0%..100%)", e.span)
                raise _Failed
            params = (float(extra[0].value),)
        elif extra:
            self.error("SEG204", f"`{f}` takes one argument", extra[0].span)
            raise _Failed
        if e.desc and f not in ("ntile", "percent_rank"):
            self.error("SEG204", f"`desc` applies to `ntile` and `percent_rank`, not `{f}`", e.span)
            raise _Failed
        numeric_only = f in ("percent_rank", "ntile", "quantile", "mean", "median", "sum", "cume_share")
        if numeric_only and not arg.type.is_numeric and arg.type.kind is not Kind.NULL:
            self.error("SEG204", f"`{f}` needs numbers; this is {arg.type.describe()}", arg.span)
            raise _Failed
        if f in ("min", "max") and not ordered(arg.type):
            self.error("SEG204", f"`{f}` needs values with an order; this is {arg.type.describe()}", arg.span)
            raise _Failed
        t = {"percent_rank": Type(Kind.NUMBER, True), "ntile": Type(Kind.INT, True),
             "quantile": Type(Kind.NUMBER, True), "mean": Type(Kind.NUMBER, True),
             "median": Type(Kind.NUMBER, True), "cume_share": Type(Kind.NUMBER, True),
             "count": Type(Kind.INT), "sum": Type(arg.type.kind if arg.type.is_numeric else Kind.NUMBER),
             }.get(f) or replace(arg.type, nullable=True)
        node = ir.PopulationStat(t, e.span, len(self.pop_nodes), f, arg, params, e.desc, by)
        self.pop_nodes.append(node)
        return node

    # ---- definitions ----
    def check_let(self, name: str, use_span: Span | None = None) -> ir.Let:
        state = self.let_state.get(name)
        if state == "done":
            return self.lets[name]
        if state == "failed":
            raise _Failed
        if state == "checking":
            let = self.let_ast[name]
            self.error("SEG110", f"`{name}` depends on itself", use_span or let.span,
                       help="break the cycle: a let cannot use itself, directly or through other lets")
            self.let_state[name] = "failed"
            raise _Failed
        self.let_state[name] = "checking"
        let = self.let_ast[name]
        outer = getattr(self, "_current", None)
        self._current = name
        try:
            x = self.expr(let.expr)
        except _Failed:
            self.let_state[name] = "failed"
            raise
        finally:
            self._current = outer
        if self.let_state.get(name) == "failed":
            raise _Failed
        self.lets[name] = ir.Let(name, let.label, x, let.span)
        self.let_state[name] = "done"
        return self.lets[name]

    def check_dimension(self, d: A.Dimension) -> ir.Dimension | None:
        segs, seen, ok = [], {}, True
        if d.policy == "all" and d.otherwise is not None:
            self.error("SEG301", f"`otherwise` has no meaning in an `all` dimension (`{d.name}` is a set of tags)",
                       d.otherwise.span, help="remove it: a customer with no tag has the empty set, `[]`")
        for s in _segments(d):
            if s.name in seen:
                self.error("SEG112", f"segment `{s.name}` is defined twice in dimension `{d.name}`", s.span,
                           help="give one of them another name, or join their conditions with `or`", notes=[f"first defined at {seen[s.name]}"])
                ok = False
                continue
            seen[s.name] = s.span
            attrs = []
            for a in s.attributes:
                v = _attr_value(a.value)
                if v is _NOT_CONST:
                    self.error("SEG216", f"attribute `{a.key}` must be a constant", a.value.span,
                               help='write text in double quotes: `channel: "outbound_call"`')
                    ok = False
                    continue
                attrs.append((a.key, v))
            cond = None
            if s.condition is not None:
                try:
                    cond = self.cond(s.condition)
                    if cond.type.level is not None:
                        self.error("SEG205", f"this condition reads each `{cond.type.level}` row; a segment is "
                                             f"about a customer", s.condition.span,
                                   help=f"aggregate the rows, e.g. `count({cond.type.level} where ...) > 0`")
                        ok = False
                except _Failed:
                    ok = False
            if s is d.otherwise and d.policy == "all":
                continue
            segs.append(ir.Segment(s.name, s.label, cond, tuple(attrs), s.span, s is d.otherwise))
        if not ok:
            return None
        otherwise = segs.pop() if d.otherwise is not None and d.policy != "all" else None
        return ir.Dimension(d.name, d.label, d.policy, tuple(segs), otherwise, d.span)

    def definitions(self) -> None:
        for let in (l for m in self.modules for l in m.lets):
            if self.declare(let.name, "let", let.span):
                self.let_ast[let.name] = let
        for d in (d for m in self.modules for d in m.dimensions):
            if self.declare(d.name, "dimension", d.span):
                self.dim_ast[d.name] = d
        if not self.dim_ast and not self.sink.has_errors:
            self.error("SEG306", "the ruleset has no dimension, so it assigns no segments",
                       self._header_span(), help='add `dimension NAME first { segment ... when ... }`')
        for name in self.let_ast:
            try:
                self.check_let(name)
            except _Failed:
                pass
        for d in self.dim_ast.values():
            dim = self.check_dimension(d)
            if dim is not None:
                self.dims[d.name] = dim

    def order(self) -> tuple[ir.Definition, ...]:
        """Lets (customer level) and dimensions, each after everything it uses."""
        defs: dict[str, ir.Definition] = {n: l for n, l in self.lets.items() if l.expr.type.level is None}
        defs.update(self.dims)
        deps = {n: _refs(d) & set(defs) for n, d in defs.items()}
        out, state = [], {}

        def visit(n, path):
            if state.get(n) == "done":
                return
            if state.get(n) == "on_path":
                cyc = path[path.index(n):] + [n]
                d = defs[n]
                self.error("SEG110", "definitions depend on each other in a cycle: " + " → ".join(cyc),
                           d.span, help="a dimension or let cannot use itself, directly or through others")
                raise _Failed
            state[n] = "on_path"
            for m in sorted(deps[n]):
                visit(m, path + [n])
            state[n] = "done"
            out.append(defs[n])

        for n in defs:
            try:
                visit(n, [])
            except _Failed:
                return ()
        return tuple(out)

    # ---- tests ----
    def tests(self) -> tuple[ir.Test, ...]:
        out = []
        for t in self.main.tests:
            cases = []
            for c in t.cases:
                try:
                    cases.append(self.test_case(c, t))
                except _Failed:
                    pass
            out.append(ir.Test(t.name, tuple(cases), t.is_table, t.span))
        return tuple(out)

    def test_case(self, c: A.TestCase, t: A.Test) -> ir.TestCase:
        failed = False
        pins = {}
        for p in c.pins:
            try:
                pins[p.name] = self.pin_value(p.name, p.value, p.span)
            except _Failed:
                failed = True
        record = None
        if c.record is not None:
            record = {}
            sets_fields = any(not (t.is_table and name in self.let_ast) for name, _, _ in c.record.fields)
            if self.customer is None and sets_fields:
                self.error("SEG302", "this ruleset has no customer input; give related rows instead",
                           c.record.span, help="`given orders [ {...} ]`")
                raise _Failed
            for name, value, span in c.record.fields:
                try:
                    if t.is_table and name in self.let_ast:
                        pins[name] = self.pin_value(name, value, span)
                        continue
                    f = self.customer.field(name) if self.customer else None
                    if f is None and name in self.broken:
                        raise _Failed
                    if f is None:
                        cands = [f.name for f in self.customer.fields] if self.customer else []
                        self.error("SEG102", f"unknown field `{name}`" + (
                            f" of input `{self.customer.name}`" if self.customer else ""), span,
                            help=did_you_mean(name, cands + (list(self.let_ast) if t.is_table else [])))
                        raise _Failed
                    record[name] = self.const_value(value, f.type, f"`{name}`", "SEG211")
                except _Failed:
                    failed = True
        rows = {}
        for rname, recs, span in c.rows:
            r = self.related.get(rname)
            if r is None:
                self.error("SEG302", f"`{rname}` is not a related input", span,
                           help=did_you_mean(rname, self.related))
                failed = True
                continue
            lst = []
            for rec in recs:
                row = {}
                for name, value, fspan in rec.fields:
                    f = r.field(name)
                    if f is None:
                        self.error("SEG102", f"unknown field `{name}` of related input `{rname}`", fspan,
                                   help=did_you_mean(name, [f.name for f in r.fields]))
                        failed = True
                        continue
                    try:
                        row[name] = self.const_value(value, f.type, f"`{rname}.{name}`", "SEG211")
                    except _Failed:
                        failed = True
                lst.append(row)
            rows[rname] = lst
        expects = []
        for ex in c.expectations:
            d = self.dim_ast.get(ex.dimension)
            if d is None:
                self.error("SEG107", f"unknown dimension `{ex.dimension}`", ex.span,
                           help=did_you_mean(ex.dimension, self.dim_ast))
                failed = True
                continue
            try:
                expects.append((d.name, self.expected_value(d, ex.value), ex.span))
            except _Failed:
                failed = True
        if not expects and not failed:
            self.error("SEG303", f"test `{t.name}` expects nothing", c.span, help="add `expect DIMENSION = SEGMENT`")
            failed = True
        if failed:
            raise _Failed
        for name in pins:
            self.used.add(name)
        return ir.TestCase(record, rows, pins, tuple(expects), c.span)

    def pin_value(self, name: str, value: A.Expr, span: Span):
        if name not in self.lets:
            if name in self.let_ast:
                raise _Failed           # the let itself has an error, already reported
            is_field = self.customer is not None and self.customer.field(name) is not None
            self.error("SEG116", f"`{name}` is not a let, so it cannot be pinned", span,
                       help=f"`{name}` is a field: give it in the record, `given {{ {name}: ... }}`"
                       if is_field else did_you_mean(name, self.let_ast) or "`with NAME = value` pins a `let`")
            raise _Failed
        t = self.lets[name].expr.type
        if t.kind is Kind.SEGMENT or t.kind is Kind.TAGS or t.kind is Kind.LIST:
            self.error("SEG211", f"`{name}` cannot be pinned", span)
            raise _Failed
        return self.const_value(value, t, f"the pinned value of `{name}`", "SEG211")

    def expected_value(self, d: A.Dimension, v: A.Expr):
        names = [s.name for s in _segments(d)]
        if d.policy == "all":
            items = v.items if isinstance(v, A.ListLit) else (v,) if isinstance(v, A.Name) else None
            if items is None:
                self.error("SEG212", f"`{d.name}` is an `all` dimension: expect a list of its segments, "
                                     f"e.g. `[{names[0] if names else 'a'}]` or `[]`", v.span)
                raise _Failed
            got = []
            for i in items:
                if not isinstance(i, A.Name) or i.name not in names:
                    n = i.name if isinstance(i, A.Name) else _describe_const(i)
                    self.error("SEG104", f"`{n}` is not a segment of dimension `{d.name}`", i.span,
                               help=did_you_mean(n, names))
                    raise _Failed
                got.append(i.name)
            return tuple(sorted(set(got), key=names.index))
        if isinstance(v, A.Null):
            return None
        if isinstance(v, A.Name):
            if v.name not in names:
                self.error("SEG104", f"`{v.name}` is not a segment of dimension `{d.name}`", v.span,
                           help=did_you_mean(v.name, names))
                raise _Failed
            return v.name
        self.error("SEG212", f"expect a segment of `{d.name}` (or `null`), not {_describe_const(v)}", v.span,
                   help=f"segments are written bare, without quotes: `{v.value}`"
                   if isinstance(v, A.String) and v.value in names else "segments: " + ", ".join(names))
        raise _Failed

    # ---- lints ----
    def lints(self, definitions) -> None:
        for d in self.dims.values():
            if d.policy != "all" and d.otherwise is None:
                nullable = sorted({_short(x) for s in d.segments if s.condition is not None
                                   for x in ir.walk(s.condition)
                                   if isinstance(x, (ir.FieldRef, ir.LetRef, ir.DimRef)) and x.type.nullable})
                if nullable:
                    self.error("SEG402", f"dimension `{d.name}` has no `otherwise`, and "
                                         f"{', '.join(f'`{n}`' for n in nullable[:3])} may be missing: "
                                         f"such customers get no segment", d.span,
                               help="add `otherwise NAME \"label\"` as the last line")
                else:
                    self.error("SEG401", f"dimension `{d.name}` has no `otherwise`: a customer matching no "
                                         f"segment gets none", d.span,
                               help="add `otherwise NAME \"label\"` as the last line")
            if d.policy == "first":
                for i, s in enumerate(d.segments):
                    hit = next((e for e in d.segments[:i] if _implies(s.condition, e.condition)), None)
                    if hit is not None:
                        self.error("SEG404", f"segment `{s.name}` can never match: every customer it would match "
                                             f"is taken by `{hit.name}` above it", s.span,
                                   help=f"in a `first` dimension the first matching segment wins; move `{s.name}` "
                                        f"above `{hit.name}`, or narrow `{hit.name}`")
        for name, let in self.let_ast.items():
            if name not in self.used:
                self.error("SEG403", f"let `{name}` is never used", let.span,
                           help="remove it, or use it in a segment's condition")
        for name, p in self.params.items():
            if name not in self.used:
                self.error("SEG403", f"param `{name}` is never used", p.span,
                           help="remove it, or use it in a `let` or a segment's condition")


_NOT_CONST = object()


def _shape(x):
    """An IR value without its spans, for comparing two conditions as written."""
    if isinstance(x, ir.Expr):
        return (type(x).__name__,) + tuple(_shape(getattr(x, f.name)) for f in dc_fields(x) if f.name != "span")
    if isinstance(x, tuple):
        return tuple(_shape(i) for i in x)
    return x


def _atom(c: ir.Expr):
    """A condition on one value as (value's shape, interval or set), or None."""
    def const(x):
        return x.value if isinstance(x, ir.Const) and x.value is not None else None
    inf = float("inf")
    if isinstance(c, ir.Compare) and const(c.right) is not None and not isinstance(c.right.value, tuple):
        v, op = c.right.value, c.op
        if op == "=":
            return _shape(c.left), ("set", frozenset([v]))
        if isinstance(v, (int, float)) and not isinstance(v, bool) and op in ("<", "<=", ">", ">="):
            return _shape(c.left), ("range", (v, op == ">=") if op[0] == ">" else (-inf, False),
                                    (v, op == "<=") if op[0] == "<" else (inf, False))
    if isinstance(c, ir.InList) and not c.negated and all(const(i) is not None for i in c.items):
        return _shape(c.operand), ("set", frozenset(i.value for i in c.items))
    if isinstance(c, ir.Between) and not c.negated:
        lo, hi = const(c.low), const(c.high)
        if isinstance(lo, (int, float)) and isinstance(hi, (int, float)):
            return _shape(c.operand), ("range", (lo, True), (hi, True))
    return None


def _within(a, b) -> bool:
    """Is every value allowed by condition-atom a also allowed by b?"""
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


def _implies(later: ir.Expr | None, earlier: ir.Expr | None) -> bool:
    """Conservatively: is `earlier` true whenever `later` is? (then `later` is unreachable after it)"""
    if later is None or earlier is None:
        return False
    if isinstance(earlier, ir.Const) and earlier.value is True:
        return True
    if _shape(later) == _shape(earlier):
        return True
    if isinstance(earlier, ir.And):
        return all(_implies(later, e) for e in earlier.items)
    if isinstance(earlier, ir.Or) and any(_implies(later, e) for e in earlier.items):
        return True
    if isinstance(later, ir.And):
        return any(_implies(l, earlier) for l in later.items)
    if isinstance(later, ir.Or):
        return all(_implies(l, earlier) for l in later.items)
    a, b = _atom(later), _atom(earlier)
    return a is not None and b is not None and a[0] == b[0] and _within(a[1], b[1])


def _attr_value(e: A.Expr):
    match e:
        case A.Number(value=v) | A.Percent(value=v) | A.String(value=v) | A.Bool(value=v) | \
                A.DateLit(value=v) | A.DateTimeLit(value=v):
            return v
        case A.Null():
            return None
    return _NOT_CONST


def _segments(d: A.Dimension) -> tuple[A.Segment, ...]:
    return d.segments + ((d.otherwise,) if d.otherwise is not None else ())


def _refs(d: ir.Definition) -> set[str]:
    exprs = [d.expr] if isinstance(d, ir.Let) else [s.condition for s in d.segments if s.condition is not None]
    out = set()
    for e in exprs:
        for x in ir.walk(e):
            if isinstance(x, ir.LetRef):
                out.add(x.name)
            elif isinstance(x, ir.DimRef):
                out.add(x.name)
            elif isinstance(x, ir.InTags):
                out.add(x.dimension)
    return out


def _short(x) -> str:
    return x.name


def _align_all(*xs: ir.Expr) -> tuple[ir.Expr, ...]:
    """Values compared with each other (`=`, `between`, `in`): a date meeting a datetime is midnight of that
    date, so when one of them is a datetime every date becomes one."""
    if any(x.type.kind is Kind.DATETIME for x in xs):
        return tuple(_align_to(x, DATETIME) for x in xs)
    return xs


def _to_datetime(x: ir.Expr) -> ir.Expr:
    if isinstance(x, ir.Const):
        v = None if x.value is None else dt.datetime.combine(x.value, dt.time())
        return ir.Const(replace(x.type, kind=Kind.DATETIME), x.span, v)
    return ir.Func(replace(x.type, kind=Kind.DATETIME), x.span, "to_datetime", (x,))


def _align_to(x: ir.Expr, t: Type) -> ir.Expr:
    if t.kind is Kind.DATETIME and x.type.kind is Kind.DATE:
        return _to_datetime(x)
    return x


def _shadow_hint(left: A.Expr, r: ir.Expr) -> str | None:
    """`age = network` where `age` is a field and also a member of `network`'s enum: the left side is the field."""
    if not isinstance(left, A.Name) or not isinstance(r, (ir.FieldRef, ir.LetRef, ir.ParamRef)):
        return None
    if r.type.kind is Kind.ENUM and r.type.enum.member(left.name) is not None:
        return (f"`{left.name}` is also a member of the enum of `{r.type.enum.owner}`, but on the left of a "
                f"comparison a name is a field, let or param first; write `{r.name} = {left.name}`")
    return None


def _compare_hint(l: ir.Expr, r: ir.Expr) -> str | None:
    for a, b in ((l, r), (r, l)):
        if a.type.kind is Kind.ENUM and b.type.kind is Kind.STRING and isinstance(b, ir.Const):
            members = a.type.enum.members
            hit = next((m for m in members if m.value == b.value or m.name == b.value), None)
            if hit:
                return f"enum members are written bare: `{hit.name}`"
            return "enum members are written bare: " + ", ".join(m.name for m in members)
        if a.type.kind is Kind.SEGMENT and b.type.kind is Kind.STRING:
            return "segments are written bare, without quotes"
    if {l.type.kind, r.type.kind} == {Kind.STRING, Kind.INT} or {l.type.kind, r.type.kind} == {Kind.STRING, Kind.NUMBER}:
        return "numbers are written without quotes"
    return None


def _describe_const(e: A.Expr) -> str:
    return {A.Number: "a number", A.Percent: "a percentage", A.String: "text", A.Bool: "true/false",
            A.DateLit: "a date", A.DateTimeLit: "a date and time", A.Name: "a bare name",
            A.ListLit: "a list", A.Null: "null"}.get(type(e), "an expression")


def _a(t: Type) -> str:
    return {Kind.INT: "a whole number", Kind.NUMBER: "a number", Kind.BOOL: "true or false",
            Kind.STRING: "text in double quotes", Kind.DATE: "a date (2026-11-01)",
            Kind.DATETIME: "a date and time (2026-11-01T09:00:00)",
            Kind.ENUM: f"a member of the enum of `{t.enum.owner}`" if t.enum else "an enum member"}.get(t.kind, t.describe())


def _text(e: A.Expr) -> str:
    match e:
        case A.Name(name=n):
            return n
        case A.Member(obj=A.Name(name=o), name=n):
            return f"{o}.{n}"
    return "this value"


def _file_span(path: str) -> Span:
    return Span(path, 1, 1, 1, 1)


def check_modules(modules: list[A.Module], texts: dict[str, str], sink: DiagnosticSink) -> ir.Ruleset | None:
    """modules: imported files first, the main file last."""
    c = Checker(modules, sink, texts)
    main = modules[-1]
    if main.header is None:
        sink.error("SEG117", "the file does not start with `ruleset NAME`", _file_span(main.path),
                   help='write e.g. `ruleset telecom "电信客户细分" version "1.0"` on the first line')
    c.schema()
    c.definitions()
    definitions = c.order() if not sink.has_errors else ()
    tests = c.tests() if not sink.has_errors else ()
    if sink.has_errors:
        return None
    c.lints(definitions)
    h = hashlib.sha256()
    for path in sorted(texts):
        h.update(texts[path].encode("utf-8"))
    key_type = None
    if c.customer and c.customer.key:
        key_type = c.customer.field(c.customer.key).type
    elif not c.customer and c.related:
        r = next(iter(c.related.values()))
        key_type = r.field(r.key).type.at_level(None)
    header = main.header
    return ir.Ruleset(
        name=header.name if header else "ruleset", label=header.label if header else None,
        version=header.version if header else None, path=main.path, customer=c.customer,
        related=tuple(c.related.values()), params=tuple(c.params.values()), definitions=definitions,
        dimensions=tuple(c.dims[d.name] for d in c.dim_ast.values()), population=tuple(c.pop_nodes),
        tests=tests, source_hash=h.hexdigest(), key_type=key_type, sources=dict(texts))
