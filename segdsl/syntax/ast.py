"""The syntax tree of one rule file: exactly what was written, with spans.

Frozen and slotted; no Lark objects past build_ast.py. Names are not resolved
here: a bare `in_net` is a Name until the type checker knows what is expected.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..source import Span


# ---- expressions -----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Expr:
    span: Span


@dataclass(frozen=True, slots=True)
class Number(Expr):
    value: int | float
    is_int: bool


@dataclass(frozen=True, slots=True)
class Percent(Expr):
    value: float
    text: str


@dataclass(frozen=True, slots=True)
class String(Expr):
    value: str


@dataclass(frozen=True, slots=True)
class DateLit(Expr):
    value: dt.date


@dataclass(frozen=True, slots=True)
class DateTimeLit(Expr):
    value: dt.datetime


@dataclass(frozen=True, slots=True)
class Bool(Expr):
    value: bool


@dataclass(frozen=True, slots=True)
class Null(Expr):
    pass


@dataclass(frozen=True, slots=True)
class Duration(Expr):
    days: int


@dataclass(frozen=True, slots=True)
class Name(Expr):
    name: str


@dataclass(frozen=True, slots=True)
class Member(Expr):
    obj: Expr
    name: str
    name_span: Span


@dataclass(frozen=True, slots=True)
class ListLit(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Call(Expr):
    func: str
    func_span: Span
    args: tuple[Expr, ...]
    desc: bool
    where: Expr | None
    by: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Case(Expr):
    whens: tuple[tuple[Expr, Expr], ...]
    else_: Expr | None


@dataclass(frozen=True, slots=True)
class Neg(Expr):
    operand: Expr


@dataclass(frozen=True, slots=True)
class Arith(Expr):
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Compare(Expr):
    op: str  # = != < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Between(Expr):
    operand: Expr
    low: Expr
    high: Expr
    negated: bool


@dataclass(frozen=True, slots=True)
class In(Expr):
    operand: Expr
    target: Expr
    negated: bool


@dataclass(frozen=True, slots=True)
class IsNull(Expr):
    operand: Expr
    negated: bool


@dataclass(frozen=True, slots=True)
class And(Expr):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Or(Expr):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Not(Expr):
    operand: Expr


# ---- declarations -----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class EnumMember:
    name: str
    value: str            # the value in the data
    label: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class TypeRef:
    name: str             # int number bool string date datetime enum
    members: tuple[EnumMember, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: TypeRef
    nullable: bool
    column: str | None
    range: tuple[Expr, Expr] | None
    default: Expr | None
    label: str | None
    span: Span
    missing: Expr | None = None      # `missing 999`: data values that mean the value is missing


@dataclass(frozen=True, slots=True)
class Input:
    name: str
    key: str | None
    key_span: Span | None
    fields: tuple[Field, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Related:
    name: str
    of: str
    by: str
    by_span: Span
    fields: tuple[Field, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: TypeRef
    default: Expr | None
    label: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Let:
    name: str
    label: str | None
    expr: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Attribute:
    key: str
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    label: str | None
    condition: Expr | None     # None for `otherwise`
    attributes: tuple[Attribute, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str
    label: str | None
    policy: str                # first | unique | all
    segments: tuple[Segment, ...]
    otherwise: Segment | None
    span: Span


@dataclass(frozen=True, slots=True)
class Pin:
    name: str
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Record:
    fields: tuple[tuple[str, Expr, Span], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Expectation:
    dimension: str
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class TestCase:
    """One customer: a record, related rows, pins and expectations."""
    record: Record | None
    rows: tuple[tuple[str, tuple[Record, ...], Span], ...]
    pins: tuple[Pin, ...]
    expectations: tuple[Expectation, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Test:
    name: str
    cases: tuple[TestCase, ...]   # one for a plain test, one a row for a table
    is_table: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Import:
    path: str
    span: Span


@dataclass(frozen=True, slots=True)
class Header:
    name: str
    label: str | None
    version: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Module:
    """One parsed file."""
    path: str
    header: Header | None
    imports: tuple[Import, ...]
    inputs: tuple[Input, ...]
    related: tuple[Related, ...]
    params: tuple[Param, ...]
    lets: tuple[Let, ...]
    dimensions: tuple[Dimension, ...]
    tests: tuple[Test, ...]
