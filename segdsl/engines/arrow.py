"""Arrow in, Arrow out: what the SQL engines (DuckDB, Spark) share.

Validated rows go to the database as Arrow tables with an explicit schema
(types from the rule file, never inferred), in input order (the ORDER
column); the query's result comes back as Arrow and goes to the shared
writers here: a customer with a `unique` conflict becomes a bad row of the
run, segment sizes are counted, the rest is written. Same Arrow in, same
bytes out, whichever engine ran the query.
"""
from __future__ import annotations

from array import array

import numpy as np
import pyarrow as pa

try:
    # Arrow's compute functions called by name (the public pyarrow.compute.call_function is this
    # one): importing pyarrow.compute builds a Python wrapper for each of its ~290 functions,
    # about 25 ms, a tenth of a short DuckDB run, for the seven called here
    from pyarrow._compute import call_function as _call
except ImportError:     # pragma: no cover - a pyarrow that moved it
    from pyarrow.compute import call_function as _call

from .. import ir
from ..backends.arrow_types import ARROW_TYPES
from ..backends.names import ORDER, ROW, conflict_columns, keep_column
from .bad_rows import BadRows
from .options import Summary
from .output import Layout



def arrow_schema(schema: ir.InputSchema, row: bool, keep: list[tuple[str, str]], ordered: bool = False) -> pa.Schema:
    """The columns the prepared SQL reads for an input: its fields by name, then ORDER, ROW
    (keyless input) first, and the carried-through columns last."""
    fields = [pa.field(f.name, ARROW_TYPES[f.type.kind]) for f in schema.fields]
    if ordered:
        fields.append(pa.field(ORDER, pa.int64()))
    if row:
        fields.insert(0, pa.field(ROW, pa.int64()))
    fields += [pa.field(keep_column(i), pa.string()) for i in range(len(keep))]
    return pa.schema(fields)


def rows_table(schema: ir.InputSchema, batch: list, keep: list, keyless: bool) -> pa.Table:
    """Validated (raw, record) pairs as the table the prepared SQL reads; ORDER is the row's
    place in the input (its files one after the other)."""
    cols = {f.name: [rec[f.name] for _, rec in batch] for f in schema.fields}
    cols[ORDER] = [raw.order for raw, _ in batch]
    if keyless:
        cols[ROW] = [raw.row for raw, _ in batch]
    for i, (_, src) in enumerate(keep):
        cols[keep_column(i)] = [None if raw.values.get(src) is None else str(raw.values.get(src))
                                for raw, _ in batch]
    return pa.Table.from_pydict(cols, schema=arrow_schema(schema, keyless, keep, ordered=True))


class ArrowResults:
    """The query's result batches, written through the shared layout and writers."""

    def __init__(self, rs: ir.Ruleset, layout: Layout, out, bad: BadRows, summary: Summary,
                 indexes: bool = False):
        self.rs, self.layout, self.out, self.bad, self.summary = rs, layout, out, bad, summary
        self.conflicts = conflict_columns(rs)
        # segments spelled by index (SqlOptions.segment_indexes) are named here; by name, counted
        self.named = SegmentNames(layout) if indexes else None

    def emit(self, result: pa.Table, raws, input_name: str) -> None:
        """Writes one result batch. `raws` finds a customer's raw row for a `unique` conflict:
        a dict by key, or an object with `by_order(order)`."""
        if self.conflicts:
            result = self._drop_conflicts(result, raws, input_name)
        if ORDER in result.column_names:
            result = result.drop_columns([ORDER])
        if self.named is not None:
            result = self.named(result)
        else:
            count(self.layout, result)
        self.out.write(result)
        self.summary.written += result.num_rows

    def _drop_conflicts(self, result: pa.Table, raws, input_name: str) -> pa.Table:
        bad_mask = None
        for c in self.conflicts:
            m = _call("is_valid", [result.column(c)])
            bad_mask = m if bad_mask is None else _call("or", [bad_mask, m])
        if _call("any", [bad_mask]).as_py():
            keys = result.column(self.layout.key).filter(bad_mask).to_pylist()
            orders = result.column(ORDER).filter(bad_mask).to_pylist()
            reasons = [next(r for r in row if r) for row in
                       zip(*[result.column(c).filter(bad_mask).to_pylist() for c in self.conflicts])]
            for key, order, reason in zip(keys, orders, reasons):
                raw = raws.by_order(order) if hasattr(raws, "by_order") else raws[key]
                self.bad.add(input_name, raw, reason)
            result = result.filter(_call("invert", [bad_mask]))
        return result.drop_columns(self.conflicts)


class AscendingKeys:
    """Whether every key seen so far, batch after batch, is greater than the one before it
    (and none is null): then no key repeats. Customer files are often sorted by their key,
    and proving it costs one comparison per row, where counting distinct keys hashes each
    one. Text keys compare by their UTF-8 bytes, which is their code points' order."""

    def __init__(self, column: str):
        self.column = column
        self.holds = True
        self.last = None

    def see(self, table: pa.Table) -> None:
        if not self.holds or table.num_rows == 0:
            return
        keys = table.column(self.column).combine_chunks()
        n = len(keys)
        rising = not keys.null_count and (
            n < 2 or _call("all", [_call("greater", [keys.slice(1), keys.slice(0, n - 1)])]).as_py())
        if not rising or (self.last is not None and not _call("greater", [keys[0], self.last]).as_py()):
            self.holds = False
        self.last = keys[n - 1]


class SegmentNames:
    """A result whose segments are spelled by index (backends/sql_segments.py), counted and
    turned into the names the writers take. Counting indexes is one `bincount` over an
    integer array, where counting names hashes every text; the names come from one `take`
    per column. A conflict's -1 never reaches here: the query writes it as no segment."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.dims = [(d.name, d.policy == "all", [s.name for s in d.all_segments()]) for d in layout.rs.dimensions]
        self.arrays = {name: _texts(names) for name, _, names in self.dims}

    def __call__(self, table: pa.Table) -> pa.Table:
        for name, is_all, names in self.dims:
            i = table.schema.get_field_index(name)
            column = table.column(i)
            c = self.layout.counts[name]
            if is_all:
                chunks = [self.tags(chunk, self.arrays[name]) for chunk in column.chunks]
                values = _call("drop_null", [_call("list_flatten", [column])])
                if empty := _empty_lists(column):
                    c["(none)"] += empty
            else:
                chunks = [_call("take", [self.arrays[name], chunk]) for chunk in column.chunks]
                values = _call("drop_null", [column])
                if column.null_count:
                    c["(none)"] += column.null_count
            sizes = np.zeros(len(names), np.int64)
            for chunk in values.chunks:
                if len(chunk):
                    sizes += np.bincount(_numbers(chunk), minlength=len(names))
            for segment, n in zip(names, sizes.tolist()):
                if n:
                    c[segment] += n
            table = table.set_column(i, name, pa.chunked_array(chunks, pa.list_(pa.string()) if is_all else pa.string()))
        return table

    @staticmethod
    def tags(chunk: pa.ListArray, names: pa.Array) -> pa.ListArray:
        """A list of indexes as the list of their names, nulls kept."""
        mask = _call("is_null", [chunk]) if chunk.null_count else None
        return pa.ListArray.from_arrays(chunk.offsets, _call("take", [names, chunk.values]), mask=mask)


def _numbers(chunk: pa.Array) -> np.ndarray:
    """A whole-number array without nulls as numpy's, sharing its memory. Arrow's own
    `to_numpy` imports pandas, a third of a short run's time."""
    width = chunk.type.bit_width // 8
    return np.frombuffer(chunk.buffers()[1], dtype=f"<i{width}", count=len(chunk), offset=chunk.offset * width)


def _texts(items: list[str]) -> pa.Array:
    """A text array built from its buffers: `pa.array` of a Python list imports pandas to ask
    whether the list is one of its objects, a third of a short run's time."""
    data = [t.encode("utf-8") for t in items]
    offsets = array("i", [0])
    for d in data:
        offsets.append(offsets[-1] + len(d))
    return pa.Array.from_buffers(pa.string(), len(items), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])


def _empty_lists(column) -> int:
    """An `all` dimension's customers of no segment: the lists there are, less those with a
    length (no Python number in the call: converting one makes pyarrow import pandas, a third
    of a short run's time)."""
    lengths = _call("list_value_length", [column])
    return (len(lengths) - lengths.null_count) - (_call("sum", [_call("sign", [lengths])]).as_py() or 0)


def count(layout: Layout, table: pa.Table) -> None:
    """Segment sizes per dimension, the same counts the Python engine keeps per row."""
    for d in layout.rs.dimensions:
        c = layout.counts[d.name]
        column = table.column(d.name)
        if d.policy == "all":
            if empty := _empty_lists(column):
                c["(none)"] += empty
            column = _call("list_flatten", [column])
        for item in _call("value_counts", [column]).to_pylist():
            v = item["values"]
            c[v if v is not None else "(none)"] += item["counts"]
