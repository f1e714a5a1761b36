"""One input's rows checked in Spark, without passing through the driver: the rows Spark SQL is
sure about typed in SQL (engines/spark_scan.py), the others ("suspect") judged on the
executors by the shared validator (`mapInArrow`), repeated keys found with a window.

The result is two DataFrames, nothing computed yet: the good rows, typed as the prepared
query reads them, and the bad rows with their reason and their columns as given. Both the
engine's file path (engines/spark.py) and a lazily segmented DataFrame (engines/spark_lazy.py)
build on them; only what they do with the bad rows differs. A bad row gets the words and the
row number every engine gives it, because the words come from the same validator.

The executors import segdsl to word bad rows: it is installed wherever their Python is (in
local mode it is the driver's own).
"""
from __future__ import annotations

import pyarrow as pa

from .. import ir
from ..backends.names import ORDER, ROW
from ..types import Kind
from .arrow import arrow_schema
from .spark_scan import FILE, FILE_ROW, REASON, TEXT
from .spark_session import quoted

FIRST = "__segdsl_first"


def c(name: str):
    """A column by its exact name (names may hold dots, backquotes or 中文)."""
    from pyspark.sql import functions as F
    return F.col(quoted(name))


class Checked:
    """The rows of `scan`, checked: `checked` (typed columns, ORDER, FILE_ROW, FILE and REASON,
    null for a good row), `good` (the typed rows of a good row, as the prepared query reads
    them) and `bad` (ORDER, FILE_ROW, FILE, REASON and the columns as given).

    `key`: the customer key whose repeats are bad rows (a later good row with a key an
    earlier good row has), or None when no repeat is possible."""

    def __init__(self, scan, key: str | None):
        self.scan, self.schema = scan, scan.schema
        self.columns = scan.columns
        self.names = arrow_schema(scan.schema, scan.keyless, [], ordered=True).names
        checked = scan.judged()
        if key is not None:
            checked = _repeats_marked(checked, scan, key)
        self.checked = checked
        reason = c(REASON)
        self.good = checked.where(reason.isNull()).select(*[c(n) for n in self.names])
        self.bad = scan.with_raw(checked.where(reason.isNotNull()))

    def count_bad(self) -> int:
        return self.checked.where(c(REASON).isNotNull()).count()

    def raising(self, shown: str):
        """The typed rows, a bad one raising Spark's USER_RAISED_EXCEPTION with its row and
        reason when a job meets it (the `fail` policy of a lazy result)."""
        from pyspark.sql import functions as F
        reason = c(REASON)
        message = F.concat(F.lit(f"{shown} row "), c(ORDER).cast("string"), F.lit(": "), reason)
        return self.checked.where(raise_unless(reason.isNull(), message)).select(*[c(n) for n in self.names])

    def quarantined(self, several_inputs: bool, several_files: bool, with_raw: bool = False, bad=None):
        """Bad rows (these, or `bad`) as a quarantine file has them (`quarantine_frame`)."""
        return quarantine_frame(self.scan, self.bad if bad is None else bad,
                                self.schema.name if several_inputs else None, several_files, with_raw)


def quarantine_frame(scan, bad, prefix: str | None, several_files: bool, with_raw: bool = False):
    """Bad rows of `scan` (ORDER, FILE_ROW, FILE, REASON, the columns as read, and TEXT for
    text inputs) in a quarantine file's columns (io/writers.QuarantineWriter): `_file` where an
    input has several files, `_row` (in its file), `_reason` (after `prefix: `, the input's
    name, where the run has several inputs), the columns as read, `_raw` for text inputs."""
    from pyspark.sql import functions as F
    reason = F.concat(F.lit(f"{prefix}: "), c(REASON)) if prefix else c(REASON)
    taken = ("_row", "_reason") + (("_file",) if several_files else ()) + (("_raw",) if with_raw else ())
    cols = [shown_file(scan, c(FILE)).alias("_file")] if several_files else []
    cols += [c(FILE_ROW).alias("_row"), reason.alias("_reason")]
    cols += [c(n).cast("string").alias(n + "_input" if n in taken else n) if with_raw else
             c(n).alias(n + "_input" if n in taken else n) for n in scan.columns]
    if with_raw:
        cols.append((c(TEXT) if TEXT in bad.columns else F.lit(None).cast("string")).alias("_raw"))
    return bad.select(*cols)


def found_rows(scan, found: list[tuple[int, str]]):
    """Rows of `scan` the driver found bad, as (ORDER, reason), with their columns as read
    (`scan.marked`): only the row numbers and reasons leave the driver."""
    from pyspark.sql import types as T
    marks = scan.spark.createDataFrame(found, T.StructType([T.StructField(ORDER, T.LongType()),
                                                           T.StructField(REASON, T.StringType())]))
    return scan.marked(marks)


def shown_file(scan, path):
    """A file's path as messages name it (the input's own spelling of it), from Spark's URI."""
    from pyspark.sql import functions as F
    if len(scan.shown) == 1:
        return F.lit(next(iter(scan.shown.values())))
    return lookup(path, scan.shown.items(), path)


def lookup(column, pairs, default):
    """The value paired with `column`'s value (a few pairs: files), else `default`."""
    from pyspark.sql import functions as F
    out = None
    for key, value in pairs:
        out = (F.when if out is None else out.when)(column == F.lit(key), F.lit(value))
    return default if out is None else out.otherwise(default)


def _repeats_marked(checked, scan, key: str):
    """A key's first good row is its customer; a later good row with the key is bad, with the
    words of rows.repeated_key (the first row's number in its file, and the file where the
    input has several)."""
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window
    reason = c(REASON)
    first = F.min(F.when(reason.isNull(), F.struct(c(ORDER).alias("o"), c(FILE_ROW).alias("r"), c(FILE).alias("f"))))
    checked = checked.withColumn(FIRST, first.over(Window.partitionBy(c(key))))
    at = F.concat(F.lit("row "), F.col(f"{FIRST}.r").cast("string"))
    if len(scan.files) > 1:
        at = F.concat(at, F.lit(" of "), shown_file(scan, F.col(f"{FIRST}.f")))
    kind = next(f.type.kind for f in scan.schema.fields if f.name == key)
    repeated = F.concat(F.lit(f"key {scan.schema.key} = "), _python_repr(c(key), kind),
                        F.lit(" appears twice (first at "), at, F.lit(")"))
    return checked.withColumn(REASON, F.when(reason.isNull() & (c(ORDER) > F.col(f"{FIRST}.o")), repeated)
                              .otherwise(reason)).drop(FIRST)


def raise_unless(good, message):
    """A filter condition true for good rows that raises `message` for the others when Spark
    computes them (a filter is never pruned, as an unused column would be)."""
    from pyspark.sql import functions as F
    return F.when(good, F.lit(True)).otherwise(F.raise_error(message).isNull())


def judge(schema: ir.InputSchema, keyless: bool):
    """The function the executors run on suspect rows: the shared validator's verdict, a typed
    record or a reason, each row keeping its place (ORDER, FILE_ROW, FILE)."""
    out = _judged_arrow(schema, keyless)
    fields = [f.name for f in schema.fields]

    def run(batches):
        from segdsl.io.readers import RawRow, plain_batch
        from segdsl.io.validate import RowValidator
        validator = RowValidator(schema)
        for batch in batches:
            cols: dict[str, list] = {n: [] for n in out.names}
            for r in plain_batch(batch).to_pylist():
                order, row, path = r.pop(ORDER), r.pop(FILE_ROW), r.pop(FILE)
                rec, reason = validator.convert(RawRow(row, None, r))
                for name in fields:
                    cols[name].append(None if rec is None else rec[name])
                cols[ORDER].append(order)
                if keyless:
                    cols[ROW].append(row)
                cols[FILE_ROW].append(row)
                cols[FILE].append(path)
                cols[REASON].append(reason)
            yield pa.RecordBatch.from_pydict(cols, schema=out)
    return run


def _judged_arrow(schema: ir.InputSchema, keyless: bool) -> pa.Schema:
    base = arrow_schema(schema, keyless, [], ordered=True)
    fields = [pa.field(f.name, pa.timestamp("us", "UTC")) if pa.types.is_timestamp(f.type) else f for f in base]
    return pa.schema([*fields, pa.field(FILE_ROW, pa.int64()), pa.field(FILE, pa.string()),
                      pa.field(REASON, pa.string())])


def judged_schema(schema: ir.InputSchema, keyless: bool):
    """The Spark schema `judge` gives."""
    return _spark_schema(schema, keyless, judged=True)


def _spark_schema(schema: ir.InputSchema, keyless: bool, judged: bool = False):
    """The typed rows' Spark schema (with the place and reason columns for judged rows)."""
    from pyspark.sql import types as T
    spark_types = {Kind.INT: T.LongType(), Kind.NUMBER: T.DoubleType(), Kind.BOOL: T.BooleanType(),
                   Kind.STRING: T.StringType(), Kind.ENUM: T.StringType(), Kind.DATE: T.DateType(),
                   Kind.DATETIME: T.TimestampType()}
    fields = [T.StructField(f.name, spark_types[f.type.kind]) for f in schema.fields]
    fields.append(T.StructField(ORDER, T.LongType()))
    if keyless:
        fields.insert(0, T.StructField(ROW, T.LongType()))
    if judged:
        fields += [T.StructField(FILE_ROW, T.LongType()), T.StructField(FILE, T.StringType()),
                   T.StructField(REASON, T.StringType())]
    return T.StructType(fields)


def typed_schema(schema: ir.InputSchema, keyless: bool):
    """The Spark schema of an input's typed rows, as the prepared query reads them."""
    return _spark_schema(schema, keyless)


def _python_repr(column, kind: Kind):
    """The key as Python's repr writes it in the shared reader's message (`'a1'`, `7`)."""
    from pyspark.sql import functions as F
    if kind in (Kind.STRING, Kind.ENUM):
        # Python quotes with " a text that holds ' and no ", else with ' (escaping ')
        escaped = F.regexp_replace(column, r"\\", r"\\\\")
        double = column.contains("'") & ~column.contains('"')
        return F.when(double, F.concat(F.lit('"'), escaped, F.lit('"'))).otherwise(
            F.concat(F.lit("'"), F.regexp_replace(escaped, "'", r"\\'"), F.lit("'")))
    return column.cast("string")


def _sql(tree) -> str:
    from . import statements as st
    return st.sql(tree, "spark")
