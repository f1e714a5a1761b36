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
from sqlglot.generator import Generator

from .errors import NameRefused, NameTooLong

POSTGRES_NAME_BYTES = 63


@cache
def _parsed_type(name: str) -> exp.DataType:
    return exp.DataType.build(name)


def sql_type(name: str) -> exp.DataType:
    """A SQL type by its name (`DOUBLE`, `DECIMAL(38, 0)`), parsed once per process: sqlglot's
    `DataType.build` parses the text every time, a third of building a large query's casts."""
    return _parsed_type(name).copy()


class CodePoints(exp.Expression):
    """Text compared or ordered by code point, as every engine orders it, whatever the
    database's collation."""
    arg_types = {"this": True}


class Whole64(exp.Expression):
    """An exact whole number (a DECIMAL(38, 0) expression) as BIGINT when it fits in 64 bits,
    else NULL: the language's whole-number results (backends/sql_limits.py). A node of its own,
    written by each dialect in one piece, so that each checked operator adds one level to the
    tree and to the generator's recursion, not the six of the range check spelled out."""
    arg_types = {"this": True}


class DayInRange(exp.Expression):
    """An exact day number (a DECIMAL(38, 0) count of days from 1970-01-01) as INT when it is a
    day of years 1 to 9999, else NULL: date arithmetic's results (backends/sql_limits.py)."""
    arg_types = {"this": True}


# the first day of year 1 and the last of 9999, counted from 1970-01-01
FIRST_DAY, LAST_DAY = -719162, 2932896


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

    def whole64(self, e: Whole64) -> str:
        return self.within(e, -(2 ** 63), 2 ** 63 - 1, "BIGINT")

    def dayinrange(self, e: DayInRange) -> str:
        return self.within(e, FIRST_DAY, LAST_DAY, "INT")

    def within(self, e: exp.Expression, low: int, high: int, to: str) -> str:
        """An exact DECIMAL as `to` when within low..high, else NULL: clamped to just outside the
        range, then NULLIF takes the clamp's bounds away. The value is written once; a null stays
        null whether the dialect's LEAST skips nulls (it gives the upper bound, which NULLIF
        removes) or returns null. The bounds are text cast to DECIMAL, exact in every dialect
        (a bare literal beyond 64 bits is a DOUBLE or an error in some)."""
        wide = self.sql(exp.DataType.build("DECIMAL(38, 0)", dialect=self.dialect))
        over, under = f"CAST('{high + 1}' AS {wide})", f"CAST('{low - 1}' AS {wide})"
        least, greatest = ("MIN", "MAX") if _is(self.dialect, "sqlite.SQLite") else ("LEAST", "GREATEST")
        return (f"CAST(NULLIF(NULLIF({greatest}({least}({self.sql(e, 'this')}, {over}), {under}), {over}), "
                f"{under}) AS {self.sql(sql_type(to))})")

    def arrayitem(self, e: ArrayItem) -> str:
        return f"{self.sql(e, 'this')}[{self.sql(e, 'expression')}]"


class TryCastQuirks(Quirks):
    """Dialects whose TRY_CAST (BigQuery: SAFE_CAST) of an out-of-range DECIMAL to BIGINT is NULL:
    DuckDB, Spark and Databricks, Trino and Presto, SQL Server. Written out, since sqlglot
    writes Spark's as a CAST, which fails the job on a session in ANSI mode."""

    def whole64(self, e: Whole64) -> str:
        name = "SAFE_CAST" if _is(self.dialect, "bigquery.BigQuery") else "TRY_CAST"
        return f"{name}({self.sql(e, 'this')} AS {self.sql(sql_type('BIGINT'))})"


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


class SparkQuirks(HiveQuirks, TryCastQuirks):
    """Spark and Databricks: Hive's `${` and a TRY_CAST."""


def _is(dialect: Dialect, *names: str) -> bool:
    """Whether `dialect` is (or descends from) one of sqlglot's dialects named "module.Class":
    by name, so that a run in one dialect does not import every other (Spark's generator alone
    is a tenth of a short command's start)."""
    return any(f"{c.__module__}.{c.__qualname__}" == f"sqlglot.dialects.{n}"
               for c in type(dialect).__mro__ for n in names)


def _quirks(dialect: Dialect) -> type[Quirks]:
    if _is(dialect, "postgres.Postgres"):
        return PostgresQuirks
    if _is(dialect, "spark.Spark"):
        return SparkQuirks
    if _is(dialect, *_TRY_CAST):
        return TryCastQuirks
    return HiveQuirks if _is(dialect, "hive.Hive") else Quirks


_TRY_CAST = ("duckdb.DuckDB", "bigquery.BigQuery", "presto.Presto", "tsql.TSQL")     # Trino is a Presto


@cache
def generator_class(dialect: str) -> type[Generator]:
    """sqlglot's generator for `dialect` with segdsl's quirks for it."""
    base = Dialect.get_or_raise(dialect).generator_class
    quirks = _quirks(Dialect.get_or_raise(dialect))
    return type(f"Segdsl{base.__name__}", (quirks, base),
                {"TRANSFORMS": {**base.TRANSFORMS, CodePoints: quirks.codepoints, Whole64: quirks.whole64,
                                DayInRange: quirks.dayinrange, ArrayItem: quirks.arrayitem}})


def render(tree: exp.Expression, dialect: str, pretty: bool = False, copy: bool = True) -> str:
    """The SQL text of a tree in a dialect; every identifier quoted (the one quoting rule:
    rule-file names are never keywords or case-folded). `copy=False` for a tree used once: the
    dialect's transforms may then change it in place, and copying a whole query first is a
    sixth of rendering it."""
    generator = generator_class(dialect)(dialect=Dialect.get_or_raise(dialect), pretty=pretty, identify=True)
    return generator.generate(tree, copy=copy)
