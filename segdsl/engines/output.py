"""The output rows every engine writes: the shared layout filled per customer,
gathered into batches, written by the atomic writers of io/writers.py.

The layout's shape (columns, attribute keys and values) is the backends'
(backends/layout.py), so the SQL backend and the engines agree on it; this
module fills rows from segment values and counts segment sizes.
"""
from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from itertools import chain

from .. import ir
from ..backends.layout import attribute_keys, attribute_values, output_columns
from ..io.writers import TextStyle, open_output, open_quarantine
from ..runtime.customers import UniqueConflict
from .options import Summary


class Layout:
    def __init__(self, rs: ir.Ruleset, labels: bool, attributes: bool, keep: list[tuple[str, str]]):
        self.rs = rs
        self.labels = labels
        self.attributes = attributes
        self.keep = keep                      # (output column, input column) pairs
        self.key = rs.key
        self.columns = output_columns(rs, labels, attributes, [out for out, _ in keep])
        self._labels = {d.name: {s.name: (s.label if s.label is not None else s.name) for s in d.all_segments()}
                        for d in rs.dimensions}
        self._attrs = {d.name: {s.name: attribute_values(d, s) for s in d.all_segments()} for d in rs.dimensions}
        self.reset_counts()

    def reset_counts(self) -> None:
        self.counts = {d.name: Counter() for d in self.rs.dimensions}
        # what row() needs per dimension, looked up once rather than per customer
        self._dims = tuple((d.name, d.policy == "all", self.counts[d.name]) for d in self.rs.dimensions)

    def fill(self, keys: list, per_dim: list[list], kept: list[dict | None] | None = None) -> dict[str, list]:
        """The output columns of customers (`per_dim`: each dimension's values, a customer's
        as `row` takes them), counted: what `row` gives for each, a column at a time."""
        out: dict[str, list] = {self.key: keys}
        for (name, is_all, c), values in zip(self._dims, per_dim):
            out[name] = list(values)
            if is_all:
                c.update(chain.from_iterable(v or _NO_SEGMENT for v in values))
            else:
                _tally(c, values)
        if self.labels:
            for d, values in zip(self.rs.dimensions, per_dim):
                out[f"{d.name}_label"] = _labels(self._labels[d.name], d.policy == "all", values)
        if self.attributes:
            for d, values in zip(self.rs.dimensions, per_dim):
                for k in attribute_keys(d):
                    out[f"{d.name}_{k}"] = _attribute(self._attrs[d.name], k, d.policy == "all", values)
        for col, src in self.keep:
            out[col] = [_kept_text((row or {}).get(src)) for row in kept]
        return out

    def row(self, key, values: tuple, kept: dict | None = None) -> dict:
        out = {self.key: key}
        for (name, is_all, c), v in zip(self._dims, values):
            if is_all:
                out[name] = list(v)
                if v:
                    for s in v:
                        c[s] += 1
                else:
                    c["(none)"] += 1
            else:
                out[name] = v
                c[v if v is not None else "(none)"] += 1
        if self.labels:
            for d, v in zip(self.rs.dimensions, values):
                names = self._labels[d.name]
                out[f"{d.name}_label"] = [names[s] for s in v] if d.policy == "all" else (
                    names[v] if v is not None else None)
        if self.attributes:
            for d, v in zip(self.rs.dimensions, values):
                attrs = self._attrs[d.name]
                for k in attribute_keys(d):
                    if d.policy == "all":
                        out[f"{d.name}_{k}"] = [attrs[s][k] for s in v if attrs[s].get(k) is not None]
                    else:
                        out[f"{d.name}_{k}"] = attrs[v].get(k) if v is not None else None
        for col, src in self.keep:
            val = (kept or {}).get(src)
            out[col] = None if val is None else str(val)
        return out


_NO_SEGMENT = ("(none)",)


def _tally(counts: Counter, values) -> None:
    """Counts a `first` or `unique` dimension's values into `counts`, a missing one as
    "(none)", keys added in the order `row` adds them (first seen first)."""
    for v, n in Counter(values).items():
        counts[v if v is not None else "(none)"] += n


def _labels(names: dict, is_all: bool, values) -> list:
    if is_all:
        return [[names[s] for s in v] for v in values]
    return [names[v] if v is not None else None for v in values]


def _attribute(attrs: dict, k: str, is_all: bool, values) -> list:
    if is_all:
        return [[attrs[s][k] for s in v if attrs[s].get(k) is not None] for v in values]
    return [attrs[v].get(k) if v is not None else None for v in values]


def _kept_text(val) -> str | None:
    return None if val is None else str(val)


def conflict(values: tuple) -> UniqueConflict | None:
    return next((v for v in values if isinstance(v, UniqueConflict)), None)


class NullWriter:
    """Where the rows go when no output file is asked for (counted, not kept)."""

    def write(self, rows) -> None:
        pass

    def write_columns(self, columns, n: int) -> None:
        pass

    def restart(self) -> None:
        pass


def open_writers(stack: ExitStack, rows, layout: Layout, output=None, quarantine=None):
    """The output writer and the quarantine writer (or None), both atomic, both in `stack`.
    `rows` is the run's InputRows (engines/rows.py); its collected bad rows are settled
    before either writer is committed. `output`: an engine's own atomic writer (a context
    manager) in place of the shared file writer; `quarantine` likewise for the bad rows."""
    opts = rows.opts
    style = TextStyle(opts.output_encoding, opts.csv_safe)
    if output is not None:
        out = stack.enter_context(output)
    else:
        out = (stack.enter_context(open_output(opts.output, layout.columns, opts.output_format, style=style))
               if opts.output else NullWriter())
    qpath = opts.quarantine_path()
    if quarantine is not None:
        quarantine = stack.enter_context(quarantine)
    elif qpath is not None:
        quarantine = stack.enter_context(open_quarantine(qpath, rows.quarantine_columns(),
                                                         with_file=rows.several_files(), style=style,
                                                         with_raw=rows.text_inputs()))
    rows.bad.quarantine = quarantine
    stack.push(rows.bad.settle)
    return out, quarantine


class Batches:
    """Output rows (dicts, Layout.row) gathered into batches of the run's size, and counted
    as written: the row-at-a-time form of ColumnBatches."""

    def __init__(self, out, size: int, summary: Summary):
        self.out, self.size, self.summary, self.rows = out, size, summary, []

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.out.write(self.rows)
            self.summary.written += len(self.rows)
            self.rows = []

    def __enter__(self) -> "Batches":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.flush()


class ColumnBatches:
    """Customers' results gathered into batches of the run's size, each written as columns
    (Layout.fill) and counted as written: no output dict per customer. Results come a
    customer at a time (`add`, `extend`: a tuple of its dimensions' values each) or a
    batch's dimensions at a time (`extend_columns`, the vector form's), in order either way."""

    def __init__(self, out, layout: Layout, size: int, summary: Summary):
        self.out, self.layout, self.size, self.summary = out, layout, size, summary
        self.keys: list = []
        self.results: list[tuple] = []        # customers' tuples not yet moved into `values`
        self.values: list[list] = [[] for _ in layout.rs.dimensions]
        self.kept: list[dict | None] = []

    def add(self, key, values: tuple, kept: dict | None = None) -> None:
        self.keys.append(key)
        self.results.append(values)
        if self.layout.keep:
            self.kept.append(kept)
        if len(self.keys) >= self.size:
            self.flush()

    def extend(self, keys: list, results: list[tuple], kept: list[dict | None] | None = None) -> None:
        """Many customers at once."""
        self.keys.extend(keys)
        self.results.extend(results)
        if self.layout.keep:
            self.kept.extend(kept)
        if len(self.keys) >= self.size:
            self.flush()

    def extend_columns(self, keys: list, values: list[list], kept: list[dict | None] | None = None) -> None:
        """Many customers at once, given as one list per dimension."""
        self.settle()
        self.keys.extend(keys)
        for column, more in zip(self.values, values):
            column.extend(more)
        if self.layout.keep:
            self.kept.extend(kept)
        if len(self.keys) >= self.size:
            self.flush()

    def settle(self) -> None:
        """The customers added one by one, moved into the dimensions' lists."""
        if self.results:
            for column, more in zip(self.values, zip(*self.results)):
                column.extend(more)
            self.results = []

    def flush(self) -> None:
        n = len(self.keys)
        if n:
            self.settle()
            self.out.write_columns(self.layout.fill(self.keys, self.values, self.kept), n)
            self.summary.written += n
            self.keys, self.kept = [], []
            self.values = [[] for _ in self.values]

    def __enter__(self) -> "ColumnBatches":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.flush()


def finish(summary: Summary, layout: Layout, opts, quarantine) -> Summary:
    """The summary's last fields, once the writers are committed."""
    qpath = opts.quarantine_path()
    # in the order the rules declare the segments, none last: the same summary from every
    # engine, whichever order its customers were counted in
    summary.segments = {d.name: Counter({s: c[s] for s in [*(x.name for x in d.all_segments()), "(none)"] if c[s]})
                        for d in layout.rs.dimensions for c in (layout.counts[d.name],)}
    summary.output_file = str(opts.output) if opts.output else None
    summary.quarantine_file = str(qpath) if qpath and quarantine is not None else None
    return summary
