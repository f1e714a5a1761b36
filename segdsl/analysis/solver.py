"""The checked IR as z3 formulas: what a condition means for every valid customer.

One short `visit_<Node>` method per IR node kind. A value is a `Value` (is it
null, and its value when it is not); a condition is a `Truth` (when it is
true, when it is false; neither is unknown), which is the three-valued logic
of docs/language.md ("Nulls") written as two formulas, so `not` swaps them
and `and`/`or` are the SQL tables without a case analysis.

Sorts: int → Int, number → Real (an exact copy of each float constant), date
→ Int days (the proleptic ordinal), datetime → Int microseconds since
0001-01-01 (so its date's ordinal is micros // a day + 1), string →
String, an enum or a segment → Int index of the member. What the solver does
not model exactly is one of two things, recorded on the translator:

* an *opaque* value (a string function, a calendar part, an aggregate over
  related rows, a population value) is a fresh variable, the same one for
  the same expression, constrained by what is known of it (`ntile(x, 5)` is
  1..5 and null only when `x` is). That over-approximates what can happen,
  so "can never" answers stay true; a witness must be confirmed by the
  reference interpreter (witness.py) before anyone sees it.
* an *inexact* value: arithmetic on numbers, which the solver computes in
  reals and the engines in float64. Only "can never" answers are at risk;
  the dimension analyses do not make them over such a value.

Anything else (a `unique` dimension read as a value, tags compared with a
list) raises `Unsupported`, and the dimension is reported "not analysed".

z3 is imported here, and this module is imported only when the solver
analysis runs (`segdsl check`, `segdsl test`), never on `apply`'s path.
"""
from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import z3

from .. import ir
from ..types import Kind
from .choices import Choices
from .connectives import all_of, any_of, negation
from .units import Sharing, Units

COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
           ">=": operator.ge}

INT64 = (-(2 ** 63), 2 ** 63 - 1)
DAY_US = 86_400_000_000
EPOCH = dt.datetime(1, 1, 1)
DATES = (1, dt.date.max.toordinal())
NICE_DATES = (dt.date(1900, 1, 1).toordinal(), dt.date(2100, 12, 31).toordinal())
MAX_FLOAT = Fraction(1.7976931348623157e308)


class Unsupported(Exception):
    """An IR construct the solver does not model; the words say which."""


@dataclass(frozen=True)
class Value:
    null: Any          # z3 Bool
    val: Any           # z3 term, or None for the literal `null`


@dataclass(frozen=True)
class Truth:
    true: Any          # z3 Bool: the condition is true
    false: Any         # z3 Bool: the condition is false (neither: unknown)


@dataclass(frozen=True)
class Leaf:
    """A variable the witness fills in: a customer field, an aggregate, a population value,
    a param without a default, or an opaque value (which no witness can set)."""
    kind: str          # field | aggregate | stat | param | opaque
    key: Any           # field/param name, aggregate shape, stat id, opaque shape
    type: Any          # the IR Type
    null: Any
    val: Any


def sort_of(t) -> Any:
    k = t.kind
    if k is Kind.NUMBER:
        return z3.RealSort()
    if k is Kind.STRING:
        return z3.StringSort()
    if k is Kind.BOOL:
        return z3.BoolSort()
    if k in (Kind.INT, Kind.DATE, Kind.DATETIME, Kind.ENUM, Kind.SEGMENT, Kind.DURATION):
        return z3.IntSort()
    raise Unsupported(f"a value of kind {k.value}")


class Translator(Sharing):
    """IR expressions of one ruleset → z3, with the declared facts about every leaf in
    `facts` (ranges, enum domains, required fields, known ranges of population values).
    `units`: what the other translators of the same file translated (units.py: Sharing)."""

    def __init__(self, rs: ir.Ruleset, params: dict, units: Units | None = None):
        self.rs = rs
        self.params = params
        self.units = Units() if units is None else units      # shared by the file's translators
        self.facts: list = []
        self.ranges: list[tuple[str, Any]] = []      # (why, fact): declared ranges, named in answers
        self.leaves: dict[tuple, Leaf] = {}
        self.opaque = False
        self.inexact = False
        self._n = 0
        self._ranged: set[str] = set()
        self._memo: dict[int, tuple] = {}     # id(node) → (node, term, count): the node is kept, so its id stays its own
        self.choices = Choices()
        self.start_sharing()
        self.only_related = rs.related[0].name if rs.customer is None and len(rs.related) == 1 else None

    # ---- entry points ----
    def truth(self, e: ir.Expr) -> Truth:
        return as_truth(self.term(e))

    def condition(self, d: ir.Dimension, s: ir.Segment) -> Truth:
        """A segment's condition: a unit, which other dimensions read as this one's value or tags."""
        return as_truth(self.unit(("segment", d.name, s.name), lambda: self.term(s.condition)))

    def term(self, e: ir.Expr):
        """Each IR node is translated once (the checks translate parts of conditions again), or
        moved here from another translator's unit (units.py)."""
        found = self._memo.get(id(e))
        if found is not None:
            self.met_again(found)
            return found[1]
        term = self.moved_node(e)
        if term is None:
            term = getattr(self, "visit_" + type(e).__name__)(e)
        return self.remember(e, term)

    def value(self, e: ir.Expr) -> Value:
        return as_value(self.term(e))

    # ---- leaves ----
    def leaf(self, kind: str, key, t, nullable: bool, label: str) -> Leaf:
        found = self.leaves.get((kind, key))
        if found is not None:
            return found
        self._n += 1
        null = z3.Bool(f"{label}?{self._n}") if nullable else z3.BoolVal(False)
        val = z3.Const(f"{label}#{self._n}", sort_of(t))
        self.facts.append(self.domain(t, val))
        leaf = self.leaves[(kind, key)] = Leaf(kind, key, t, null, val)
        return leaf

    def domain(self, t, v) -> Any:
        """The values of a type every engine holds."""
        k = t.kind
        if k is Kind.INT:
            return all_of(v >= INT64[0], v <= INT64[1])
        if k is Kind.NUMBER:
            return all_of(v >= -MAX_FLOAT, v <= MAX_FLOAT)
        if k is Kind.DATE:
            return all_of(v >= DATES[0], v <= DATES[1])
        if k is Kind.DATETIME:
            return all_of(v >= 0, v < DATES[1] * DAY_US)
        if k is Kind.ENUM:
            return all_of(v >= 0, v < len(t.enum.members))
        if k is Kind.SEGMENT:
            return all_of(v >= 0, v < len(self.rs.dimension(t.dimension).all_segments()))
        return z3.BoolVal(True)

    def nice(self, leaf: Leaf) -> Any:
        """Everyday values for a leaf, preferred in witnesses (never assumed for a "never")."""
        k, v = leaf.type.kind, leaf.val
        if k is Kind.DATE:
            return all_of(v >= NICE_DATES[0], v <= NICE_DATES[1])
        if k is Kind.DATETIME:
            return all_of(v >= (NICE_DATES[0] - 1) * DAY_US, v <= (NICE_DATES[1] - 1) * DAY_US)
        if k in (Kind.INT, Kind.NUMBER):
            return all_of(v >= -10 ** 9, v <= 10 ** 9)
        return z3.BoolVal(True)

    def fact(self, *conditions) -> None:
        self.facts.extend(conditions)

    # ---- values ----
    def visit_Const(self, e: ir.Const):
        if e.value is None:
            return Value(z3.BoolVal(True), None)
        if e.type.kind is Kind.BOOL:
            return Truth(z3.BoolVal(e.value), z3.BoolVal(not e.value))
        if e.type.kind in (Kind.LIST, Kind.TAGS):
            raise Unsupported("a list outside `in [...]`")
        return Value(z3.BoolVal(False), self.constant(e.type, e.value))

    def constant(self, t, v) -> Any:
        k = t.kind
        if k is Kind.ENUM:
            return z3.IntVal([m.name for m in t.enum.members].index(v))
        if k is Kind.SEGMENT:
            return z3.IntVal([s.name for s in self.rs.dimension(t.dimension).all_segments()].index(v))
        if k is Kind.DATETIME:
            return z3.IntVal(micros(v))
        if k is Kind.DATE:
            return z3.IntVal(v.toordinal())
        if k is Kind.NUMBER:
            return z3.RealVal(Fraction(v))
        if k is Kind.STRING:
            return z3.StringVal(v)
        if k in (Kind.INT, Kind.DURATION):
            return z3.IntVal(int(v))
        raise Unsupported(f"a constant of kind {k.value}")

    def visit_FieldRef(self, e: ir.FieldRef):
        f = self.rs.customer.field(e.name)
        key = self.rs.customer.key == e.name
        leaf = self.declare(e, "leaf", "field", e.name, f.type, f.type.nullable and not key, e.name)
        self.declare(e, "declared_range", e.name)
        return self.typed(leaf, f.type)

    def declared_range(self, name: str) -> None:
        """A field's declared range, once (a replayed dimension declares its fields again and again)."""
        if name in self._ranged:
            return
        self._ranged.add(name)
        f, leaf = self.rs.customer.field(name), self.leaves[("field", name)]
        if f.low is not None and f.type.is_numeric:
            self.ranges.append((f"`{name}` is declared `in {f.low}..{f.high}`",
                                z3.Implies(negation(leaf.null),
                                           all_of(leaf.val >= num(f.low, f.type), leaf.val <= num(f.high, f.type)))))

    def typed(self, leaf: Leaf, t):
        if t.kind is Kind.BOOL:
            return Truth(all_of(negation(leaf.null), leaf.val), all_of(negation(leaf.null), negation(leaf.val)))
        return Value(leaf.null, leaf.val)

    def visit_ParamRef(self, e: ir.ParamRef):
        if e.name in self.params:
            return self.visit_Const(ir.Const(e.type, e.span, self.params[e.name]))
        return self.typed(self.declare(e, "leaf", "param", e.name, e.type, e.type.nullable, e.name), e.type)

    def visit_LetRef(self, e: ir.LetRef):
        return self.unit(("let", e.name), lambda: self.term(self.rs.let(e.name).expr))

    def visit_DimRef(self, e: ir.DimRef):
        return self.unit(("dimension", e.name), lambda: self.dimension_value(self.rs.dimension(e.name)))

    def dimension_value(self, d: ir.Dimension) -> Value:
        """The segment a customer gets: the first true condition's, else `otherwise`'s, else null.
        In a `unique` dimension two true conditions give a conflict: a value equal to no segment."""
        if d.policy == "all":
            raise Unsupported(f"the tags of `all` dimension `{d.name}` as a value")
        index = {s.name: i for i, s in enumerate(d.all_segments())}
        trues = [self.condition(d, s).true for s in d.segments]
        # null: no condition true and no `otherwise`, as one `and` (z3 keeps a chain of `If(t, False, ...)`)
        if d.otherwise is not None or not trues:
            null = z3.BoolVal(d.otherwise is None)
        else:
            null = all_of(*[negation(t) for t in trues])
        val = z3.IntVal(index[d.otherwise.name] if d.otherwise else 0)
        for s, t in zip(reversed(d.segments), reversed(trues)):
            val = z3.If(t, z3.IntVal(index[s.name]), val)
        if d.policy == "unique" and len(trues) > 1:
            conflict = z3.AtLeast(*trues, 2)
            null, val = all_of(negation(conflict), null), z3.If(conflict, z3.IntVal(-1), val)
        return Value(null, val)

    def visit_RowFieldRef(self, e: ir.RowFieldRef):
        raise Unsupported("a related-row value outside an aggregate")

    # ---- arithmetic ----
    def visit_Arith(self, e: ir.Arith):
        a, b = self.value(e.left), self.value(e.right)
        if a.val is None or b.val is None:
            return Value(z3.BoolVal(True), None)
        null = any_of(a.null, b.null)
        if e.op in ("date_add", "date_sub"):
            days = b.val * (DAY_US if e.left.type.kind is Kind.DATETIME else 1)
            return Value(null, a.val + days if e.op == "date_add" else a.val - days)
        if e.type.kind is Kind.NUMBER and not (fixed(e.left, self.params) and fixed(e.right, self.params)):
            self.declare(e, "mark", "inexact")
        x, y = (real(a.val), real(b.val)) if e.type.kind is Kind.NUMBER else (a.val, b.val)
        if e.op == "div":
            return Value(any_of(null, y == 0), x / y)
        return Value(null, {"add": x + y, "sub": x - y, "mul": x * y}[e.op])

    def visit_Neg(self, e: ir.Neg):
        a = self.value(e.operand)
        return Value(a.null, None if a.val is None else -a.val)

    # ---- comparisons and logic ----
    def visit_Compare(self, e: ir.Compare):
        if e.left.type.kind is Kind.TAGS or e.right.type.kind is Kind.TAGS:
            return self.compare_tags(e)
        a, b = self.value(e.left), self.value(e.right)
        if a.val is None or b.val is None:
            return Truth(z3.BoolVal(False), z3.BoolVal(False))
        x, y = coerce(a.val, b.val)
        if e.op in ("=", "!="):
            c = self.equal(x, y)
            c = c if e.op == "=" else negation(c)
        else:
            c = COMPARE[e.op](x, y)     # only the one asked for: bools have = and != alone
        known = negation(any_of(a.null, b.null))
        return Truth(all_of(known, c), all_of(known, negation(c)))

    def compare_tags(self, e: ir.Compare):
        """An `all` dimension's tags against a set of its segments: exactly those conditions true."""
        tags, other = (e.left, e.right) if e.left.type.kind is Kind.TAGS and isinstance(e.right, ir.Const) \
            else (e.right, e.left)
        if not (isinstance(other, ir.Const) and isinstance(tags, ir.DimRef)):
            raise Unsupported("tags compared with something other than a list of segments")
        d = self.rs.dimension(tags.name)
        wanted = set(other.value or ())
        each = [t if s.name in wanted else negation(t)
                for s, t in ((s, self.condition(d, s).true) for s in d.segments)]
        same = all_of(*each) if each else z3.BoolVal(True)
        return Truth(same, negation(same)) if e.op == "=" else Truth(negation(same), same)

    def visit_Between(self, e: ir.Between):
        x, lo, hi = self.value(e.operand), self.value(e.low), self.value(e.high)
        ge = self.compare(x, lo, lambda p, q: p >= q)
        le = self.compare(x, hi, lambda p, q: p <= q)
        t = and_truth([ge, le])
        return not_truth(t) if e.negated else t

    def compare(self, a: Value, b: Value, op) -> Truth:
        if a.val is None or b.val is None:
            return Truth(z3.BoolVal(False), z3.BoolVal(False))
        x, y = coerce(a.val, b.val)
        c = op(x, y)
        known = negation(any_of(a.null, b.null))
        return Truth(all_of(known, c), all_of(known, negation(c)))

    def equal(self, x, y):
        """`x == y`; a dimension's value (or a `case`) against a constant as booleans (choices.py)."""
        found = self.choices.equal(x, y)
        return (x == y) if found is None else found

    def visit_InList(self, e: ir.InList):
        if not (isinstance(e.items, tuple)):
            raise Unsupported("a list")
        x = self.value(e.operand)
        items = [self.compare(x, self.value(i), self.equal) for i in e.items]
        t = or_truth(items) if items else Truth(z3.BoolVal(False), z3.BoolVal(True))
        return not_truth(t) if e.negated else t

    def visit_InTags(self, e: ir.InTags):
        d = self.rs.dimension(e.dimension)
        t = self.condition(d, d.segment(e.segment)).true
        return Truth(negation(t), t) if e.negated else Truth(t, negation(t))

    def visit_IsNull(self, e: ir.IsNull):
        term = self.term(e.operand)
        null = all_of(negation(term.true), negation(term.false)) if isinstance(term, Truth) else term.null
        return Truth(negation(null), null) if e.negated else Truth(null, negation(null))

    def visit_And(self, e: ir.And):
        return and_truth([self.truth(i) for i in e.items])

    def visit_Or(self, e: ir.Or):
        return or_truth([self.truth(i) for i in e.items])

    def visit_Not(self, e: ir.Not):
        return not_truth(self.truth(e.operand))

    def visit_Case(self, e: ir.Case):
        if e.type.kind is Kind.BOOL:
            raise Unsupported("a true/false `case`")
        branches = [(self.truth(c).true, self.value(v)) for c, v in e.whens]
        rest = self.value(e.else_) if e.else_ is not None else Value(z3.BoolVal(True), None)
        known = [v.val for _, v in branches if v.val is not None] + ([rest.val] if rest.val is not None else [])
        if not known:
            return Value(z3.BoolVal(True), None)
        reals = any(sort_kind(v) == z3.Z3_REAL_SORT for v in known)

        def pick(v: Value):
            x = known[0] if v.val is None else v.val
            return real(x) if reals else x
        null, val = rest.null, pick(rest)
        for t, v in reversed(branches):
            null, val = z3.If(t, v.null, null), z3.If(t, pick(v), val)
        return Value(null, val)

    # ---- functions ----
    def visit_Func(self, e: ir.Func):
        method = getattr(self, "func_" + e.name, None)
        if method is None:
            return self.opaque_value(e, [self.term(a) for a in e.args])
        return method(e, [self.value(a) for a in e.args])

    def opaque_value(self, e: ir.Expr, args) -> Any:
        """An expression the solver does not compute: a fresh value, null when an argument is."""
        self.declare(e, "mark", "opaque")
        leaf = self.declare(e, "leaf", "opaque", ir.shape(e), e.type, False, "fn")
        nulls = [a.null if isinstance(a, Value) else all_of(negation(a.true), negation(a.false)) for a in args]
        null = any_of(*nulls) if nulls else z3.BoolVal(False)
        if e.type.kind is Kind.BOOL:
            return Truth(all_of(negation(null), leaf.val), all_of(negation(null), negation(leaf.val)))
        return Value(null, leaf.val)

    def func_coalesce(self, e, args: list[Value]):
        known = [a for a in args if a.val is not None]
        if not known:
            return Value(z3.BoolVal(True), None)
        null, val = z3.BoolVal(True), known[-1].val
        for a in reversed(known):
            null, val = all_of(a.null, null), z3.If(negation(a.null), a.val, val)
        return Value(null, val)

    def func_length(self, e, args):
        return strict(args, lambda s: z3.Length(s))

    def func_starts_with(self, e, args):
        return strict_truth(args, lambda s, p: z3.PrefixOf(p, s))

    def func_ends_with(self, e, args):
        return strict_truth(args, lambda s, p: z3.SuffixOf(p, s))

    def func_contains(self, e, args):
        return strict_truth(args, lambda s, p: z3.Contains(s, p))

    def func_days_between(self, e, args):
        a_kind, b_kind = (x.type.kind for x in e.args)
        return strict(args, lambda a, b: day_of(b, b_kind) - day_of(a, a_kind))

    def func_add_days(self, e, args):
        unit = DAY_US if e.args[0].type.kind is Kind.DATETIME else 1
        return strict(args, lambda d, n: d + n * unit)

    def func_abs(self, e, args):
        return strict(args, lambda x: z3.If(x < 0, -x, x))

    def func_to_datetime(self, e, args):
        return strict(args, lambda d: (d - 1) * DAY_US)

    # ---- over related rows, over the population ----
    def visit_Aggregate(self, e: ir.Aggregate):
        """A fresh value per aggregate, with what every engine guarantees: counts and sums are
        never null, counts are not negative; without a customer input every customer has a row."""
        self.declare(e, "mark", "opaque")
        always = e.func in ("count", "count_distinct", "sum") or self.has_a_row(e)
        leaf = self.declare(e, "leaf", "aggregate", ir.shape(e), e.type, not always, "agg")
        if e.func in ("count", "count_distinct"):
            self.declare(e, "count_fact", e)
        return self.typed(leaf, e.type)

    def count_fact(self, e: ir.Aggregate) -> None:
        leaf = self.leaves[("aggregate", ir.shape(e))]
        self.fact(leaf.val >= (1 if e.arg is None and self.has_a_row(e) else 0))

    def has_a_row(self, e: ir.Aggregate) -> bool:
        """Every customer has at least one row of the only related input when there is no customer
        input (customers are its keys), so an aggregate of a required value over all rows has one."""
        if e.related != self.only_related or e.where is not None:
            return False
        return e.arg is None or (isinstance(e.arg, ir.RowFieldRef) and not e.arg.type.nullable)

    def visit_AggregateRef(self, e: ir.AggregateRef):
        raise Unsupported("a plan's hoisted aggregate")

    def visit_PopulationStat(self, e: ir.PopulationStat):
        self.declare(e, "mark", "opaque")
        self.term(e.arg)
        leaf = self.declare(e, "leaf", "stat", e.id, e.type, e.func not in ("sum", "count"), "pop")
        self.declare(e, "stat_facts", e)
        return self.typed(leaf, e.type)

    def stat_facts(self, e: ir.PopulationStat) -> None:
        """What is known of a population value, from its argument's term (translated, or moved here
        with a replayed unit)."""
        x = self.term(e.arg)
        x_null = x.null if isinstance(x, Value) else all_of(negation(x.true), negation(x.false))
        getattr(self, "stat_" + e.func, self.stat_other)(e, x, x_null, self.leaves[("stat", e.id)])

    def stat_percent_rank(self, e, x, x_null, leaf):
        self.fact(leaf.null == x_null)
        self.ranges.append(("`percent_rank` is between 0 and 1",
                            z3.Implies(negation(leaf.null), all_of(leaf.val >= 0, leaf.val <= 1))))

    def stat_ntile(self, e, x, x_null, leaf):
        self.fact(leaf.null == x_null)
        self.ranges.append((f"`ntile(…, {e.params[0]})` is between 1 and {e.params[0]}",
                            z3.Implies(negation(leaf.null), all_of(leaf.val >= 1, leaf.val <= e.params[0]))))

    def stat_cume_share(self, e, x, x_null, leaf):
        self.fact(z3.Implies(x_null, leaf.null))

    def stat_count(self, e, x, x_null, leaf):
        self.fact(leaf.val >= z3.If(x_null, 0, 1))

    def stat_sum(self, e, x, x_null, leaf):
        pass

    def stat_other(self, e, x, x_null, leaf):
        """mean, median, quantile, min, max: the customer's own value is in the population."""
        self.fact(z3.Implies(negation(x_null), negation(leaf.null)))
        if e.func in ("min", "max") and isinstance(x, Value):
            a, b = coerce(leaf.val, x.val)
            self.fact(z3.Implies(negation(x_null), a <= b if e.func == "min" else a >= b))


# ---- helpers ----------------------------------------------------------------------

def micros(v: dt.datetime) -> int:
    delta = v - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def num(v, t):
    return z3.RealVal(Fraction(v)) if t.kind is Kind.NUMBER or isinstance(v, float) else z3.IntVal(int(v))


def real(v):
    return z3.ToReal(v) if sort_kind(v) == z3.Z3_INT_SORT else v


def coerce(x, y):
    kinds = {sort_kind(x), sort_kind(y)}
    if kinds == {z3.Z3_INT_SORT, z3.Z3_REAL_SORT}:
        return real(x), real(y)
    return x, y


def sort_kind(v) -> int | None:
    """The kind of a term's sort, asked of z3's C API: `z3.is_int` builds a SortRef for every
    question, and every comparison asks it of both sides (about a tenth of translating the
    generated 1,000-segment file, under the profiler)."""
    if not isinstance(v, z3.ExprRef):
        return None
    ctx = v.ctx_ref()
    return z3.Z3_get_sort_kind(ctx, z3.Z3_get_sort(ctx, v.as_ast()))


def fixed(e: ir.Expr, params: dict) -> bool:
    """Is the value the same for every customer (constants, params with a value, arithmetic of
    them)? Arithmetic of such values is one float, so the reals compute it exactly enough."""
    if isinstance(e, ir.Const):
        return True
    if isinstance(e, ir.ParamRef):
        return e.name in params
    if isinstance(e, ir.Arith):
        return fixed(e.left, params) and fixed(e.right, params)
    if isinstance(e, ir.Neg):
        return fixed(e.operand, params)
    return False


def day_of(v, kind: Kind):
    """The date's ordinal (a datetime counts by its date)."""
    return v / DAY_US + 1 if kind is Kind.DATETIME else v


def strict(args: list[Value], fn) -> Value:
    if any(a.val is None for a in args):
        return Value(z3.BoolVal(True), None)
    return Value(any_of(*[a.null for a in args]), fn(*[a.val for a in args]))


def strict_truth(args: list[Value], fn) -> Truth:
    if any(a.val is None for a in args):
        return Truth(z3.BoolVal(False), z3.BoolVal(False))
    known = negation(any_of(*[a.null for a in args]))
    c = fn(*[a.val for a in args])
    return Truth(all_of(known, c), all_of(known, negation(c)))


def as_truth(term) -> Truth:
    if isinstance(term, Truth):
        return term
    raise Unsupported("a condition that is not true/false")


def as_value(term) -> Value:
    if isinstance(term, Value):
        return term
    return Value(all_of(negation(term.true), negation(term.false)), term.true)


def and_truth(items: list[Truth]) -> Truth:
    return Truth(all_of(*[i.true for i in items]), any_of(*[i.false for i in items]))


def or_truth(items: list[Truth]) -> Truth:
    return Truth(any_of(*[i.true for i in items]), all_of(*[i.false for i in items]))


def not_truth(t: Truth) -> Truth:
    return Truth(t.false, t.true)
