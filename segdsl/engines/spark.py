"""The Spark engine: the SQL backend's query, rendered for Spark SQL and run on a SparkSession
(local mode by default, any cluster via the master URL; the session itself is spark_session.py).

Where the rows come from decides the path, never the answer:

* Parquet files, directories of part files, patterns, remote paths and catalog tables
  (`table:db.name`) are read by Spark and checked in Spark SQL (engines/spark_scan.py); the
  rows SQL is unsure about are worded by the shared validator on the executors
  (engines/spark_checks.py).
* CSV, TSV and JSON Lines directories and remote paths are parsed and checked on the
  executors by the shared reader and validator (engines/spark_text.py).
* CSV and JSON Lines as local files or patterns (every input local) are read and validated in
  this process by the same code as the other engines (engines/rows.py) and go to Spark as
  Arrow tables with an explicit schema (types from the rule file, never inferred).

Bad rows are counted in Spark; the driver gets what the policy needs (`skip`: their number,
`fail`: the first, a quarantine file: the bad rows), and a quarantine directory is written by
Spark (spark_output.SparkQuarantine).

Where the rows go:

* a directory (`--output DIR/`) or a table (`--output table:db.name`): written by Spark's own
  writer, atomically, with the counts observed while it writes (engines/spark_output.py);
  nothing proportional to the customers passes through the driver;
* a file: the ordered result streamed to the driver a partition at a time
  (engines/spark_batches.py) and written by the shared writers (engines/arrow.py), so every
  engine writes the same bytes.
"""
from __future__ import annotations

import importlib.util
from contextlib import ExitStack
from typing import TYPE_CHECKING

import pyarrow as pa

from ..backends.dialects import render
from ..backends.names import ORDER
from ..backends.sql import SqlOptions, build_query, without_order_by
from . import spark_output, spark_scan, spark_text
from . import statements as st
from .arrow import ArrowResults, arrow_schema, rows_table
from .base import Supports, run_guarded, run_tables_through_files
from .errors import DataError
from .options import ApplyOptions, Summary
from .output import Layout, NullWriter, finish, open_writers
from .rows import InputRows
from .spark_batches import arrow_batches
from .spark_checks import Checked
from .spark_session import SPARK_FUNCTIONS, drop_views, quoted, register, run_query, session, spark_errors

if TYPE_CHECKING:
    from ..passes import Plan

__all__ = ["ENGINE", "SparkEngine", "session"]

# ---- the engine ------------------------------------------------------------------

class SparkEngine:
    name = "spark"
    supports = Supports(master=True, cluster_io=True)

    def available(self) -> bool:
        return importlib.util.find_spec("pyspark") is not None

    def apply(self, plan: "Plan", options: ApplyOptions) -> Summary:
        """Runs the ruleset on Spark; `options.master` (else $SEGDSL_SPARK_MASTER, else local[2])
        picks the cluster."""
        return run_guarded(plan.ruleset, options, lambda: _SparkRun(plan, options).run())

    def run_tables(self, plan, tables, options, names=None):
        return run_tables_through_files(self, plan, tables, options, names)


ENGINE = SparkEngine()


def _sql(tree) -> str:
    return st.sql(tree, "spark")


class _SparkRun:
    def __init__(self, plan: "Plan", opts: ApplyOptions):
        self.rs, self.plan, self.opts = plan.ruleset, plan, opts
        self.rows = InputRows(self.rs, opts)
        self.summary = self.rows.summary
        self.views: list[str] = []
        self.scans: list = []

    def run(self) -> Summary:
        rs, opts = self.rs, self.opts
        native = spark_scan.native(rs, opts)
        layout = Layout(rs, opts.labels, opts.attributes, self.rows.keep_columns())
        names = ([rs.customer.name] if rs.customer else []) + [r.name for r in rs.related]
        self.tables = {n: f"{n}_rows" for n in names}
        # built (and so checked) before any data is read
        self.tree = self.query(layout)
        self.spark = session(opts.master, opts.spark_conf)
        try:
            with spark_errors(), ExitStack() as stack:
                scans = self.open_scans() if native else {}
                target = self.spark_target()
                self.spark_quarantine = self.quarantine_target(scans)
                out, quarantine = open_writers(stack, self.rows, layout, output=target,
                                               quarantine=self.spark_quarantine)
                self.results = ArrowResults(rs, layout, out, self.rows.bad, self.summary)
                if native:
                    raws = self.load_native(scans)
                elif target is None and not rs.related and (not rs.population or opts.stats):
                    self.stream(layout)
                    raws = None
                else:
                    raws = self.load_all(layout)
                if raws is not None:
                    if target is not None:
                        self.write_by_spark(layout, target, raws)
                    else:
                        self.emit_in_order(raws)
        finally:
            for scan in self.scans:
                scan.close()
            drop_views(self.spark, self.views)
        return finish(self.summary, layout, opts, quarantine)

    def query(self, layout: Layout):
        opts = self.opts
        options = SqlOptions(tables=self.tables, labels=opts.labels, attributes=opts.attributes,
                             keep=tuple(layout.keep), prepared=True, ordered=True,
                             frozen=opts.stats or {}, functions=SPARK_FUNCTIONS)
        # population values are computed inside the query (backends/population_sql.py), or
        # frozen ones (`--stats`) baked into it (backends/population_frozen.py): no customer's
        # value passes through this process
        return build_query(self.plan, opts.params, options)     # NotSupported: SEG501 at the rule

    def register(self, name: str, table: pa.Table) -> None:
        register(self.spark, name, table)
        if name not in self.views:
            self.views.append(name)

    def run_sql(self, text: str) -> None:
        self.spark.sql(text)

    # ---- where the rows go ----
    def quarantine_target(self, scans: dict):
        """A quarantine directory Spark writes (`--quarantine DIR/`), else None (the shared
        writer's file). Spark writes bad rows only where it read them."""
        opts = self.opts
        if opts.on_error != "quarantine" or not opts.quarantine_dir:
            return None
        if not scans:
            raise DataError(
                f"{opts.quarantine}: a quarantine directory is written by Spark from the inputs it reads "
                "itself (Parquet files, directories, tables); give a quarantine file for these inputs")
        main = scans[self.rows.main_input()]
        path = str(opts.quarantine)
        return spark_output.SparkQuarantine(self.spark, path, spark_output.directory_format(path, None), main,
                                            self.rows.several_files(), self.rows.text_inputs())

    def spark_target(self):
        opts = self.opts
        if opts.output is None:
            return None
        if spark_output.is_table(opts.output):
            name = str(opts.output)[len(spark_scan.TABLE):]
            return spark_output.SparkTable(self.spark, name, opts.output_format)
        if opts.output_dir:
            return spark_output.SparkDirectory(self.spark, str(opts.output),
                                               spark_output.directory_format(opts.output, opts.output_format))
        return None

    def emit_in_order(self, raws) -> None:
        """The ordered result, a partition at a time, through the shared writers."""
        result = self.spark.sql(render(self.tree, "spark"))
        main = self.rows.main_input()
        pending: list = []
        rows = 0
        for batch in arrow_batches(result):
            pending.append(batch)
            rows += batch.num_rows
            if rows >= self.opts.batch_size:
                self.results.emit(pa.Table.from_batches(pending), raws, main)
                pending, rows = [], 0
        if pending:
            self.results.emit(pa.Table.from_batches(pending), raws, main)

    def write_by_spark(self, layout: Layout, target, raws) -> None:
        """Spark's writer writes the result; the counts are observed on the way."""
        from pyspark.sql import Observation
        from pyspark.sql import functions as F
        rs = self.rs
        result = self.spark.sql(render(without_order_by(self.tree), "spark"))
        conflict = spark_output.conflicted(rs)
        seen = None
        if conflict is not None:
            seen = Observation("segdsl_conflicts")
            result = result.observe(seen, F.count_if(conflict).alias("n")).where(~conflict)
        counts = spark_output.Counts(rs)
        fmt = getattr(target, "format", None) or "parquet"
        target.write(spark_output.output_frame(counts.observed(result), layout, fmt))
        self.summary.written = counts.settle(layout)
        if seen is not None and seen.get.get("n"):
            # the rare customers that matched two segments of a `unique` dimension: bad rows
            again = self.spark.sql(render(self.tree, "spark")).where(conflict)
            conflicts = ArrowResults(rs, layout, NullWriter(), self.rows.bad, Summary())
            for batch in arrow_batches(again):
                conflicts.emit(pa.Table.from_batches([batch]), raws, self.rows.main_input())

    # ---- where the rows come from ----
    def open_scans(self) -> dict:
        """Every input given, as Spark reads it; its files and columns told to the run's InputRows."""
        rs, scans = self.rs, {}
        for name, given in self.opts.inputs.items():
            schema = rs.customer if rs.customer and rs.customer.name == name else rs.related_input(name)
            keyless = schema is rs.customer and not schema.key
            src = spark_scan.source(given)
            if spark_scan.is_text(src):
                # the customer input's raw columns are kept for rows found bad later (repeats, conflicts)
                scan = spark_text.TextScan(self.spark, schema, src, keyless, self.opts, schema is rs.customer)
            else:
                scan = spark_scan.SparkScan(self.spark, schema, src, keyless, self.run_sql)
            self.scans.append(scan)
            self.views.extend(scan.views)
            self.rows.read_elsewhere(name, scan.files, scan.columns)
            scans[name] = scan
        return scans

    def load_native(self, scans: dict):
        rs = self.rs
        for schema in ([rs.customer] if rs.customer else []) + [r for r in rs.related if r.name in scans]:
            scan = scans[schema.name]
            is_customer = schema is rs.customer
            table = self.tables[schema.name]
            self.views.append(table)
            if is_customer or rs.customer is None:
                self.load_checked(scan, table, schema.key if is_customer else None)
                continue
            valid = f"__segdsl_valid_{schema.name}"
            self.views.append(valid)
            self.load_checked(scan, valid, None)
            customers = self.tables[rs.customer.name]
            self.summary.orphans += self.spark.sql(_sql(st.count_where(
                valid, st.column_in(schema.key, customers, rs.customer.key, negate=True)))).collect()[0][0]
            self.run_sql(_sql(st.create_view(table, st.select_all(
                valid, st.column_in(schema.key, customers, rs.customer.key)))))
        self.register_missing_related()
        return scans[self.rows.main_input()]

    def load_checked(self, scan, table: str, key: str | None) -> None:
        """An input's good rows as view `table`; its bad rows counted in Spark and settled by the
        policy: `skip` needs only their number, `fail` the first of them, a quarantine file all
        of them (in order, through the driver: the bad rows, never the good ones), and a
        quarantine directory none (Spark writes it)."""
        name, rows = scan.schema.name, self.rows
        count, suspects, repeats = scan.counts(key)
        self.summary.read[name] = self.summary.read.get(name, 0) + count
        if not (suspects or repeats):
            scan.good_rows().createOrReplaceTempView(quoted(table))
            return
        checked = Checked(scan, key)
        checked.good.createOrReplaceTempView(quoted(table))
        bad = checked.count_bad()
        if not bad:
            return
        if self.opts.on_error == "skip" or self.spark_quarantine is not None:
            self.summary.rejected[name] = self.summary.rejected.get(name, 0) + bad
            if self.spark_quarantine is not None:
                self.spark_quarantine.add_frame(checked.quarantined(len(self.opts.inputs) > 1,
                                                                    rows.several_files(), rows.text_inputs()))
            return
        ordered = checked.bad.orderBy(ORDER)
        for raw, reason in scan.bad_rows(ordered.limit(1) if self.opts.on_error == "fail" else ordered):
            rows.bad.add(name, raw, reason)

    def register_missing_related(self) -> None:
        """A related input not given is an input without rows."""
        for r in self.rs.related:
            if r.name not in self.opts.inputs:
                self.register(self.tables[r.name], arrow_schema(r, False, [], ordered=True).empty_table())

    def stream(self, layout: Layout) -> None:
        """CSV or JSON Lines, no related inputs, no population values but frozen ones, a file out: one Spark
        job per batch, memory bounded."""
        schema = self.rs.customer
        sql = render(self.tree, "spark")
        for batch, raws in self.rows.customer_batches(schema):
            self.register(self.tables[schema.name], rows_table(schema, batch, layout.keep, not schema.key))
            self.results.emit(run_query(self.spark, sql), raws, schema.name)

    def load_all(self, layout: Layout) -> dict:
        """CSV or JSON Lines with related inputs, population statistics or a Spark output: every
        validated row goes to Spark as Arrow."""
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
        return raws
