"""The typed IR: what a ruleset means, independent of how it was written.

Every expression carries its Type (kind, nullability, level). Names are
resolved: a field is a FieldRef, an enum member a Const holding the member's
name. Definitions (lets and dimensions) are in dependency order. Population
statistics are explicit nodes so engines can see what must be computed over
the whole input before any customer can be segmented.

Runtime values, shared by every engine: int, float, bool, str, datetime.date,
datetime.datetime, None; enum values are the member *name*; a segment is its
name; tags are a tuple of segment names in declaration order.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

from .pickling import quick_pickling
from .source import Span
from .types import Type


# ---- schema ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FieldSchema:
    """A declared field of an input: its type, data column, range, default, label and the data
    values that mean missing, which together say how a data cell becomes the field's value."""
    name: str
    type: Type                 # nullable=True for `?` fields; level = input's level
    column: str                # the column name in the data
    low: float | int | None = None
    high: float | int | None = None
    default: Any = None        # runtime value, used when the column/value is missing
    has_default: bool = False
    label: str | None = None
    span: Span | None = None
    # data values that mean "missing" (`missing 999`): typed as the field, an enum's as data text
    missing: tuple = ()

    @property
    def required(self) -> bool:
        return not self.type.nullable and not self.has_default


@dataclass(frozen=True, slots=True)
class InputSchema:
    """A declared input, the customer input or a related one: its fields, its key and, for a related
    input, the customer entity its rows belong to."""
    name: str
    key: str | None            # key field name (None: one customer per row, `_row`)
    fields: tuple[FieldSchema, ...]
    related_by: str | None = None   # for related inputs: the customer entity name
    span: Span | None = None

    def field(self, name: str) -> FieldSchema | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def is_related(self) -> bool:
        return self.related_by is not None


@dataclass(frozen=True, slots=True)
class ParamDecl:
    """A declared param: its type, label and default if any. A run may override the value; a param
    without a default must be given one."""
    name: str
    type: Type
    default: Any
    has_default: bool
    label: str | None = None
    span: Span | None = None


# ---- expressions -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Expr:
    """The base of every typed expression node: each carries its Type and the Span it was written at."""
    type: Type
    span: Span


@dataclass(frozen=True, slots=True)
class Const(Expr):
    """A constant runtime value: an enum member or segment by name, a duration in days, tags as a tuple
    of segment names; a list holds its items as expressions."""
    value: Any


@dataclass(frozen=True, slots=True)
class FieldRef(Expr):
    """A field of the customer input, by name: the customer's own value."""
    name: str


@dataclass(frozen=True, slots=True)
class RowFieldRef(Expr):
    """A field of a related input (`orders.amount`): a value of each of the customer's rows, which
    only an aggregate turns into a customer value."""
    related: str
    name: str


@dataclass(frozen=True, slots=True)
class ParamRef(Expr):
    """A param, by name: the same value for every customer of a run."""
    name: str


@dataclass(frozen=True, slots=True)
class LetRef(Expr):
    """A customer-level let, by name, computed once per customer. Row-level lets are never referenced:
    they are inlined where they are aggregated."""
    name: str


@dataclass(frozen=True, slots=True)
class DimRef(Expr):
    """A dimension used as a value: the segment the customer got in it (null for none), or the set of
    tags of an `all` dimension."""
    name: str


@dataclass(frozen=True, slots=True)
class Arith(Expr):
    """op: add sub mul div (numbers), date_add date_sub (temporal ± days)."""
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Neg(Expr):
    """Unary minus (`-x`): null in, null out."""
    operand: Expr


@dataclass(frozen=True, slots=True)
class Compare(Expr):
    """A comparison of two values (`=`, `!=`, `<`, `<=`, `>`, `>=`): null when either side is null."""
    op: str  # = != < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Between(Expr):
    """`x between low and high`, both bounds included (`not between` when `negated`), three-valued
    like the two comparisons it stands for."""
    operand: Expr
    low: Expr
    high: Expr
    negated: bool


@dataclass(frozen=True, slots=True)
class InList(Expr):
    """`x in [a, b, ...]` (`not in` when `negated`): three-valued as in SQL, so a null on either side
    can leave it unknown."""
    operand: Expr
    items: tuple[Expr, ...]
    negated: bool


@dataclass(frozen=True, slots=True)
class InTags(Expr):
    """`seg in dim` for an `all` dimension: whether the customer's tags include the segment (`not in`
    when `negated`); never null."""
    segment: str
    dimension: str
    negated: bool


@dataclass(frozen=True, slots=True)
class IsNull(Expr):
    """`x is null` (`is not null` when `negated`): the one test of a missing value, never unknown."""
    operand: Expr
    negated: bool


@dataclass(frozen=True, slots=True)
class And(Expr):
    """`a and b and ...` as one node over all its operands, three-valued: false wins over unknown."""
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or(Expr):
    """`a or b or ...` as one node over all its operands, three-valued: true wins over unknown."""
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not(Expr):
    """Three-valued `not`: unknown stays unknown. A run of `not`s is checked into one or none."""
    operand: Expr


@dataclass(frozen=True, slots=True)
class Case(Expr):
    """`case when ... then ... [else ...] end`: the value of the first branch whose condition is true,
    else the `else` value, or null without one."""
    whens: tuple[tuple[Expr, Expr], ...]
    else_: Expr | None


@dataclass(frozen=True, slots=True)
class Func(Expr):
    """A scalar built-in (segdsl/builtins.py); null-in, null-out unless the table says otherwise."""
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Aggregate(Expr):
    """count / count_distinct / sum / avg / min / max over one customer's related rows."""
    func: str
    related: str
    arg: Expr | None           # None: count(orders) counts rows
    where: Expr | None


@dataclass(frozen=True, slots=True)
class AggregateRef(Expr):
    """An aggregate hoisted by the passes (`Plan.aggregates`): computed once per
    customer, however many conditions read it. Only plans contain these."""
    name: str


@dataclass(frozen=True, slots=True)
class PopulationStat(Expr):
    """A value relative to the whole population (optionally per `by` group).

    `id` is unique within a ruleset; engines compute each stat once.
    `params`: ntile → (k,), quantile → (p,).
    """
    id: int
    func: str
    arg: Expr
    params: tuple[Any, ...]
    desc: bool
    by: tuple[Expr, ...]


# ---- rules ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Segment:
    """One segment of a dimension: its condition (None for `otherwise`), its label and the attributes
    it carries into the output."""
    name: str
    label: str | None
    condition: Expr | None              # None for `otherwise`
    attributes: tuple[tuple[str, Any], ...]
    span: Span
    is_otherwise: bool = False


@dataclass(frozen=True, slots=True)
class Dimension:
    """A dimension: its segments in order, an optional `otherwise`, and its policy (`first`, `unique`
    or `all`), which says how a customer's segments are chosen."""
    name: str
    label: str | None
    policy: str                         # first | unique | all
    segments: tuple[Segment, ...]
    otherwise: Segment | None
    span: Span

    def all_segments(self) -> tuple[Segment, ...]:
        return self.segments + ((self.otherwise,) if self.otherwise else ())

    def segment(self, name: str) -> Segment | None:
        return next((s for s in self.all_segments() if s.name == name), None)


@dataclass(frozen=True, slots=True)
class Let:
    """`let NAME = expression`: a named value that conditions and other definitions can use."""
    name: str
    label: str | None
    expr: Expr
    span: Span


Definition = Let | Dimension


# ---- tests ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TestCase:
    """One customer of a test: its record, related rows and pinned lets, and the segment expected in
    each dimension it names."""
    record: dict | None                    # field name → runtime value (customer input)
    rows: dict                             # related name → list of row dicts
    pins: dict                             # let name → runtime value
    expectations: tuple[tuple[str, Any, Span], ...]   # dimension, expected value, span
    span: Span


@dataclass(frozen=True, slots=True)
class Test:
    """A `test` block of the main file: its cases (a table test has one per line)."""
    name: str
    cases: tuple[TestCase, ...]
    is_table: bool
    span: Span


# ---- the ruleset -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Ruleset:
    """What a main rule file and its imports mean: inputs, params, definitions in dependency order,
    dimensions in output order, population statistics and tests. Every later stage starts from it."""
    name: str
    label: str | None
    version: str | None
    path: str
    customer: InputSchema | None
    related: tuple[InputSchema, ...]
    params: tuple[ParamDecl, ...]
    definitions: tuple[Definition, ...]    # dependency order
    dimensions: tuple[Dimension, ...]      # declaration order: the output's column order
    population: tuple[PopulationStat, ...]
    tests: tuple[Test, ...]
    source_hash: str = ""
    key_type: Type | None = None
    sources: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        """The output key column: the key field's name, or `_row`."""
        if self.customer is not None and self.customer.key:
            return self.customer.key
        if self.customer is None and self.related:
            return self.related[0].key or "_key"  # the `by` field
        return "_row"

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def let(self, name: str) -> Let | None:
        return next((d for d in self.definitions if isinstance(d, Let) and d.name == name), None)

    def related_input(self, name: str) -> InputSchema | None:
        return next((r for r in self.related if r.name == name), None)

    def param(self, name: str) -> ParamDecl | None:
        return next((p for p in self.params if p.name == name), None)


def walk(expr: Expr):
    """Every node of an expression, parents first."""
    yield expr
    for child in children(expr):
        yield from walk(child)


def _case_children(e: "Case") -> tuple[Expr, ...]:
    out = [x for w in e.whens for x in w]
    return tuple(out + ([e.else_] if e.else_ is not None else []))


# a node's operands by its class: one dict lookup, since every walk of every pass asks this
# of every node (a `match` tried the classes one by one, all of them for a leaf)
_CHILDREN = {
    Arith: lambda e: (e.left, e.right),
    Compare: lambda e: (e.left, e.right),
    Neg: lambda e: (e.operand,),
    Not: lambda e: (e.operand,),
    IsNull: lambda e: (e.operand,),
    Between: lambda e: (e.operand, e.low, e.high),
    InList: lambda e: (e.operand, *e.items),
    And: lambda e: e.items,
    Or: lambda e: e.items,
    Case: _case_children,
    Func: lambda e: e.args,
    Aggregate: lambda e: tuple(x for x in (e.arg, e.where) if x is not None),
    PopulationStat: lambda e: (e.arg, *e.by),
}


def children(expr: Expr) -> tuple[Expr, ...]:
    of = _CHILDREN.get(type(expr))
    return of(expr) if of is not None else ()


_SHAPE_FIELDS: dict[type, tuple[str, ...]] = {}    # an Expr class → its fields but the span, asked once


def shape(x):
    """An IR value without its spans: equal for expressions written alike, wherever they are
    written (how SEG404 compares two conditions, how the passes find one aggregate twice)."""
    if isinstance(x, Expr):
        names = _SHAPE_FIELDS.get(type(x))
        if names is None:
            names = _SHAPE_FIELDS[type(x)] = tuple(f.name for f in fields(x) if f.name != "span")
        return (type(x).__name__,) + tuple(shape(getattr(x, n)) for n in names)
    if isinstance(x, tuple):
        return tuple(shape(i) for i in x)
    return x


def date_value(v: Any) -> dt.date | None:
    """A date or datetime as a calendar date (datetimes count by their date)."""
    if v is None:
        return None
    return v.date() if isinstance(v, dt.datetime) else v


quick_pickling(globals())
