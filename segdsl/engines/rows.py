"""Reading an engine's inputs: files, validated records, customers, related rows.

Every engine holds one InputRows per run and asks it for rows, so the same
file gives the same records, row numbers, repeated keys, orphans and bad
rows (through the run's BadRows) on every engine. Reading is io/readers.py,
checking a row is io/validate.py; this module puts them together the way a
run needs them: streamed in batches, or loaded whole for two passes. The
Python engine reads its customers in Parts: a Parquet batch's rows that Arrow
compute proves clean (engines/sure_rows.py) come typed from its columns, the
others through the validator, so every path meets the same bad rows.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from .. import ir
from ..backends.layout import kept_names
from ..io.readers import RawRow, detect_format, expand, iter_files, parquet_batches, parquet_rows, read_batches
from ..io.readers import columns as file_columns
from ..io.validate import RowValidator, check_columns
from ..runtime.customers import Customer
from .bad_rows import BadRows, input_names
from .errors import fail
from .options import ApplyOptions, DataError, Summary

if TYPE_CHECKING:
    from .sure_rows import BatchChecks, Checked


class InputRows:
    def __init__(self, rs: ir.Ruleset, opts: ApplyOptions, summary: Summary | None = None):
        self.rs, self.opts = rs, opts
        self.summary = summary if summary is not None else Summary(on_error=opts.on_error)
        self.bad = BadRows(rs, opts, self.summary)
        self._files: dict[str, list[str]] = {}
        self._offsets: dict[str, dict[str, int]] = {}
        self._columns: dict[str, list[str]] = {}

    def read_elsewhere(self, name: str, files: list[str], columns: list[str]) -> None:
        """An input an engine reads itself (a directory, a table, remote files): its files
        as that engine numbers them, and its columns."""
        self._files[name] = list(files)
        self._columns[name] = list(columns)

    # ---- files ----
    def files(self, name: str) -> list[str]:
        """The files of an input: one, or those its pattern names, sorted (io/readers.expand)."""
        if name not in self._files:
            self._files[name] = expand(self.opts.inputs[name])
        return self._files[name]

    def several_files(self) -> bool:
        return any(len(self.files(n)) > 1 for n in self.opts.inputs)

    def text_inputs(self) -> bool:
        """Whether an input is CSV or TSV text, whose unreadable rows keep their text (`_raw`)."""
        return any(detect_format(f) in ("csv", "tsv") for n in self.opts.inputs for f in self.files(n))

    def reader(self, name: str):
        offsets = self._offsets.setdefault(name, {})
        for batch in iter_files(self.files(name), delimiter=self.opts.delimiter, encoding=self.opts.encoding,
                                null_values=self.opts.null_values, batch_size=self.opts.batch_size):
            if batch:
                offsets.setdefault(batch[0].path, batch[0].offset)
            yield batch

    def locate(self, name: str, order: int) -> "Located":
        """The file and row of a row known only by its place in the input (see RawRow.order)."""
        offsets = self._offsets.get(name, {})
        path, offset = max(((p, o) for p, o in offsets.items() if o < order), key=lambda x: x[1],
                           default=("", 0))
        return Located(order - offset, path, offset)

    def columns_of(self, name: str) -> list[str]:
        """The columns of an input's first file (every file is checked by `validator`)."""
        if name in self._columns:
            return self._columns[name]
        return file_columns(self.files(name)[0], delimiter=self.opts.delimiter, encoding=self.opts.encoding)

    def quarantine_columns(self) -> list[str]:
        cols: list[str] = []
        for name in self.opts.inputs:
            for c in self.columns_of(name):
                if c not in cols:
                    cols.append(c)
        return cols

    def keep_columns(self) -> list[tuple[str, str]]:
        """(output column, input column) of the customer input's columns carried through."""
        keep = self.opts.keep
        if not keep or self.rs.customer is None:
            return []
        path = self.opts.inputs[self.rs.customer.name]
        cols = self.columns_of(self.rs.customer.name)
        chosen = cols if keep == ("*",) else list(keep)
        for c in chosen:
            if c not in cols:
                raise fail("no-column", "keep", c, f"no column `{c}` in {path}")
        chosen = [c for c in chosen if not (c == self.rs.key and c == self.rs.customer.key)]
        return list(zip(kept_names(self.rs, self.opts.labels, self.opts.attributes, chosen), chosen))

    # ---- rows ----
    def validator(self, schema: ir.InputSchema) -> RowValidator:
        files = self.files(schema.name)
        if schema is self.rs.customer and not schema.key and len(files) > 1:
            raise DataError(f"{self.opts.inputs[schema.name]}: names {len(files)} files, but input `{schema.name}` "
                            "has no key, so its customers are numbered by row; declare a key, or give one file")
        for path in files:
            cols = file_columns(path, delimiter=self.opts.delimiter, encoding=self.opts.encoding)
            problems = check_columns(schema, cols)
            if problems:
                raise DataError(f"{path}: " + "; ".join(problems))
        return RowValidator(schema, null_values=self.opts.null_values, date_format=self.opts.date_format)

    def records(self, schema: ir.InputSchema):
        """(raw row, record) for every good row of an input."""
        v = self.validator(schema)
        name = schema.name
        self.summary.read.setdefault(name, 0)
        progress = self.opts.progress
        for batch in self.reader(name):
            self.summary.read[name] = self.summary.read.get(name, 0) + len(batch)
            if progress is not None:
                progress(name, len(batch))
            for raw in batch:
                if raw.problem:
                    self.bad.add(name, raw, raw.problem)
                    continue
                rec, reason = v.convert(raw)
                if reason is not None:
                    self.bad.add(name, raw, reason)
                    continue
                yield raw, rec

    def customer_records(self, schema: ir.InputSchema):
        """(key, raw row, record) of the customer input; a key met twice is a bad row
        (the first one stays). Without a key the data row number is the key."""
        seen: dict = {}
        several = len(self.files(schema.name)) > 1
        for raw, rec in self.records(schema):
            if not schema.key:
                yield raw.row, raw, rec
                continue
            key = rec[schema.key]
            if key in seen:
                first = seen[key]       # its row, or (row, file) when the input has several files
                self.bad.add(schema.name, raw, repeated_key(schema, key, *first) if several
                             else repeated_key(schema, key, first))
                continue
            seen[key] = (raw.row, raw.path) if several else raw.row
            yield key, raw, rec

    # ---- typed rows: Parquet checked a record batch at a time ----
    def customer_parts(self, schema: ir.InputSchema, names):
        """The customer input as `customer_records` reads it, a batch (a Part) at a time: the
        same good rows in the same order, the same bad rows (validation, a key met twice) in
        their places. The rows of a Parquet batch that Arrow compute proves clean
        (engines/sure_rows.py) come with their record built from the batch's typed columns, with
        only the fields `names` (which must include the key); every other row, and every row of
        another format, is read by the shared validator."""
        from .sure_rows import BatchChecks     # Arrow compute: only the Python engine checks batches
        v = self.validator(schema)
        checks = BatchChecks(schema, names, _trimmed(self.opts.null_values))
        keys = _Keys(self, schema)
        self.summary.read.setdefault(schema.name, 0)
        offset = 0
        for path in self.files(schema.name):
            if detect_format(path) == "parquet":
                rows = yield from self._parquet_parts(v, checks, keys, path, offset)
            else:
                rows = yield from self._text_parts(v, keys, path, offset)
            offset += rows

    def _text_parts(self, v: RowValidator, keys: "_Keys", path: str, offset: int):
        """A CSV, TSV or JSON Lines file as `records` reads it; returns its rows."""
        last = 0
        opts = self.opts
        for batch in read_batches(path, delimiter=opts.delimiter, encoding=opts.encoding,
                                  null_values=opts.null_values, batch_size=opts.batch_size, offset=offset):
            if not batch:
                continue
            last = batch[-1].row
            self._batch_read(v.schema.name, batch[0].path, offset, len(batch))
            part = _PartBuilder(keys)
            for raw in batch:
                part.judged(v, raw)
            yield part.done(None)
        return last

    def _parquet_parts(self, v: RowValidator, checks: "BatchChecks", keys: "_Keys", path: str, offset: int):
        """A Parquet file, batch by batch: its sure rows typed by Arrow, the others validated;
        returns its rows."""
        nulls = _trimmed(self.opts.null_values)
        spath = os.fspath(path)
        rows = 0
        for first, rb in parquet_batches(path, self.opts.batch_size):
            rows = first + rb.num_rows
            self._batch_read(v.schema.name, spath, offset, rb.num_rows)
            batch = ParquetBatch(rb, spath, offset, first, nulls)
            checked = checks.check(rb)
            part = _clean_part(checks.names, batch, checked, keys) if checked is not None and not checked.unsure \
                else None
            yield part if part is not None else _mixed_part(v, checks.names, batch, checked, keys)
        return rows

    def _batch_read(self, name: str, path: str, offset: int, n: int) -> None:
        """A batch of `n` rows of a file read: counted, reported, its file's place noted."""
        self._offsets.setdefault(name, {}).setdefault(path, offset)
        self.summary.read[name] = self.summary.read.get(name, 0) + n
        if self.opts.progress is not None:
            self.opts.progress(name, n)

    def input_rows(self, schema: ir.InputSchema, keys: set, raws: dict):
        """(raw, record) of one input for the engines that load every input first: customer
        rows register their key; related rows whose key is no customer are counted as
        orphans and dropped (without a customer input each new key is a customer)."""
        rs = self.rs
        if schema is rs.customer:
            for key, raw, rec in self.customer_records(schema):
                raws[key] = raw
                keys.add(key)
                yield raw, rec
            return
        for raw, rec in self.records(schema):
            if rs.customer is not None:
                if rec[schema.key] not in keys:
                    self.summary.orphans += 1
                    continue
            else:
                raws.setdefault(rec[schema.key], raw)
            yield raw, rec

    def customer_batches(self, schema: ir.InputSchema):
        """The customer input in batches: ([(raw, record)], raw rows by key) each."""
        batch, raws = [], {}
        for key, raw, rec in self.customer_records(schema):
            batch.append((raw, rec))
            raws[key] = raw
            if len(batch) >= self.opts.batch_size:
                yield batch, raws
                batch, raws = [], {}
        if batch:
            yield batch, raws

    def load_customers(self, keep: bool, names=None) -> tuple[list[Customer], dict]:
        """Every customer with its related rows (the first pass); raw values by key when kept.
        `names`: the customer fields the records need, read through `customer_parts` (Parquet
        checked by Arrow compute); None: every field, every row through the validator."""
        rs = self.rs
        customers: dict = {}
        raws: dict = {}
        if rs.customer is not None:
            for key, rec, order, values in self._customers(rs.customer, keep, names):
                customers[key] = Customer(key, rec, {r.name: [] for r in rs.related}, order)
                if keep:
                    raws[key] = values
        for r in rs.related:
            if r.name not in self.opts.inputs:
                continue
            for raw, rec in self.records(r):
                key = rec[r.key]
                c = customers.get(key)
                if c is None:
                    if rs.customer is not None:
                        self.summary.orphans += 1
                        continue
                    c = customers[key] = Customer(key, {}, {x.name: [] for x in rs.related}, raw.order)
                c.rows[r.name].append(rec)
        return list(customers.values()), raws

    def _customers(self, schema: ir.InputSchema, keep: bool, names):
        """(key, record, order, raw values when kept) of every customer, bad rows settled."""
        if names is None:
            for key, raw, rec in self.customer_records(schema):
                yield key, rec, raw.order, raw.values if keep else None
            return
        for part in self.customer_parts(schema, names):
            for i, rec in enumerate(part.every_record):
                place = part.place(i)
                if rec is None:
                    self.bad.add(schema.name, *place)
                    continue
                yield part.keys[i], rec, part.order(place), part.kept(place) if keep else None

    def main_input(self) -> str:
        """The input whose rows are the customers: the customer input, else the first related one."""
        return input_names(self.rs)[0]


@dataclass(frozen=True)
class ParquetBatch:
    """A plain record batch of a Parquet file and where it is: its rows become RawRows only
    when one is needed (a bad row, a kept column)."""
    batch: object
    path: str
    offset: int          # rows of the input's files before this file
    first: int           # rows of this file before this batch
    nulls: frozenset

    def raw(self, i: int) -> RawRow:
        return parquet_rows(self.batch, self.nulls, self.path, self.offset, self.first, [i])[0]

    def raws(self, at: list[int]) -> dict[int, RawRow]:
        """The RawRows at positions `at`, by position."""
        return dict(zip(at, parquet_rows(self.batch, self.nulls, self.path, self.offset, self.first, at)))

    @cached_property
    def values(self) -> dict[str, list]:
        """Every column's values as the reader gives them (null spellings read as None)."""
        nulls = self.nulls
        out = {}
        for name, col in zip(self.batch.schema.names, self.batch.columns):
            values = col.to_pylist()
            if nulls:
                values = [None if type(v) is str and v.strip() in nulls else v for v in values]
            out[name] = values
        return out


@dataclass(frozen=True)
class Part:
    """A batch of an input's rows, in order, ready to segment. Entry i is a good row (`keys[i]`,
    `records[i]`) or a bad one (`records[i]` is None, `places[i]` is (RawRow, reason)). A good
    row's place is its position in `batch` (a row Arrow typed) or its RawRow; `places` None:
    entry i is position i of `batch`. `clean`: no bad row. A part Arrow typed whole has
    `typed` (its fields' values, engines/sure_rows.Checked) and no `records` until one asks for
    `every_record`: the Python engine segments it from `arrays` (backends/vector.py) or from
    `columns` (backends/python.py, `evaluate_columns`)."""
    keys: list
    records: list | None
    places: list | None
    batch: ParquetBatch | None
    clean: bool
    typed: "Checked | None" = None
    names: tuple = ()               # the fields in `typed`, in its order

    @cached_property
    def columns(self) -> dict | None:
        """Field name → Python values, for a part Arrow typed whole (else None)."""
        return None if self.typed is None else dict(zip(self.names, self.typed.columns))

    @cached_property
    def arrays(self) -> dict | None:
        """Field name → Arrow array, for a part Arrow typed whole (else None)."""
        return None if self.typed is None else dict(zip(self.names, self.typed.arrays))

    @cached_property
    def every_record(self) -> list:
        """Entry i's record (None for a bad row): `records`, or one dict per row of `columns`."""
        if self.records is not None:
            return self.records
        names = list(self.columns)
        return [dict(zip(names, row)) for row in zip(*self.columns.values())] if names else [{} for _ in self.keys]

    def place(self, i: int):
        return i if self.places is None else self.places[i]

    def raw(self, place) -> RawRow:
        """The RawRow of a good row's place."""
        return self.batch.raw(place) if place.__class__ is int else place

    def kept(self, place, columns=None) -> dict:
        """The values of `columns` (input column names; None: all) in a good row."""
        if place.__class__ is int:
            values = self.batch.values
            return {c: values[c][place] for c in (values if columns is None else columns) if c in values}
        return place.values

    def order(self, place) -> int:
        """A good row's place in its whole input."""
        if place.__class__ is int:
            return self.batch.offset + self.batch.first + 1 + place
        return place.order

    def all_kept(self, columns) -> list[dict]:
        return [self.kept(self.place(i), columns) for i in range(len(self.keys))]


class _Keys:
    """The keys met so far in an input, each with its row's order: a key met twice is a bad
    row, the first one stays (without a key the row's order, its row number in the input's
    one file, is the key)."""

    def __init__(self, rows: InputRows, schema: ir.InputSchema):
        self.rows, self.schema = rows, schema
        self.name = schema.key
        self.seen: dict = {}
        self.several = len(rows.files(schema.name)) > 1

    def repeated(self, key, order: int) -> str | None:
        """The reason when `key` was met before, else None (and the key is remembered)."""
        first = self.seen.setdefault(key, order)
        if first == order:
            return None
        if not self.several:
            return repeated_key(self.schema, key, first)
        at = self.rows.locate(self.schema.name, first)
        return repeated_key(self.schema, key, at.row, at.path)

    def all_new(self, keys: list, orders: range) -> bool:
        """Remembers keys (a whole batch) when none was met before nor repeats; else remembers
        none and says False."""
        new = dict(zip(reversed(keys), reversed(orders)))
        if len(new) != len(keys) or not self.seen.keys().isdisjoint(new):
            return False
        self.seen.update(new)
        return True


class _PartBuilder:
    """Entries added one by one, in order: a Part."""

    def __init__(self, keys: _Keys):
        self.keyer = keys
        self.keys, self.records, self.places = [], [], []
        self.clean = True

    def good(self, order: int, rec: dict, place, raw) -> None:
        """A good row: a customer, or a bad row when its key was met before (`raw`: its
        RawRow, or a function giving it)."""
        if self.keyer.name:
            key = rec[self.keyer.name]
            reason = self.keyer.repeated(key, order)
            if reason is not None:
                self.bad(raw() if callable(raw) else raw, reason)
                return
        else:
            key = order
        self.keys.append(key)
        self.records.append(rec)
        self.places.append(place)

    def judged(self, v: RowValidator, raw: RawRow) -> None:
        """A row the shared validator reads: good with its record, or bad with its reason."""
        rec, reason = v.convert(raw)
        if reason is None:
            self.good(raw.order, rec, raw, raw)
        else:
            self.bad(raw, reason)

    def bad(self, raw: RawRow, reason: str) -> None:
        self.keys.append(None)
        self.records.append(None)
        self.places.append((raw, reason))
        self.clean = False

    def done(self, batch: ParquetBatch | None) -> Part:
        return Part(self.keys, self.records, self.places, batch, self.clean)


def _clean_part(names: tuple, batch: ParquetBatch, checked, keys: _Keys) -> Part | None:
    """A batch every row of which Arrow proved clean, when no key in it was met before nor
    repeats (else None: the rows are taken one by one)."""
    n = batch.batch.num_rows
    base = batch.offset + batch.first + 1
    orders = range(base, base + n)
    if keys.name:
        values = checked.column(names.index(keys.name))
        if not keys.all_new(values, orders):
            return None
    else:
        values = list(orders)
    return Part(values, None, None, batch, True, checked, names)


def _mixed_part(v: RowValidator, names: tuple, batch: ParquetBatch, checked, keys: _Keys) -> Part:
    """A batch taken row by row: the rows Arrow proved clean typed from its columns, the others
    (all of them when `checked` is None) read by the validator."""
    n = batch.batch.num_rows
    raws = batch.raws(list(range(n)) if checked is None else checked.unsure)
    columns = list(zip(names, checked.columns)) if checked is not None else []
    base = batch.offset + batch.first + 1
    part = _PartBuilder(keys)
    for i in range(n):
        raw = raws.get(i)
        if raw is None:
            part.good(base + i, {name: col[i] for name, col in columns}, i, lambda i=i: batch.raw(i))
            continue
        part.judged(v, raw)
    return part.done(batch)


def _trimmed(null_values) -> frozenset:
    """Null spellings as the readers and the validator compare them (trimmed)."""
    return frozenset(v.strip() for v in null_values if v is not None)


def repeated_key(schema: ir.InputSchema, key, first_row: int, first_file: str | None = None) -> str:
    where = f"row {first_row} of {first_file}" if first_file else f"row {first_row}"
    return f"key {schema.key} = {key!r} appears twice (first at {where})"


class Located:
    """A customer's file and row, for a conflict found after both passes."""

    def __init__(self, row: int, path: str = "", offset: int = 0):
        self.row, self.line, self.values, self.path, self.offset = row, None, {}, path, offset

    @property
    def order(self) -> int:
        return self.offset + self.row
