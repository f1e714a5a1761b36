"""Reading an engine's inputs: files, validated records, customers, related rows.

Every engine holds one InputRows per run and asks it for rows, so the same
file gives the same records, row numbers, repeated keys, orphans and bad
rows (through the run's BadRows) on every engine. Reading is io/readers.py,
checking a row is io/validate.py; this module puts them together the way a
run needs them: streamed in batches, or loaded whole for two passes.
"""
from __future__ import annotations

from .. import ir
from ..backends.layout import kept_names
from ..io.readers import columns as file_columns
from ..io.readers import detect_format, expand, iter_files
from ..io.validate import RowValidator, check_columns
from ..runtime.customers import Customer
from .bad_rows import BadRows, input_names
from .errors import fail
from .options import ApplyOptions, DataError, Summary


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

    def load_customers(self, keep: bool) -> tuple[list[Customer], dict]:
        """Every customer with its related rows (the first pass); raw values by key when kept."""
        rs = self.rs
        customers: dict = {}
        raws: dict = {}
        if rs.customer is not None:
            for key, raw, rec in self.customer_records(rs.customer):
                customers[key] = Customer(key, rec, {r.name: [] for r in rs.related}, raw.order)
                if keep:
                    raws[key] = raw.values
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

    def main_input(self) -> str:
        """The input whose rows are the customers: the customer input, else the first related one."""
        return input_names(self.rs)[0]


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
