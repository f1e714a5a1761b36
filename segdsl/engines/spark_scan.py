"""Inputs Spark reads itself: Parquet files, directories of part files, patterns, remote paths
(`hdfs://`, `s3a://`) and catalog tables (`table:db.name`), checked in Spark SQL.

The model is the DuckDB engine's Parquet scan (duckdb_scan.py): the checks here are a
cautious superset of io/validate.py. A row Spark SQL is sure about (right types, no null in a
required field, inside its range, an enum's data value exactly) is typed in Spark; every other
row is "suspect", and only those rows come to the driver (in bounded batches), where the shared
validator rescues them (a padded enum value) or words the reason. Repeated keys are found with
a window in Spark, and only the repeats come to the driver. So a bad row gets the same reason
and row number as on every engine, and clean data never leaves the cluster.

Rows are numbered as the shared reader numbers them: a row's number in its file
(`_metadata.row_index` + 1), the files one after the other in sorted order (local files in the
order io/readers.expand gives, other files by their path). A catalog table is numbered by the
files Spark reads it from, so it must be a file-based table.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import pyarrow as pa
from sqlglot import exp

from .. import ir
from ..backends.dialects import sql_type
from ..backends.sql import ORDER, ROW, col, double, ident, literal, without_missing
from ..io.readers import RawRow, detect_format, expand, plain_batch
from ..io.validate import check_columns
from ..types import Kind
from . import statements as st
from .column_types import fits, sure_enum_values
from .errors import DataError
from .spark_batches import arrow_batches, arrow_rows
from .spark_session import quoted

TABLE = "table:"
SUSPECT = "__segdsl_suspect"
FILE = "__segdsl_file"
INDEX = "__segdsl_index"
FILE_ROW = "__segdsl_file_row"
REASON = "__segdsl_reason"        # why a row is bad (engines/spark_checks.py), null for a good row
LINE = "__segdsl_line"            # a text row's first line in its file
TEXT = "__segdsl_text"            # a CSV row's text, where it cannot be read as a row
URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


# ---- what an input names ------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """An input as given: a catalog table, a URI Spark lists itself, or local files (in reading order)."""
    given: str
    table: str | None = None
    uri: bool = False
    files: tuple[str, ...] = ()
    frame: object = None          # a Spark DataFrame (engines/spark_lazy.py)

    @property
    def local(self) -> bool:
        return self.table is None and not self.uri

    def shown(self) -> str:
        return self.given


def is_cluster_source(given) -> bool:
    """A source only Spark reads: a table, a URI, or a directory."""
    text = os.fspath(given)
    return text.startswith(TABLE) or bool(URI_SCHEME.match(text)) or os.path.isdir(text)


def source(given) -> Source:
    text = os.fspath(given)
    if text.startswith(TABLE):
        return Source(text, table=text[len(TABLE):])
    if URI_SCHEME.match(text):
        return Source(text, uri=True)
    if os.path.isdir(text):
        names = sorted(n for n in os.listdir(text) if not n.startswith(("_", ".")))
        return Source(text, files=tuple(os.path.join(text, n) for n in names
                                        if os.path.isfile(os.path.join(text, n))))
    return Source(text, files=tuple(expand(text)))


def _parquet_suffix(path: str) -> bool:
    try:
        return detect_format(path) == "parquet"
    except Exception:  # noqa: BLE001 - no format from the suffix
        return False


def native(rs: ir.Ruleset, opts) -> bool:
    """Whether Spark reads and checks every input itself: Parquet, tables, and text (CSV, TSV,
    JSON Lines: engines/spark_text.py) when it is a directory or a remote path, beside an input
    that is, or when the run needs every row in Spark (related inputs, population values
    computed, an output Spark writes). Otherwise local text files are streamed through the
    shared reader in this process, a batch at a time, into the one output file it writes.
    A source only Spark can read, with options its reader does not take, is a DataError."""
    sources = {name: source(p) for name, p in opts.inputs.items()}
    cluster = [name for name, s in sources.items() if not s.local or (s.files and os.path.isdir(s.given))]
    text = {name for name, s in sources.items() if is_text(s)}
    refused = [o for o, v in (("--null-values", opts.null_values), ("--date-format", opts.date_format)) if v]
    refused += ["--keep"] if opts.keep else []
    parquet = [name for name in sources if name not in text]
    if cluster and (opts.keep or refused and parquet):
        given = sources[parquet[0] if parquet and not opts.keep else cluster[0]].given
        raise DataError(f"{given}: Spark reads it with its own reader, which does not take {', '.join(refused)} yet")
    whole = bool(rs.related) or bool(rs.population and not opts.stats) or (
        opts.output is not None and (opts.output_dir or os.fspath(opts.output).startswith(TABLE)))
    if not cluster and (opts.keep or text and not whole or refused and parquet):
        return False
    for name, src in sources.items():
        if name in text or not src.local:
            continue
        if not src.files:
            raise DataError(f"{src.given}: no data file in this directory")
        if not all(_parquet_suffix(f) for f in src.files):
            return False
        if not _local_types_fit(rs, name, src.files):
            if os.path.isdir(src.given):
                raise DataError(f"{src.given}: a column's Parquet type is not the field's type; "
                                "give the files as a quoted pattern to have them read by the shared reader")
            return False
    return True


def is_text(src: Source) -> bool:
    """Whether a source is text files (CSV, TSV, JSON Lines): a remote path or pattern named so,
    or local files named so (a directory holds files of one format)."""
    from .spark_text import text_format
    if src.table is not None:
        return False
    if src.uri:
        return text_format(src.given) is not None or text_format(src.given.rstrip("/*")) is not None
    if not src.files:
        return False
    kinds = {text_format(f) or ("parquet" if _parquet_suffix(f) else "other") for f in src.files}
    if os.path.isdir(src.given) and (len(kinds) > 1 or "other" in kinds):
        shown = ", ".join(sorted(os.path.basename(f) for f in src.files)[:3])
        raise DataError(f"{src.given}: a directory Spark reads holds files of one format (Parquet, CSV, TSV "
                        f"or JSON Lines); this one has {shown}")
    return kinds <= set(("csv", "tsv", "jsonl"))


def _schema_of(rs: ir.Ruleset, name: str) -> ir.InputSchema:
    return rs.customer if rs.customer and rs.customer.name == name else rs.related_input(name)


def _local_types_fit(rs: ir.Ruleset, name: str, files) -> bool:
    """Every file's column types are ones Spark and pyarrow read alike, the fields' ones fit
    the fields, and the same in every file."""
    import pyarrow.parquet as pq
    fields = _schema_of(rs, name).fields
    seen = None
    for path in files:
        try:
            schema = pq.read_schema(path)
        except Exception:  # noqa: BLE001 - unreadable here means: let the shared reader report it
            return False
        if not all(_spark_reads_alike(t) for t in schema.types):
            return False
        types = {}
        for f in fields:
            i = schema.get_field_index(f.column)
            if i >= 0:
                if not fits(f.type.kind, schema.field(i).type, nanoseconds=False):
                    return False
                types[f.column] = schema.field(i).type
        if seen is not None and types != seen:
            return False
        seen = types
    return True


def _spark_reads_alike(t: pa.DataType) -> bool:
    return ((pa.types.is_integer(t) and t != pa.uint64()) or pa.types.is_floating(t) and t != pa.float16()
            or pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_boolean(t)
            or pa.types.is_date32(t) or (pa.types.is_timestamp(t) and t.unit in ("ms", "us")))


def _spark_fits(kind: Kind, spark_type) -> bool:
    """`fits` for a column as Spark types it (tables and remote files)."""
    from pyspark.sql import types as T
    if isinstance(spark_type, T.TimestampType):
        return False         # an instant, not a wall-clock time: not a datetime as it is
    if isinstance(spark_type, T.TimestampNTZType):
        return kind is Kind.DATETIME
    try:
        from pyspark.sql.pandas.types import to_arrow_type
        return fits(kind, to_arrow_type(spark_type), nanoseconds=False)
    except Exception:  # noqa: BLE001 - a type Arrow has not
        return False


# ---- the checks ---------------------------------------------------------------------

def _raw(f: ir.FieldSchema, columns: set[str]) -> exp.Expression:
    return without_missing(f, col(f.column)) if f.column in columns else exp.Null()


def _suspect(f: ir.FieldSchema, columns: set[str]) -> list[exp.Expression]:
    """Conditions under which Spark SQL is not sure how the shared validator reads the value."""
    raw = _raw(f, columns)
    out = []
    if f.required:
        empty = [exp.Is(this=raw.copy(), expression=exp.Null())]
        if f.type.kind in (Kind.STRING, Kind.ENUM):
            empty.append(exp.EQ(this=raw.copy(), expression=exp.Literal.string("")))
        out.append(exp.or_(*empty))
    if f.type.kind is Kind.ENUM:
        values = [exp.Literal.string(v) for v in sure_enum_values(f)]
        out.append(exp.Not(this=exp.In(this=raw.copy(), expressions=values)) if values
                   else exp.Not(this=exp.Is(this=raw.copy(), expression=exp.Null())))
    if f.type.kind is Kind.NUMBER:
        out.append(exp.Anonymous(this="isnan", expressions=[double(raw.copy())]))
        out.append(exp.EQ(this=exp.Abs(this=double(raw.copy())),
                          expression=exp.Cast(this=exp.Literal.string("Infinity"), to=sql_type("DOUBLE"))))
    if f.type.kind in (Kind.DATE, Kind.DATETIME):
        # Spark holds dates far beyond years 1 to 9999; the language does not
        day = exp.Cast(this=raw.copy(), to=sql_type("DATE"))
        out.append(exp.Not(this=exp.Between(this=day, low=literal(dt.date.min), high=literal(dt.date.max))))
    if f.low is not None:
        out.append(exp.LT(this=raw.copy(), expression=literal(f.low, f.type.kind)))
    if f.high is not None:
        out.append(exp.GT(this=raw.copy(), expression=literal(f.high, f.type.kind)))
    return out


_SQL = {Kind.INT: "BIGINT", Kind.NUMBER: "DOUBLE", Kind.BOOL: "BOOLEAN", Kind.STRING: "STRING",
        Kind.ENUM: "STRING", Kind.DATE: "DATE", Kind.DATETIME: "TIMESTAMP"}


def _typed(f: ir.FieldSchema, raw: exp.Expression) -> exp.Expression:
    """A sure row's value as the field's type (sure rows only: see `_suspect`)."""
    kind = f.type.kind
    if kind is Kind.STRING:
        v = raw if f.required else exp.Nullif(this=raw, expression=exp.Literal.string(""))
    elif kind is Kind.ENUM:
        members = f.type.enum.members
        v = raw if all(m.value == m.name for m in members) else exp.Case(
            this=raw, ifs=[exp.If(this=exp.Literal.string(m.value), true=exp.Literal.string(m.name)) for m in members])
    else:
        v = raw
    v = exp.Cast(this=v, to=sql_type(_SQL[kind]))
    if f.has_default and f.default is not None:
        v = exp.Coalesce(this=v, expressions=[literal(f.default, kind)])
    return exp.Cast(this=v, to=sql_type(_SQL[kind]))


def sure() -> exp.Expression:
    """The rows Spark SQL is sure about."""
    return exp.Not(this=col(SUSPECT))


def _sql(tree: exp.Expression) -> str:
    return st.sql(tree, "spark")


# ---- one input --------------------------------------------------------------------------

class SparkScan:
    """One input as Spark views: `src` (the rows as read, with their file and index), `scan`
    (their place in the input and whether SQL is sure about them), then the typed rows."""

    # A column whose type is not the field's: refused (files are read by the shared reader
    # instead), or, when lenient, every row of it left to the shared validator
    lenient = False

    def __init__(self, spark, schema: ir.InputSchema, src: Source, keyless: bool, query, tag: str = ""):
        self.spark, self.schema, self.src, self.keyless, self.query = spark, schema, src, keyless, query
        name = f"{tag}_{schema.name}" if tag else schema.name
        self.src_view, self.scan = f"__segdsl_src_{name}", f"__segdsl_scan_{name}"
        self.views = [self.src_view, self.scan]
        frame = self._read()
        self.columns = [c for c in frame.columns if c not in (FILE, INDEX)]
        problems = check_columns(schema, self.columns)
        if problems:
            raise DataError(f"{src.given}: " + "; ".join(problems))
        present = set(self.columns)
        types = {f.name: f.dataType for f in frame.schema.fields}
        self.loose: set[str] = set()       # columns whose every row the shared validator reads
        for f in schema.fields:
            if f.column in present and not _spark_fits(f.type.kind, types[f.column]):
                if self.lenient:
                    self.loose.add(f.column)
                    continue
                raise DataError(f"{src.given}: column \"{f.column}\" is {types[f.column].simpleString()}, which is "
                                f"not a {f.type.describe()} as it is; store it as one (or read the data "
                                "through another engine)")
        frame.createOrReplaceTempView(self.src_view)
        self._number_files()
        if keyless and len(self.files) > 1:
            raise DataError(f"{src.given}: names {len(self.files)} files, but input `{name}` has no key, so its "
                            "customers are numbered by row; declare a key, or give one file")
        conds = [exp.Coalesce(this=c, expressions=[exp.Boolean(this=False)])
                 for f in schema.fields if f.column not in self.loose for c in _suspect(f, present)]
        conds += [exp.Boolean(this=True)] if self.loose else []
        suspect = exp.or_(*conds) if conds else exp.Boolean(this=False)
        offset = exp.Case(this=col(FILE), ifs=[exp.If(this=exp.Literal.string(p), true=exp.Literal.number(o))
                                              for p, o in zip(self.paths, self.offsets)],
                          default=exp.Literal.number(0))
        row = exp.Add(this=col(INDEX), expression=exp.Literal.number(1))
        scan = exp.select(exp.Star(), exp.alias_(exp.Add(this=row.copy(), expression=offset), ident(ORDER)),
                          exp.alias_(row, ident(FILE_ROW)),
                          *[exp.alias_(col(f.column) if f.column in self.loose else _raw(f, present), ident(f"__raw_{i}"))
                            for i, f in enumerate(schema.fields)],
                          exp.alias_(suspect, ident(SUSPECT))).from_(st.table(self.src_view))
        self.query(_sql(st.create_view(self.scan, scan)))

    def _read(self):
        spark, src = self.spark, self.src
        from pyspark.errors import PySparkException
        try:
            if src.table is not None:
                frame = spark.table(src.table)
            elif src.uri:
                frame = spark.read.parquet(src.given)
            else:
                frame = spark.read.parquet(*[os.path.abspath(f) for f in src.files])
            return frame.select("*", frame["_metadata.file_path"].alias(FILE), frame["_metadata.row_index"].alias(INDEX))
        except PySparkException as exc:
            what = "table" if src.table is not None else "input"
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"{src.given}: Spark cannot read this {what} with the row numbers segdsl reports "
                            f"(a file-based table or Parquet files): {detail}") from None

    def _number_files(self) -> None:
        """Each file's rows, the files in reading order, and the rows before each."""
        counts = {r[FILE]: r["n"] for r in arrow_rows(self.spark.sql(_sql(
            exp.select(col(FILE), exp.alias_(exp.Count(this=exp.Star()), ident("n")))
            .from_(st.table(self.src_view)).group_by(col(FILE)))))}
        order, shown = reading_order(self.src, counts)
        self.paths = order
        self.files = [shown[p] for p in order]
        self.shown = shown
        self.offsets = [sum(counts[q] for q in order[:i]) for i in range(len(order))]
        self.num_rows = sum(counts.values())

    def typed_select(self, where: exp.Expression, extra: tuple[str, ...] = ()) -> exp.Select:
        """The typed rows `where` selects, with ORDER (ROW for a keyless input) and `extra` columns."""
        cols = [exp.alias_(_typed(f, exp.Null() if f.column in self.loose else col(f"__raw_{i}")), ident(f.name))
                for i, f in enumerate(self.schema.fields)]
        cols.append(col(ORDER))
        cols += [col(c) for c in extra]
        if self.keyless:
            cols.insert(0, exp.alias_(col(FILE_ROW), ident(ROW)))
        return exp.select(*cols).from_(st.table(self.scan)).where(where)

    def good_rows(self):
        """The typed rows, where counts() found no suspect row and no repeated key."""
        return self.spark.sql(_sql(self.typed_select(sure())))

    def judged(self):
        """Every row typed (ORDER, FILE_ROW, FILE, REASON beside): the sure rows by SQL, the
        suspect rows by the shared validator on the executors."""
        from .spark_checks import c, judge, judged_schema
        from pyspark.sql import functions as F
        typed = self.spark.sql(_sql(self.typed_select(sure(), extra=(FILE_ROW, FILE)))) \
            .withColumn(REASON, F.lit(None).cast("string"))
        suspects = self.spark.table(quoted(self.scan)).where(c(SUSPECT)) \
            .select(*[c(n) for n in self.columns], c(ORDER), c(FILE_ROW), c(FILE))
        return typed.unionByName(suspects.mapInArrow(judge(self.schema, self.keyless),
                                                     judged_schema(self.schema, self.keyless)))

    def with_raw(self, bad):
        """Bad rows (ORDER, FILE_ROW, FILE, REASON) with the columns as read."""
        from .spark_checks import c
        return bad.select(c(ORDER), c(FILE_ROW), c(FILE), c(REASON)).join(self.raw(), ORDER)

    def marked(self, marks):
        """Rows picked by DataFrame `marks` (ORDER, REASON), with their place and columns."""
        from .spark_checks import c
        return self.raw(c(FILE_ROW), c(FILE)).join(marks, ORDER)

    def raw(self, *place):
        """The columns as read, by ORDER (and `place` columns)."""
        from .spark_checks import c
        return self.spark.table(quoted(self.scan)).select(c(ORDER), *place, *[c(n) for n in self.columns])

    def counts(self, key: str | None) -> tuple[int, int, bool]:
        """Rows, suspect rows, and whether the sure rows may repeat a key: one aggregation."""
        sure = exp.Not(this=col(SUSPECT))
        repeats: exp.Expression = exp.Boolean(this=False)
        if key is not None:
            i = next(i for i, f in enumerate(self.schema.fields) if f.name == key)
            repeats = exp.GT(this=exp.Anonymous(this="count_if", expressions=[sure.copy()]),
                             expression=exp.Count(this=exp.Distinct(expressions=[
                                 exp.If(this=sure.copy(), true=col(f"__raw_{i}"), false=exp.Null())])))
        query = exp.select(exp.Count(this=exp.Star()), exp.Anonymous(this="count_if", expressions=[col(SUSPECT)]),
                           repeats).from_(st.table(self.scan))
        n, suspects, repeated = self.spark.sql(_sql(query)).collect()[0]
        return n, suspects, bool(repeated)

    def bad_rows(self, bad):
        """(RawRow, reason) of each row of DataFrame `bad` (ORDER, FILE_ROW, FILE, the reason
        and the columns as read), in its order."""
        several = len(self.files) > 1
        for r in rows_as_read(bad):
            order, row, path, why = r.pop(ORDER), r.pop(FILE_ROW), r.pop(FILE), r.pop(REASON)
            values = {c: r[c] for c in self.columns}
            yield RawRow(row, None, values, self.shown.get(path, path) if several or not self.src.local else
                         self.src.files[0], None, order - row), why

    def close(self) -> None:
        """Nothing kept: the views go with the run's."""

    def by_order(self, order: int) -> RawRow:
        """One row as the shared reader gives it (a `unique` conflict's, found in the driver)."""
        from pyspark.sql import functions as F

        from .spark_checks import c
        row = self.raw(c(FILE_ROW), c(FILE)).where(c(ORDER) == F.lit(order)).withColumn(REASON, F.lit(""))
        return next(self.bad_rows(row))[0]


def rows_as_read(df):
    """The rows of `df` as the shared reader gives a Parquet file's: a date or timestamp column
    with a value outside years 1 to 9999 (which Python cannot hold) comes as text."""
    for batch in arrow_batches(df):
        yield from plain_batch(batch).to_pylist()


def reading_order(src: Source, uris) -> tuple[list[str], dict[str, str]]:
    """The files Spark names by `uris`, in the shared reader's order (local files as
    io/readers.expand sorts them, others by path), and each as messages name it."""
    if src.local:
        where = {os.path.realpath(f): f for f in src.files}
        shown = {p: where.get(os.path.realpath(_local_path(p)), _local_path(p)) for p in uris}
        rank = {f: i for i, f in enumerate(src.files)}
        return sorted(uris, key=lambda p: (rank.get(shown[p], len(rank)), shown[p])), shown
    shown = {p: _display_path(p) for p in uris}
    return sorted(uris, key=lambda p: shown[p]), shown


def _local_path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme in ("file", "") else uri


def _display_path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else unquote(uri)


def _repeated_keys(source: str, key: str) -> exp.Select:
    """(ORDER, key, ORDER of the key's first row) of every row whose key an earlier row has."""
    first = exp.Window(this=exp.Min(this=col(ORDER)), partition_by=[col(key)])
    rows = exp.select(col(ORDER), col(key), exp.alias_(first, ident("first"))).from_(st.table(source))
    return (exp.select(col(ORDER), col(key), col("first")).from_(rows.subquery("keyed"))
            .where(exp.GT(this=col(ORDER), expression=col("first"))).order_by(col(ORDER)))
