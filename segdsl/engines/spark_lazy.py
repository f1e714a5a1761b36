"""A Spark DataFrame segmented lazily: `Segmentation.apply(spark_df)` returns a DataFrame the
caller's job keeps composing, and no Spark job runs until the caller asks for rows.

The checks are the engine's own (engines/spark_checks.py): rows typed in Spark SQL, suspect
rows worded on the executors by the shared validator, repeated keys found with a window, and
`unique` conflicts by the query's own conflict columns. What happens to a bad row is the
policy's:

* `fail`: the result raises Spark's USER_RAISED_EXCEPTION with the row and its reason when
  the caller's action meets a bad row (which one first is Spark's order, not the input's);
* `skip`: the result leaves bad rows out;
* `quarantine`: the result leaves them out, and a second DataFrame holds them: `_row`,
  `_reason` and the input's columns as they were.

A DataFrame has no file to number its rows by: row N is the DataFrame's N-th row in its own
order (Spark's `distributed_sequence_id`, computed on the executors when the rows are).
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from .. import ir
from ..backends.dialects import render
from ..backends.names import ORDER, conflict_columns
from ..backends.sql import SqlOptions, build_query, without_order_by
from .arrow import arrow_schema
from .bad_rows import input_names
from .errors import fail
from .options import ApplyOptions, LazyResult
from .output import Layout
from .spark_output import output_frame
from .spark_checks import REASON, Checked, raise_unless, typed_schema
from .spark_scan import FILE, FILE_ROW, INDEX, SparkScan, Source
from .spark_session import SPARK_FUNCTIONS, is_connect_object, lazy_session, quoted, spark_errors

if TYPE_CHECKING:
    from ..passes import Plan


def apply_frames(plan: "Plan", frames: dict, opts: ApplyOptions, shown: dict[str, str]) -> LazyResult:
    """Segments `frames` (input name → Spark DataFrame, all of one session) without running a job."""
    rs = plan.ruleset
    if opts.keep:
        raise fail("not-for-engine", "keep", ",".join(opts.keep),
                   "a Spark DataFrame's result carries no input columns; join it back by the key", usage=True)
    sessions = {id(f.sparkSession) for f in frames.values()}
    if len(sessions) > 1:
        raise fail("bad-input", "data", ", ".join(frames), "the DataFrames belong to different Spark sessions",
                   usage=True)
    spark = lazy_session(next(iter(frames.values())).sparkSession)
    tag = uuid.uuid4().hex[:12]
    tables = {n: f"__segdsl_{tag}_{n}_rows" for n in input_names(rs)}
    layout = Layout(rs, opts.labels, opts.attributes, [])
    # frozen population values (a stats file) are baked into the query, as `compile --stats` does
    tree = build_query(plan, opts.params, SqlOptions(tables=tables, labels=opts.labels, attributes=opts.attributes,
                                                     prepared=True, ordered=True, functions=SPARK_FUNCTIONS,
                                                     frozen=opts.stats or {}))
    with spark_errors():
        rejected: list = []
        customer = None
        views: list[str] = []
        for schema in ([rs.customer] if rs.customer else []) + list(rs.related):
            keyless = schema is rs.customer and not schema.key
            if schema.name not in frames:
                empty = arrow_schema(schema, keyless, [], ordered=True).empty_table()
                spark.createDataFrame(empty, schema=typed_schema(schema, keyless)) \
                    .createOrReplaceTempView(quoted(tables[schema.name]))
                continue
            scan = _FrameScan(spark, schema, Source(shown[schema.name], frame=frames[schema.name]), keyless,
                              lambda q: spark.sql(q), tag)
            views += scan.views
            checked = Checked(scan, schema.key if schema is rs.customer else None)
            if opts.on_error == "quarantine":
                rejected.append(checked.quarantined(len(frames) > 1, False))
            if schema is rs.customer:
                customer = checked
            rows = checked.raising(shown[schema.name]) if opts.on_error == "fail" else checked.good
            rows.createOrReplaceTempView(quoted(tables[schema.name]))
        result = spark.sql(render(without_order_by(tree), "spark"))
        result = _without_conflicts(rs, result, customer, shown, len(frames) > 1, opts.on_error, rejected)
        out = output_frame(result, layout, "parquet")
        quarantine = None
        if opts.on_error == "quarantine":
            quarantine = rejected[0] if rejected else None
            for more in rejected[1:]:
                quarantine = quarantine.unionByName(more, allowMissingColumns=True)
        _drop_views(spark, views + list(tables.values()))
        return LazyResult(out, quarantine)


def _drop_views(spark, views: list[str]) -> None:
    """The temporary views the result was built from, dropped where that is safe: a classic
    session analyses a DataFrame when it is made, so the result holds the views' plans. A Spark
    Connect DataFrame is a plan the server resolves at each action, by the views' names: there
    they stay, for the session's life (their names are unique to the call)."""
    if is_connect_object(spark):
        return
    for name in views:
        spark.catalog.dropTempView(name)


class _FrameScan(SparkScan):
    """The native scan over a DataFrame: one "file", rows numbered in the DataFrame's order. A
    column of another type than its field's (whole numbers 0/1 for a bool, text for a number)
    is read as the shared validator reads a file's: each of its rows by the validator."""

    lenient = True

    def _read(self):
        from pyspark.sql import functions as F
        frame = self.src.frame
        return frame.select("*", F.lit(self.src.given).alias(FILE), _sequence().alias(INDEX))

    def _number_files(self) -> None:
        self.paths, self.files, self.offsets = [self.src.given], [self.src.given], [0]
        self.shown = {self.src.given: self.src.given}


def _sequence():
    """0, 1, 2, … in the DataFrame's order, numbered on the executors (zipWithIndex's way)."""
    from pyspark.sql.internal import InternalFunction
    return InternalFunction.distributed_sequence_id()


def _without_conflicts(rs: ir.Ruleset, result, customer: Checked | None, shown: dict[str, str], several: bool,
                       on_error: str, rejected: list):
    """The result less its customers that matched two segments of a `unique` dimension: raising
    under `fail`, left out otherwise (and added to `rejected` under `quarantine`)."""
    from pyspark.sql import functions as F
    cols = conflict_columns(rs)
    if not cols or customer is None:
        return result
    reason = F.coalesce(*[F.col(c) for c in cols])
    if on_error == "fail":
        given = shown[customer.schema.name]
        message = F.concat(F.lit(f"{given} row "), F.col(ORDER).cast("string"), F.lit(": "), reason)
        return result.where(raise_unless(reason.isNull(), message))
    if on_error == "quarantine":
        bad = result.where(reason.isNotNull()).select(F.col(ORDER), F.col(ORDER).alias(FILE_ROW),
                                                      F.lit(None).cast("string").alias(FILE), reason.alias(REASON))
        rejected.append(customer.quarantined(several, False, bad=customer.scan.with_raw(bad)))
    return result.where(reason.isNull())


