"""The private column names the SQL backend's queries and the engines share.

Kept apart from sql.py (which builds sqlglot trees) so that an engine can read
a query's result, whose text it took from the cache (engines/sql_cache.py),
without importing sqlglot.
"""
from __future__ import annotations

from .. import ir

CONFLICT = "__segdsl_conflict"
ROW = "_row"
# What a conflicting `unique` dimension holds for the dimensions and lets that read it: equal
# to no segment (no segment name has parentheses) and not null, like the interpreter's value.
CONFLICT_VALUE = "(conflict)"
ORDER = "__segdsl_order"     # engines' input order, so every engine writes customers in the same order


def keep_column(i: int) -> str:
    """Carried-through input columns travel under private names (they may share a field's name)."""
    return f"__segdsl_keep_{i}"


def conflict_column(rs: ir.Ruleset, d: ir.Dimension) -> str:
    return f"{CONFLICT}_{[x.name for x in rs.dimensions].index(d.name)}"


def conflict_columns(rs: ir.Ruleset) -> list[str]:
    return [conflict_column(rs, d) for d in rs.dimensions if d.policy == "unique"]
