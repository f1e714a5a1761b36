"""The vector backend: a Plan → one function over a whole batch's typed Arrow columns.

Why: the generated Python (backends/python.py) runs the rules once per customer, and
even straight-line code with local variables costs about 0.7 µs a customer. A batch
the Python engine's Arrow checks proved clean (engines/sure_rows.py) is already typed
in columns, so each condition can run once over the batch with Arrow compute, and
only the segment names go back to Python, a column at a time.

What it covers is what it can compute exactly as the generated Python does: values,
arithmetic (dates moved by days too), comparisons, `between`, `in`, null tests,
three-valued `and`/`or`/`not`, `case`, the built-ins below, `tags = []`, and every
dimension policy (a `first` or `unique` dimension read by a later one is its segment's
index). Anything else (related rows, population statistics, an `all` dimension compared
with a list of segments) makes `compile_vector` return None: the engine keeps the
generated code for that ruleset.

Where a batch holds values Arrow would compute otherwise than Python, `evaluate`
raises `Inexact` and the caller segments that batch with the generated code:
- a whole number beyond 2**53 meeting a real number (Python compares and converts
  it exactly, Arrow rounds it to a double first);
- a real result beyond 2**53 (Python's arithmetic on whole numbers in a `number`
  expression, `coalesce(arpu, 0) * 3`, stays exact);
- a whole-number result beyond 64 bits (Python gives null, Arrow's checked kernels
  raise), and any other error an Arrow kernel raises;
- `upper`/`lower` of text beyond ASCII (Python's full case mapping is not Arrow's);
- a customer in two segments of a `unique` dimension (the generated code words the
  conflict as a bad row).
So a batch's segments never depend on which of the two forms ran.

Why closures and not generated source like the Python backend: the work here is per
batch, not per customer, so a tree of closures built once costs nothing measurable,
and no text is generated at all. One short `visit_<Node>` per node kind builds a
node's closure; a closure takes the batch's `_Env` and gives a value as an Arrow array
or scalar, a condition as a `_Bool` (numpy masks of where it is true and where false),
or an enum field or `first` dimension as a `_Coded` (indexes) for tests against names.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import ir
from ..builtins import BUILTINS
from ..passes import Plan
from ..passes.dependencies import definition_exprs
from ..runtime.limits import DAYS_SPAN
from ..types import Kind
from .arrow_types import ARROW_TYPES

_EXACT = 2 ** 53          # whole numbers up to this size are exact as doubles
_TABLE_BITS = 12          # a dimension of up to this many segments: one table of every combination of matches
_MAX_TAGS = 64            # an `all` dimension's matches are the bits of one unsigned integer


class Inexact(Exception):
    """A batch Arrow cannot segment exactly as the generated Python does: segment it per customer."""


class Unsupported(Exception):
    """A node this backend has no exact form for (why `compile_vector` gives None)."""


Fn = Callable[["_Env"], Any]


@dataclass
class _Env:
    """One batch: its typed columns (field name → Arrow array), its size, the run's
    params, and the lets and dimensions computed so far (name → value)."""
    columns: dict
    n: int
    params: dict
    values: dict = field(default_factory=dict)
    scalars: dict = field(default_factory=dict)      # param name → Arrow scalar
    codes: dict = field(default_factory=dict)        # enum field name → _Coded


# ---- values and conversions ----

def _scalar(value: Any, kind: Kind) -> pa.Scalar:
    """A runtime constant as an Arrow scalar of its kind's type; a whole number in a
    `number` expression as a double when that is exact."""
    t = ARROW_TYPES.get(kind) or (pa.int64() if kind is Kind.DURATION else None)    # a duration: its days
    if t is None:
        if value is None:
            return pa.scalar(None)
        raise Unsupported(f"a constant of kind {kind.value}")
    if value is not None and kind is Kind.NUMBER and isinstance(value, int) and abs(value) > _EXACT:
        raise Inexact("a whole number beyond 2**53 in a real expression")
    if value is not None and kind is Kind.NUMBER:
        value = float(value)
    return pa.scalar(value, t)


def _double(v):
    """A whole-number value as doubles, when every one of them converts exactly."""
    if isinstance(v, pa.Scalar):
        x = v.as_py()
        if x is not None and abs(x) > _EXACT:
            raise Inexact("a whole number beyond 2**53 meets a real number")
        return pa.scalar(None if x is None else float(x), pa.float64())
    if len(v) and v.null_count < len(v):
        bounds = pc.min_max(v)
        if bounds["min"].as_py() < -_EXACT or bounds["max"].as_py() > _EXACT:
            raise Inexact("a whole number beyond 2**53 meets a real number")
    return v.cast(pa.float64())


_EPOCH = dt.date(1970, 1, 1)
_DAYS = ((dt.date.min - _EPOCH).days, (dt.date.max - _EPOCH).days)        # years 1 to 9999, as date32
_MICROS = (_DAYS[0] * 86_400_000_000, (_DAYS[1] + 1) * 86_400_000_000 - 1)  # the same as timestamp[us]


def _moved(x, days, kind: Kind):
    """A date or datetime moved by whole days (runtime/limits.add_days): null when the step
    or the result leaves years 1 to 9999."""
    if kind is Kind.DATE:
        unit, low, high, t = 1, _DAYS[0], _DAYS[1], pa.int32()
    else:
        unit, low, high, t = 86_400_000_000, _MICROS[0], _MICROS[1], pa.int64()
    null = pa.scalar(None, pa.int64())
    step = pc.if_else(pc.less_equal(pc.abs_checked(days), DAYS_SPAN), days, null)
    moved = pc.add_checked(x.cast(t).cast(pa.int64()), pc.multiply_checked(step, unit))
    inside = pc.and_(pc.greater_equal(moved, low), pc.less_equal(moved, high))
    return pc.if_else(inside, moved, null).cast(t).cast(ARROW_TYPES[kind])


def _as_date(v, kind: Kind):
    """A date, or a datetime as its calendar date."""
    return v.cast(pa.date32()) if kind is Kind.DATETIME else v


def _exact_real(v):
    """A real result checked to be one Python's exact whole-number arithmetic would agree with."""
    if isinstance(v, pa.Array) and len(v) and v.null_count < len(v):
        finite = pc.filter(v, pc.is_finite(v))
        if len(finite):
            bounds = pc.min_max(pc.abs(finite))
            if bounds["max"].as_py() > _EXACT:
                raise Inexact("a real result beyond 2**53")
    elif isinstance(v, pa.Scalar) and v.is_valid:
        x = v.as_py()
        if x == x and abs(x) != float("inf") and abs(x) > _EXACT:
            raise Inexact("a real result beyond 2**53")
    return v


def _full(v, n: int) -> pa.Array:
    """A value as an array of `n` (a scalar repeated)."""
    return pa.repeat(v, n) if isinstance(v, pa.Scalar) else v


def _unpack(buffer, offset: int, n: int) -> np.ndarray:
    """Bits of an Arrow bitmap as numpy booleans."""
    bits = np.unpackbits(np.frombuffer(buffer, np.uint8), count=offset + n, bitorder="little")
    return bits[offset:].view(np.bool_)


@dataclass(frozen=True)
class _Bool:
    """A condition over a batch in three values (LANGUAGE.md §6): where it is true and where
    it is false, null where neither. `and`, `or` and `not` are then two numpy operations
    each, where Arrow's Kleene kernels cost a call and a bitmap each."""
    true: np.ndarray
    false: np.ndarray

    def and_(self, other: "_Bool") -> "_Bool":
        return _Bool(self.true & other.true, self.false | other.false)

    def or_(self, other: "_Bool") -> "_Bool":
        return _Bool(self.true | other.true, self.false & other.false)

    def not_(self) -> "_Bool":
        return _Bool(self.false, self.true)

    def arrow(self) -> pa.Array:
        """As an Arrow boolean array (null where neither), for a node that reads it as a value."""
        known = self.true | self.false
        return pa.array(self.true, mask=~known) if not known.all() else pa.array(self.true)


def _bool(v, n: int) -> _Bool:
    """A boolean value (Arrow array or scalar, or _Bool) as a _Bool."""
    if isinstance(v, _Bool):
        return v
    if isinstance(v, pa.Scalar):
        x = v.as_py()
        return _Bool(np.full(n, x is True), np.full(n, x is False))
    if n == 0:
        return _Bool(np.zeros(0, np.bool_), np.zeros(0, np.bool_))
    validity, data = v.buffers()[:2]
    values = _unpack(data, v.offset, n)
    if not v.null_count:
        return _Bool(values, ~values)
    valid = _unpack(validity, v.offset, n)
    return _Bool(values & valid, ~values & valid)


def _value(v):
    """A value as Arrow: a _Bool as an Arrow boolean array, anything else as it is."""
    return v.arrow() if isinstance(v, _Bool) else v


@dataclass(frozen=True)
class _Coded:
    """Values of a known set of names (an enum field's members, a `first` dimension's
    segments) as their indexes, `null` the index of a missing value (None: none is)."""
    codes: np.ndarray
    null: int | None

    def among(self, indexes: list[int], negated: bool) -> _Bool:
        """`value in [names]` (the names by index), in three values."""
        hit = np.zeros(len(self.codes), np.bool_)
        for i in indexes:
            hit |= self.codes == i
        if self.null is None:
            return _Bool(~hit, hit) if negated else _Bool(hit, ~hit)
        miss = ~hit & (self.codes != self.null)
        return _Bool(miss, hit) if negated else _Bool(hit, miss)

    def is_null(self, negated: bool) -> _Bool:
        if self.null is None:
            known = np.full(len(self.codes), negated)
            return _Bool(known, ~known)
        null = self.codes == self.null
        return _Bool(~null, null) if negated else _Bool(null, ~null)


def _bits_type(k: int):
    return np.uint8 if k <= 8 else np.uint16 if k <= 16 else np.uint32 if k <= 32 else np.uint64


def _bits(conditions, env: "_Env", k: int) -> np.ndarray:
    """The segments' conditions of a dimension as one number per customer: bit i set where
    segment i's condition is true."""
    t = _bits_type(k)
    bits = np.zeros(env.n, t)
    for i, condition in enumerate(conditions):
        bits |= _bool(condition(env), env.n).true.astype(t) << t(i)
    return bits


# ---- expressions ----

_COMPARE = {"=": pc.equal, "!=": pc.not_equal, "<": pc.less, "<=": pc.less_equal,
            ">": pc.greater, ">=": pc.greater_equal}
_CHECKED = {"add": pc.add_checked, "sub": pc.subtract_checked, "mul": pc.multiply_checked}
_REAL = {"add": pc.add, "sub": pc.subtract, "mul": pc.multiply}


class _Compiler:
    """IR expression → closure over a batch, one short `visit_<Node>` per node kind."""

    def __init__(self, plan: Plan):
        self.dimensions = {d.name: d for d in plan.ruleset.dimensions}
        self.fields: set[str] = set()

    def code(self, e: ir.Expr) -> Fn:
        method = getattr(self, "visit_" + type(e).__name__, None)
        if method is None:
            raise Unsupported(type(e).__name__)
        return method(e)

    def value(self, e: ir.Expr) -> Fn:
        """`e` as an Arrow value (a condition as a boolean array)."""
        if e.type.kind in (Kind.SEGMENT, Kind.TAGS):
            raise Unsupported(f"a {e.type.kind.value} read as a value")
        fn = self.code(e)
        if e.type.kind is Kind.BOOL:
            return lambda env: _value(fn(env))
        return fn

    def cond(self, e: ir.Expr) -> Fn:
        """`e` as a condition in three values (_Bool)."""
        fn = self.code(e)
        return lambda env: _bool(fn(env), env.n)

    def as_kind(self, e: ir.Expr, kind: Kind) -> Fn:
        """`e`'s value, converted to doubles where a whole number meets a real one."""
        fn = self.value(e)
        if kind is Kind.NUMBER and e.type.kind is Kind.INT:
            return lambda env: _double(fn(env))
        return fn

    def operands(self, *exprs: ir.Expr) -> list[Fn]:
        """Closures of operands that meet: all in doubles when one is real."""
        kinds = {x.type.kind for x in exprs}
        kind = Kind.NUMBER if kinds == {Kind.INT, Kind.NUMBER} else None
        return [self.as_kind(x, kind) for x in exprs]

    # -- values --
    def visit_Const(self, e: ir.Const) -> Fn:
        value = _scalar(e.value, e.type.kind)
        return lambda env: value

    def visit_FieldRef(self, e: ir.FieldRef) -> Fn:
        if e.type.kind not in ARROW_TYPES:
            raise Unsupported(f"a field of kind {e.type.kind.value}")
        self.fields.add(e.name)
        name = e.name
        return lambda env: env.columns[name]

    def visit_ParamRef(self, e: ir.ParamRef) -> Fn:
        name, kind = e.name, e.type.kind

        def param(env: _Env):
            if name not in env.scalars:
                env.scalars[name] = _scalar(env.params.get(name), kind)
            return env.scalars[name]
        return param

    def visit_LetRef(self, e: ir.LetRef) -> Fn:
        name = e.name
        return lambda env: env.values[name]

    def visit_DimRef(self, e: ir.DimRef) -> Fn:
        if self.dimensions[e.name].policy == "all":
            raise Unsupported(f"the value of a {self.dimensions[e.name].policy} dimension")
        name = e.name
        return lambda env: env.values[name]

    # -- arithmetic --
    def visit_Arith(self, e: ir.Arith) -> Fn:
        if e.op in ("date_add", "date_sub"):
            x, days, kind = self.value(e.left), self.value(e.right), e.left.type.kind
            if e.op == "date_add":
                return lambda env: _moved(x(env), days(env), kind)
            return lambda env: _moved(x(env), pc.negate_checked(days(env)), kind)
        if e.op == "div":
            a, b = self.as_kind(e.left, Kind.NUMBER), self.as_kind(e.right, Kind.NUMBER)
            zero = pa.scalar(0.0)
            null = pa.scalar(None, pa.float64())

            def div(env: _Env):
                x, y = a(env), b(env)
                return pc.if_else(pc.equal(y, zero), null, pc.divide(x, y))
            return div
        if e.type.kind is Kind.INT:
            op = _CHECKED[e.op]
            a, b = self.value(e.left), self.value(e.right)
            return lambda env: op(a(env), b(env))
        if e.type.kind is not Kind.NUMBER:
            raise Unsupported(f"arithmetic on {e.type.kind.value}")
        op = _REAL[e.op]
        a, b = self.as_kind(e.left, Kind.NUMBER), self.as_kind(e.right, Kind.NUMBER)
        return lambda env: _exact_real(op(a(env), b(env)))

    def visit_Neg(self, e: ir.Neg) -> Fn:
        a = self.value(e.operand)
        op = pc.negate_checked if e.type.kind is Kind.INT else pc.negate
        return lambda env: op(a(env))

    # -- built-ins --
    def visit_Func(self, e: ir.Func) -> Fn:
        method = getattr(self, "call_" + e.name, None)
        if method is None:
            raise Unsupported(f"the built-in {e.name}")
        return method(e)

    def call_coalesce(self, e: ir.Func) -> Fn:
        if e.type.kind not in ARROW_TYPES:
            raise Unsupported(f"coalesce of kind {e.type.kind.value}")
        args = [self.as_kind(a, e.type.kind) for a in e.args]
        return lambda env: pc.coalesce(*(a(env) for a in args))

    def call_abs(self, e: ir.Func) -> Fn:
        a = self.value(e.args[0])
        op = pc.abs_checked if e.type.kind is Kind.INT else pc.abs
        return lambda env: op(a(env))

    def dates(self, e: ir.Func) -> list[Fn]:
        """The arguments as dates (a datetime by its calendar date)."""
        out = []
        for a in e.args:
            fn, kind = self.value(a), a.type.kind
            out.append(fn if kind is Kind.DATE else (lambda env, fn=fn, kind=kind: _as_date(fn(env), kind)))
        return out

    def call_days_between(self, e: ir.Func) -> Fn:
        a, b = self.dates(e)
        return lambda env: pc.days_between(a(env), b(env))

    def part_of_date(self, e: ir.Func, op) -> Fn:
        (a,) = self.dates(e)
        return lambda env: op(a(env)).cast(pa.int64())

    def call_year(self, e: ir.Func) -> Fn:
        return self.part_of_date(e, pc.year)

    def call_month(self, e: ir.Func) -> Fn:
        return self.part_of_date(e, pc.month)

    def call_day(self, e: ir.Func) -> Fn:
        return self.part_of_date(e, pc.day)

    def call_add_days(self, e: ir.Func) -> Fn:
        x, days, kind = self.value(e.args[0]), self.value(e.args[1]), e.args[0].type.kind
        return lambda env: _moved(x(env), days(env), kind)

    def call_to_datetime(self, e: ir.Func) -> Fn:
        a = self.value(e.args[0])
        return lambda env: a(env).cast(pa.timestamp("us"))

    def case_mapped(self, e: ir.Func, op) -> Fn:
        """`upper`/`lower` of ASCII text (Python's full case mapping of other text, `ß` to
        `SS`, is not Arrow's: such a batch is Inexact)."""
        a = self.value(e.args[0])

        def mapped(env: _Env):
            v = a(env)
            ascii_only = v.as_py() is None or v.as_py().isascii() if isinstance(v, pa.Scalar) \
                else pc.all(pc.string_is_ascii(v)).as_py() is not False
            if not ascii_only:
                raise Inexact("case mapping of text beyond ASCII")
            return op(v)
        return mapped

    def call_upper(self, e: ir.Func) -> Fn:
        return self.case_mapped(e, pc.ascii_upper)

    def call_lower(self, e: ir.Func) -> Fn:
        return self.case_mapped(e, pc.ascii_lower)

    def call_length(self, e: ir.Func) -> Fn:
        a = self.value(e.args[0])          # code points, as Python's len
        return lambda env: pc.utf8_length(a(env)).cast(pa.int64())

    def call_trim(self, e: ir.Func) -> Fn:
        a = self.value(e.args[0])
        return lambda env: pc.utf8_trim(a(env), characters=" ")

    def pattern(self, e: ir.Func, op) -> Fn:
        """A text test. Arrow takes a constant pattern as an option; a pattern read from the
        data is tested per customer by the built-in's own meaning (`Builtin.evaluate`), the
        one step of this form that runs in Python per value."""
        text, part = e.args
        if not isinstance(part, ir.Const):
            return self.per_value(e)
        a = self.value(text)
        if part.value is None:
            null = pa.scalar(None, pa.bool_())
            return lambda env: null
        pattern = part.value
        return lambda env: op(a(env), pattern)

    def per_value(self, e: ir.Func) -> Fn:
        """A built-in on non-null values, null when an argument is null, one call per customer."""
        args, meaning = [self.value(a) for a in e.args], BUILTINS[e.name].evaluate
        t = ARROW_TYPES[e.type.kind]

        def each(env: _Env) -> pa.Array:
            columns = [_full(a(env), env.n).to_pylist() for a in args]
            return pa.array([None if None in values else meaning(*values) for values in zip(*columns)], t)
        return each

    def call_starts_with(self, e: ir.Func) -> Fn:
        return self.pattern(e, pc.starts_with)

    def call_ends_with(self, e: ir.Func) -> Fn:
        return self.pattern(e, pc.ends_with)

    def call_contains(self, e: ir.Func) -> Fn:
        return self.pattern(e, pc.match_substring)

    # -- comparisons --
    def coded(self, e: ir.Expr, items: tuple[ir.Expr, ...]) -> tuple[Fn, list[int]] | None:
        """A `first` dimension, or an enum field, compared with constant names: its values as
        indexes (_Coded) and the names' indexes (-1: a name it never has). None: not such a test."""
        if e.type.kind is Kind.TAGS:
            raise Unsupported("an all dimension's value compared")
        if not all(isinstance(i, ir.Const) and i.value is not None for i in items):
            if e.type.kind is Kind.SEGMENT:
                raise Unsupported("a segment compared with something but segment names")
            return None
        if isinstance(e, ir.DimRef):
            order = [s.name for s in self.dimensions[e.name].all_segments()]
            name = e.name
            fn = lambda env: env.values[name]                 # noqa: E731
        elif isinstance(e, ir.FieldRef) and e.type.kind is Kind.ENUM:
            order = [m.name for m in e.type.enum.members]
            fn = self.enum_codes(e, order)
        else:
            return None
        return fn, [order.index(i.value) if i.value in order else -1 for i in items]

    def enum_codes(self, e: ir.FieldRef, members: list[str]) -> Fn:
        """An enum field's values as member indexes, found once per batch however many tests read them."""
        self.fields.add(e.name)
        name, pool, null = e.name, pa.array(members, pa.string()), len(members)

        def codes(env: _Env) -> _Coded:
            hit = env.codes.get(name)
            if hit is None:
                found = pc.index_in(env.columns[name], value_set=pool)
                hit = env.codes[name] = _Coded(found.fill_null(null).to_numpy().astype(np.int16), null)
            return hit
        return codes

    def visit_Compare(self, e: ir.Compare) -> Fn:
        if Kind.TAGS in (e.left.type.kind, e.right.type.kind):
            return self.no_tags(e)
        if e.op in ("=", "!="):
            left, right = (e.right, e.left) if isinstance(e.right, (ir.DimRef, ir.FieldRef)) else (e.left, e.right)
            coded = self.coded(left, (right,))
            if coded is not None:
                fn, indexes = coded
                negated = e.op == "!="
                return lambda env: fn(env).among(indexes, negated)
        op = _COMPARE[e.op]
        a, b = self.operands(e.left, e.right)
        return lambda env: op(a(env), b(env))

    def no_tags(self, e: ir.Compare) -> Fn:
        """`tags = []` / `tags != []` (the only comparison of an `all` dimension the checker
        takes): whether no bit is set. Never null: a customer's tags are a tuple, maybe empty."""
        tags, other = (e.left, e.right) if e.left.type.kind is Kind.TAGS else (e.right, e.left)
        if e.op not in ("=", "!=") or not isinstance(tags, ir.DimRef) or not isinstance(other, ir.Const) \
                or other.value != ():
            raise Unsupported("an all dimension compared with some of its segments")
        name, equal = tags.name, e.op == "="

        def none_set(env: _Env) -> _Bool:
            none = env.values[name] == 0
            return _Bool(none, ~none) if equal else _Bool(~none, none)
        return none_set

    def visit_Between(self, e: ir.Between) -> Fn:
        x, lo, hi = self.operands(e.operand, e.low, e.high)
        negated = e.negated

        def between(env: _Env) -> _Bool:
            v, n = x(env), env.n
            inside = _bool(pc.greater_equal(v, lo(env)), n).and_(_bool(pc.less_equal(v, hi(env)), n))
            return inside.not_() if negated else inside
        return between

    def visit_InList(self, e: ir.InList) -> Fn:
        negated = e.negated
        coded = self.coded(e.operand, e.items)
        if coded is not None:
            fn, indexes = coded
            return lambda env: fn(env).among(indexes, negated)
        if len(e.items) > 8 and all(isinstance(i, ir.Const) and i.value is not None for i in e.items) \
                and len({i.type.kind for i in e.items} | {e.operand.type.kind}) == 1:
            return self.membership(e)
        # in three values: any item equal is true, else any null is null
        equals = [self.visit_Compare(ir.Compare(e.type, e.span, "=", e.operand, i)) for i in e.items]

        def any_equal(env: _Env) -> _Bool:
            found = reduce(_Bool.or_, (_bool(eq(env), env.n) for eq in equals))
            return found.not_() if negated else found
        return any_equal

    def membership(self, e: ir.InList) -> Fn:
        """A long list of constants: one hash lookup per value (Arrow's is_in)."""
        t = ARROW_TYPES.get(e.operand.type.kind)
        if t is None:
            raise Unsupported(f"in of kind {e.operand.type.kind.value}")
        pool = pa.array([i.value for i in e.items], t)
        x, negated = self.value(e.operand), e.negated

        def member(env: _Env) -> _Bool:
            v, n = x(env), env.n
            found = _bool(pc.is_in(_full(v, n), value_set=pool), n).true
            valid = _bool(pc.is_valid(v), n).true
            return _Bool(valid & ~found, found) if negated else _Bool(found, valid & ~found)
        return member

    def visit_InTags(self, e: ir.InTags) -> Fn:
        d = self.dimensions[e.dimension]
        if d.policy != "all":
            raise Unsupported(f"a tag test of a {d.policy} dimension")
        order = [s.name for s in d.segments]
        t = _bits_type(len(order))
        bit = t(1 << order.index(e.segment)) if e.segment in order else t(0)
        name, negated = e.dimension, e.negated

        def tagged(env: _Env) -> _Bool:
            has = (env.values[name] & bit) != 0
            return _Bool(~has, has) if negated else _Bool(has, ~has)
        return tagged

    def visit_IsNull(self, e: ir.IsNull) -> Fn:
        a = self.code(e.operand)
        negated = e.negated

        def is_null(env: _Env):
            v = a(env)
            if isinstance(v, _Coded):
                return v.is_null(negated)
            if isinstance(v, _Bool):
                known = v.true | v.false
                return _Bool(known, ~known) if negated else _Bool(~known, known)
            if isinstance(v, pa.Scalar):
                return pa.scalar(v.is_valid == negated)
            return pc.is_valid(v) if negated else pc.is_null(v)
        return is_null

    # -- logic --
    def visit_And(self, e: ir.And) -> Fn:
        items = [self.cond(i) for i in e.items]
        return lambda env: reduce(_Bool.and_, (item(env) for item in items))

    def visit_Or(self, e: ir.Or) -> Fn:
        items = [self.cond(i) for i in e.items]
        return lambda env: reduce(_Bool.or_, (item(env) for item in items))

    def visit_Not(self, e: ir.Not) -> Fn:
        a = self.cond(e.operand)
        return lambda env: a(env).not_()

    def visit_Case(self, e: ir.Case) -> Fn:
        kind = e.type.kind
        t = ARROW_TYPES.get(kind)
        if t is None:
            raise Unsupported(f"case of kind {kind.value}")
        conditions = [self.cond(c) for c, _ in e.whens]
        values = [self.as_kind(v, kind) for _, v in e.whens]
        otherwise = self.as_kind(e.else_, kind) if e.else_ is not None else (lambda env: pa.scalar(None, t))

        def case(env: _Env):
            n = env.n
            conds = pc.make_struct(*(pa.array(c(env).true) for c in conditions),
                                   field_names=[str(i) for i in range(len(conditions))])
            return pc.case_when(conds, *(_full(v(env), n).cast(t) for v in values), _full(otherwise(env), n).cast(t))
        return case


# ---- dimensions ----

def _lowest_bits(k: int) -> np.ndarray:
    """For every combination of k bits, the index of its lowest set bit (k for none)."""
    out = np.full(2 ** k, k, np.int32)
    for b in range(2 ** k - 1, 0, -1):
        out[b] = (b & -b).bit_length() - 1
    return out


@dataclass(frozen=True)
class _First:
    """A `first` dimension: its segments' conditions in order; its value is the index of
    the first that holds (the `otherwise`'s index, len(conditions), else null). With few
    segments the conditions become bits and one table gives the index and the name.
    A `unique` dimension is the same where at most one holds; a batch with a customer
    two hold for is Inexact, so the generated code words each conflict as a bad row."""
    name: str
    conditions: tuple
    names: np.ndarray              # index → segment name (None past the last segment without otherwise)
    has_otherwise: bool
    lowest: np.ndarray | None      # bits → index, for few segments
    by_bits: np.ndarray | None     # bits → segment name, for few segments
    read: bool                     # whether a later definition reads the dimension
    unique: bool = False

    def compute(self, env: _Env):
        k = len(self.conditions)
        if self.lowest is not None:
            bits = _bits(self.conditions, env, k)
            if self.unique and (bits & (bits - 1)).any():        # two bits or more: a conflict
                raise Inexact(f"a customer in two segments of {self.name}")
            codes = self.lowest[bits] if self.read else None
            found = (bits, codes)
        else:
            codes = np.full(env.n, k, dtype=np.int32)
            matched = np.zeros(env.n, np.int32) if self.unique else None
            for i in reversed(range(k)):
                true = _bool(self.conditions[i](env), env.n).true
                codes = np.where(true, i, codes)
                if matched is not None:
                    matched += true
            if matched is not None and (matched > 1).any():
                raise Inexact(f"a customer in two segments of {self.name}")
            found = (None, codes)
        if self.read:
            env.values[self.name] = _Coded(codes, None if self.has_otherwise else k)
        return found

    def output(self, found) -> list:
        bits, codes = found
        return self.by_bits[bits].tolist() if bits is not None else self.names[codes].tolist()


@dataclass(frozen=True)
class _All:
    """An `all` dimension: each segment whose condition holds is one bit."""
    name: str
    conditions: tuple
    names: tuple[str, ...]
    table: np.ndarray | None       # bits → tuple of names, for few segments

    def compute(self, env: _Env):
        bits = _bits(self.conditions, env, len(self.conditions))
        env.values[self.name] = bits
        return bits

    def output(self, bits: np.ndarray) -> list:
        if self.table is not None:
            return self.table[bits].tolist()
        distinct, where = np.unique(bits, return_inverse=True)
        return _tuples(self.names, distinct.tolist())[where].tolist()


def _tuples(names: tuple[str, ...], combinations) -> np.ndarray:
    """For each bit combination, the names of its set bits, in order, as one tuple (an array of objects)."""
    out = np.empty(len(combinations), dtype=object)
    for j, bits in enumerate(combinations):
        out[j] = tuple(s for i, s in enumerate(names) if bits >> i & 1)
    return out


@dataclass(frozen=True)
class VectorProgram:
    """A plan's rules over a batch's columns. `fields`: the field names whose typed Arrow
    arrays `evaluate` reads."""
    fields: tuple[str, ...]
    steps: tuple                   # (let name, closure) or a dimension, in the plan's order
    outputs: tuple                 # the dimensions, in the output's order

    def evaluate(self, columns: dict, n: int, params: dict) -> list[list]:
        """Each dimension's values for the batch's customers (a list per dimension, as the
        generated `evaluate` gives them); raises Inexact for a batch to segment per customer."""
        env = _Env(columns, n, params)
        computed = {}
        try:
            for step in self.steps:
                if isinstance(step, tuple):
                    name, fn = step
                    env.values[name] = fn(env)
                else:
                    computed[step.name] = step.compute(env)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as e:
            raise Inexact(str(e)) from None
        return [d.output(computed[d.name]) for d in self.outputs]


def compile_vector(plan: Plan) -> VectorProgram | None:
    """The plan's vector form, or None when a node has none (see the module's docstring)."""
    try:
        return _compile(plan)
    except (Unsupported, Inexact):
        return None


def unsupported(plan: Plan) -> str | None:
    """Why the plan has no vector form (None: it has one)."""
    try:
        _compile(plan)
    except (Unsupported, Inexact) as e:
        return str(e)
    return None


def _compile(plan: Plan) -> VectorProgram:
    rs = plan.ruleset
    if rs.related or plan.aggregates or plan.live_stats or plan.pinned:
        raise Unsupported("related rows, population statistics or pinned lets")
    compiler = _Compiler(plan)
    read = {x.name for d in plan.definitions for e in definition_exprs(d) for x in ir.walk(e)
            if isinstance(x, ir.DimRef)}
    steps, dims = [], {}
    for d in plan.definitions:
        if isinstance(d, ir.Let):
            steps.append((d.name, compiler.code(d.expr)))
            continue
        conditions = tuple(compiler.cond(s.condition) for s in d.segments)
        steps.append(dims.setdefault(d.name, _dimension(d, conditions, d.name in read)))
    outputs = tuple(dims[d.name] for d in rs.dimensions)
    return VectorProgram(tuple(sorted(compiler.fields)), tuple(steps), outputs)


def _dimension(d: ir.Dimension, conditions: tuple, read: bool):
    k = len(d.segments)
    if d.policy in ("first", "unique"):
        names = np.empty(k + 1, dtype=object)
        for i, s in enumerate(d.segments):
            names[i] = s.name
        names[k] = d.otherwise.name if d.otherwise else None
        lowest = _lowest_bits(k) if k <= _TABLE_BITS else None
        return _First(d.name, conditions, names, d.otherwise is not None, lowest,
                      names[lowest] if lowest is not None else None, read, d.policy == "unique")
    if d.policy == "all" and k <= _MAX_TAGS:
        names = tuple(s.name for s in d.segments)
        return _All(d.name, conditions, names, _tuples(names, range(2 ** k)) if k <= _TABLE_BITS else None)
    raise Unsupported(f"a {d.policy} dimension")
