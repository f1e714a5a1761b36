"""CSV, TSV and JSON Lines inputs Spark reads itself: a directory of part files, or a remote
path (`hdfs://…/*.csv`, `s3a://…/exports/*.jsonl`), parsed and checked on the executors.

Each file is read whole by one task (Spark's `binaryFile` source) and parsed there by the
shared reader, each row checked by the shared validator (io/readers.py, io/validate.py): the
same code as every engine, so a row gets the same values, row number, line and reason, and the
options (delimiter, encoding, null spellings, date format) mean what they mean everywhere.
Spark's own CSV and JSON readers are not used: their quoting, number and date rules are not
the language's, and they number no rows.

A file is the unit of work: a directory of part files is read by as many tasks as it has
files; a file is held whole in its task's memory (binaryFile's limit is 2 GB a file).

The parsed rows are kept (persisted, spilling to disk) for the run: one job reads every file
once and reports each file's columns, rows and bad rows (one summary row a file); the run's
queries read the kept rows.
"""
from __future__ import annotations

import json
import os

import pyarrow as pa

from .. import ir
from ..backends.names import ORDER, ROW
from ..io.errors import InputError
from ..io.readers import RawRow, detect_format
from ..io.validate import check_columns
from .arrow import arrow_schema
from .errors import DataError
from .spark_checks import c, lookup, typed_schema
from .spark_scan import FILE, FILE_ROW, LINE, REASON, TEXT, Source, reading_order, rows_as_read

TEXT_FORMATS = ("csv", "tsv", "jsonl")
RAW = "__segdsl_raw"            # the columns as read, as JSON text (bad rows, and rows whose key is checked)
COLUMNS = "__segdsl_columns"    # a file's summary row: its columns (JSON), rows and bad rows
ROWS = "__segdsl_rows"
BAD = "__segdsl_bad"
ERROR = "__segdsl_error"        # a file the shared reader cannot read: [message, row, line] (JSON)
BATCH = 10_000


def text_format(path: str) -> str | None:
    """The text format a file or pattern's name says (csv, tsv, jsonl), else None."""
    try:
        kind = detect_format(path.rstrip("/"))
    except Exception:  # noqa: BLE001 - no format from the suffix
        return None
    return kind if kind in TEXT_FORMATS else None


class TextScan:
    """One text input as Spark reads it: the rows parsed and judged on the executors, kept
    for the run; the same questions answered as engines/spark_scan.SparkScan answers them."""

    def __init__(self, spark, schema: ir.InputSchema, src: Source, keyless: bool, opts, keep_raw: bool):
        from pyspark import StorageLevel
        self.spark, self.schema, self.src, self.keyless = spark, schema, src, keyless
        self.views: list[str] = []
        self.names = arrow_schema(schema, keyless, [], ordered=True).names
        paths = [src.given] if not src.local else [os.path.abspath(f) for f in src.files]
        settings = (opts.delimiter, opts.encoding, tuple(opts.null_values), opts.date_format)
        try:
            files = spark.read.format("binaryFile").load(paths if len(paths) > 1 else paths[0])
        except Exception as exc:  # noqa: BLE001 - Spark's analysis errors: no such path
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"{src.given}: Spark cannot read this input: {detail}") from None
        self.parsed = files.select("path", "content").mapInArrow(
            parse(schema, keyless, settings, keep_raw), _parsed_schema(schema, keyless)) \
            .persist(StorageLevel.MEMORY_AND_DISK)
        self._learn_files()

    # ---- the files ----
    def _learn_files(self) -> None:
        """Each file's summary (one job, which parses and keeps every row): the files in reading
        order, their columns checked, their rows before each; the first unreadable file raised."""
        facts = {r[FILE]: r for r in self.parsed.where(c(FILE_ROW) <= 0)
                 .select(c(FILE), c(FILE_ROW), c(COLUMNS), c(ROWS), c(BAD), c(ERROR)).collect()}
        order, shown = reading_order(self.src, facts)
        if not order:
            raise DataError(f"{self.src.given}: no data file")
        for p in order:
            if facts[p][ERROR] is not None:
                message, row, line = json.loads(facts[p][ERROR])
                raise InputError(message, shown[p], row, line)
        columns = {p: json.loads(facts[p][COLUMNS]) for p in order}
        for p in order:
            problems = check_columns(self.schema, columns[p])
            if problems:
                raise DataError(f"{shown[p]}: " + "; ".join(problems))
        if self.keyless and len(order) > 1:
            raise DataError(f"{self.src.given}: names {len(order)} files, but input `{self.schema.name}` has no "
                            "key, so its customers are numbered by row; declare a key, or give one file")
        self.paths, self.shown = order, shown
        self.files = [shown[p] for p in order]
        self.columns = columns[order[0]]
        counts = [facts[p][ROWS] for p in order]
        self.offsets = [sum(counts[:i]) for i in range(len(order))]
        self.num_rows = sum(counts)
        self.num_bad = sum(facts[p][BAD] for p in order)

    def rows(self):
        """Every row, judged, with its place in the input (ORDER)."""
        from pyspark.sql import functions as F
        offset = lookup(c(FILE), zip(self.paths, self.offsets), F.lit(0))
        return self.parsed.where(c(FILE_ROW) > 0).withColumn(ORDER, c(FILE_ROW) + offset)

    # ---- what engines/spark_checks.py asks ----
    def counts(self, key: str | None) -> tuple[int, int, bool]:
        """Rows, bad rows, and whether the good rows may repeat a key."""
        from pyspark.sql import functions as F
        repeats = False
        if key is not None:
            good = self.rows().where(c(REASON).isNull())
            n, distinct = good.agg(F.count(F.lit(1)), F.count_distinct(c(key))).collect()[0]
            repeats = n > distinct
        return self.num_rows, self.num_bad, repeats

    def good_rows(self):
        return self.rows().where(c(REASON).isNull()).select(*[c(n) for n in self.names])

    def judged(self):
        return self.rows()

    def with_raw(self, bad):
        """Bad rows with the columns as read (text, from RAW), their line and text."""
        from pyspark.sql import functions as F
        values = F.from_json(c(RAW), "map<string,string>")
        return bad.select(c(ORDER), c(FILE_ROW), c(FILE), c(REASON), c(LINE), c(TEXT),
                          *[values.getItem(n).alias(n) for n in self.columns])

    def marked(self, marks):
        """Rows picked by DataFrame `marks` (ORDER, REASON), with their place and columns."""
        rows = self.rows().select(c(ORDER), c(FILE_ROW), c(FILE), c(LINE), c(TEXT), c(RAW))
        return self.with_raw(rows.join(marks, ORDER))

    def bad_rows(self, bad):
        """(RawRow, reason) of each row of DataFrame `bad` (with_raw's columns), in its order."""
        for r in rows_as_read(bad):
            order, row, path, why = r.pop(ORDER), r.pop(FILE_ROW), r.pop(FILE), r.pop(REASON)
            line, text = r.pop(LINE), r.pop(TEXT)
            yield RawRow(row, line, {n: r[n] for n in self.columns}, self.shown.get(path, path), None,
                         order - row, text), why

    def by_order(self, order: int) -> RawRow:
        from pyspark.sql import functions as F
        rows = self.with_raw(self.rows().where(c(ORDER) == F.lit(order)).withColumn(REASON, F.lit("")))
        return next(self.bad_rows(rows))[0]

    def close(self) -> None:
        self.parsed.unpersist()


# ---- on the executors ----------------------------------------------------------------------

def parse(schema: ir.InputSchema, keyless: bool, settings: tuple, keep_raw: bool):
    """The function the executors run on files (path, content): each file's rows as the shared
    reader reads them and the shared validator judges them, then its summary row."""
    out = _parsed_arrow(schema, keyless)
    delimiter, encoding, null_values, date_format = settings

    def run(batches):
        import tempfile
        from segdsl.io.validate import RowValidator
        validator = RowValidator(schema, null_values=null_values, date_format=date_format)
        with tempfile.TemporaryDirectory(prefix="segdsl-") as folder:
            for batch in batches:
                paths = batch.column("path").to_pylist()
                for i, path in enumerate(paths):
                    content = batch.column("content")[i].as_py()
                    yield from _file(path, content, folder, validator, schema, keyless, out,
                                     (delimiter, encoding, null_values), keep_raw)
    return run


def _file(path: str, content: bytes, folder: str, validator, schema, keyless, out: pa.Schema,
          reading: tuple, keep_raw: bool):
    """One file's rows in batches, then its summary row (or, for a file that cannot be read,
    an error row: what the shared reader says, where)."""
    from segdsl.io.errors import InputError
    from segdsl.io.readers import columns, detect_format, read_batches
    from segdsl.io.writers import as_text
    delimiter, encoding, null_values = reading
    local = os.path.join(folder, os.path.basename(path.rstrip("/")) or "data")
    with open(local, "wb") as f:
        f.write(content)
    fields = [f.name for f in schema.fields]
    rows = bad = 0
    try:
        fmt = detect_format(path)
        cols = columns(local, fmt=fmt, delimiter=delimiter, encoding=encoding)
        for raws in read_batches(local, fmt=fmt, delimiter=delimiter, encoding=encoding, null_values=null_values,
                                 batch_size=BATCH):
            data: dict[str, list] = {n: [] for n in out.names}
            for raw in raws:
                rec, reason = validator.convert(raw)
                rows += 1
                bad += reason is not None
                for name in fields:
                    data[name].append(None if rec is None else rec[name])
                if keyless:
                    data[ROW].append(raw.row)
                data[FILE].append(path)
                data[FILE_ROW].append(raw.row)
                data[LINE].append(raw.line)
                data[REASON].append(reason)
                data[TEXT].append(raw.text)
                data[RAW].append(json.dumps({k: as_text(v) for k, v in raw.values.items()}, ensure_ascii=False)
                                 if keep_raw or reason is not None else None)
                for name in (COLUMNS, ROWS, BAD, ERROR):
                    data[name].append(None)
            yield pa.RecordBatch.from_pydict(data, schema=out)
    except InputError as e:
        message = e.message.replace(local, path)
        yield _summary(out, path, -1, error=json.dumps([message, e.row, e.line]))
        return
    finally:
        os.unlink(local)
    yield _summary(out, path, 0, columns=json.dumps(cols, ensure_ascii=False), rows=rows, bad=bad)


def _summary(out: pa.Schema, path: str, row: int, **facts) -> pa.RecordBatch:
    data = {n: [None] for n in out.names}
    data[FILE], data[FILE_ROW] = [path], [row]
    for name, key in ((COLUMNS, "columns"), (ROWS, "rows"), (BAD, "bad"), (ERROR, "error")):
        data[name] = [facts.get(key)]
    return pa.RecordBatch.from_pydict(data, schema=out)


def _parsed_arrow(schema: ir.InputSchema, keyless: bool) -> pa.Schema:
    base = [f for f in arrow_schema(schema, keyless, [], ordered=True) if f.name != ORDER]
    fields = [pa.field(f.name, pa.timestamp("us", "UTC")) if pa.types.is_timestamp(f.type) else f for f in base]
    return pa.schema([*fields, pa.field(FILE, pa.string()), pa.field(FILE_ROW, pa.int64()), pa.field(LINE, pa.int64()),
                      pa.field(REASON, pa.string()), pa.field(TEXT, pa.string()), pa.field(RAW, pa.string()),
                      pa.field(COLUMNS, pa.string()), pa.field(ROWS, pa.int64()), pa.field(BAD, pa.int64()),
                      pa.field(ERROR, pa.string())])


def _parsed_schema(schema: ir.InputSchema, keyless: bool):
    """`_parsed_arrow` as Spark types it (a datetime is a TIMESTAMP, as every Spark input's)."""
    from pyspark.sql import types as T
    typed = [f for f in typed_schema(schema, keyless).fields if f.name != ORDER]
    text, whole = T.StringType(), T.LongType()
    extra = [(FILE, text), (FILE_ROW, whole), (LINE, whole), (REASON, text), (TEXT, text), (RAW, text),
             (COLUMNS, text), (ROWS, whole), (BAD, whole), (ERROR, text)]
    return T.StructType([*typed, *[T.StructField(n, t) for n, t in extra]])
