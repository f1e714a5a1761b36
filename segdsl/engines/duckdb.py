"""The DuckDB engine: the SQL backend's query, run on embedded DuckDB.

Where the rows come from decides the path, never the answer:

* Parquet (`native`, engines/duckdb_scan.py): DuckDB reads the files and checks
  the rows in SQL. On clean data one query is the whole run (`clean_pass`);
  otherwise the rows SQL is unsure about go through the shared validator.
* Clean CSV and JSON Lines (`text_pass`, engines/duckdb_text.py): DuckDB reads
  the files while every value is one both readers read alike; anything else
  stops the query and the run starts again on the shared reader.
* Everything else: rows are read and validated by the same code as the Python
  engine (engines/rows.py) and go to DuckDB as Arrow batches (engines/arrow.py).
  Without related inputs a batch in gives a batch out (bounded memory); with
  related inputs the validated rows are loaded into DuckDB tables and the one
  query streams its result out in record batches.

Bad rows get the same row numbers and reasons as on every engine, and output
goes through the shared writers from Arrow batches, so every engine writes
the same bytes. The main query is built once per run as a sqlglot tree
(backends/sql.build_query); a path that needs no sort renders it without
ORDER BY (a tree transform). Statements besides it are sqlglot trees too
(engines/statements.py).
"""
from __future__ import annotations

import importlib.util
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import TYPE_CHECKING

import duckdb

from . import duckdb_early

duckdb_early.start()        # a database opened beside the imports below (duckdb_early.py)

import pyarrow as pa

from .. import ir
from ..backends.names import ORDER, conflict_columns
from . import duckdb_scan
from .arrow import ArrowResults, AscendingKeys, arrow_schema, rows_table
from .base import Supports, run_guarded, run_tables_through_files
from .duckdb_functions import DUCKDB_FUNCTIONS, called_in, register_duckdb
from .errors import fail
from .in_order import InOrder
from .options import ApplyOptions, Summary
from .output import Layout, finish, open_writers
from .rows import InputRows
from .sql_cache import SqlTexts

if TYPE_CHECKING:
    from sqlglot import exp

    from ..passes import Plan


class DuckDBEngine:
    name = "duckdb"
    supports = Supports(memory_limit=True)

    def available(self) -> bool:
        return importlib.util.find_spec("duckdb") is not None

    def apply(self, plan: "Plan", options: ApplyOptions) -> Summary:
        return run_guarded(plan.ruleset, options, lambda: _DuckDBRun(plan, options).run())

    def run_tables(self, plan, tables, options, names=None):
        return run_tables_through_files(self, plan, tables, options, names)


ENGINE = DuckDBEngine()


def _sql(tree: "exp.Expression") -> str:
    from . import statements as st
    return st.sql(tree, "duckdb")


def _st():
    from . import statements
    return statements


class _DuckDBRun:
    def __init__(self, plan: "Plan", opts: ApplyOptions):
        self.rs, self.plan, self.opts = plan.ruleset, plan, opts
        self.rows = InputRows(self.rs, opts)
        self.summary = self.rows.summary

    def run(self) -> Summary:
        rs, opts = self.rs, self.opts
        layout = Layout(rs, opts.labels, opts.attributes, self.rows.keep_columns())
        self.tables = {n: f"{n}_rows" for n in ([rs.customer.name] if rs.customer else []) + [r.name for r in rs.related]}
        self.layout = layout
        # the SQL texts of an earlier run on the same rules and options, if any (engines/sql_cache.py)
        self.texts = SqlTexts("duckdb", rs, sorted(opts.params.items()), opts.labels, opts.attributes,
                              tuple(layout.keep), sorted(self.tables.items()), self.frozen_tables())
        self.query = None
        if not any(self.texts.has("main", parts) for parts in self.main_texts()):
            # built (and so checked) before any data is read; the statistics' result tables have fixed names
            self.query = self.main_query()
        self.con = duckdb_early.connect()
        self.registered: set[str] = set()     # the language's functions on the connection (duckdb_functions.py)
        try:
            self.con.execute("SET preserve_insertion_order = true")
            if opts.memory_limit:
                try:
                    self.con.execute("SET memory_limit = ?", [opts.memory_limit])
                except duckdb.Error as exc:
                    raise fail("bad-memory-limit", "memory_limit", opts.memory_limit, str(exc)) from None
            with ExitStack() as stack:
                out, quarantine = open_writers(stack, self.rows, layout)
                self.results = ArrowResults(rs, layout, out, self.rows.bad, self.summary, indexes=True)
                if duckdb_scan.eligible(rs, opts):
                    self.native(layout, out)
                elif rs.related or rs.population:
                    self.load_all(layout, out)
                elif self.text_eligible() and self.text_pass(layout, out):
                    pass
                else:
                    self.stream(layout, out)
        finally:
            self.con.close()
        self.texts.save()
        return finish(self.summary, layout, opts, quarantine)

    def text_eligible(self) -> bool:
        from . import duckdb_text
        return duckdb_text.eligible(self.rs, self.opts)

    def main_query(self, statistics_tables: dict | None = None) -> "exp.Select":
        from ..backends.sql import SqlOptions, build_query, population_table, refuse_names_differing_in_case
        opts = self.opts
        options = SqlOptions(tables=self.tables, labels=opts.labels, attributes=opts.attributes,
                             keep=tuple(self.layout.keep), prepared=True, ordered=True,
                             population=self.frozen_tables(), functions=DUCKDB_FUNCTIONS,
                             statistics_tables=statistics_tables or {}, segment_indexes=True)
        refuse_names_differing_in_case(self.rs, "duckdb")
        return build_query(self.plan, opts.params, options)     # NotSupported: SEG501 at the rule

    def frozen_tables(self) -> tuple[tuple[int, str], ...]:
        """Population values are computed inside the main query (backends/population_sql.py);
        only frozen ones (`--stats`) come from tables population_pass registers first."""
        if not (self.rs.population and self.opts.stats):
            return ()
        from ..backends.sql import population_table
        return tuple((p.id, population_table(p.id)) for p in self.rs.population)

    def main_texts(self) -> list[tuple]:
        """The forms of the main query's text a run may use (`main_sql`'s keys)."""
        forms = [(False,), (True,)]
        if self.rs.population and self.rs.customer is not None:
            forms.append(("every", self.every_view()))
        return forms

    def every_view(self) -> str:
        return f"__segdsl_every_{self.rs.customer.name}"

    def main_sql(self, sort: bool = True, statistics_view: str | None = None) -> str:
        """The main query's text, rendered once per run in each form a path uses; unsorted: for
        one input scanned in file order; with population values computed from `statistics_view`
        (the customers' every row, unsorted: the clean pass)."""
        def render() -> str:
            from ..backends.sql import without_order_by
            if statistics_view is not None:
                return _sql(without_order_by(self.main_query({self.rs.customer.name: statistics_view})))
            if self.query is None:
                self.query = self.main_query()
            return _sql(self.query if sort else without_order_by(self.query))
        text = self.texts.get("main", ("every", statistics_view) if statistics_view else (sort,), render)
        self.register(called_in(text))
        return text

    def register(self, names) -> None:
        """The language's sum and case mapping on the connection, each once, where a query calls
        them (registering a Python function costs more than a short run's query)."""
        names = tuple(n for n in names if n not in self.registered)
        if names:
            register_duckdb(self.con, names)
            self.registered.update(names)

    def restart(self, layout: Layout, out) -> None:
        """Nothing written yet, as far as the output and the summary know."""
        out.restart()
        layout.reset_counts()
        self.summary.written = 0

    def stream(self, layout: Layout, out) -> None:
        schema = self.rs.customer
        name = f"{schema.name}_rows"
        for batch, raws in self.rows.customer_batches(schema):
            self.con.register(name, rows_table(schema, batch, layout.keep, not schema.key))
            result = self.con.sql(self.main_sql()).to_arrow_table()
            self.con.unregister(name)
            self.results.emit(result, raws, schema.name)

    def native(self, layout: Layout, out) -> None:
        """Parquet inputs read and typed by DuckDB (engines/duckdb_scan.py)."""
        rs, con, rows = self.rs, self.con, self.rows
        # Parquet writers leave NaN out of a column's min/max; DuckDB's statistics
        # propagation trusts them and folds isnan() and range checks to false
        con.execute("SET disabled_optimizers = 'statistics_propagation'")
        scans: dict[str, duckdb_scan.ParquetInput] = {}
        if rs.customer and not rs.related and not self.frozen_tables():
            if self.clean_pass(layout, out, scans):
                return
            # something needs a closer look: start again, row by row where SQL is unsure
            self.restart(layout, out)
            con.execute(_sql(_st().drop_view(f"{rs.customer.name}_rows", if_exists=True)))
        first, rescued = None, False
        for schema in ([rs.customer] if rs.customer else []) + [r for r in rs.related if r.name in self.opts.inputs]:
            is_customer = schema is rs.customer
            keyless = is_customer and not schema.key
            inp = scans.get(schema.name)
            if inp is None:
                rows.validator(schema)                # whole-file problems: missing required columns
                inp = duckdb_scan.ParquetInput(con, schema, self.opts.inputs[schema.name], keyless, self.texts)
            first = first or inp
            arrow = arrow_schema(schema, keyless, [], ordered=True)
            table = f"{schema.name}_rows"
            if is_customer or rs.customer is None:
                rescued |= duckdb_scan.load(rows, inp, table, arrow, schema.key if is_customer else None)
                continue
            st = _st()
            valid = f"__segdsl_valid_{schema.name}"
            rescued |= duckdb_scan.load(rows, inp, valid, arrow, None)
            customers = f"{rs.customer.name}_rows"
            self.summary.orphans += con.execute(_sql(st.count_where(
                valid, st.column_in(schema.key, customers, rs.customer.key, negate=True)))).fetchall()[0][0]
            con.execute(_sql(st.create_view(table, st.select_all(
                valid, st.column_in(schema.key, customers, rs.customer.key)))))
        self.register_missing_related()
        self.population()
        # one input scanned in file order, projections only: the order holds without a sort
        text = self.main_sql(sort=bool(rescued or rs.related or rs.population))
        raws = first.lazy_raws(self.opts.batch_size)
        # Arrow batches from DuckDB are cheap to pass on whole: bigger than Python row batches
        for batch in batches(con.sql(text), max(self.opts.batch_size, 256 * 1024)):
            self.results.emit(pa.Table.from_batches([batch]), raws, rows.main_input())

    def clean_pass(self, layout: Layout, out, scans: dict) -> bool:
        """One query over the rows SQL is sure about, written as it comes. On clean data
        (every row sure, no repeated key, no `unique` conflict) that is the whole run;
        otherwise it returns False and the caller starts again on the careful path.
        Clean data is the common case, and checking it costs no extra scan: the rows
        written are counted against the file's row count, which Parquet stores."""
        con, schema = self.con, self.rs.customer
        self.rows.validator(schema)
        inp = duckdb_scan.ParquetInput(con, schema, self.opts.inputs[schema.name], not schema.key, self.texts)
        scans[schema.name] = inp
        con.execute(inp.create_sure_view(f"{schema.name}_rows"))
        every = None
        if self.rs.population:
            # the run starts again unless every row is sure, so population values may be computed
            # from every row as read, without the checks and the columns only they read
            every = self.every_view()
            con.execute(inp.create_every_row_view(every))
        key_check = (lambda: inp.keys_distinct(schema.key, con.cursor())) if schema.key is not None else None
        written = self._one_query(layout, out, key_check, every)
        if written is None or written != inp.num_rows:
            return False
        self.summary.read[schema.name] = inp.num_rows
        self.summary.written = written
        return True

    def text_pass(self, layout: Layout, out) -> bool:
        """Clean CSV or JSONL read and typed by DuckDB in one query (engines/duckdb_text.py). False, with
        nothing written, when anything needs the shared reader: then the caller streams."""
        from ..io.readers import detect_format
        from . import duckdb_text
        con, schema = self.con, self.rs.customer
        self.rows.validator(schema)
        pattern = self.opts.inputs[schema.name]
        inp = (duckdb_text.JsonlInput(schema, pattern)
               if all(detect_format(f) == "jsonl" for f in self.rows.files(schema.name))
               else duckdb_text.CsvInput(schema, pattern, self.opts.delimiter))
        done = False
        if inp.ok:
            create, key_check, drop = duckdb_text.view_texts(inp, f"{schema.name}_rows", self.texts)
            con.execute(create)
            try:
                done = self._text_rows(layout, out, key_check)
            finally:
                con.execute(drop)
        if not done:
            self.restart(layout, out)
        return done

    def _text_rows(self, layout: Layout, out, key_check: str) -> bool:
        written = self._one_query(layout, out, lambda: self.con.cursor().execute(key_check).fetchall()[0][0])
        if written is None:
            return False
        self.summary.read[self.rs.customer.name] = written
        self.summary.written = written
        return True

    def _one_query(self, layout: Layout, out, key_check, statistics_view: str | None = None) -> int | None:
        """The main query's rows counted and written as they come; None, as soon as it is
        clear that the run must start again: a `unique` conflict, a repeated key, or the
        query stopped by DuckDB (a row it was told not to decide about, or a file it reads
        otherwise). Keys that come out in ascending order repeat none, which costs one
        comparison per row; `key_check` (a second read of the key column, on a cursor of
        its own beside the query) runs only once they do not. `statistics_view`: what
        population values are computed from, where not the query's own input."""
        conflicts = conflict_columns(self.rs)
        written = 0
        ascending = AscendingKeys(self.rs.key) if key_check is not None else None
        named = self.results.named

        def write(result: pa.Table) -> None:
            if ascending is not None:
                ascending.see(result)
            out.write(named(result))

        # counting and writing (pyarrow releases the GIL) overlap DuckDB computing the next batch
        with ThreadPoolExecutor(max_workers=2) as pool:
            keys_distinct = None
            pending = None
            try:
                # population values are looked up by joins, which keep no order: put back in
                # order as the rows come (in_order.py), not sorted by the query
                in_order = InOrder() if self.rs.population else None
                text = self.main_sql(sort=False, statistics_view=statistics_view)
                for batch in batches(self.con.sql(text), max(self.opts.batch_size, 256 * 1024)):
                    table = pa.Table.from_batches([batch])
                    for result in (in_order.add(table) if in_order is not None else (table,)):
                        if conflicts and any(result.column(c).null_count < result.num_rows for c in conflicts):
                            return None
                        result = result.drop_columns([*conflicts, ORDER])
                        if pending is not None:
                            pending.result()
                        if keys_distinct is None and ascending is not None and not ascending.holds:
                            keys_distinct = pool.submit(key_check)
                        pending = pool.submit(write, result)
                        written += result.num_rows
                if in_order is not None and not in_order.complete:
                    return None
                if pending is not None:
                    pending.result()
                if keys_distinct is None and ascending is not None and not ascending.holds:
                    keys_distinct = pool.submit(key_check)
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
        rs, rows = self.rs, self.rows
        raws: dict = {}
        inputs = ([rs.customer] if rs.customer else []) + [r for r in rs.related if r.name in self.opts.inputs]
        keys: set = set()
        for schema in inputs:
            is_customer = schema is rs.customer
            keep = layout.keep if is_customer else []
            self._load(schema, rows.input_rows(schema, keys, raws), keep, keyless=is_customer and not schema.key)
        self.register_missing_related()
        self.population()
        for batch in batches(self.con.sql(self.main_sql()), self.opts.batch_size):
            self.results.emit(pa.Table.from_batches([batch]), raws, rows.main_input())

    def _load(self, schema: ir.InputSchema, pairs, keep: list, keyless: bool) -> None:
        """Validated (raw, record) pairs into table `<input>_rows`, a batch at a time."""
        table_name = f"{schema.name}_rows"
        st = _st()
        incoming = st.select_all("incoming")
        created = False
        batch: list = []

        def flush():
            nonlocal created
            self.con.register("incoming", rows_table(schema, batch, keep, keyless))
            self.con.execute(_sql(st.insert(table_name, incoming) if created
                                  else st.create_table(table_name, incoming)))
            self.con.unregister("incoming")
            created = True
            batch.clear()

        for pair in pairs:
            batch.append(pair)
            if len(batch) >= self.opts.batch_size:
                flush()
        if batch or not created:
            flush()

    def register_missing_related(self) -> None:
        """A related input not given is an input without rows."""
        for r in self.rs.related:
            if r.name not in self.opts.inputs:
                self.con.register(f"{r.name}_rows", arrow_schema(r, False, [], ordered=True).empty_table())

    def population(self) -> None:
        """Frozen population values (`--stats`) as tables the main query joins."""
        if self.frozen_tables():
            from . import population_pass
            con = self.con
            self.register(DUCKDB_FUNCTIONS)
            population_pass.compute(self.plan, self.opts.params, "duckdb", self.tables,
                                    lambda q: con.sql(q).to_arrow_table(), con.register, self.opts.stats,
                                    functions=DUCKDB_FUNCTIONS)


def batches(relation, size: int):
    """A query's result as Arrow record batches. An error DuckDB raises while it streams (the
    text pass stops its query on purpose at a row the shared reader must read) reaches Python
    through Arrow's stream as an OSError, so it is raised as the duckdb.Error it is; whether it
    comes at the first batch or a later one then makes no difference."""
    reader = relation.to_arrow_reader(size)
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except OSError as exc:
            raise duckdb.Error(str(exc)) from exc
        yield batch
