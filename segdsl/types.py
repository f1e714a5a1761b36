"""The type system: what a value is, whether it may be null, and its level.

A level says where a value lives: on the customer (None) or on each row of a
related input (the input's name). Aggregates turn a row-level value into a
customer-level one; population functions read a customer-level value across
all customers and give each customer a customer-level result.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from .pickling import quick_pickling


class Kind(str, Enum):
    INT = "int"
    NUMBER = "number"
    BOOL = "bool"
    STRING = "string"
    DATE = "date"
    DATETIME = "datetime"
    ENUM = "enum"
    SEGMENT = "segment"      # the segment a customer got in a first/unique dimension
    TAGS = "tags"            # the set of segments of an `all` dimension
    DURATION = "duration"    # `30 days`
    LIST = "list"
    NULL = "null"            # the type of the literal `null` before it meets another type


@dataclass(frozen=True, slots=True)
class EnumMember:
    """One member of an enum: the name rules and tests write, its value as it appears in the data,
    and an optional label."""
    name: str
    value: str       # as it appears in the data
    label: str | None


@dataclass(frozen=True, slots=True)
class EnumType:
    """An enum, named by the field or param that declares it, with its members in declaration order."""
    owner: str                       # the field (or param) that declares it
    members: tuple[EnumMember, ...]

    def member(self, name: str) -> EnumMember | None:
        return next((m for m in self.members if m.name == name), None)

    def by_value(self) -> dict[str, str]:
        return {m.value: m.name for m in self.members}


@dataclass(frozen=True, slots=True)
class Type:
    """The type of a value: its kind, whether it may be null and its level (the customer, or each row of
    a related input), plus what the kind needs: the enum, the dimension or a list's element type."""
    kind: Kind
    nullable: bool = False
    level: str | None = None             # None = customer level, else related input name
    enum: EnumType | None = None
    dimension: str | None = None         # for SEGMENT and TAGS
    elem: "Type | None" = None           # for LIST

    def with_nullable(self, nullable: bool = True) -> "Type":
        return self if self.nullable == nullable else replace(self, nullable=nullable)

    def at_level(self, level: str | None) -> "Type":
        return self if self.level == level else replace(self, level=level)

    @property
    def is_numeric(self) -> bool:
        return self.kind in (Kind.INT, Kind.NUMBER)

    @property
    def is_temporal(self) -> bool:
        return self.kind in (Kind.DATE, Kind.DATETIME)

    def describe(self) -> str:
        if self.kind is Kind.ENUM and self.enum:
            return f"enum of `{self.enum.owner}`"
        if self.kind is Kind.SEGMENT:
            return f"segment of `{self.dimension}`"
        if self.kind is Kind.TAGS:
            return f"tags of `{self.dimension}`"
        if self.kind is Kind.LIST and self.elem:
            return f"list of {self.elem.describe()}"
        return self.kind.value


SCALAR_TYPE_NAMES = {"int": Kind.INT, "number": Kind.NUMBER, "bool": Kind.BOOL, "string": Kind.STRING,
                     "date": Kind.DATE, "datetime": Kind.DATETIME}

INT = Type(Kind.INT)
NUMBER = Type(Kind.NUMBER)
BOOL = Type(Kind.BOOL)
STRING = Type(Kind.STRING)
DATE = Type(Kind.DATE)
DATETIME = Type(Kind.DATETIME)
DURATION = Type(Kind.DURATION)
NULL = Type(Kind.NULL, nullable=True)


def comparable(a: Type, b: Type) -> bool:
    """Whether `a = b` / `a < b` is meaningful."""
    if a.kind is Kind.NULL or b.kind is Kind.NULL:
        return True
    if a.is_numeric and b.is_numeric:
        return True
    if a.is_temporal and b.is_temporal:
        return True
    if a.kind is Kind.ENUM and b.kind is Kind.ENUM:
        return a.enum == b.enum
    if a.kind is Kind.SEGMENT and b.kind is Kind.SEGMENT:
        return a.dimension == b.dimension
    return a.kind == b.kind and a.kind not in (Kind.LIST, Kind.TAGS)


def ordered(t: Type) -> bool:
    return t.kind in (Kind.INT, Kind.NUMBER, Kind.STRING, Kind.DATE, Kind.DATETIME, Kind.NULL)


def unify(a: Type, b: Type) -> Type | None:
    """The common type of two branches (case, coalesce, list items)."""
    nullable = a.nullable or b.nullable
    if a.kind is Kind.NULL:
        return b.with_nullable(True)
    if b.kind is Kind.NULL:
        return a.with_nullable(True)
    if a.is_numeric and b.is_numeric:
        k = Kind.INT if a.kind is b.kind is Kind.INT else Kind.NUMBER
        return Type(k, nullable, a.level or b.level)
    if a.is_temporal and b.is_temporal:
        k = Kind.DATE if a.kind is b.kind is Kind.DATE else Kind.DATETIME
        return Type(k, nullable, a.level or b.level)
    if comparable(a, b):
        return replace(a, nullable=nullable, level=a.level or b.level)
    return None


quick_pickling(globals())
