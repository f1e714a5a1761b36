"""Which rows of a Parquet record batch are surely clean, with their fields already typed.

The Python engine reads Parquet a record batch at a time (io/readers.parquet_batches).
Checking every cell in Python was a third of its run, so each declared column of a
batch is checked at once with Arrow compute. The checks are a cautious *superset* of
io/validate.py, like the native scans of engines/polars_scan.py and duckdb_scan_sql.py:
a row they pass (no null in a required field, no empty required text, an enum value
among the sure values, a finite number, every value inside its range, no `missing`
value or null spelling) is read by the shared validator exactly as Arrow types it, so
its values are taken from the columns as they are. Any other row is "unsure" and goes
through the shared validator (RowValidator), which words its reason, so the bad rows,
their numbers and reasons never depend on this module.

A column whose Arrow type does not fit its field (engines/column_types.fits; a date
column with a value outside years 1 to 9999 is text in a plain batch) leaves nothing
sure in its batch: the whole batch goes to the validator.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from .. import ir
from ..backends.arrow_types import ARROW_TYPES
from ..types import Kind
from .column_types import fits, sure_enum_values

_INT64 = (-(2 ** 63), 2 ** 63 - 1)


@dataclass(frozen=True)
class Checked:
    """One record batch checked: the positions of the rows the validator must read
    (ascending), and the typed values of the fields asked for, in the order asked (a sure
    row's value at its position; other positions mean nothing): as Arrow arrays (`arrays`,
    what the vector form reads) or Python lists (`columns`, `column(i)`), each made on
    first use, so a batch the vector form segments never makes a Python value per cell."""
    unsure: list[int]
    fields: list[ir.FieldSchema]
    typed: list[pa.Array | None]      # a field's values before defaults; None: the file lacks its column
    n: int

    def column(self, i: int) -> list:
        """The i-th field's values as Python values, nulls replaced by its default."""
        made = self.__dict__.setdefault("_columns", {})
        if i not in made:
            f, typed = self.fields[i], self.typed[i]
            made[i] = _filled(f, typed.to_pylist() if typed is not None else [None] * self.n)
        return made[i]

    @cached_property
    def columns(self) -> list[list]:
        return [self.column(i) for i in range(len(self.fields))]

    @cached_property
    def arrays(self) -> list[pa.Array]:
        """The fields' values as Arrow arrays of their kinds' types (backends/arrow_types.py),
        nulls replaced by the default: `columns`, in Arrow."""
        return [_filled_array(f, typed, self.n) for f, typed in zip(self.fields, self.typed)]


class BatchChecks:
    """The checks of one input's fields, built once and applied to each record batch.
    `names`: the fields whose typed values the caller wants (the fields its rules read);
    `nulls`: the run's null spellings, trimmed (io/validate.RowValidator's `nulls`)."""

    def __init__(self, schema: ir.InputSchema, names: Sequence[str], nulls: frozenset):
        self.schema, self.nulls = schema, nulls
        self.names = tuple(names)
        self.wanted = [schema.field(n) for n in self.names]

    def check(self, rb: pa.RecordBatch) -> Checked | None:
        """The batch checked, or None when a column's type does not fit its field."""
        cols = {f.name: _column(rb, f.column) for f in self.schema.fields}
        if not all(c is None or _fits(f, c.type) for f, c in ((f, cols[f.name]) for f in self.schema.fields)):
            return None
        n = rb.num_rows
        suspects = [s for f in self.schema.fields if cols[f.name] is not None
                    for s in _suspects(f, cols[f.name], self.nulls)]
        typed = {f.name: _typed(f, cols[f.name]) for f in self.wanted}
        for f in self.schema.fields:
            if f.missing and f.type.kind not in (Kind.STRING, Kind.ENUM) and cols[f.name] is not None:
                values = typed[f.name] if f.name in typed else _typed(f, cols[f.name])
                suspects.append(_sentinels(f, values.to_pylist()))
        return Checked(_positions(suspects), self.wanted, [typed[f.name] for f in self.wanted], n)


def _column(rb: pa.RecordBatch, name: str) -> pa.Array | None:
    """A column of the batch by name (dictionaries decoded), or None when it is not there."""
    i = rb.schema.get_field_index(name)
    if i < 0:
        return None
    col = rb.column(i)
    return col.dictionary_decode() if pa.types.is_dictionary(col.type) else col


def _fits(f: ir.FieldSchema, t: pa.DataType) -> bool:
    """Whether the validator reads values of type `t` as they are, and Arrow can compare
    them with the field's bounds exactly (a bound no double holds goes to the validator)."""
    if not fits(f.type.kind, t, nanoseconds=False):
        return False
    if f.type.kind is Kind.INT:
        return all(b is None or (isinstance(b, int) and _INT64[0] <= b <= _INT64[1]) for b in (f.low, f.high))
    if f.type.kind is Kind.NUMBER:
        return all(b is None or (isinstance(b, (int, float)) and math.isfinite(b) and float(b) == b)
                   for b in (f.low, f.high))
    return True


def _suspects(f: ir.FieldSchema, col: pa.Array, nulls: frozenset) -> list[pa.Array]:
    """Boolean arrays, true where the validator might read the value otherwise than Arrow
    typed it (or refuse it); null counts as false."""
    kind, out = f.type.kind, []
    if f.required and col.null_count:
        out.append(pc.is_null(col))
    if kind is Kind.STRING:
        out += _text_suspects(f, col, nulls)
    elif kind is Kind.ENUM:
        sure = [v for v in sure_enum_values(f) if v not in nulls and v not in f.missing]
        out.append(pc.and_(pc.is_valid(col), pc.invert(pc.is_in(col, value_set=pa.array(sure, pa.string())))))
    elif kind is Kind.NUMBER:
        x = _doubles(col)
        if pa.types.is_floating(col.type):
            out.append(pc.invert(pc.is_finite(x)))
        out += _range_suspects(x, f.low, f.high, pa.float64())
    elif kind is Kind.INT:
        out += _range_suspects(col, f.low, f.high, pa.int64())
    return [s.fill_null(False) if s.null_count else s for s in out]


def _text_suspects(f: ir.FieldSchema, col: pa.Array, nulls: frozenset) -> list[pa.Array]:
    """A string field: an empty required text; a text holding a null spelling anywhere (the
    validator compares it trimmed); a `missing` text."""
    out = []
    if f.required:
        out.append(pc.equal(col, ""))
    out += [pc.match_substring(col, n) for n in nulls]
    texts = [m for m in f.missing if isinstance(m, str)]
    if texts:
        out.append(pc.is_in(col, value_set=pa.array(texts, pa.string())))
    return out


def _range_suspects(x: pa.Array, low, high, bound: pa.DataType) -> list[pa.Array]:
    """Values outside `in low..high` (`bound`: the type the bounds are compared in)."""
    out = []
    if low is not None:
        out.append(pc.less(x, pa.scalar(low, bound)))
    if high is not None:
        out.append(pc.greater(x, pa.scalar(high, bound)))
    return out


def _doubles(col: pa.Array) -> pa.Array:
    """A number column as doubles, as Python's float() reads each value."""
    return col if col.type == pa.float64() else col.cast(pa.float64(), safe=False)


def _typed(f: ir.FieldSchema, col: pa.Array | None) -> pa.Array | None:
    """A fitting column's values as the validator reads them (before defaults), in Arrow."""
    if col is None:
        return None
    kind = f.type.kind
    if kind is Kind.NUMBER:
        return _doubles(col)
    if kind is Kind.ENUM and any(m.value != m.name for m in f.type.enum.members):
        members = f.type.enum.members
        where = pc.index_in(col, value_set=pa.array([m.value for m in members], pa.string()))
        return pa.array([m.name for m in members], pa.string()).take(where)
    if kind is Kind.STRING and not f.required:
        col = pc.if_else(pc.equal(col, ""), pa.scalar(None, col.type), col)    # an empty text is null
    return col


def _filled_array(f: ir.FieldSchema, typed: pa.Array | None, n: int) -> pa.Array:
    """`typed` in its kind's Arrow type, nulls replaced by the field's default."""
    t = ARROW_TYPES[f.type.kind]
    arr = pa.nulls(n, t) if typed is None else (typed if typed.type == t else typed.cast(t))
    if f.has_default and f.default is not None and arr.null_count:
        default = float(f.default) if f.type.kind is Kind.NUMBER else f.default
        arr = arr.fill_null(pa.scalar(default, t))
    return arr


def _filled(f: ir.FieldSchema, values: list) -> list:
    """Nulls replaced by the field's default, as the validator does."""
    if not f.has_default or f.default is None or None not in values:
        return values
    default = f.default
    return [default if v is None else v for v in values]


def _sentinels(f: ir.FieldSchema, values: list) -> pa.Array:
    """True where a typed value is one of the field's `missing` values (compared as the
    validator compares them, after reading)."""
    missing = frozenset(f.missing)
    return pa.array([v in missing for v in values], pa.bool_())


def _positions(suspects: list[pa.Array]) -> list[int]:
    """The positions where any of the boolean arrays is true, ascending."""
    if not suspects:
        return []
    mask = suspects[0]
    for s in suspects[1:]:
        mask = pc.or_(mask, s)
    if not pc.any(mask).as_py():
        return []
    return pc.indices_nonzero(mask).to_pylist()
