"""How the SQL query spells a customer's segment: by name, or by index.

Warehouse SQL (`compile --target sql`) spells segments by name, so its result is
the output. An engine that runs the query itself may ask for indexes instead
(`SqlOptions.segment_indexes`): a segment is its place in the dimension's
`all_segments()`, an `all` dimension's tags a list of places, no segment null, a
`unique` conflict -1 for the dimensions that read it. Whole numbers cost the
database less to compute and to hand over than text, and the engine counts them
in one pass over an integer array before it turns them into names for the
writers (engines/arrow.py, `SegmentNames`). Every reading of a segment inside the
query is typed (the checker compares a segment only with segments of the same
dimension, and text functions take no segment), so the two spellings give the
same answers.
"""
from __future__ import annotations

from sqlglot import exp

from .. import ir
from .dialects import sql_type
from .names import CONFLICT_VALUE

CONFLICT_INDEX = -1      # what a `unique` dimension's conflict holds for its readers, spelled by index


class SegmentSpelling:
    """Segment constants as names (`indexes` False) or as indexes in their dimension."""

    def __init__(self, rs: ir.Ruleset | None = None, indexes: bool = False):
        self.indexes = indexes
        self.places = {d.name: {s.name: i for i, s in enumerate(d.all_segments())} for d in rs.dimensions} \
            if indexes else {}

    def one(self, dimension: str, name: str) -> exp.Expression:
        if not self.indexes:
            return exp.Literal.string(name)
        return exp.Literal.number(self.places[dimension][name])

    def conflict(self) -> exp.Expression:
        return exp.Literal.number(CONFLICT_INDEX) if self.indexes else exp.Literal.string(CONFLICT_VALUE)

    def empty_list(self) -> exp.Expression:
        return exp.Cast(this=exp.Array(expressions=[]),
                        to=sql_type("ARRAY<INT>" if self.indexes else "ARRAY<VARCHAR>"))

    def output(self, column: exp.Expression) -> exp.Expression:
        """A `unique` dimension's value as written: a conflict is no segment (its conflict
        column says why)."""
        return exp.Nullif(this=column, expression=self.conflict())
