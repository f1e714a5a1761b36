"""A Spark DataFrame segmented lazily: `Segmentation.apply(spark_df)` returns a DataFrame the
caller's job keeps composing, and no Spark job runs until the caller asks for rows.

The checks are the native scan's (engines/spark_scan.py): the rows Spark SQL is sure about
are typed in SQL, and the others ("suspect") are worded by the shared validator, here on the
executors (`mapInArrow`), so a bad row has the reason every engine gives. Repeated keys are
found with a window, `unique` conflicts by the query's own conflict columns. What happens to
a bad row is the policy's:

* `fail`: the result raises Spark's USER_RAISED_EXCEPTION with the row and its reason when
  the caller's action meets a bad row (which one first is Spark's order, not the input's);
* `skip`: the result leaves bad rows out;
* `quarantine`: the result leaves them out, and a second DataFrame holds them: `_row`,
  `_reason` and the input's columns as they were.

A DataFrame has no file to number its rows by: row N is the DataFrame's N-th row in its own
order (Spark's `distributed_sequence_id`, computed on the executors when the rows are).
The executors import segdsl to word bad rows: it is installed wherever their Python is (in
local mode it is the driver's own).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .. import ir
from ..backends.dialects import render
from ..backends.names import ORDER, ROW, conflict_columns
from ..backends.sql import SqlOptions, build_query, without_order_by
from ..types import Kind
from .arrow import arrow_schema
from .bad_rows import input_names
from .errors import fail
from .options import ApplyOptions
from .output import Layout
from .spark_output import output_frame
from .spark_scan import FILE, FILE_ROW, INDEX, SUSPECT, SparkScan, Source
from .spark_session import SPARK_FUNCTIONS, lazy_session, spark_errors

if TYPE_CHECKING:
    from ..passes import Plan

REASON = "__segdsl_reason"


@dataclass(frozen=True)
class LazyResult:
    """The segments (a DataFrame), and the bad rows under the quarantine policy (else None)."""
    result: Any
    rejected: Any = None


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
    tree = build_query(plan, opts.params, SqlOptions(tables=tables, labels=opts.labels, attributes=opts.attributes,
                                                     prepared=True, ordered=True, functions=SPARK_FUNCTIONS))
    with spark_errors():
        rejected: list = []
        customer = None
        for schema in ([rs.customer] if rs.customer else []) + list(rs.related):
            keyless = schema is rs.customer and not schema.key
            if schema.name not in frames:
                empty = arrow_schema(schema, keyless, [], ordered=True).empty_table()
                spark.createDataFrame(empty, schema=_spark_schema(schema, keyless)) \
                    .createOrReplaceTempView(_q(tables[schema.name]))
                continue
            checked = _Checked(spark, schema, frames[schema.name], shown[schema.name], keyless, tag,
                               schema.key if schema is rs.customer else None, opts.on_error)
            if opts.on_error == "quarantine":
                rejected.append(checked.quarantined(len(frames) > 1))
            if schema is rs.customer:
                customer = checked
            checked.rows.createOrReplaceTempView(_q(tables[schema.name]))
        result = spark.sql(render(without_order_by(tree), "spark"))
        result = _without_conflicts(rs, result, customer, len(frames) > 1, opts.on_error, rejected)
        out = output_frame(result, layout, "parquet")
        quarantine = None
        if opts.on_error == "quarantine":
            quarantine = rejected[0] if rejected else None
            for more in rejected[1:]:
                quarantine = quarantine.unionByName(more, allowMissingColumns=True)
        return LazyResult(out, quarantine)


class _Checked:
    """One input's rows, checked, nothing computed yet: `rows` (typed, as the prepared SQL reads
    them, bad rows left out or raising by the policy) and `bad` (ORDER, `_reason`, raw columns)."""

    def __init__(self, spark, schema: ir.InputSchema, frame, shown: str, keyless: bool, tag: str,
                 key: str | None, on_error: str):
        from pyspark.sql import functions as F
        from pyspark.sql.window import Window
        self.shown, self.schema = shown, schema
        scan = _FrameScan(spark, schema, Source(shown, frame=frame), keyless, lambda q: spark.sql(q), tag)
        self.columns = scan.columns
        names = arrow_schema(schema, keyless, [], ordered=True).names
        reason = F.col(REASON)
        sure = spark.sql(_sql(scan.typed_select(_not_suspect()))).select(*[F.col(_q(n)) for n in names]) \
            .withColumn(REASON, F.lit(None).cast("string"))
        suspects = spark.table(_q(scan.scan)).where(F.col(SUSPECT)) \
            .select(*[F.col(_q(c)) for c in self.columns], F.col(ORDER), F.col(FILE_ROW))
        judged = suspects.mapInArrow(_judge(schema, keyless), _judged_schema(schema, keyless))
        checked = sure.unionByName(judged)
        if key is not None:
            # a key's first good row is its customer; a later good row with the key is bad
            first = F.min(F.when(reason.isNull(), F.col(ORDER))).over(Window.partitionBy(F.col(_q(key))))
            repeated = F.concat(F.lit(f"key {schema.key} = "), _python_repr(F.col(_q(key)), _kind(schema, key)),
                                F.lit(" appears twice (first at row "), first.cast("string"), F.lit(")"))
            checked = checked.withColumn(REASON, F.when(reason.isNull() & (F.col(ORDER) > first), repeated)
                                         .otherwise(reason))
        if on_error == "fail":
            message = F.concat(F.lit(f"{shown} row "), F.col(ORDER).cast("string"), F.lit(": "), reason)
            rows = checked.where(_raise_unless(reason.isNull(), message))
        else:
            rows = checked.where(reason.isNull())
        self.rows = rows.drop(REASON)
        self.raw = spark.table(_q(scan.scan)).select(*[F.col(_q(c)) for c in self.columns], F.col(ORDER))
        self.bad = checked.where(reason.isNotNull()).select(F.col(ORDER), reason).join(self.raw, ORDER)

    def quarantined(self, several: bool, bad=None):
        """Bad rows (these, or `bad`: ORDER, REASON and the raw columns) as a quarantine file has
        them: `_row`, `_reason`, the columns as given."""
        from pyspark.sql import functions as F
        reason = F.concat(F.lit(f"{self.schema.name}: "), F.col(REASON)) if several else F.col(REASON)
        return (self.bad if bad is None else bad).select(F.col(ORDER).alias("_row"), reason.alias("_reason"),
                               *[F.col(_q(c)) for c in self.columns if c not in ("_row", "_reason")])


def _raise_unless(good, message):
    """A filter condition true for good rows that raises `message` for the others when Spark
    computes them (a filter is never pruned, as an unused column would be)."""
    from pyspark.sql import functions as F
    return F.when(good, F.lit(True)).otherwise(F.raise_error(message).isNull())


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


def _judge(schema: ir.InputSchema, keyless: bool):
    """The function the executors run on suspect rows: the shared validator's verdict, a typed
    record or a reason."""
    out = _judged_arrow(schema, keyless)
    fields = [f.name for f in schema.fields]

    def judge(batches):
        from segdsl.io.readers import RawRow, plain_batch
        from segdsl.io.validate import RowValidator
        validator = RowValidator(schema)
        for batch in batches:
            cols: dict[str, list] = {n: [] for n in out.names}
            for r in plain_batch(batch).to_pylist():
                order, row = r.pop(ORDER), r.pop(FILE_ROW)
                rec, reason = validator.convert(RawRow(row, None, r))
                for name in fields:
                    cols[name].append(None if rec is None else rec[name])
                cols[ORDER].append(order)
                if keyless:
                    cols[ROW].append(row)
                cols[REASON].append(reason)
            yield pa.RecordBatch.from_pydict(cols, schema=out)
    return judge


def _judged_arrow(schema: ir.InputSchema, keyless: bool) -> pa.Schema:
    base = arrow_schema(schema, keyless, [], ordered=True)
    fields = [pa.field(f.name, pa.timestamp("us", "UTC")) if pa.types.is_timestamp(f.type) else f for f in base]
    return pa.schema([*fields, pa.field(REASON, pa.string())])


def _spark_schema(schema: ir.InputSchema, keyless: bool):
    from pyspark.sql import types as T
    spark_types = {Kind.INT: T.LongType(), Kind.NUMBER: T.DoubleType(), Kind.BOOL: T.BooleanType(),
                   Kind.STRING: T.StringType(), Kind.ENUM: T.StringType(), Kind.DATE: T.DateType(),
                   Kind.DATETIME: T.TimestampType()}
    fields = [T.StructField(f.name, spark_types[f.type.kind]) for f in schema.fields]
    fields.append(T.StructField(ORDER, T.LongType()))
    if keyless:
        fields.insert(0, T.StructField(ROW, T.LongType()))
    return T.StructType(fields)


def _judged_schema(schema: ir.InputSchema, keyless: bool):
    from pyspark.sql import types as T
    return T.StructType([*_spark_schema(schema, keyless).fields, T.StructField(REASON, T.StringType())])


def _without_conflicts(rs: ir.Ruleset, result, customer: "_Checked | None", several: bool, on_error: str,
                       rejected: list):
    """The result less its customers that matched two segments of a `unique` dimension: raising
    under `fail`, left out otherwise (and added to `rejected` under `quarantine`)."""
    from pyspark.sql import functions as F
    cols = conflict_columns(rs)
    if not cols or customer is None:
        return result
    reason = F.coalesce(*[F.col(c) for c in cols])
    if on_error == "fail":
        message = F.concat(F.lit(f"{customer.shown} row "), F.col(ORDER).cast("string"), F.lit(": "), reason)
        return result.where(_raise_unless(reason.isNull(), message))
    if on_error == "quarantine":
        bad = result.where(reason.isNotNull()).select(F.col(ORDER), reason.alias(REASON))
        rejected.append(customer.quarantined(several, bad.join(customer.raw, ORDER)))
    return result.where(reason.isNull())


def _python_repr(column, kind: Kind):
    """The key as Python's repr writes it in the shared reader's message (`'a1'`, `7`)."""
    from pyspark.sql import functions as F
    if kind in (Kind.STRING, Kind.ENUM):
        text = F.regexp_replace(F.regexp_replace(column, r"\\", r"\\\\"), "'", r"\\'")
        return F.concat(F.lit("'"), text, F.lit("'"))
    return column.cast("string")


def _kind(schema: ir.InputSchema, name: str) -> Kind:
    return next(f.type.kind for f in schema.fields if f.name == name)


def _not_suspect():
    from sqlglot import exp

    from ..backends.sql import col
    return exp.Not(this=col(SUSPECT))


def _sql(tree) -> str:
    from . import statements as st
    return st.sql(tree, "spark")


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"

