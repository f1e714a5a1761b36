"""How segdsl's SQL trees are written in each dialect: sqlglot's generator for the
dialect, plus the quirks the language needs there.

The query tree (backends/sql.py) is the same for every dialect. Where the
language asks for something a database spells its own way, the tree holds a
node of its own (`CodePoints`: text ordered by code point) and each dialect's
generator writes it. PostgreSQL (and Redshift, its descendant) needs three
things: `COLLATE "C"` for code-point order, string literals without
backslashes (their meaning depends on the server's
standard_conforming_strings), and names of at most 63 bytes (longer ones are
cut silently, which could merge two output columns). Hive and its
descendants (Spark, Databricks) replace `${...}` anywhere in a statement's
text with a variable, an environment variable or a JVM property before
parsing it (`spark.sql.variable.substitute`, on by default), so there a
string literal never holds `${` as written, and a name holding it is refused.

Render a tree with `render()` here, never with sqlglot's own `.sql()`: only
these generators know `CodePoints`.
"""
from __future__ import annotations

from functools import cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.hive import Hive
from sqlglot.dialects.postgres import Postgres
from sqlglot.generator import Generator

from .errors import NameRefused, NameTooLong

POSTGRES_NAME_BYTES = 63


class CodePoints(exp.Expression):
    """Text compared or ordered by code point, as every engine orders it, whatever the
    database's collation."""
    arg_types = {"this": True}


class ArrayItem(exp.Expression):
    """The item of an array at a position counted from 1 (`expression`): written `a[i]` where
    arrays count from 1 (DuckDB, PostgreSQL), `ELEMENT_AT(a, i)` in Spark and Hive, whose
    brackets count from 0."""
    arg_types = {"this": True, "expression": True}


class Quirks:
    """What every dialect's generator adds: `CodePoints` is the text itself (their default
    collation already orders by code point: DuckDB, Spark, ...)."""

    def codepoints(self, e: CodePoints) -> str:
        return self.sql(e, "this")

    def arrayitem(self, e: ArrayItem) -> str:
        return f"{self.sql(e, 'this')}[{self.sql(e, 'expression')}]"


class PostgresQuirks(Quirks):
    def codepoints(self, e: CodePoints) -> str:
        # parenthesized: PostgreSQL's grammar takes no COLLATE in a BETWEEN bound without them
        return f'({self.sql(e, "this")} COLLATE "C")'

    def literal_sql(self, expression: exp.Literal) -> str:
        """'a\\b' as ('a' || CHR(92) || 'b'): the same text whether or not the server treats
        backslashes in string literals as escapes (standard_conforming_strings)."""
        if not (expression.is_string and "\\" in expression.this):
            return super().literal_sql(expression)
        parts = expression.this.split("\\")
        out: exp.Expression = exp.Literal.string(parts[0])
        for part in parts[1:]:
            out = exp.DPipe(this=out, expression=exp.Chr(expressions=[exp.Literal.number(92)]), safe=True)
            out = exp.DPipe(this=out, expression=exp.Literal.string(part), safe=True)
        return self.sql(exp.Paren(this=out))

    def generate(self, expression: exp.Expr, copy: bool = True) -> str:
        long = sorted({i.name for i in expression.find_all(exp.Identifier)
                       if len(i.name.encode("utf-8")) > POSTGRES_NAME_BYTES})
        if long:
            raise NameTooLong(f"PostgreSQL cuts names at {POSTGRES_NAME_BYTES} bytes; these would be cut: "
                              f"{', '.join(long)}", tuple(long), help="use shorter dimension, attribute or let names")
        return super().generate(expression, copy=copy)


SUBSTITUTED = "${"


class HiveQuirks(Quirks):
    """Hive, Spark and Databricks substitute `${...}` in the statement's text (variables,
    `${env:HOME}`, `${system:user.home}`), string literals included, on a default session."""

    def arrayitem(self, e: ArrayItem) -> str:
        return f"ELEMENT_AT({self.sql(e, 'this')}, {self.sql(e, 'expression')})"

    def literal_sql(self, expression: exp.Literal) -> str:
        """'a${b}' as CONCAT('a$', '{b}'): the same text whether or not the session substitutes,
        since no `$` in the statement is followed by `{`."""
        if not (expression.is_string and SUBSTITUTED in expression.this):
            return super().literal_sql(expression)
        pieces = expression.this.split(SUBSTITUTED)
        parts = [pieces[0] + "$", *("{" + p + "$" for p in pieces[1:-1]), "{" + pieces[-1]]
        return self.sql(exp.Concat(expressions=[exp.Literal.string(p) for p in parts], safe=True, coalesce=False))

    def generate(self, expression: exp.Expr, copy: bool = True) -> str:
        held = sorted({i.name for i in expression.find_all(exp.Identifier) if SUBSTITUTED in i.name})
        if held:
            raise NameRefused(f"Spark and Hive replace `${{...}}` in a statement with a variable's value, "
                              f"and a name cannot be split around it: {', '.join(held)}", tuple(held),
                              help="rename the column or table so that no `$` is followed by `{`")
        return super().generate(expression, copy=copy)


def _quirks(dialect: Dialect) -> type[Quirks]:
    if isinstance(dialect, Postgres):
        return PostgresQuirks
    return HiveQuirks if isinstance(dialect, Hive) else Quirks


@cache
def generator_class(dialect: str) -> type[Generator]:
    """sqlglot's generator for `dialect` with segdsl's quirks for it."""
    base = Dialect.get_or_raise(dialect).generator_class
    quirks = _quirks(Dialect.get_or_raise(dialect))
    return type(f"Segdsl{base.__name__}", (quirks, base),
                {"TRANSFORMS": {**base.TRANSFORMS, CodePoints: quirks.codepoints,
                                ArrayItem: quirks.arrayitem}})


def render(tree: exp.Expression, dialect: str, pretty: bool = False) -> str:
    """The SQL text of a tree in a dialect; every identifier quoted (the one quoting rule:
    rule-file names are never keywords or case-folded)."""
    generator = generator_class(dialect)(dialect=Dialect.get_or_raise(dialect), pretty=pretty, identify=True)
    return generator.generate(tree, copy=True)
