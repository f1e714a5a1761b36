"""The Arrow type of each value kind: how every engine and the vector backend hold a
field's values in Arrow (enums by member name, dates as days, datetimes in microseconds)."""
from __future__ import annotations

import pyarrow as pa

from ..types import Kind

ARROW_TYPES = {Kind.INT: pa.int64(), Kind.NUMBER: pa.float64(), Kind.BOOL: pa.bool_(), Kind.STRING: pa.string(),
               Kind.ENUM: pa.string(), Kind.DATE: pa.date32(), Kind.DATETIME: pa.timestamp("us")}
