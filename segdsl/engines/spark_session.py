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
import re
import sys
import tempfile
import warnings
from contextlib import contextmanager

import pyarrow as pa

from ..builtins import EXACT_CUME, EXACT_CUME_ABOVE, EXACT_PAIR_PARTIALS, EXACT_PARTIALS, EXACT_SUM
from .errors import fail
from .options import DataError

MASTER_ENV = "SEGDSL_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"

_CONF = {
    "spark.app.name": "segdsl",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # Spark keeps every finished query's plan, jobs and stages for its UI even with the UI
    # off (1,000 queries by default): the engine's plans are large, and a long-lived process
    # (a notebook, a test run) would fill the driver's heap with them
    "spark.sql.ui.retainedExecutions": "20",
    "spark.ui.retainedJobs": "100",
    "spark.ui.retainedStages": "100",
    "spark.ui.retainedTasks": "10000",
    # one analyser iteration resolves one nested CTE: the default 100 stops short of the
    # chains of definitions the language allows (check/ordering.MAX_CHAIN, each a step)
    "spark.sql.analyzer.maxIterations": "400",
    # Joins are shuffled, never broadcast: a broadcast gathers its side into the driver first,
    # and a population value's table has a row per distinct value (one per customer for a
    # continuous value), so the driver would hold what grows with the customers.
    "spark.sql.autoBroadcastJoinThreshold": "-1",
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
# Set when the application starts only (a running session refuses them)
_STATIC = frozenset({"spark.sql.ui.retainedExecutions"})
# Local mode only: two cores, small shuffles. On a cluster Spark's own default (or the
# cluster's, or --spark-conf's) applies: two partitions would put a whole shuffle of a
# large input on two tasks.
_LOCAL_CONF = {"spark.sql.shuffle.partitions": "2",
               # the driver is the executor too: Spark's 1 GB heap leaves a long-lived process
               # (a notebook, a test run of thousands of queries) too little room
               "spark.driver.memory": "2g"}
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
# Settings the language's semantics rest on: `--spark-conf` may not change them.
_FIXED = frozenset(k for k in _CONF if k.startswith(("spark.sql.session.", "spark.sql.caseSensitive",
                                                         "spark.sql.variable.", "spark.sql.execution.arrow.")))
# Connect sessions always hand rows over as Arrow: the server says these do not apply there
_CLASSIC_ONLY = frozenset({"spark.sql.execution.arrow.pyspark.enabled", "spark.sql.execution.arrow.pyspark.fallback.enabled"})
CONNECT_PORT = 15002            # Spark Connect's default port
# Spark's upper/lower are Java's, with full case mapping already; its SUM is not exact.
# EXACT_PAIR_PARTIALS and EXACT_CUME_ABOVE also tell population_sql.py to spread the windows
# over a population's distinct values across buckets (a window without PARTITION BY is one task).
SPARK_FUNCTIONS = (EXACT_SUM, EXACT_PARTIALS, EXACT_CUME, EXACT_PAIR_PARTIALS, EXACT_CUME_ABOVE)
_sessions: dict = {}        # (master URL, settings) → SparkSession; one classic SparkContext per process


def master_url(master: str | None = None) -> str:
    return master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER


def is_connect_object(obj) -> bool:
    """Whether a session or DataFrame is Spark Connect's (no JVM in this process)."""
    return type(obj).__module__.startswith("pyspark.sql.connect")


def is_connect(url: str) -> bool:
    """Whether the master URL names a Spark Connect server (`sc://host:port`)."""
    return url.startswith("sc://")


def shown(url: str) -> str:
    """The master URL as messages show it: a Connect URL's parameters (`;token=...`) left out."""
    return url.split("/;", 1)[0].split(";", 1)[0] if is_connect(url) else url


def parse_conf(items) -> tuple[tuple[str, str], ...]:
    """`KEY=VALUE` settings (a mapping, or `--spark-conf` texts) as ordered pairs, each checked:
    a Spark setting's name starts with `spark.`, and the settings the language's semantics rest
    on (time zone, case-sensitive names, no `${...}` substitution, Arrow) are not the user's."""
    pairs: list[tuple[str, str]] = []
    given = list(items.items()) if hasattr(items, "items") else [_split(text) for text in items]
    for key, value in given:
        text = f"{key}={value}"
        if not isinstance(key, str) or not key.startswith("spark.") or key != key.strip() or " " in key:
            raise fail("bad-spark-conf", "spark_conf", text, "is not a Spark setting: a setting's name starts with "
                       "`spark.`, e.g. spark.sql.shuffle.partitions=200", usage=True)
        if key in _FIXED:
            raise fail("bad-spark-conf", "spark_conf", text,
                       f"segdsl sets {key} to {_CONF[key]} for the language's semantics; it cannot be changed",
                       usage=True)
        if any(k == key for k, _ in pairs):
            raise fail("bad-spark-conf", "spark_conf", text, f"{key} is given twice", usage=True)
        pairs.append((key, str(value)))
    return tuple(pairs)


def _split(text: str) -> tuple[str, str]:
    key, sep, value = str(text).partition("=")
    if not sep or not key:
        raise fail("bad-spark-conf", "spark_conf", text,
                   "write KEY=VALUE, e.g. spark.sql.shuffle.partitions=200", usage=True)
    return key, value


def session(master: str | None = None, conf=()):
    """The process's SparkSession for `master` with the settings `conf` ((key, value) pairs),
    started on first use: a classic session (local or a cluster's master), or a Spark
    Connect session for `sc://host:port`."""
    # PySpark warns on every pandas UDF path that it has not caught up with pandas 3; the
    # engine's UDFs take and give Arrow and plain lists, so the note is noise in a user's run
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    url = master_url(master)
    conf = tuple(conf)
    key = (url, conf)
    if not is_connect(url):
        _leave_connect()
    spark = _sessions.get(key)
    if spark is not None:
        return spark
    try:
        from pyspark.sql import SparkSession  # noqa: F401
    except ImportError:
        raise fail("unavailable", "engine", "spark", "needs PySpark: pip install 'segdsl[spark]'") from None
    _check_reachable(url)
    if is_connect(url):
        spark = _connect_session(url, conf)
    else:
        for other in [k for k in _sessions if not is_connect(k[0])]:     # one SparkContext per process
            _sessions.pop(other).stop()
        spark = _classic_session(url, conf)
    _quiet_python_loggers()
    register_functions(spark)
    _sessions[key] = spark
    return spark


def _leave_connect() -> None:
    """Before a classic session is used: PySpark marks the whole process as a Connect client
    once a Connect session is made (and processes started from it inherit the mark), and
    with the mark set its functions build Connect columns, which a classic session cannot
    take. So the process's Connect sessions are closed and the mark removed: one kind of
    session at a time, as one SparkContext at a time."""
    for key in [k for k in _sessions if is_connect(k[0])]:
        try:
            _sessions.pop(key).stop()
        except Exception:  # noqa: BLE001 - a server already gone: nothing left to close
            pass
    if "SPARK_REMOTE" not in os.environ:
        os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)


def lazy_session(spark):
    """A caller's session (a DataFrame's), made ready for the engine's queries: the SQL settings
    the language's semantics rest on (UTC, case-sensitive names, no `${...}` substitution) and
    the engine's functions. Settings that only tune the engine's own runs (no broadcast joins,
    excluded optimizer rules) are the caller's to choose in their session."""
    connect = is_connect_object(spark)
    ours = [(k, v) for k, v in _CONF.items() if k in _FIXED or k == "spark.sql.analyzer.maxIterations"]
    with _spark_errors():
        _set_all(spark, "sc://" if connect else "", ours, ())
        register_functions(spark)
    return spark


def _classic_session(url: str, conf):
    from pyspark.sql import SparkSession
    builder = SparkSession.builder.master(url)
    ours = _CONF | (_LOCAL_CONF if url.startswith("local") else {})
    for k, v in ours.items():
        builder = builder.config(k, v)
    if url.startswith("local"):
        # A laptop's host name often resolves to nothing useful; local mode needs no network.
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        # the executors are this machine's: their Python workers run this Python (pyarrow and all),
        # not whatever `python3` is first on PATH
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        if not any(k == _WAREHOUSE for k, _ in conf):
            # Spark makes its catalog's folder on the first query, under the working directory by
            # default: a local run leaves nothing in the user's folder (a local catalog has no
            # Hive metastore, so its tables end with the process anyway)
            builder = builder.config(_WAREHOUSE, _scratch_warehouse())
    for k, v in conf:
        builder = builder.config(k, v)
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
    # a session that was already running (a notebook's) gets the language's settings too,
    # and the user's: a setting Spark fixes at start-up is then refused, with its name
    try:
        _set_all(spark, url, [(k, v) for k, v in ours.items() if k.startswith("spark.sql.") and k not in _STATIC], conf)
    except BaseException:
        spark.stop()            # the application holds the refused value: the next run starts afresh
        raise
    return spark


def _connect_session(url: str, conf):
    """A new session on the Connect server: its own temporary views and settings. No JVM
    here (the server has it), so no log level or start-up output to look after."""
    from pyspark.sql import SparkSession
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)      # pyspark's note about the pandas version
        try:
            spark = SparkSession.builder.remote(url).create()
        except Exception as exc:  # noqa: BLE001 - a bad URL, a missing client library
            raise DataError(f"Spark could not start ({shown(url)}): {_spark_message(exc)}") from None
    try:
        _set_all(spark, url, [(k, v) for k, v in _CONF.items() if k.startswith("spark.sql.") and k not in _STATIC], conf)
    except BaseException:
        spark.stop()
        raise
    return spark


def _set_all(spark, url: str, ours, theirs) -> None:
    """The language's SQL settings, then the user's, on a running session. A setting the
    session already has is left alone; one only the server's (or application's) start can
    set is a Problem naming it."""
    connect = is_connect(url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # pyspark's pandas note; a server's note on a setting
        try:
            for k, v in ours:
                if not (connect and k in _CLASSIC_ONLY):
                    spark.conf.set(k, v)
        except Exception as exc:  # noqa: BLE001 - a value of the user's that Spark took at start-up
            # A SQL setting given at start-up is only checked when the session's settings are
            # first read: the refusal names the setting, and it is the user's
            message = _spark_message(exc)
            culprit = next((f"{k}={v}" for k, v in theirs if f'"{k}"' in message or f"'{k}'" in message), None)
            if culprit is None:
                raise
            raise fail("bad-spark-conf", "spark_conf", culprit, _without_sqlstate(message), usage=True) from None
        for k, v in theirs:
            try:
                if spark.conf.get(k, None) == v:
                    continue
                spark.conf.set(k, v)
            except Exception as exc:  # noqa: BLE001 - Spark's refusal, worded below
                raise fail("bad-spark-conf", "spark_conf", f"{k}={v}", _refusal(exc, connect)) from None


_WAREHOUSE = "spark.sql.warehouse.dir"


def _scratch_warehouse() -> str:
    """A folder for a local session's catalog, removed when the process ends."""
    import atexit
    import shutil
    folder = tempfile.mkdtemp(prefix="segdsl-spark-warehouse-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _without_sqlstate(message: str) -> str:
    """Spark's message without its error class and SQLSTATE, which say nothing to an analyst."""
    return re.sub(r"\s*SQLSTATE: \w+\s*$", "", re.sub(r"^\[[A-Z_.]+\]\s*", "", message))


def _refusal(exc: Exception, connect: bool) -> str:
    condition = getattr(exc, "getCondition", lambda: None)()
    if condition != "CANNOT_MODIFY_CONFIG":
        return _spark_message(exc)
    if connect:
        return ("a Spark Connect session cannot change it: the server sets it when it starts "
                "(start-connect-server.sh --conf KEY=VALUE)")
    return "Spark sets it only when the application starts, and this process's Spark application was already running"


def _check_reachable(url: str) -> None:
    """A cluster's master, or a Connect server, that nothing answers for is said so at once
    (Spark itself retries for minutes before it gives up)."""
    import socket
    from urllib.parse import urlsplit
    if url.startswith(("local", "yarn", "k8s://")) or "://" not in url:
        return
    scheme, rest = url.split("://", 1)
    default = CONNECT_PORT if scheme == "sc" else 7077
    hosts = rest.split("/", 1)[0].split(";", 1)[0].split(",")     # spark://a:7077,b:7077 (standby masters)
    for host in hosts:
        try:
            parts = urlsplit(f"//{host}")
            name, port = parts.hostname, parts.port or default
        except ValueError:
            raise fail("bad-master", "master", shown(url), "is not a master URL (spark://HOST:PORT or "
                       "sc://HOST:PORT)", usage=True) from None
        if not name:
            raise fail("bad-master", "master", shown(url), "names no host (spark://HOST:PORT or sc://HOST:PORT)",
                       usage=True)
        try:
            socket.create_connection((name, port), timeout=5).close()
            return
        except OSError:
            continue
    raise fail("unreachable", "master", shown(url), "nothing answers there: is the cluster (or the Spark "
               "Connect server) running, and the host and port right?")


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
    spark.udf.register(EXACT_PAIR_PARTIALS, exact.pair_partials, doubles)
    spark.udf.register(EXACT_CUME_ABOVE, exact.cume_shares_above, doubles)


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
        frame.createOrReplaceTempView(quoted(name))


def quoted(name: str) -> str:
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


def spark_errors():
    """Spark's errors inside the block as a DataError (for the engine's own calls)."""
    return _spark_errors()


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


_WRAPPERS = ("An error occurred while calling", "Exception thrown in awaitResult")


def _spark_message(exc: Exception) -> str:
    """The first line of what Spark said. A py4j error's own first line only names the JVM
    call ("An error occurred while calling o42.getResult"), and the Java exception may only
    wrap its cause ("Exception thrown in awaitResult"): the first message down the chain of
    causes that says something is what went wrong."""
    texts = []
    java = getattr(exc, "java_exception", None)
    try:
        while java is not None and len(texts) < 10:
            texts.append(str(java.getMessage() or ""))
            java = java.getCause()
    except Exception:  # noqa: BLE001 - a JVM that is gone: the wrapper's own text below
        pass
    getter = getattr(exc, "getMessage", None)
    texts.append((getter() if callable(getter) else None) or str(exc))
    said = [lines[0].removeprefix(": ") for lines in
            ([line.strip() for line in text.strip().splitlines() if line.strip()] for text in texts)
            if lines and not lines[0].startswith(_WRAPPERS)]
    if not said:
        return type(exc).__name__
    first = said[0]
    if first.startswith("[FAILED_READ_FILE") and len(said) > 1:
        # "Encountered error while reading file F." says where; the innermost cause says what
        first = f"{_without_sqlstate(first).rstrip('. ')}: {said[-1]}"
    return _without_sqlstate(first)
