"""The statements the SQL engines send besides the main query, as sqlglot trees.

Names are quoted by one rule, the SQL backend's (every identifier quoted by
backends/dialects.render), and values never enter the text: an input may be
called 客户 or `a"b`, and its name is still one identifier. `sql(tree,
dialect)` is the one place a statement becomes text, just before it reaches
the database.
"""
from __future__ import annotations

from sqlglot import exp

from ..backends.dialects import render
from ..backends.sql import col, ident


def table(name: str) -> exp.Table:
    return exp.Table(this=ident(name))


def select_all(name: str, where: exp.Expression | None = None) -> exp.Select:
    query = exp.select(exp.Star()).from_(table(name))
    return query.where(where) if where is not None else query


def create_view(name: str, query: exp.Expression) -> exp.Create:
    """CREATE TEMPORARY VIEW name AS query."""
    return exp.Create(this=table(name), kind="VIEW", expression=query,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]))


def create_table(name: str, query: exp.Expression) -> exp.Create:
    return exp.Create(this=table(name), kind="TABLE", expression=query)


def insert(name: str, query: exp.Expression) -> exp.Insert:
    return exp.Insert(this=table(name), expression=query)


def drop_view(name: str, if_exists: bool = False) -> exp.Drop:
    return exp.Drop(tables=[table(name)], kind="VIEW", exists=if_exists)


def column_in(column: str, source: str, source_column: str, negate: bool = False) -> exp.Expression:
    """column [NOT] IN (SELECT source_column FROM source)."""
    test = exp.In(this=col(column), query=exp.select(col(source_column)).from_(table(source)).subquery())
    return exp.Not(this=test) if negate else test


def count_where(name: str, where: exp.Expression) -> exp.Select:
    """SELECT COUNT(*) FROM name WHERE where."""
    return exp.select(exp.Count(this=exp.Star())).from_(table(name)).where(where)


def sql(tree: exp.Expression, dialect: str) -> str:
    return render(tree, dialect)
