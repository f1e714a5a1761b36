"""Output written by Spark itself: a directory of part files (Parquet, CSV or JSON Lines) or a
catalog table (`table:db.name`), with the run's counts taken while Spark writes.

Nothing proportional to the number of customers passes through the driver: the rows go from
the executors to the files, and the counts the summary shows (customers written, each
segment's size, `unique` conflicts) are aggregates observed during the write
(`DataFrame.observe`), one number each.

Atomic like every segdsl output (io/writers.py): Spark writes a hidden sibling
(`.NAME.XXXXXXXX.tmp`, a directory; for a table `__segdsl_tmp_XXXXXXXX` in the same
database), which takes the target's place only when the run ends cleanly; a failure or
Ctrl-C cancels Spark's jobs and removes the sibling, so the target is what it was before.
"""
from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from sqlglot import exp

from .. import ir
from ..backends.sql import conflict_columns, ident
from ..io.atomic import check_not_stopping, temp_name
from ..io.writers import LIST_SEPARATOR, suffix_format
from .errors import DataError
from .output import Layout
from .spark_checks import c as _c
from .spark_scan import TABLE, URI_SCHEME

_SPARK_TYPES = {"int": "bigint", "number": "double", "string": "string", "bool": "boolean", "date": "date",
                "datetime": "timestamp", "list": "array<string>"}
SPARK_FORMATS = {"parquet": "parquet", "csv": "csv", "tsv": "csv", "jsonl": "json"}


def is_table(output) -> bool:
    return os.fspath(output).startswith(TABLE)


def directory_format(path, fmt: str | None) -> str:
    """The format of a directory's part files: `fmt`, else the directory name's suffix, else Parquet."""
    if fmt:
        f = fmt.lower().lstrip(".")
        f = {"ndjson": "jsonl", "json": "jsonl", "jsonlines": "jsonl", "pq": "parquet"}.get(f, f)
        if f not in SPARK_FORMATS:
            raise DataError(f"unknown output format {fmt!r} (expected parquet, csv, tsv or jsonl)")
        return f
    return suffix_format(os.fspath(path).rstrip("/")) or "parquet"


# ---- counting while writing ---------------------------------------------------------------

class Counts:
    """The aggregates observed on the rows written: customers and each segment's size."""

    def __init__(self, rs: ir.Ruleset):
        from pyspark.sql import Observation
        from pyspark.sql import functions as F
        self.rs = rs
        self.observation = Observation(f"segdsl_{secrets.token_hex(4)}")
        self.metrics: list = [("written", None, None, F.count(F.lit(1)))]
        for d in rs.dimensions:
            c = _c(d.name)
            for s in d.all_segments():
                cond = F.array_contains(c, s.name) if d.policy == "all" else c == F.lit(s.name)
                self.metrics.append((f"m{len(self.metrics)}", d.name, s.name, F.count_if(F.coalesce(cond, F.lit(False)))))
            none = (F.size(c) == 0) if d.policy == "all" else c.isNull()
            self.metrics.append((f"m{len(self.metrics)}", d.name, "(none)", F.count_if(F.coalesce(none, F.lit(False)))))

    def observed(self, df):
        return df.observe(self.observation, *[m.alias(name) for name, _, _, m in self.metrics])

    def settle(self, layout: Layout) -> int:
        """Puts the observed sizes in the layout's counts; returns the customers written."""
        got = self.observation.get
        for name, dim, seg, _ in self.metrics[1:]:
            n = got.get(name) or 0
            if n:
                layout.counts[dim][seg] += n
        return got.get("written") or 0


def conflicted(rs: ir.Ruleset):
    """Whether a result row has a `unique` conflict (a Column), or None for rules without."""
    from pyspark.sql import functions as F
    cols = conflict_columns(rs)
    if not cols:
        return None
    cond = None
    for c in cols:
        one = _c(c).isNotNull()
        cond = one if cond is None else (cond | one)
    return F.coalesce(cond, F.lit(False))


def output_frame(df, layout: Layout, fmt: str):
    """The result as written: the layout's columns, lists as `a|b` in CSV (as io/writers.py)."""
    from pyspark.sql import functions as F
    cols = []
    lists = {d.name for d in layout.rs.dimensions if d.policy == "all"}
    kinds = {c.name: c.kind for c in layout.columns}
    for c in layout.columns:
        column = _c(c.name)
        if fmt in ("csv", "tsv") and (c.name in lists or kinds.get(c.name) == "list"):
            column = F.concat_ws(LIST_SEPARATOR, column)
        elif c.kind in _SPARK_TYPES:
            column = column.cast(_SPARK_TYPES[c.kind])        # the shared writer's types (an INT literal is 32 bits)
        cols.append(column.alias(c.name))
    return df.select(*cols)


# ---- where the rows go --------------------------------------------------------------------

class _Target:
    """An atomic Spark output: written beside the target, put in its place on commit."""

    def __init__(self, spark):
        self.spark = spark
        self._state = "open"

    def restart(self) -> None:
        self.discard()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
        elif self._state == "open":
            self.commit()

    def commit(self) -> None:
        if self._state != "open":
            return
        try:
            check_not_stopping()
            self.replace()
        except BaseException:
            self.abort()
            raise
        self._state = "committed"

    def abort(self) -> None:
        if self._state != "open":
            return
        self._state = "aborted"
        _cancel_jobs(self.spark)
        self.discard()


class SparkDirectory(_Target):
    """A directory of part files written by Spark's writer."""

    def __init__(self, spark, path, fmt: str):
        super().__init__(spark)
        self.path, self.format = os.fspath(path).rstrip("/") or "/", fmt
        self.fs = _filesystem(spark, self.path)
        self.temp = self.fs.sibling(self.path, "tmp")

    def write(self, df) -> None:
        writer = df.write.format(SPARK_FORMATS[self.format]).mode("error")
        if self.format in ("csv", "tsv"):
            writer = writer.options(header="true", sep="\t" if self.format == "tsv" else ",",
                                    nullValue="", emptyValue="", escape='"')
        elif self.format == "jsonl":
            writer = writer.option("ignoreNullFields", "false")
        writer.save(self.fs.uri(self.temp))

    def discard(self) -> None:
        self.fs.delete(self.temp)

    def replace(self) -> None:
        old = None
        if self.fs.exists(self.path):
            old = self.fs.sibling(self.path, "old")
            self.fs.rename(self.path, old)
        self.fs.rename(self.temp, self.path)
        if old is not None:
            self.fs.delete(old)


class SparkQuarantine(SparkDirectory):
    """Bad rows written by Spark's writer into a directory (`--quarantine DIR/`), in the columns
    of a quarantine file: each input's bad rows as a DataFrame (engines/spark_checks.py), and
    the few the driver finds (`unique` conflicts, of the customer input `main`) joined back to
    their columns in Spark. Written when the run ends cleanly, then put in place atomically."""

    def __init__(self, spark, path, fmt: str, main, several_files: bool, with_raw: bool):
        super().__init__(spark, path, fmt)
        self.main, self.several_files, self.with_raw = main, several_files, with_raw
        self.frames: list = []
        self.found: list[tuple[int, str]] = []

    def add_frame(self, df) -> None:
        self.frames.append(df)

    def add(self, raw, reason: str) -> None:
        """A bad row met in the driver (the shared writer's call): its place and reason."""
        self.found.append((raw.order, reason))

    def commit(self) -> None:
        if self._state == "open":
            try:
                self.write(self._rows())
            except BaseException:
                self.abort()
                raise
        super().commit()

    def _rows(self):
        from .spark_checks import found_rows, quarantine_frame
        frames = list(self.frames)
        if self.found or not frames:
            frames.append(quarantine_frame(self.main, found_rows(self.main, self.found), None, self.several_files,
                                           self.with_raw))
        out = frames[0]
        for more in frames[1:]:
            out = out.unionByName(more, allowMissingColumns=True)
        return out


class SparkTable(_Target):
    """A catalog table written with saveAsTable (the session's default table format, e.g. Delta
    or Iceberg where configured), under a temporary name in the same database, then renamed."""

    def __init__(self, spark, name: str, fmt: str | None):
        super().__init__(spark)
        self.name, self.format = name, fmt
        try:
            target = exp.to_table(name, dialect="spark")
        except Exception:  # noqa: BLE001 - sqlglot's parse errors
            target = None
        if target is None or not target.name:
            raise DataError(f"{TABLE}{name}: not a table name (give table:db.name)")
        self.target = target
        self.temp = exp.Table(this=ident(f"__segdsl_tmp_{secrets.token_hex(4)}"),
                              db=target.args.get("db"), catalog=target.args.get("catalog"))

    def _text(self, table: exp.Table) -> str:
        from ..backends.dialects import render
        return render(table, "spark")

    def write(self, df) -> None:
        writer = df.write.mode("error")
        if self.format:
            writer = writer.format(SPARK_FORMATS[self.format])
        writer.saveAsTable(self._text(self.temp))

    def discard(self) -> None:
        self._sql(exp.Drop(tables=[self.temp.copy()], kind="TABLE", exists=True))

    def replace(self) -> None:
        self._sql(exp.Drop(tables=[self.target.copy()], kind="TABLE", exists=True))
        self._sql(exp.Alter(this=self.temp.copy(), kind="TABLE",
                            actions=[exp.AlterRename(this=exp.Table(this=self.target.this.copy(),
                                                                    db=self.temp.args.get("db")))]))

    def _sql(self, tree) -> None:
        from ..backends.dialects import render
        self.spark.sql(render(tree, "spark")).collect()


def _cancel_jobs(spark) -> None:
    """Spark's running jobs stopped (Ctrl-C while Spark writes), in classic Spark and Connect."""
    try:
        if hasattr(spark, "interruptAll") and not hasattr(spark, "sparkContext"):
            spark.interruptAll()
        else:
            spark.sparkContext.cancelAllJobs()
    except Exception:  # noqa: BLE001 - a session that died runs no jobs
        pass


# ---- file systems -------------------------------------------------------------------------

class _LocalFs:
    def sibling(self, path: str, what: str) -> str:
        return temp_name(path)[: -len(".tmp")] + f".{what}"

    def uri(self, path: str) -> str:
        return Path(os.path.abspath(path)).as_uri()

    def exists(self, path: str) -> bool:
        return os.path.lexists(path)

    def rename(self, a: str, b: str) -> None:
        os.rename(a, b)

    def delete(self, path: str) -> None:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.unlink(path)


class _HadoopFs:
    """A remote directory (hdfs://, s3a://) through Hadoop's FileSystem in the session's JVM."""

    def __init__(self, spark, path: str):
        jvm = spark._jvm
        self.Path = jvm.org.apache.hadoop.fs.Path
        self.fs = self.Path(path).getFileSystem(spark._jsc.hadoopConfiguration())

    def sibling(self, path: str, what: str) -> str:
        parent, name = path.rsplit("/", 1)
        return f"{parent}/.{name}.{secrets.token_hex(4)}.{what}"

    def uri(self, path: str) -> str:
        return path

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(self.Path(path)))

    def rename(self, a: str, b: str) -> None:
        if not self.fs.rename(self.Path(a), self.Path(b)):
            raise DataError(f"{b}: Spark's file system could not rename {a} to it")

    def delete(self, path: str) -> None:
        try:
            self.fs.delete(self.Path(path), True)
        except Exception:  # noqa: BLE001 - nothing there to remove
            pass


def _filesystem(spark, path: str):
    if not URI_SCHEME.match(path) or path.startswith("file://"):
        return _LocalFs()
    if getattr(spark, "_jvm", None) is None:
        raise DataError(f"{path}: a remote output directory is put in place through Spark's JVM, which a "
                        "Spark Connect session does not offer; write to a table (table:db.name) instead")
    return _HadoopFs(spark, path)

