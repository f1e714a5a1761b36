"""The process's SparkSession: started once per master URL, configured for
the language's semantics (UTC, case-sensitive names, no `${...}` substitution),
the JVM kept quiet, Spark's errors turned into the engine's errors, and the
Arrow hand-over both ways.

The session runs in UTC: Spark's TIMESTAMP is an instant, the language's
datetime is a wall-clock time, and only a UTC session maps one onto the other
without shifting values across daylight-saving gaps.

Starting a JVM takes seconds, so one session is created on first use and
reused for the rest of the process.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from contextlib import contextmanager

import pyarrow as pa

from ..builtins import EXACT_CUME, EXACT_PARTIALS, EXACT_SUM
from .errors import fail
from .options import DataError

MASTER_ENV = "SEGDSL_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"

_CONF = {
    "spark.app.name": "segdsl",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    # one analyser iteration resolves one nested CTE: the default 100 stops short of the
    # chains of definitions the language allows (check/ordering.MAX_CHAIN, each a step)
    "spark.sql.analyzer.maxIterations": "400",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.caseSensitive": "true",          # names are case-sensitive in rule files: `Spend` is not `spend`
    # Spark SQL replaces ${...} even inside string literals: "${x}" in a rule file is text
    "spark.sql.variable.substitute": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
    "spark.sql.execution.arrow.useLargeVarTypes": "false",
    # Rows sent from Python are a LocalRelation, which this rule would segment on the driver,
    # one thread and interpreted: six times slower than the executors' generated code.
    "spark.sql.optimizer.excludedRules": "org.apache.spark.sql.catalyst.optimizer.ConvertToLocalRelation",
}
# The JVM logs to the terminal before any setting of ours applies; this
# configuration keeps it to errors from the first line on.
_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %p %c{1}: %m%n%ex
"""

_SUBSTITUTE = "spark.sql.variable.substitute"
# Spark's upper/lower are Java's, with full case mapping already; its SUM is not exact
SPARK_FUNCTIONS = (EXACT_SUM, EXACT_PARTIALS, EXACT_CUME)
_sessions: dict = {}        # master URL → SparkSession, one JVM per process


def master_url(master: str | None = None) -> str:
    return master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER


def session(master: str | None = None):
    """The process's SparkSession for `master`, started on first use."""
    url = master_url(master)
    spark = _sessions.get(url)
    if spark is not None:
        return spark
    for other in list(_sessions):          # one SparkContext per process
        _sessions.pop(other).stop()
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise fail("unavailable", "engine", "spark", "needs PySpark: pip install 'segdsl[spark]'") from None
    builder = SparkSession.builder.master(url)
    for k, v in _CONF.items():
        builder = builder.config(k, v)
    if url.startswith("local"):
        # A laptop's host name often resolves to nothing useful; local mode needs no network.
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    with _jvm_output() as (log, log4j), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)      # pyspark's note about the pandas version
        builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
        try:
            with _own_sigint_handler_kept():
                spark = builder.getOrCreate()
        except Exception as exc:  # noqa: BLE001 - any start-up failure is the user's Java setup
            detail = _first_error(log) or _spark_message(exc)
            hint = "is Java 17 installed (java on PATH or JAVA_HOME set)?"
            if not url.startswith("local"):
                hint = f"is Java 17 installed and {url} reachable?"
            raise DataError(f"Spark could not start ({url}): {detail}; {hint}") from None
    spark.sparkContext.setLogLevel("ERROR")
    _quiet_python_loggers()
    for k, v in _CONF.items():               # a session that was already running gets them too
        if k.startswith("spark.sql."):
            spark.conf.set(k, v)
    register_functions(spark)
    _sessions[url] = spark
    return spark


def register_functions(spark) -> None:
    """SPARK_FUNCTIONS on the session, for queries compiled with `functions=SPARK_FUNCTIONS`.

    A Python UDF, called once per customer with the values to add; defined in here so that
    it travels to the executors by value and they need only Python, not segdsl."""
    from pyspark.sql.types import DoubleType

    def exact_sum(values):
        # population.fsum, repeated here: executors need not have segdsl
        import math
        if values is None:
            return None
        vals = [v for v in values if v is not None]
        try:
            return math.fsum(vals)
        except OverflowError:
            return math.fsum(v / 2.0 ** 600 for v in vals) * 2.0 ** 600
        except ValueError:
            return math.nan
    spark.udf.register(EXACT_SUM, exact_sum, DoubleType())
    # population values (backends/population_sql.py): runtime/exact.py, sent to the executors
    # by value (cloudpickle) so that they need only Python and `math`
    from pyspark import cloudpickle
    from pyspark.sql.types import ArrayType

    from ..runtime import exact
    cloudpickle.register_pickle_by_value(exact)
    doubles = ArrayType(DoubleType())
    spark.udf.register(EXACT_PARTIALS, exact.partials, doubles)
    spark.udf.register(EXACT_CUME, exact.cume_shares, doubles)


@contextmanager
def _own_sigint_handler_kept():
    """PySpark replaces the SIGINT handler when its context starts. A program that handles
    Ctrl-C itself (the command line notes it, removes unfinished files and exits 130) keeps
    its handler; under Python's default one (a notebook) PySpark's, which cancels the jobs,
    stays."""
    import signal
    import threading
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.getsignal(signal.SIGINT)
    try:
        yield
    finally:
        if callable(before) and before is not signal.default_int_handler:
            signal.signal(signal.SIGINT, before)


def _quiet_python_loggers() -> None:
    """PySpark logs every failed query's JVM stack trace to stderr; the DataError says what went wrong.
    py4j logs the traceback of a call cut short by Ctrl-C or SIGTERM; the command line says so."""
    import logging
    logging.getLogger("py4j").setLevel(logging.CRITICAL)
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


@contextmanager
def _jvm_output():
    """Scratch files for the JVM's start: its log configuration, and its stderr.

    While the JVM starts, the process's stderr goes to a scratch file; the JVM
    inherits it for good, so its chatter never reaches the terminal, and a
    failed start can still say why. Both files are removed once the JVM has
    started (it keeps writing to the unlinked one): nothing is left behind.
    """
    log_fd, log = tempfile.mkstemp(prefix="segdsl-spark-", suffix=".log")
    conf_fd, conf = tempfile.mkstemp(prefix="segdsl-spark-log4j2-", suffix=".properties")
    with os.fdopen(conf_fd, "w", encoding="utf-8") as f:
        f.write(_LOG4J)
    try:
        saved = os.dup(2)
    except OSError:                 # no stderr at all: nothing to keep quiet
        saved = None
    try:
        if saved is not None:
            os.dup2(log_fd, 2)
        yield log, conf
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
        os.close(log_fd)
        for path in (log, conf):
            try:
                os.unlink(path)
            except OSError:
                pass


def _first_error(path: str) -> str:
    """The first thing the JVM (or its launcher script) complained about."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [line.strip() for line in f if line.strip() and not line.startswith("WARNING: ")]
    except OSError:
        return ""
    return lines[0] if lines else ""


# ---- Arrow in, Arrow out ----------------------------------------------------------

def spark_schema(arrow: pa.Schema):
    """The Spark schema for a validated-rows table (see arrow.arrow_schema)."""
    from pyspark.sql import types as T
    kinds = {pa.int64(): T.LongType(), pa.float64(): T.DoubleType(), pa.bool_(): T.BooleanType(),
             pa.string(): T.StringType(), pa.date32(): T.DateType(), pa.timestamp("us"): T.TimestampType()}
    return T.StructType([T.StructField(f.name, kinds[f.type], nullable=True) for f in arrow])


def register(spark, name: str, table: pa.Table) -> None:
    """The Arrow table as temporary view `name`, its rows in order and its types as given."""
    with _spark_errors(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)      # pyspark's note about the pandas version
        frame = spark.createDataFrame(table, schema=spark_schema(table.schema))
        frame.createOrReplaceTempView(_quoted(name))


def _quoted(name: str) -> str:
    """A view name as one quoted identifier: Spark parses the name, and input names may be 客户."""
    return "`" + name.replace("`", "``") + "`"


def run_query(spark, sql: str) -> pa.Table:
    """The query's result as Arrow, datetimes back as wall-clock (naive) values.

    Substitution is switched off on the session that runs the query, whoever made it
    (and whatever was set since): the query's text literals are the rule file's."""
    with _spark_errors(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        spark.conf.set(_SUBSTITUTE, "false")
        df = spark.sql(sql)
        table = df.toArrow() if hasattr(df, "toArrow") else pa.Table.from_batches(df._collect_as_arrow())
    fields = []
    for f in table.schema:
        if pa.types.is_timestamp(f.type) and f.type.tz is not None:
            f = pa.field(f.name, pa.timestamp("us"))
        fields.append(f.with_nullable(True))
    return table.cast(pa.schema(fields))


def drop_views(spark, names) -> None:
    for name in names:
        try:
            spark.catalog.dropTempView(name)
        except Exception:  # noqa: BLE001 - a session that died has no views left to drop
            pass


@contextmanager
def _spark_errors():
    """Spark's analysis and runtime errors (overflow under ANSI SQL, say) as a DataError."""
    from pyspark.errors import PySparkException
    try:
        from py4j.protocol import Py4JError
    except ImportError:                      # Spark Connect has no py4j
        Py4JError = PySparkException  # noqa: N806
    try:
        yield
    except (PySparkException, Py4JError) as exc:
        raise fail("engine-failed", "engine", "spark", _spark_message(exc)) from None


def _spark_message(exc: Exception) -> str:
    getter = getattr(exc, "getMessage", None)
    text = (getter() if callable(getter) else None) or str(exc)
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
