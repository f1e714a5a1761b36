"""Which Parquet (Arrow) column types an engine may read as a field's type without a check.

The DuckDB and polars engines scan Parquet natively where the column's type
already is the field's: such a column needs no per-value validation. Any
other type sends the column through the checks that word bad rows.
"""
from __future__ import annotations

import pyarrow as pa

from ..types import Kind


def fits(kind: Kind, t: pa.DataType, nanoseconds: bool = True) -> bool:
    """Whether values of Arrow type `t` are values of a field of `kind` as they are
    (`nanoseconds`: whether a nanosecond timestamp counts, as DuckDB reads it and polars not)."""
    if kind is Kind.INT:
        return pa.types.is_integer(t) and t != pa.uint64()
    if kind is Kind.NUMBER:
        return pa.types.is_integer(t) or pa.types.is_floating(t)
    if kind in (Kind.STRING, Kind.ENUM):
        return pa.types.is_string(t) or pa.types.is_large_string(t)
    if kind is Kind.BOOL:
        return pa.types.is_boolean(t)
    if kind is Kind.DATE:
        return pa.types.is_date32(t)
    if kind is Kind.DATETIME:
        return pa.types.is_timestamp(t) and t.tz is None and (nanoseconds or t.unit != "ns")
    return False


def sure_enum_values(f) -> list[str]:
    """The data values of enum field `f` a native scan may take as they are. The shared
    validator trims a text before it looks for it among the values, so a value with spaces
    around it (or an empty one) never matches there: a row holding one is the validator's."""
    return [m.value for m in f.type.enum.members if m.value and m.value == m.value.strip()]
