"""The Spark engine: the SQL backend's query, rendered for Spark SQL and run
on a SparkSession (local mode by default, any cluster via the master URL;
the session itself is spark_session.py).

Rows are read, validated and rejected by the same code as the other engines
(engines/rows.py, engines/bad_rows.py), so bad rows get the same row numbers,
reasons and quarantine file.
The validated fields travel to Spark as Arrow tables with an explicit schema
(types from the rule file, never inferred), the query runs as Spark SQL and
its result comes back as Arrow, in input order, to the shared writers
(engines/arrow.py, as for DuckDB): every engine writes the same bytes.
"""
from __future__ import annotations

import importlib.util
from contextlib import ExitStack
from typing import TYPE_CHECKING

import pyarrow as pa

from ..backends.dialects import render
from ..backends.sql import SqlOptions, build_query, population_table
from . import population_pass
from .arrow import ArrowResults, arrow_schema, rows_table
from .base import Supports, run_guarded, run_tables_through_files
from .options import ApplyOptions, Summary
from .output import Layout, finish, open_writers
from .rows import InputRows
from .spark_session import SPARK_FUNCTIONS, drop_views, register, run_query, session

if TYPE_CHECKING:
    from ..passes import Plan

__all__ = ["ENGINE", "SparkEngine", "session"]

# ---- the engine ------------------------------------------------------------------

class SparkEngine:
    name = "spark"
    supports = Supports(master=True)

    def available(self) -> bool:
        return importlib.util.find_spec("pyspark") is not None

    def apply(self, plan: "Plan", options: ApplyOptions) -> Summary:
        """Runs the ruleset on Spark; `options.master` (else $SEGDSL_SPARK_MASTER, else local[2])
        picks the cluster."""
        return run_guarded(plan.ruleset, options, lambda: _SparkRun(plan, options).run())

    def run_tables(self, plan, tables, options, names=None):
        return run_tables_through_files(self, plan, tables, options, names)


ENGINE = SparkEngine()


class _SparkRun:
    def __init__(self, plan: "Plan", opts: ApplyOptions):
        self.rs, self.plan, self.opts = plan.ruleset, plan, opts
        self.rows = InputRows(self.rs, opts)
        self.summary = self.rows.summary
        self.views: list[str] = []

    def run(self) -> Summary:
        rs, opts = self.rs, self.opts
        layout = Layout(rs, opts.labels, opts.attributes, self.rows.keep_columns())
        names = ([rs.customer.name] if rs.customer else []) + [r.name for r in rs.related]
        self.tables = {n: f"{n}_rows" for n in names}
        # built (and so checked) before any data is read; the statistics' result views have fixed names
        self.sql = render(self.query(layout), "spark")
        self.spark = session(opts.master, opts.spark_conf)
        try:
            with ExitStack() as stack:
                out, quarantine = open_writers(stack, self.rows, layout)
                self.results = ArrowResults(rs, layout, out, self.rows.bad, self.summary)
                if rs.related or rs.population:
                    self.load_all(layout)
                else:
                    self.stream(layout)
        finally:
            drop_views(self.spark, self.views)
        return finish(self.summary, layout, opts, quarantine)

    def query(self, layout: Layout):
        opts = self.opts
        options = SqlOptions(tables=self.tables, labels=opts.labels, attributes=opts.attributes,
                             keep=tuple(layout.keep), prepared=True, ordered=True,
                             population=self.frozen_tables(), functions=SPARK_FUNCTIONS)
        return build_query(self.plan, opts.params, options)     # NotSupported: SEG501 at the rule

    def frozen_tables(self) -> tuple[tuple[int, str], ...]:
        """Population values are computed inside the main query (backends/population_sql.py);
        only frozen ones (`--stats`) come from views population_pass registers first."""
        if not (self.rs.population and self.opts.stats):
            return ()
        return tuple((p.id, population_table(p.id)) for p in self.rs.population)

    def register(self, name: str, table: pa.Table) -> None:
        register(self.spark, name, table)
        if name not in self.views:
            self.views.append(name)

    def stream(self, layout: Layout) -> None:
        """No related inputs, no population statistics: one Spark job per batch, memory bounded."""
        schema = self.rs.customer
        for batch, raws in self.rows.customer_batches(schema):
            self.register(self.tables[schema.name], rows_table(schema, batch, layout.keep, not schema.key))
            self.results.emit(run_query(self.spark, self.sql), raws, schema.name)

    def load_all(self, layout: Layout) -> None:
        """Related inputs or population statistics: every input goes to Spark, then the queries run."""
        rs, rows = self.rs, self.rows
        raws: dict = {}
        keys: set = set()
        for schema in ([rs.customer] if rs.customer else []) + list(rs.related):
            is_customer = schema is rs.customer
            keyless = is_customer and not schema.key
            keep = layout.keep if is_customer else []
            if schema.name not in self.opts.inputs:
                self.register(self.tables[schema.name], arrow_schema(schema, False, keep, ordered=True).empty_table())
                continue
            parts: list[pa.Table] = []
            batch: list = []
            for raw, rec in rows.input_rows(schema, keys, raws):
                batch.append((raw, rec))
                if len(batch) >= self.opts.batch_size:
                    parts.append(rows_table(schema, batch, keep, keyless))
                    batch.clear()
            parts.append(rows_table(schema, batch, keep, keyless))
            self.register(self.tables[schema.name], pa.concat_tables(parts))
        if self.frozen_tables():
            population_pass.compute(self.plan, self.opts.params, "spark", self.tables,
                                    lambda q: run_query(self.spark, q), self.register, self.opts.stats,
                                    functions=SPARK_FUNCTIONS)
        result = run_query(self.spark, self.sql)
        for start in range(0, result.num_rows, self.opts.batch_size):
            self.results.emit(result.slice(start, self.opts.batch_size), raws, rows.main_input())
