"""Typing expressions: one `check_<Node>` method per AST expression kind.

`ExpressionChecker.check(e, expect)` dispatches on the node's class name, as
Jinja's `visit_<Node>` does. `expect` is the type the surrounding expression
wants, or None: a bare name is an enum member or a segment only where an
enum or a dimension is expected, so resolution needs it (names.py). Each
method returns the typed IR node or reports a diagnostic and raises Failed;
whoever checks a whole let or segment catches it, so one file reports every
problem it has.
"""
from __future__ import annotations

from dataclasses import replace

from .. import ir
from ..diagnostics.suggest import did_you_mean
from ..runtime import limits
from ..source import Span
from ..syntax import ast as A
from ..types import BOOL, DATE, DATETIME, DURATION, INT, NULL, NUMBER, STRING, Kind, Type, comparable, ordered, unify
from . import calls, names
from .coerce import align_all, align_to
from .context import Context, Failed, segments_of
from .hints import compare_hint, shadow_hint
from .literals import INT64_MIN, check_number

_ARITH_OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div"}


class ExpressionChecker:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def check(self, e: A.Expr, expect: Type | None = None) -> ir.Expr:
        return getattr(self, "check_" + type(e).__name__)(e, expect)

    def cond(self, e: A.Expr) -> ir.Expr:
        """An expression that must be true or false: a condition, a `where`, an operand of and/or/not."""
        x = self.check(e, BOOL)
        if x.type.kind not in (Kind.BOOL, Kind.NULL):
            self.ctx.error("SEG203", f"a condition must be true or false; this is {x.type.describe()}", e.span,
                           help="compare it, e.g. `x > 0`, or test `x is not null`")
            raise Failed
        return x

    def level_of(self, *xs: ir.Expr, span: Span) -> str | None:
        """The related input whose rows these values are about (None: the customer); one at most."""
        levels = {x.type.level for x in xs if x.type.level is not None}
        if len(levels) > 1:
            a, b = sorted(levels)[:2]
            self.ctx.error("SEG215", f"values of `{a}` rows and `{b}` rows cannot be combined row by row", span,
                           help="aggregate each one first, e.g. `sum(...)`")
            raise Failed
        return levels.pop() if levels else None

    # ---- constants ----
    def check_Number(self, e: A.Number, expect):
        check_number(self.ctx, e)
        return ir.Const(INT if e.is_int else NUMBER, e.span, e.value)

    def check_Percent(self, e: A.Percent, expect):
        check_number(self.ctx, e)
        return ir.Const(NUMBER, e.span, e.value)

    def check_String(self, e: A.String, expect):
        return ir.Const(STRING, e.span, e.value)

    def check_DateLit(self, e: A.DateLit, expect):
        return ir.Const(DATE, e.span, e.value)

    def check_DateTimeLit(self, e: A.DateTimeLit, expect):
        return ir.Const(DATETIME, e.span, e.value)

    def check_Bool(self, e: A.Bool, expect):
        return ir.Const(BOOL, e.span, e.value)

    def check_Null(self, e: A.Null, expect):
        return ir.Const(expect.with_nullable(True) if expect else NULL, e.span, None)

    def check_Duration(self, e: A.Duration, expect):
        check_number(self.ctx, e)
        return ir.Const(DURATION, e.span, e.days)

    def check_ListLit(self, e: A.ListLit, expect):
        elem_expect = expect.elem if expect is not None and expect.kind is Kind.LIST else expect
        if expect is not None and expect.kind is Kind.TAGS:      # `tags = [a, b]`: a list of its segments
            elem_expect = Type(Kind.SEGMENT, dimension=expect.dimension)
        items = tuple(self.check(i, elem_expect) for i in e.items)
        t = elem_expect or NULL
        for i in items:
            u = unify(t, i.type) if t is not NULL else i.type
            if u is None:
                self.ctx.error("SEG210", f"a list holds values of one type; this is {i.type.describe()}, "
                                         f"the others {t.describe()}", i.span)
                raise Failed
            t = u
        return ir.Const(Type(Kind.LIST, elem=t), e.span, tuple(align_to(i, t) for i in items))

    # ---- names ----
    def check_Name(self, e: A.Name, expect):
        return names.resolve_name(self, e, expect)

    def check_Member(self, e: A.Member, expect):
        return names.resolve_member(self, e)

    # ---- arithmetic ----
    def check_Neg(self, e: A.Neg, expect):
        if isinstance(e.operand, A.Number) and e.operand.is_int and -e.operand.value == INT64_MIN:
            return ir.Const(INT, e.span, INT64_MIN)     # the one whole number whose magnitude is not one
        x = self.check(e.operand)
        if not x.type.is_numeric:
            self.ctx.error("SEG202", f"`-` needs a number, not {x.type.describe()}", e.span)
            raise Failed
        if x.type.kind is Kind.INT and not _fits(x):
            return ir.Neg(x.type.with_nullable(True), e.span, x)     # -(-2**63) is beyond 64 bits: null
        return ir.Neg(x.type, e.span, x)

    def check_Arith(self, e: A.Arith, expect):
        l, r = self.check(e.left), self.check(e.right)
        level = self.level_of(l, r, span=e.span)
        nullable = l.type.nullable or r.type.nullable
        # a date moved out of years 1 to 9999 is null (runtime/limits.py)
        if e.op in "+-" and l.type.is_temporal and r.type.kind is Kind.DURATION:
            return ir.Arith(Type(l.type.kind, True, level), e.span, "date_add" if e.op == "+" else "date_sub", l, r)
        if e.op == "+" and r.type.is_temporal and l.type.kind is Kind.DURATION:
            return ir.Arith(Type(r.type.kind, True, level), e.span, "date_add", r, l)
        for side in (l, r):
            if not side.type.is_numeric and side.type.kind is not Kind.NULL:
                self._not_a_number(e.op, side)
        op = _ARITH_OPS[e.op]
        if op == "div":
            kind = Kind.NUMBER
            nonzero_const = isinstance(r, ir.Const) and r.value not in (0, None)
            nullable = nullable or not nonzero_const
        else:
            kind = Kind.INT if l.type.kind is Kind.INT and r.type.kind is Kind.INT else Kind.NUMBER
            # a whole result beyond 64 bits is null (runtime/limits.py), so it may be null unless known to fit
            nullable = nullable or (kind is Kind.INT and not _fits(l, r, op=op))
        return ir.Arith(Type(kind, nullable, level), e.span, op, l, r)

    def _not_a_number(self, op: str, side: ir.Expr):
        hint = None
        if side.type.is_temporal and op == "-":
            hint = "for the days between two dates use `days_between(a, b)`"
        elif side.type.kind is Kind.DURATION:
            hint = "a duration is added to or taken from a date: `as_of - 30 days`"
        self.ctx.error("SEG202", f"`{op}` needs numbers; this is {side.type.describe()}", side.span, help=hint)
        raise Failed

    # ---- comparisons ----
    def check_Compare(self, e: A.Compare, expect):
        if isinstance(e.left, A.Compare):
            self.ctx.error("SEG209", "comparisons do not chain", e.span, help="write `a < b and b < c`")
            raise Failed
        l, r = self._pair(e.left, e.right)
        level = self.level_of(l, r, span=e.span)
        if l.type.kind is Kind.TAGS or r.type.kind is Kind.TAGS:
            return self._compare_tags(e, l, r, level)
        if not comparable(l.type, r.type):
            self.ctx.error("SEG201", f"cannot compare {l.type.describe()} with {r.type.describe()}", e.span,
                           help=shadow_hint(e.left, r) or compare_hint(l, r))
            raise Failed
        if e.op not in ("=", "!=") and not (ordered(l.type) and ordered(r.type)):
            self.ctx.error("SEG201", f"`{e.op}` needs values with an order; {l.type.describe()} has none", e.span,
                           help="compare with `=` or `!=`, or use `in [...]`")
            raise Failed
        l, r = align_all(l, r)
        return ir.Compare(Type(Kind.BOOL, l.type.nullable or r.type.nullable, level), e.span, e.op, l, r)

    def _pair(self, left: A.Expr, right: A.Expr):
        """Type two sides where either may be a bare member resolved from the other's type.

        `in_net = network` reads like `network = in_net`: a bare name on the left that names nothing
        else is typed second, against the right side's enum or dimension. When both sides are such
        names, the left one is reported (it is the one written first)."""
        if isinstance(left, A.Name) and not names.resolvable(self.ctx, left.name) and \
                not (isinstance(right, A.Name) and not names.resolvable(self.ctx, right.name)):
            r = self.check(right)
            return self.check(left, r.type), r
        l = self.check(left)
        return l, self.check(right, l.type)

    def _compare_tags(self, e: A.Compare, l: ir.Expr, r: ir.Expr, level: str | None):
        """`tags = [a, b]`: an `all` dimension's set of tags against a list of its segments."""
        tags, other = (l, r) if l.type.kind is Kind.TAGS else (r, l)
        if e.op not in ("=", "!=") or not (isinstance(other, ir.Const) and other.type.kind is Kind.LIST):
            self.ctx.error("SEG201", f"an `all` dimension is a set of tags: compare it with a list, e.g. "
                                     f"`{tags.name} = []`, or test one tag with `x in {tags.name}`", e.span)
            raise Failed
        d = self.ctx.dim_ast[tags.type.dimension]
        order = [s.name for s in segments_of(d)]
        tag_names = []
        for item in other.value:
            if not (isinstance(item, ir.Const) and item.type.kind is Kind.SEGMENT):
                self.ctx.error("SEG201", f"`{tags.type.dimension}` holds segment names", item.span)
                raise Failed
            tag_names.append(item.value)
        value = tuple(sorted(set(tag_names), key=order.index))
        const = ir.Const(Type(Kind.TAGS, dimension=d.name), other.span, value)
        return ir.Compare(Type(Kind.BOOL, False, level), e.span, e.op, tags, const)

    def check_Between(self, e: A.Between, expect):
        x = self.check(e.operand)
        lo, hi = self.check(e.low, x.type), self.check(e.high, x.type)
        level = self.level_of(x, lo, hi, span=e.span)
        for b in (lo, hi):
            if not comparable(x.type, b.type) or not ordered(x.type):
                self.ctx.error("SEG201", f"`between` needs ordered values of one type; got {x.type.describe()} "
                                         f"and {b.type.describe()}", b.span)
                raise Failed
        x, lo, hi = align_all(x, lo, hi)
        nullable = x.type.nullable or lo.type.nullable or hi.type.nullable
        return ir.Between(Type(Kind.BOOL, nullable, level), e.span, x, lo, hi, e.negated)

    def check_In(self, e: A.In, expect):
        target = e.target
        if isinstance(target, A.Name) and target.name in self.ctx.dim_ast \
                and self.ctx.dim_ast[target.name].policy == "all":
            return self._in_tags(e, self.ctx.dim_ast[target.name])
        x = self.check(e.operand)
        if not isinstance(target, A.ListLit):
            self.ctx.error("SEG201", "`in` takes a list `[a, b]` or an `all` dimension", target.span)
            raise Failed
        if not target.items:          # nothing is in an empty list, not even a missing value
            return ir.Const(Type(Kind.BOOL), e.span, e.negated)
        items = []
        for i in target.items:
            it = self.check(i, x.type)
            if not comparable(x.type, it.type):
                self.ctx.error("SEG201", f"cannot compare {x.type.describe()} with {it.type.describe()}", it.span,
                               help=compare_hint(x, it))
                raise Failed
            items.append(it)
        x, *items = align_all(x, *items)
        level = self.level_of(x, *items, span=e.span)
        nullable = x.type.nullable or any(i.type.nullable for i in items)
        return ir.InList(Type(Kind.BOOL, nullable, level), e.span, x, tuple(items), e.negated)

    def _in_tags(self, e: A.In, d: A.Dimension):
        """`top5 in interests`: one tag of an `all` dimension."""
        self.ctx.used.add(d.name)
        if not isinstance(e.operand, A.Name) or not any(s.name == e.operand.name for s in segments_of(d)):
            name = e.operand.name if isinstance(e.operand, A.Name) else "this"
            self.ctx.error("SEG104", f"`{name}` is not a segment of dimension `{d.name}`", e.operand.span,
                           help=did_you_mean(name, [s.name for s in segments_of(d)]))
            raise Failed
        return ir.InTags(Type(Kind.BOOL), e.span, e.operand.name, d.name, e.negated)

    def check_IsNull(self, e: A.IsNull, expect):
        x = self.check(e.operand)
        return ir.IsNull(Type(Kind.BOOL, False, x.type.level), e.span, x, e.negated)

    # ---- logic ----
    def check_And(self, e: A.And, expect):
        return self._chain(e, ir.And)

    def check_Or(self, e: A.Or, expect):
        return self._chain(e, ir.Or)

    def _chain(self, e: A.And | A.Or, node: type):
        """`a or b or c ...` as one n-ary node, its operands gathered without recursion (a chain
        of thousands of terms is as easy as one of two)."""
        operands, stack = [], [e]
        while stack:
            x = stack.pop()
            if type(x) is type(e):
                stack += (x.right, x.left)
            else:
                operands.append(x)
        items = []
        for x in operands:
            c = self.cond(x)
            items.extend(c.items if isinstance(c, node) else (c,))
        level = self.level_of(*items, span=e.span)
        return node(Type(Kind.BOOL, any(i.type.nullable for i in items), level), e.span, tuple(items))

    def check_Not(self, e: A.Not, expect):
        """`not not x` is `x` (three-valued `not` is its own inverse): a run of `not`s is one or none."""
        odd, x = False, e
        while isinstance(x, A.Not):
            odd, x = not odd, x.operand
        c = self.cond(x)
        return ir.Not(c.type, e.span, c) if odd else c

    def check_Case(self, e: A.Case, expect):
        whens, t = [], None
        for c, v in e.whens:
            cx = self.cond(c)
            vx = self.check(v, t or expect)
            if t is None:
                t = vx.type
            else:
                t = self._unify_branch(t, vx, v.span, f"this branch is {vx.type.describe()}, "
                                                      f"an earlier one {t.describe()}")
            whens.append((cx, vx))
        else_ = None
        if e.else_ is not None:
            else_ = self.check(e.else_, t)
            t = self._unify_branch(t, else_, e.else_.span,
                                   f"`else` is {else_.type.describe()}, the branches {t.describe()}")
        else:
            t = t.with_nullable(True)
        whens = [(c, align_to(v, t)) for c, v in whens]
        else_ = align_to(else_, t) if else_ is not None else None
        parts = [x for w in whens for x in w] + ([else_] if else_ is not None else [])
        level = self.level_of(*parts, span=e.span)
        nullable = t.nullable or any(w[1].type.nullable for w in whens)
        return ir.Case(replace(t, nullable=nullable, level=level), e.span, tuple(whens), else_)

    def _unify_branch(self, t: Type, branch: ir.Expr, span: Span, message: str) -> Type:
        u = unify(t, branch.type)
        if u is None:
            self.ctx.error("SEG213", message, span)
            raise Failed
        return u

    # ---- calls ----
    def check_Call(self, e: A.Call, expect):
        return calls.check_call(self, e)


def _fits(*operands: ir.Expr, op: str = "neg") -> bool:
    """Whether whole-number arithmetic is known to stay within 64 bits: exactly for constants,
    else from bounds on the operands' magnitudes (`(case when c then 2 else 0 end) + ...`,
    `year(d) * 12 + month(d)`), so that such arithmetic is never null and no engine checks it."""
    values = [o.value for o in operands if isinstance(o, ir.Const) and isinstance(o.value, int)]
    if len(values) == len(operands):
        exact = {"neg": lambda a: -a, "add": lambda a, b: a + b, "sub": lambda a, b: a - b,
                 "mul": lambda a, b: a * b}[op](*values)
        return limits.whole(exact) is not None
    bounds = [_magnitude(o) for o in operands]
    if any(b is None for b in bounds):
        return False
    bound = {"neg": lambda a: a, "add": lambda a, b: a + b, "sub": lambda a, b: a + b,
             "mul": lambda a, b: a * b}[op](*bounds)
    return bound <= limits.INT64_MAX


# the largest magnitude of a built-in's whole-number result, whatever its arguments
_FUNCTION_BOUNDS = {"year": 9999, "month": 12, "day": 31, "days_between": limits.DAYS_SPAN, "length": 2 ** 40}


def _magnitude(e: ir.Expr, depth: int = 0) -> int | None:
    """A bound on |e| for a whole-number expression, or None when nothing is known (a field,
    a let, an aggregate). Shallow by design: a bound is a help, never needed."""
    if depth > 8 or e.type.kind not in (Kind.INT, Kind.NULL):
        return None
    match e:
        case ir.Const(value=v):
            return 0 if v is None else abs(v) if isinstance(v, int) and not isinstance(v, bool) else None
        case ir.Case(whens=whens, else_=other):
            parts = [_magnitude(v, depth + 1) for _, v in whens] + ([_magnitude(other, depth + 1)] if other else [])
            return None if any(p is None for p in parts) else max(parts)
        case ir.Arith(op="add" | "sub" | "mul", left=l, right=r):
            a, b = _magnitude(l, depth + 1), _magnitude(r, depth + 1)
            if a is None or b is None:
                return None
            return a * b if e.op == "mul" else a + b
        case ir.Neg(operand=o):
            return _magnitude(o, depth + 1)
        case ir.Func(name="abs" | "coalesce", args=args):
            parts = [_magnitude(a, depth + 1) for a in args]
            return None if any(p is None for p in parts) else max(parts)
        case ir.Func(name=name):
            return _FUNCTION_BOUNDS.get(name)
    return None
