"""The Python engine: generated code over record batches.

Without population statistics or related inputs it streams: one batch in,
one batch out, memory bounded by the batch size. Population statistics and
related rows need every customer first, so then the customers (only their
declared fields) are held in memory between the two passes.
"""
from __future__ import annotations

from contextlib import ExitStack

from .. import ir
from ..backends.python import compile_program, compute_stats
from ..runtime.customers import Customer
from ..io.errors import InputError
from ..io.readers import columns as file_columns
from ..io.readers import expand, iter_files
from ..io.validate import RowValidator, check_columns
from ..io.writers import open_output, open_quarantine
from .options import ApplyOptions, DataError, Summary
from .output import Layout, conflict

_NO_ROWS: dict = {}


class _NullWriter:
    def write(self, rows):
        pass

    def restart(self):
        pass


class _Run:
    def __init__(self, rs: ir.Ruleset, opts: ApplyOptions):
        self.rs, self.opts = rs, opts
        self.summary = Summary(on_error=opts.on_error)
        self.quarantine = None
        self.pending_bad: list = []

    # ---- inputs ----
    def files(self, name: str) -> list[str]:
        """The files of an input: one, or those its pattern names, sorted (io/readers.expand)."""
        cache = self.__dict__.setdefault("_files", {})
        if name not in cache:
            cache[name] = expand(self.opts.inputs[name])
        return cache[name]

    def several_files(self) -> bool:
        return any(len(self.files(n)) > 1 for n in self.opts.inputs)

    def reader(self, name: str):
        offsets = self.__dict__.setdefault("_offsets", {}).setdefault(name, {})
        for batch in iter_files(self.files(name), delimiter=self.opts.delimiter, encoding=self.opts.encoding,
                                null_values=self.opts.null_values, batch_size=self.opts.batch_size):
            if batch:
                offsets.setdefault(batch[0].path, batch[0].offset)
            yield batch

    def locate(self, name: str, order: int) -> "_Located":
        """The file and row of a row known only by its place in the input (see RawRow.order)."""
        offsets = self.__dict__.get("_offsets", {}).get(name, {})
        path, offset = max(((p, o) for p, o in offsets.items() if o < order), key=lambda x: x[1],
                           default=("", 0))
        return _Located(order - offset, path, offset)

    def columns_of(self, name: str) -> list[str]:
        """The columns of an input's first file (every file is checked by `validator`)."""
        return file_columns(self.files(name)[0], delimiter=self.opts.delimiter, encoding=self.opts.encoding)

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

    in_order = False          # True where rows are met in file order: a bad row can then stop the run at once

    def bad(self, name: str, raw, reason: str) -> None:
        """A bad row. Engines that meet rows out of order (joins, two passes, SQL) collect
        them and settle at the end, so every engine fails on, skips or quarantines the
        same rows in the same order."""
        if self.in_order:
            self._settle_one(name, raw, reason)
        else:
            self.pending_bad.append(((self._input_rank(name), raw.order), name, raw, reason))

    def settle_bad(self, exc_type=None, exc=None, tb=None) -> None:
        """Applies the policy to the collected bad rows, in input and row order (an ExitStack exit)."""
        if exc_type is not None:
            return
        pending, self.pending_bad = sorted(self.pending_bad, key=lambda b: b[0]), []
        for _, name, raw, reason in pending:
            self._settle_one(name, raw, reason)

    def _input_rank(self, name: str) -> int:
        order = ([self.rs.customer.name] if self.rs.customer else []) + [r.name for r in self.rs.related]
        return order.index(name)

    def _settle_one(self, name: str, raw, reason: str) -> None:
        path = raw.path or self.opts.inputs[name]
        where = f"row {raw.row}" + (f" (line {raw.line})" if raw.line else "")
        if self.opts.on_error == "fail":
            raise DataError(f"{path} {where}: {reason}")
        self.summary.rejected[name] = self.summary.rejected.get(name, 0) + 1
        if self.quarantine is not None:
            self.quarantine.add(raw, f"{name}: {reason}" if len(self.opts.inputs) > 1 else reason)

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
                    self.bad(name, raw, raw.problem)
                    continue
                rec, reason = v.convert(raw)
                if reason is not None:
                    self.bad(name, raw, reason)
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
                self.bad(schema.name, raw, repeated_key(schema, key, *first) if several
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

    # ---- the run ----
    def keep_columns(self) -> list[tuple[str, str]]:
        keep = self.opts.keep
        if not keep or self.rs.customer is None:
            return []
        path = self.opts.inputs[self.rs.customer.name]
        cols = self.columns_of(self.rs.customer.name)
        chosen = cols if keep == ("*",) else list(keep)
        taken = {self.rs.key, *(d.name for d in self.rs.dimensions)}
        out = []
        for c in chosen:
            if c not in cols:
                raise DataError(f"--keep {c}: no column `{c}` in {path}")
            if c == self.rs.key and c == self.rs.customer.key:
                continue
            out.append((f"input_{c}" if c in taken else c, c))
        return out

    def run(self) -> Summary:
        rs, opts = self.rs, self.opts
        program = compile_program(rs)
        layout = Layout(rs, opts.labels, opts.attributes, self.keep_columns())
        qpath = opts.quarantine_path()
        with ExitStack() as stack:
            out, self.quarantine = prepare_output(stack, self, layout)
            frozen = self.opts.stats or {}
            if not rs.related and all(pid in frozen for stage in program.stages for pid in stage):
                # no statistic left to compute over the whole input: one pass, bounded memory
                self.stream(program, layout, out)
            else:
                self.two_pass(program, layout, out)
        self.summary.segments = layout.counts
        self.summary.output_file = str(opts.output) if opts.output else None
        self.summary.quarantine_file = str(qpath) if qpath and self.quarantine is not None else None
        return self.summary

    def _quarantine_columns(self) -> list[str]:
        cols: list[str] = []
        for name in self.opts.inputs:
            for c in self.columns_of(name):
                if c not in cols:
                    cols.append(c)
        return cols

    def stream(self, program, layout: Layout, out) -> None:
        self.in_order = True
        schema = self.rs.customer
        params = self.opts.params
        S = compute_stats(program, [], params, {}, self.opts.stats)
        evaluate = program.evaluate
        keep = bool(layout.keep)
        with _Batches(out, self.opts.batch_size, self.summary) as batches:
            for key, raw, rec in self.customer_records(schema):
                values = evaluate(rec, _NO_ROWS, params, S, _NO_ROWS)
                c = conflict(values)
                if c is not None:
                    self.bad(schema.name, raw, c.reason())
                    continue
                batches.add(layout.row(key, values, raw.values if keep else None))

    def two_pass(self, program, layout: Layout, out) -> None:
        rs = self.rs
        population, raws = self.load_customers(bool(layout.keep))
        params = self.opts.params
        S = compute_stats(program, population, params, {}, self.opts.stats)
        with _Batches(out, self.opts.batch_size, self.summary) as batches:
            for c in population:
                values = program.evaluate(c.record, c.rows, params, S, _NO_ROWS)
                bad = conflict(values)
                if bad is not None:
                    name = rs.customer.name if rs.customer else rs.related[0].name
                    self.bad(name, self.locate(name, c.row), bad.reason())
                    continue
                batches.add(layout.row(c.key, values, raws.get(c.key)))

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


def prepare_output(stack: ExitStack, run: _Run, layout: Layout):
    """The output writer and the quarantine writer (or None), both atomic, both in `stack`;
    the run's collected bad rows are settled before either is committed."""
    opts = run.opts
    out = stack.enter_context(open_output(opts.output, layout.columns)) if opts.output else _NullWriter()
    qpath = opts.quarantine_path()
    quarantine = stack.enter_context(open_quarantine(qpath, run._quarantine_columns(), with_file=run.several_files())) if qpath is not None else None
    stack.push(run.settle_bad)
    return out, quarantine


class _Batches:
    """Output rows gathered into batches of the run's size, and counted as written."""

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

    def __enter__(self) -> "_Batches":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.flush()


def repeated_key(schema: ir.InputSchema, key, first_row: int, first_file: str | None = None) -> str:
    where = f"row {first_row} of {first_file}" if first_file else f"row {first_row}"
    return f"key {schema.key} = {key!r} appears twice (first at {where})"


class _Located:
    """A customer's file and row, for a conflict found after both passes."""

    def __init__(self, row: int, path: str = "", offset: int = 0):
        self.row, self.line, self.values, self.path, self.offset = row, None, {}, path, offset

    @property
    def order(self) -> int:
        return self.offset + self.row


def apply(rs: ir.Ruleset, opts: ApplyOptions) -> Summary:
    return run_checked(rs, opts, _Run)


def run_checked(rs: ir.Ruleset, opts: ApplyOptions, runner) -> Summary:
    """Checks the inputs asked for, then runs; every failure becomes a DataError."""
    missing = [n for n in _required_inputs(rs) if n not in opts.inputs]
    unknown = [n for n in opts.inputs if n not in _all_inputs(rs)]
    if unknown:
        raise DataError(f"--input {unknown[0]}=...: the ruleset has no input `{unknown[0]}` "
                        f"(inputs: {', '.join(_all_inputs(rs))})")
    if missing:
        raise DataError(f"give the `{missing[0]}` input: --input {missing[0]}=FILE")
    for target in (opts.output, opts.quarantine_path()):
        if target is not None:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DataError(f"cannot create the folder of {target}: {exc.strerror}") from None
    try:
        summary = runner(rs, opts).run()
    except InputError as exc:
        raise DataError(str(exc)) from None
    except OSError as exc:
        raise DataError(f"{exc.filename or 'output'}: {exc.strerror}") from None
    summary.customers = summary.written       # customers segmented; a `unique` conflict is a bad row
    return summary


def _all_inputs(rs: ir.Ruleset) -> list[str]:
    return ([rs.customer.name] if rs.customer else []) + [r.name for r in rs.related]


def _required_inputs(rs: ir.Ruleset) -> list[str]:
    if rs.customer is not None:
        return [rs.customer.name]
    return [rs.related[0].name] if rs.related else []
