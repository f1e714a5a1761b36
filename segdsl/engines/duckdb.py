"""The DuckDB engine: the SQL backend's query, run on embedded DuckDB.

Where the rows come from decides the path, never the answer:

* Parquet (`native`, engines/duckdb_scan.py): DuckDB reads the files and checks
  the rows in SQL. On clean data one query is the whole run (`clean_pass`);
  otherwise the rows SQL is unsure about go through the shared validator.
* Clean CSV and JSON Lines (`text_pass`, engines/duckdb_text.py): DuckDB reads
  the files while every value is one both readers read alike; anything else
  stops the query and the run starts again on the shared reader.
* Everything else: rows are read and validated by the same code as the Python
  engine (io/readers.py, io/validate.py) and go to DuckDB as Arrow batches.
  Without related inputs a batch in gives a batch out (bounded memory); with
  related inputs the validated rows are loaded into DuckDB tables and the one
  query streams its result out in record batches.

Bad rows get the same row numbers and reasons as on every engine, and output
goes through the shared writers from Arrow batches, so every engine writes
the same bytes.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from .. import ir
from ..backends.sql import ORDER, ROW, NotSupported, col, conflict_columns, keep_column, to_sql
from ..io.readers import detect_format
from ..types import Kind
from . import duckdb_scan, duckdb_text, population_pass
from .options import ApplyOptions, DataError, Summary
from .output import Layout
from .python import _Run, prepare_output

_ARROW = {Kind.INT: pa.int64(), Kind.NUMBER: pa.float64(), Kind.BOOL: pa.bool_(), Kind.STRING: pa.string(),
          Kind.ENUM: pa.string(), Kind.DATE: pa.date32(), Kind.DATETIME: pa.timestamp("us")}


def arrow_schema(schema: ir.InputSchema, row: bool, keep: list[tuple[str, str]], ordered: bool = False) -> pa.Schema:
    fields = [pa.field(f.name, _ARROW[f.type.kind]) for f in schema.fields]
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


class _DuckRun(_Run):
    def run(self) -> Summary:
        rs, opts = self.rs, self.opts
        layout = Layout(rs, opts.labels, opts.attributes, self.keep_columns())
        self.tables = {n: f"{n}_rows" for n in ([rs.customer.name] if rs.customer else []) + [r.name for r in rs.related]}
        self.layout = layout
        # the statistics' result tables get fixed names, so the query can be checked before any data is read
        self.sql = self.main_query({p.id: population_pass.table_name(p.id) for p in rs.population})
        self.con = duckdb.connect()
        try:
            population_pass.register_duckdb(self.con)
            self.con.execute("SET preserve_insertion_order = true")
            if opts.memory_limit:
                try:
                    self.con.execute("SET memory_limit = ?", [opts.memory_limit])
                except duckdb.Error as exc:
                    raise DataError(f"--memory-limit {opts.memory_limit}: {exc}") from None
            qpath = opts.quarantine_path()
            with ExitStack() as stack:
                out, self.quarantine = prepare_output(stack, self, layout)
                if duckdb_scan.eligible(rs, opts):
                    self.native(layout, out)
                elif rs.related or rs.population:
                    self.load_all(layout, out)
                elif duckdb_text.eligible(rs, opts) and self.text_pass(layout, out):
                    pass
                else:
                    self.stream(layout, out)
        finally:
            self.con.close()
        self.summary.segments = layout.counts
        self.summary.output_file = str(opts.output) if opts.output else None
        self.summary.quarantine_file = str(qpath) if qpath and self.quarantine is not None else None
        return self.summary

    def main_query(self, population: dict[int, str], sort: bool = True) -> str:
        opts = self.opts
        try:
            return to_sql(self.rs, opts.params, "duckdb", tables=self.tables, labels=opts.labels,
                          attributes=opts.attributes, keep=tuple(self.layout.keep), prepared=True, pretty=False,
                          population=population, ordered=True, sort=sort,
                          functions=population_pass.DUCKDB_FUNCTIONS)
        except NotSupported as exc:
            raise DataError(f"--engine duckdb: {exc}") from None

    def stream(self, layout: Layout, out) -> None:
        schema = self.rs.customer
        name = f"{schema.name}_rows"
        for batch, raws in self.customer_batches(schema):
            self.con.register(name, rows_table(schema, batch, layout.keep, not schema.key))
            result = self.con.sql(self.sql).to_arrow_table()
            self.con.unregister(name)
            self.emit(result, layout, out, raws, schema.name)

    def native(self, layout: Layout, out) -> None:
        """Parquet inputs read and typed by DuckDB (engines/duckdb_scan.py)."""
        rs, con = self.rs, self.con
        # Parquet writers leave NaN out of a column's min/max; DuckDB's statistics
        # propagation trusts them and folds isnan() and range checks to false
        con.execute("SET disabled_optimizers = 'statistics_propagation'")
        scans: dict[str, duckdb_scan.ParquetInput] = {}
        if rs.customer and not rs.related and not rs.population:
            if self.clean_pass(layout, out, scans):
                return
            # something needs a closer look: start again, row by row where SQL is unsure
            out.restart()
            layout.reset_counts()
            self.summary.written = 0
            con.execute(f'DROP VIEW IF EXISTS "{rs.customer.name}_rows"')
        first, rescued = None, False
        for schema in ([rs.customer] if rs.customer else []) + [r for r in rs.related if r.name in self.opts.inputs]:
            is_customer = schema is rs.customer
            keyless = is_customer and not schema.key
            inp = scans.get(schema.name)
            if inp is None:
                self.validator(schema)                # whole-file problems: missing required columns
                inp = duckdb_scan.ParquetInput(con, schema, self.opts.inputs[schema.name], keyless)
            first = first or inp
            arrow = arrow_schema(schema, keyless, [], ordered=True)
            table = f"{schema.name}_rows"
            if is_customer or rs.customer is None:
                rescued |= duckdb_scan.load(self, inp, table, arrow, schema.key if is_customer else None)
                continue
            valid = f"__segdsl_valid_{schema.name}"
            rescued |= duckdb_scan.load(self, inp, valid, arrow, None)
            keys = f'(SELECT "{rs.customer.key}" FROM "{rs.customer.name}_rows")'
            self.summary.orphans += con.execute(
                f'SELECT COUNT(*) FROM "{valid}" WHERE "{schema.key}" NOT IN {keys}').fetchall()[0][0]
            con.execute(f'CREATE TEMP VIEW "{table}" AS SELECT * FROM "{valid}" WHERE "{schema.key}" IN {keys}')
        for r in rs.related:
            if r.name not in self.opts.inputs:
                self.con.register(f"{r.name}_rows", arrow_schema(r, False, [], ordered=True).empty_table())
        if rs.population:
            population_pass.compute(rs, self.opts.params, "duckdb", self.tables,
                                    lambda q: con.sql(q).to_arrow_table(), con.register, self.opts.stats,
                                    functions=population_pass.DUCKDB_FUNCTIONS)
        if not (rescued or rs.related or rs.population):
            # one input scanned in file order, projections only: the order holds without a sort
            self.sql = self.main_query({}, sort=False)
        name = rs.customer.name if rs.customer else rs.related[0].name
        raws = duckdb_scan.LazyRaws(first, self.opts.batch_size)
        # Arrow batches from DuckDB are cheap to pass on whole: bigger than Python row batches
        for batch in con.sql(self.sql).to_arrow_reader(max(self.opts.batch_size, 256 * 1024)):
            self.emit(pa.Table.from_batches([batch]), layout, out, raws, name)

    def clean_pass(self, layout: Layout, out, scans: dict) -> bool:
        """One query over the rows SQL is sure about, written as it comes. On clean data
        (every row sure, no repeated key, no `unique` conflict) that is the whole run;
        otherwise it returns False and the caller starts again on the careful path.
        Clean data is the common case, and checking it costs no extra scan: the rows
        written are counted against the file's row count, which Parquet stores."""
        con, schema = self.con, self.rs.customer
        self.validator(schema)
        inp = duckdb_scan.ParquetInput(con, schema, self.opts.inputs[schema.name], not schema.key)
        scans[schema.name] = inp
        con.execute(f'CREATE TEMP VIEW "{schema.name}_rows" AS '
                    f'{inp.typed_select(exp.Not(this=col(duckdb_scan.SUSPECT)))}')
        key_check = (lambda: inp.keys_distinct(schema.key, con.cursor())) if schema.key is not None else None
        written = self._one_query(layout, out, key_check)
        if written is None or written != inp.num_rows:
            return False
        self.summary.read[schema.name] = inp.num_rows
        self.summary.written = written
        return True

    def text_pass(self, layout: Layout, out) -> bool:
        """Clean CSV or JSONL read and typed by DuckDB in one query (engines/duckdb_text.py). False, with
        nothing written, when anything needs the shared reader: then the caller streams."""
        con, schema = self.con, self.rs.customer
        self.validator(schema)
        pattern = self.opts.inputs[schema.name]
        inp = (duckdb_text.JsonlInput(schema, pattern) if all(detect_format(f) == "jsonl" for f in self.files(schema.name))
               else duckdb_text.CsvInput(schema, pattern, self.opts.delimiter))
        view = f'"{schema.name}_rows"'
        done = False
        if inp.ok:
            con.execute(f"CREATE TEMP VIEW {view} AS {inp.select()}")
            try:
                done = self._text_rows(layout, out, inp.key_check)
            finally:
                con.execute(f"DROP VIEW {view}")
        if not done:
            out.restart()
            layout.reset_counts()
            self.summary.written = 0
        return done

    def _text_rows(self, layout: Layout, out, key_check: str) -> bool:
        written = self._one_query(layout, out, lambda: self.con.cursor().execute(key_check).fetchall()[0][0])
        if written is None:
            return False
        self.summary.read[self.rs.customer.name] = written
        self.summary.written = written
        return True

    def _one_query(self, layout: Layout, out, key_check) -> int | None:
        """The main query's rows counted and written as they come; None, as soon as it is
        clear that the run must start again: a `unique` conflict, a repeated key (`key_check`,
        run on a cursor of its own beside the query), or the query stopped by DuckDB (a row
        it was told not to decide about, or a file it reads otherwise)."""
        conflicts = conflict_columns(self.rs)
        written = 0

        def write(result: pa.Table) -> None:
            count(layout, result)
            out.write(result)

        # counting and writing (pyarrow releases the GIL) overlap DuckDB computing the next batch
        with ThreadPoolExecutor(max_workers=2) as pool:
            keys_distinct = pool.submit(key_check) if key_check is not None else None
            pending = None
            try:
                for batch in self.con.sql(self.main_query({}, sort=False)).to_arrow_reader(
                        max(self.opts.batch_size, 256 * 1024)):
                    result = pa.Table.from_batches([batch])
                    if conflicts and any(result.column(c).null_count < result.num_rows for c in conflicts):
                        return None
                    result = result.drop_columns([*conflicts, ORDER])
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(write, result)
                    written += result.num_rows
                if keys_distinct is not None and not keys_distinct.result():
                    return None
            except duckdb.Error:
                return None
            finally:
                if pending is not None:
                    pending.result()
                if keys_distinct is not None and not keys_distinct.done():
                    keys_distinct.cancel()
        return written

    def load_all(self, layout: Layout, out) -> None:
        rs = self.rs
        raws: dict = {}
        inputs = ([rs.customer] if rs.customer else []) + [r for r in rs.related if r.name in self.opts.inputs]
        keys: set = set()
        for schema in inputs:
            is_customer = schema is rs.customer
            keyless = is_customer and not schema.key
            keep = layout.keep if is_customer else []
            table_name = f"{schema.name}_rows"
            created = False
            batch: list = []

            def flush():
                nonlocal created
                self.con.register("incoming", rows_table(schema, batch, keep, keyless))
                self.con.execute(f'INSERT INTO "{table_name}" SELECT * FROM incoming' if created
                                 else f'CREATE TABLE "{table_name}" AS SELECT * FROM incoming')
                self.con.unregister("incoming")
                created = True
                batch.clear()

            for raw, rec in self.input_rows(schema, keys, raws):
                batch.append((raw, rec))
                if len(batch) >= self.opts.batch_size:
                    flush()
            if batch or not created:
                flush()
        for r in rs.related:
            if r.name not in self.opts.inputs:
                arrow = arrow_schema(r, False, [], ordered=True)
                self.con.register(f"{r.name}_rows", arrow.empty_table())
        if rs.population:
            population_pass.compute(rs, self.opts.params, "duckdb", self.tables,
                                    lambda q: self.con.sql(q).to_arrow_table(), self.con.register, self.opts.stats,
                                    functions=population_pass.DUCKDB_FUNCTIONS)
        reader = self.con.sql(self.sql).to_arrow_reader(self.opts.batch_size)
        name = rs.customer.name if rs.customer else rs.related[0].name
        for batch in reader:
            self.emit(pa.Table.from_batches([batch]), layout, out, raws, name)

    def emit(self, result: pa.Table, layout: Layout, out, raws: dict, input_name: str) -> None:
        conflicts = conflict_columns(self.rs)
        if conflicts:
            bad_mask = None
            for c in conflicts:
                m = pc.is_valid(result.column(c))
                bad_mask = m if bad_mask is None else pc.or_(bad_mask, m)
            if pc.any(bad_mask).as_py():
                keys = result.column(layout.key).filter(bad_mask).to_pylist()
                orders = result.column(ORDER).filter(bad_mask).to_pylist()
                reasons = [next(r for r in row if r) for row in
                           zip(*[result.column(c).filter(bad_mask).to_pylist() for c in conflicts])]
                for key, order, reason in zip(keys, orders, reasons):
                    raw = raws.by_order(order) if isinstance(raws, duckdb_scan.LazyRaws) else raws[key]
                    self.bad(input_name, raw, reason)
                result = result.filter(pc.invert(bad_mask))
            result = result.drop_columns(conflicts)
        if ORDER in result.column_names:
            result = result.drop_columns([ORDER])
        count(layout, result)
        out.write(result)
        self.summary.written += result.num_rows


def count(layout: Layout, table: pa.Table) -> None:
    """Segment sizes per dimension, the same counts the Python engine keeps per row."""
    for d in layout.rs.dimensions:
        c = layout.counts[d.name]
        column = table.column(d.name)
        if d.policy == "all":
            empty = pc.sum(pc.equal(pc.list_value_length(column), 0)).as_py() or 0
            if empty:
                c["(none)"] += empty
            column = pc.list_flatten(column)
        for item in pc.value_counts(column).to_pylist():
            v = item["values"]
            c[v if v is not None else "(none)"] += item["counts"]


def apply(rs: ir.Ruleset, opts: ApplyOptions) -> Summary:
    from .python import run_checked
    return run_checked(rs, opts, _DuckRun)
