"""The Python API for ETL jobs: load a rule file once, then segment files,
Arrow tables, pandas/polars/Spark DataFrames or single records with it.

Nothing here has semantics of its own: the application service
(segdsl/service/app.py) runs check, test, apply, compile and stats for the
command line and for this module alike. What is here is the Python-facing
shape: kinds of tables in and out (a DataFrame goes to the engine as an
Arrow table and comes back as the kind given), pins, single records, and
Problems from the service worded with parameter names (`_words`). One
record is checked by the same RowValidator as a file row and segmented by
the same generated code, with itself as the population (as a test case is).
"""
from __future__ import annotations

import datetime as dt
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple, Sequence

from . import ir
from .diagnostics import render
from .diagnostics.suggest import did_you_mean
from .diagnostics.values import Diagnostic
from .engines import registry
from .engines.errors import DataError, Problem, UsageProblem
from .engines.options import ApplyOptions, Summary
from .service import app as service
from .service.params import ParamErrors, parse_value, resolve_params
from .types import Kind

__all__ = ["load", "Segmentation", "Applied", "RulesetError", "LoadError", "ParamError", "RecordError",
           "OptionError", "DataError", "NotSupported", "Summary"]


def __getattr__(name: str):
    """`NotSupported` (a construct the SQL backend cannot express yet) without
    importing sqlglot on `import segdsl.api`."""
    if name == "NotSupported":
        from .backends.sql import NotSupported
        return NotSupported
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---- errors --------------------------------------------------------------------

class RulesetError(Exception):
    """The rule file has errors. `diagnostics` are the values, `text` the
    rendering `segdsl check` prints, so a failed DAG task shows the caret."""

    def __init__(self, path: str, diagnostics: list[Diagnostic], text: str) -> None:
        self.path, self.diagnostics, self.text = path, list(diagnostics), text
        errors = sum(d.is_error for d in diagnostics)
        super().__init__(f"{path}: {errors} error{'s' if errors != 1 else ''} in the rules\n{text}".rstrip())


LoadError = RulesetError


class ParamError(ValueError):
    """A param override the ruleset has no param for, or of the wrong type."""


class RecordError(ValueError):
    """A record given to `evaluate` breaks the schema; the message says why,
    in the words a bad file row gets."""


class OptionError(ValueError):
    """An argument that cannot be used as given (an unknown engine, a column to keep
    that is reserved, ...); `problem` is the value behind the message."""

    def __init__(self, message: str, problem: Problem) -> None:
        super().__init__(message)
        self.problem = problem


_PARAMETERS = {"input": "data", "table": "tables", "param": "params", "id": "record_or_key"}


def _words(problem: Problem) -> str:
    """A Problem in this module's words: the parameter, the value given, what is wrong."""
    name = _PARAMETERS.get(problem.where, problem.where)
    value = os.fspath(problem.value) if isinstance(problem.value, os.PathLike) else problem.value
    if problem.where == "config":           # the project's pyproject.toml, not a parameter
        return f"{value}: {problem.detail}"
    if value is None:
        head = name
    elif problem.where in ("input", "table"):
        head = f"{name}[{value!r}]"
    else:
        head = f"{name}={value!r}"
    return f"{head}: {problem.detail}"


@contextmanager
def _api_errors():
    """Problems from the service as OptionError (wrong use) or DataError, in parameter words."""
    try:
        yield
    except UsageProblem as exc:
        raise OptionError(_words(exc.problem), exc.problem) from None
    except DataError as exc:
        if exc.problem is None:
            raise
        raise DataError(_words(exc.problem), exc.problem) from None


# ---- loading ---------------------------------------------------------------------

def load(path: str | os.PathLike, *, params: Mapping[str, Any] | None = None,
         stats: str | os.PathLike | None = None, allow_imports_outside: bool = False) -> "Segmentation":
    """Check a rule file (and its imports) and get it ready to run.

    `params` override the file's param defaults: typed values (5000, 1.2,
    date(2024, 1, 1), True, an enum member name) or the text `--param` takes
    ("120%", "2024-01-01"). `stats` is a file from `segdsl stats`: its frozen
    population values are then used by `apply` and `evaluate`. `allow_imports_outside`: imports
    may leave the folder of the rule file and name files not ending in `.seg`."""
    result = service.check(path, allow_imports_outside=allow_imports_outside)
    if not result.ok:
        raise RulesetError(str(path), result.diagnostics, render.text(result.diagnostics, result.texts))
    rs = result.ruleset
    loaded = Segmentation(rs, MappingProxyType(_resolve_params(rs, params)), tuple(result.diagnostics),
                          MappingProxyType(result.texts))
    return loaded.with_stats(stats) if stats is not None else loaded


_PARAM_ERRORS = ParamErrors(
    unknown=lambda name, hint: ParamError(f"params: the ruleset has no param `{name}`"
                                          + (f"; {hint}" if hint else "")),
    missing=lambda name: ParamError(f"param `{name}` has no default: give it in params={{{name!r}: ...}}"))


def _resolve_params(rs: ir.Ruleset, given: Mapping[str, Any] | None) -> dict:
    return resolve_params(rs, given, _param_value, _PARAM_ERRORS)


def _param_value(p: ir.ParamDecl, value: Any):
    """Typed values go through their text so that a param is read one way only
    (parse_value, as for --param)."""
    kind = p.type.kind
    if isinstance(value, str):
        text = value
    elif kind in (Kind.STRING, Kind.ENUM):
        raise ParamError(f"params[{p.name!r}] = {value!r}: `{p.name}` needs a string")
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dt.date, dt.datetime)):
        text = value.isoformat()
    elif isinstance(value, (int, float)):
        text = repr(value)
    else:
        raise ParamError(f"params[{p.name!r}] = {value!r}: a {type(value).__name__} is no param value")
    try:
        return parse_value(p, text)
    except UsageProblem as exc:
        raise ParamError(f"params[{p.name!r}] = {value!r}: {exc.problem.detail}") from None


# ---- the loaded ruleset -----------------------------------------------------------

class Applied(NamedTuple):
    """What `apply_with_summary` returns: the result (None when written to
    `output`) and the run summary (rows read, bad rows, segment sizes). For a
    Spark DataFrame segmented lazily nothing has run yet: the summary is None,
    and under on_error="quarantine" `.rejected` is the DataFrame of bad rows."""
    result: Any
    summary: Summary | None

    @property
    def rejected(self) -> Any:
        """The bad rows of a lazily segmented Spark DataFrame under on_error="quarantine", else None."""
        return getattr(self, "_rejected", None)


class _LazyApplied(Applied):
    """Applied, still a pair (`result, summary = ...`), with the bad rows' DataFrame beside it."""

    def __new__(cls, result: Any, rejected: Any):
        self = super().__new__(cls, result, None)
        self._rejected = rejected
        return self


@dataclass(frozen=True, repr=False)
class Segmentation:
    """A checked ruleset with its params: load once, apply many times."""
    ruleset: ir.Ruleset
    params: Mapping[str, Any]
    warnings: tuple[Diagnostic, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)
    stats: Mapping[int, Any] | None = None       # frozen population values by stat id (`segdsl stats`)

    def __repr__(self) -> str:
        return f"<Segmentation {self.name} from {self.path}: {', '.join(self.dimensions)}>"

    @property
    def name(self) -> str:
        return self.ruleset.name

    @property
    def path(self) -> str:
        return self.ruleset.path

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Output columns after the key, in declaration order."""
        return tuple(d.name for d in self.ruleset.dimensions)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Input names: the customer input first, then related inputs."""
        rs = self.ruleset
        return tuple(([rs.customer.name] if rs.customer else []) + [r.name for r in rs.related])

    def with_params(self, **values: Any) -> "Segmentation":
        """The same rules with some params changed (e.g. the run date of a DAG)."""
        return replace(self, params=MappingProxyType(_resolve_params(self.ruleset, {**self.params, **values})))

    def with_stats(self, path: str | os.PathLike | None) -> "Segmentation":
        """The same rules using the population values frozen in a `segdsl stats`
        file (refused, naming what changed, when one the rules need was frozen from
        other definitions, inputs or values of the params as set now); None:
        compute them over each run's data again."""
        if path is None:
            return replace(self, stats=None)
        with _api_errors():
            frozen = service.load_stats(Path(path), self.ruleset, self.params)
        return replace(self, stats=MappingProxyType(frozen))

    # ---- checks ----
    def check(self, analyse: bool = True) -> list[Diagnostic]:
        """What `segdsl check` reports on these rules: the warnings found when loading
        (errors stop `load`) and, unless `analyse=False`, the solver's findings about the
        dimensions (overlaps, gaps, unreachable segments, with witnesses). The solver runs
        here, never in `load` or `apply`, which stay free of it."""
        if not analyse:
            return list(self.warnings)
        with _api_errors():
            return service.analysed_diagnostics(self.ruleset, self.warnings, self.texts)

    def warnings_text(self) -> str:
        return render.text(list(self.warnings), dict(self.texts))

    def test(self):
        """Runs the file's `test` blocks on the generated code: a TestReport
        with `.failures`, `.passed` and `.coverage`."""
        with _api_errors():
            return service.run_tests(self.ruleset, dict(self.params), "python")

    # ---- code ----
    def to_sql(self, dialect: str = "duckdb", tables: Mapping[str, str] | None = None,
               labels: bool = False, attributes: bool = False, reasons: bool = False) -> str:
        """One SELECT (no trailing `;`) over tables whose columns are the data
        columns with typed values, as `segdsl compile --target sql` writes it.
        `reasons`: a `_reason` column, NULL for a row the engines would take and
        their reason for one they would call bad (`--reasons`).
        `tables` maps input names to table names (default: the input names),
        qualified or not (`stg.customers`, `dw.stg.customers`; quote a part that
        holds a dot: `dw."stg.v1"`); each part is a quoted identifier, never SQL
        text. The SQL starts with comment lines naming the ruleset, its version,
        the params and the tables read."""
        with _api_errors():
            return service.compile_sql(self.ruleset, dict(self.params), dialect, tables,
                                       labels=labels, attributes=attributes, reasons=reasons)

    def to_python(self) -> str:
        """The generated Python source the Python engine runs."""
        return service.compile_python(self.ruleset)

    # ---- one record ----
    def evaluate(self, record: Mapping[str, Any] | None = None,
                 rows: Mapping[str, Sequence[Mapping[str, Any]]] | None = None, *,
                 pins: Mapping[str, Any] | None = None) -> dict:
        """Segments one customer: {dimension: segment name, or a list for an
        `all` dimension, or None}.

        Keys are data column names or field names; enum fields take the data
        values ("Fiber optic"), as in a file. `rows` gives related rows by
        input name (their key may be left out). Population values come from
        the stats file the rules were loaded with; without one the customer
        is its own population, as in a test. `pins` fixes lets (population
        values included) to constants, like a test's `with`."""
        from .backends.python import compile_program, compute_stats
        rs = self.ruleset
        customer = self._customer(record, rows)
        rec, related = customer.record, customer.rows
        pins = dict(pins or {})
        lets = {d.name for d in rs.definitions if isinstance(d, ir.Let)}
        for name in pins:
            if name not in lets:
                hint = did_you_mean(name, lets)
                raise ValueError(f"pins: the ruleset has no let `{name}`" + (f"; {hint}" if hint else ""))
        program = compile_program(rs, frozenset(pins))
        params = dict(self.params)
        S = compute_stats(program, [customer], params, pins, dict(self.stats or {}))
        values = dict(zip(self.dimensions, program.evaluate(rec, related, params, S, pins)))
        out = {}
        for d in rs.dimensions:
            v = values[d.name]
            if hasattr(v, "reason"):              # UniqueConflict: a bad record, as in a file
                raise RecordError(f"record {v.reason()}")
            out[d.name] = list(v) if isinstance(v, tuple) else v
        return out

    def _customer(self, record, rows):
        """One customer from a record and related rows, checked as file rows are."""
        from .runtime.customers import Customer
        rs = self.ruleset
        record = _as_dict(record, "record") if record is not None else {}
        if rs.customer is None:
            if record:
                raise RecordError(f"this ruleset has no customer input; give the rows of "
                                  f"{', '.join(self.inputs)} as rows={{...}}")
            rec, key = {}, None
        else:
            rec = _validated(rs.customer, record, "record")
            key = rec[rs.customer.key] if rs.customer.key else None
        related = {r.name: [] for r in rs.related}
        for name, given in (rows or {}).items():
            schema = rs.related_input(name)
            if schema is None:
                raise RecordError(f"rows: the ruleset has no related input `{name}`"
                                  + (f" (related inputs: {', '.join(r.name for r in rs.related)})" if rs.related
                                     else ""))
            if isinstance(given, Mapping) or isinstance(given, (str, bytes)):
                raise RecordError(f"rows[{name!r}]: give a list of row dicts")
            for i, row in enumerate(given):
                where = f"rows[{name!r}][{i}]"
                values = _as_dict(row, where)
                key_field = schema.field(schema.key) if schema.key else None
                if key_field is not None and key is not None and not _mentions(values, key_field):
                    values[key_field.column] = key
                converted = _validated(schema, values, where)
                if key_field is not None:
                    got = converted[key_field.name]
                    if key is None and rs.customer is None:
                        key = got
                    elif got != key:
                        raise RecordError(f"{where}: {key_field.name} = {got!r} is not this customer's key {key!r}")
                related[name].append(converted)
        return Customer(key, rec, related, 1)

    def explain(self, record_or_key, data=None, *, row: int | None = None, dimension: str | None = None,
                rows: Mapping[str, Sequence[Mapping[str, Any]]] | None = None, on_error: str = "fail",
                delimiter: str | None = None, encoding: str = "utf-8", null_values: str | Sequence[str] = (),
                date_format: str | None = None):
        """Why a customer gets each segment: an Explanation (segdsl/service/explain.py) with,
        per dimension, the segment and every condition tried with the values it read;
        `.as_dict()` is the JSON `segdsl explain --format json` prints.

        `record_or_key` is a record (a dict, as `evaluate` takes, with `rows`: the customer is
        its own population unless the rules were loaded with stats), or the key of a customer
        in `data` (a path, or a dict of input name → path; population values are then over
        every customer of the data). For an input without a key give `row=N` (the data row)
        and None as the key."""
        from .service import explain as explaining
        with _api_errors():
            if isinstance(record_or_key, Mapping) or (data is None and row is None):
                pop = explaining.Population.of_one(self.ruleset, self._customer(record_or_key, rows),
                                                   dict(self.params), dict(self.stats or {}) or None)
                return pop.explain(pop.customers[0], dimension)
            opts = self._reading(data, on_error, delimiter, encoding, null_values, date_format)
            return explaining.explain(self.ruleset, opts, key=record_or_key, row=row, dimension=dimension)

    def report(self, data, engine: str = registry.DEFAULT, *, measures: Sequence[str] = (),
               crosstab: str | Sequence[str] | None = None, html: str | os.PathLike | None = None,
               on_error: str = "fail", delimiter: str | None = None, encoding: str = "utf-8",
               null_values: str | Sequence[str] = (), date_format: str | None = None):
        """How big, and how valuable, each segment is: a Report (segdsl/service/report.py) with,
        per dimension, each segment's customers and share and, per measure (a numeric field or
        let), its share of the total, mean and median; `crosstab=("value", "status")` counts
        customers by two dimensions. `.as_dict()` is the JSON of `segdsl report --format json`;
        `html` also writes the self-contained chart page there. `data` is a path, or a dict
        of input name → path."""
        from .service.report import report as run
        with _api_errors():
            opts = self._reading(data, on_error, delimiter, encoding, null_values, date_format)
            service.engine_for(engine, opts, self.ruleset)
            service.check_files(self.ruleset, opts.inputs, {"html": Path(html) if html is not None else None})
            found = run(self.ruleset, engine, opts, tuple(measures), crosstab)
            if html is not None:
                from .service.report_html import page
                service.write_text("html", Path(html), page(found))
            return found

    def _reading(self, data, on_error: str, delimiter, encoding: str, null_values, date_format) -> ApplyOptions:
        """Options for a command that reads files and writes none (explain, report)."""
        if on_error not in ("fail", "skip"):
            raise OptionError(f"on_error={on_error!r}: choose fail or skip",
                              Problem("bad-choice", "on_error", on_error, "choose fail or skip", True))
        given = dict(data) if isinstance(data, Mapping) else {self.inputs[0]: data}
        return ApplyOptions(
            inputs=service.input_files(self.ruleset, {n: os.fspath(p) for n, p in given.items()}),
            params=dict(self.params), on_error=on_error, delimiter=delimiter, encoding=encoding,
            null_values=service.null_values(null_values), date_format=date_format,
            stats=dict(self.stats) if self.stats is not None else None)

    # ---- data ----
    def apply(self, data, engine: str | None = None, output: str | os.PathLike | None = None, *,
              on_error: str = "fail", quarantine: str | os.PathLike | None = None,
              labels: bool = False, attributes: bool = False, keep: str | Sequence[str] | None = None,
              delimiter: str | None = None, encoding: str = "utf-8", null_values: str | Sequence[str] = (),
              date_format: str | None = None, batch_size: int = 50_000, output_encoding: str = "utf-8",
              csv_safe: bool = False, master: str | None = None,
              spark_conf: Mapping[str, Any] | None = None):
        """Segments a file or a table: one row per customer.

        `data` is a path (CSV, TSV, JSON Lines, Parquet), a pyarrow Table, a
        pandas, polars or Spark DataFrame, a polars LazyFrame (collected, and
        the result comes back lazy), or a dict of input name → any of these
        for rulesets with related inputs. With `output` the result is
        written there (atomically) and the run Summary is returned; without
        it the result comes back as the kind of table given (a pyarrow Table
        for a path). A Spark DataFrame without `output` is segmented lazily
        by the Spark engine (the default engine for it): the result is a
        DataFrame the caller keeps composing, and no Spark job runs until
        its rows are asked for (docs/python-api.md). Bad rows: on_error="fail" raises DataError naming the row
        and column; "skip" drops and counts them; "quarantine" writes them
        with their reason to `quarantine` (default: next to the output).
        `output_encoding` and `csv_safe` are the command line's `--output-encoding`
        and `--csv-safe` for CSV and JSONL outputs (docs/cli.md). For engine="spark",
        `master` is the cluster (spark://HOST:PORT, sc://HOST:PORT for Spark Connect,
        local[N]) and `spark_conf` the session's settings ({"spark.executor.memory": "4g"}); it
        also reads a directory of part files, hdfs://, s3a:// or table:db.name, and writes
        `output` and `quarantine` as directories of part files when named with a trailing
        "/" (or table:db.name for the output)."""
        applied = self.apply_with_summary(
            data, engine, output, on_error=on_error, quarantine=quarantine, labels=labels,
            attributes=attributes, keep=keep, delimiter=delimiter, encoding=encoding,
            null_values=null_values, date_format=date_format, batch_size=batch_size,
            output_encoding=output_encoding, csv_safe=csv_safe, master=master, spark_conf=spark_conf)
        return applied.summary if output is not None else applied.result

    def apply_with_summary(self, data, engine: str | None = None, output: str | os.PathLike | None = None, *,
                           on_error: str = "fail", quarantine: str | os.PathLike | None = None,
                           labels: bool = False, attributes: bool = False,
                           keep: str | Sequence[str] | None = None, delimiter: str | None = None,
                           encoding: str = "utf-8", null_values: str | Sequence[str] = (),
                           date_format: str | None = None, batch_size: int = 50_000,
                           output_encoding: str = "utf-8", csv_safe: bool = False,
                           master: str | None = None, spark_conf: Mapping[str, Any] | None = None) -> Applied:
        """`apply`, returning both the result and the Summary."""
        with _api_errors():
            return self._apply(data, engine, output, on_error=on_error, quarantine=quarantine, labels=labels,
                               attributes=attributes, keep=keep, delimiter=delimiter, encoding=encoding,
                               null_values=null_values, date_format=date_format, batch_size=batch_size,
                               output_encoding=output_encoding, csv_safe=csv_safe, master=master,
                               spark_conf=spark_conf)

    def _apply(self, data, engine: str | None, output, *, on_error: str, quarantine, labels: bool, attributes: bool,
               keep, delimiter: str | None, encoding: str, null_values, date_format: str | None,
               batch_size: int, output_encoding: str = "utf-8", csv_safe: bool = False,
               master: str | None = None, spark_conf: Mapping[str, Any] | None = None) -> Applied:
        service.check_on_error(on_error)
        service.check_batch_size(batch_size)
        sources = self._sources(data)
        kinds = {name: _kind(src) for name, src in sources.items()}
        main = next(iter(sources))
        lazy = _lazy_engine(set(kinds.values()), engine) if output is None else None
        engine = engine or lazy or registry.DEFAULT
        cluster_io = registry.get(engine).supports.cluster_io
        if lazy:
            return self._apply_lazily(sources, lazy, on_error=on_error, quarantine=quarantine, labels=labels,
                                      attributes=attributes, keep=keep, master=master, spark_conf=spark_conf)
        paths = service.existing_files([(name, os.fspath(src)) for name, src in sources.items()
                                        if kinds[name] == "path"], cluster=cluster_io)
        shown = {name: f"{name} ({_DESCRIBE[kinds[name]]})" for name in sources if kinds[name] != "path"}
        tables = {name: _to_arrow(sources[name], kinds[name], what) for name, what in shown.items()}
        if on_error == "quarantine" and quarantine is None and output is None:
            if kinds[main] != "path":
                raise ValueError("on_error='quarantine' for a table in memory: give quarantine=PATH "
                                 "(or an output, to put the rejected rows next to it)")
            quarantine = service.default_quarantine(ApplyOptions(inputs=paths))
        rejected, rejected_dir = service.quarantine_target(quarantine)
        target, directory = service.output_target(os.fspath(output) if output is not None else None)
        opts = ApplyOptions(
            inputs=paths, output=target, output_dir=directory, params=dict(self.params),
            on_error=on_error, quarantine=rejected, quarantine_dir=rejected_dir, labels=labels,
            attributes=attributes, keep=service.keep_columns(keep), delimiter=delimiter, encoding=encoding,
            null_values=service.null_values(null_values), date_format=date_format, batch_size=batch_size,
            stats=dict(self.stats) if self.stats is not None else None, output_encoding=output_encoding,
            csv_safe=bool(csv_safe), master=master, spark_conf=service.spark_conf(spark_conf))
        table, summary = service.apply_tables(self.ruleset, engine, tables, opts, shown)
        if output is not None:
            return Applied(None, summary)
        return Applied(_from_arrow(table, kinds[main], sources[main]), summary)

    def _apply_lazily(self, frames: dict, engine: str, *, on_error: str, quarantine, labels: bool, attributes: bool,
                      keep, master: str | None, spark_conf) -> Applied:
        """Spark DataFrames in, a Spark DataFrame out; LazyFrames in, a LazyFrame out; nothing run
        (engines/spark_lazy.py, engines/polars_lazy.py)."""
        from .engines.errors import fail
        if engine == "spark" and master is not None:
            raise fail("not-for-engine", "master", master, "a Spark DataFrame is segmented in its own session",
                       usage=True)
        if engine == "spark" and spark_conf:
            raise fail("not-for-engine", "spark_conf", ",".join(map(str, spark_conf)),
                       "a Spark DataFrame is segmented in its own session; set it there", usage=True)
        opts = ApplyOptions(
            inputs={}, params=dict(self.params), on_error=on_error,
            quarantine=Path(quarantine) if quarantine is not None else None, labels=labels, attributes=attributes,
            keep=service.keep_columns(keep), stats=dict(self.stats) if self.stats is not None else None,
            master=master, spark_conf=service.spark_conf(spark_conf))
        kind = "polars_lazy" if engine == "polars" else "spark"
        shown = {name: f"{name} ({_DESCRIBE[kind]})" for name in frames}
        result, rejected = service.apply_frames(self.ruleset, frames, opts, shown, engine)
        return _LazyApplied(result, rejected)

    def _sources(self, data) -> dict[str, Any]:
        """Input name → what to read, customer input first."""
        from .engines.bad_rows import check_inputs
        given = dict(data) if isinstance(data, Mapping) else {self.inputs[0]: data}
        check_inputs(self.ruleset, list(given))
        return {n: given[n] for n in self.inputs if n in given}


# ---- records ---------------------------------------------------------------------

def _as_dict(value, where: str) -> dict:
    if not isinstance(value, Mapping) and callable(getattr(value, "to_dict", None)):
        value = value.to_dict()               # a pandas row (Series)
    if not isinstance(value, Mapping):
        raise RecordError(f"{where}: give a dict of field values, not a {type(value).__name__}")
    return dict(value)


def _mentions(values: dict, f: ir.FieldSchema) -> bool:
    return f.column in values or f.name in values


def _validated(schema: ir.InputSchema, given: dict, where: str) -> dict:
    """A dict keyed by data columns or field names → a record, through the
    validator files go through."""
    from .io.readers import RawRow
    from .io.validate import RowValidator
    by_column = {f.column: f for f in schema.fields}
    by_name = {f.name: f for f in schema.fields}
    values: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for k, v in given.items():
        f = by_column.get(k) or by_name.get(k)
        if f is None:
            hint = did_you_mean(str(k), [*by_name, *by_column])
            raise RecordError(f"{where}: {schema.name} has no field or column `{k}`" + (f"; {hint}" if hint else ""))
        if f.column in owner:
            raise RecordError(f"{where}: field {f.name} is given twice (as `{owner[f.column]}` and `{k}`)")
        owner[f.column] = k
        values[f.column] = _native(v)
    record, reason = RowValidator(schema).convert(RawRow(1, None, values))
    if reason is not None:
        raise RecordError(f"{where}: {reason}")
    return record


def _native(v):
    """numpy scalars (a pandas row's values) as the Python values files give."""
    if type(v).__module__ == "numpy" and hasattr(v, "item"):
        return v.item()
    return v


# ---- tables ----------------------------------------------------------------------

_DESCRIBE = {"arrow": "pyarrow Table", "pandas": "pandas DataFrame", "polars": "polars DataFrame",
             "polars_lazy": "polars LazyFrame", "spark": "Spark DataFrame"}


def _lazy_engine(kinds: set[str], engine: str | None) -> str | None:
    """The engine that segments these inputs lazily, keeping them frames of their library:
    Spark DataFrames on the Spark engine, polars LazyFrames on the polars engine (each the
    default for them); None when the inputs are read and the result built at once."""
    for kind, lazy in (("spark", "spark"), ("polars_lazy", "polars")):
        if kinds == {kind} and engine in (None, lazy):
            return lazy
    return None


def _kind(data) -> str:
    """What kind of input this is, without importing a library the caller has not."""
    if isinstance(data, (str, os.PathLike)):
        return "path"
    pa = sys.modules.get("pyarrow")
    if pa is not None and isinstance(data, (pa.Table, pa.RecordBatch)):
        return "arrow"
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(data, pd.DataFrame):
        return "pandas"
    pl = sys.modules.get("polars")
    if pl is not None and isinstance(data, pl.DataFrame):
        return "polars"
    if pl is not None and isinstance(data, pl.LazyFrame):
        return "polars_lazy"        # segmented lazily by the polars engine, unless another is named
    spark = sys.modules.get("pyspark.sql")
    if spark is not None and isinstance(data, spark.DataFrame):
        return "spark"
    raise TypeError(f"cannot segment a {type(data).__name__}: give a file path, a pyarrow Table, "
                    f"or a pandas, polars or Spark DataFrame")


def _to_arrow(data, kind: str, shown: str):
    import pyarrow as pa
    if kind == "arrow":
        return pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data
    if kind == "pandas":
        try:
            return pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise DataError(f"{shown}: a column cannot be read as Arrow: {exc}") from None
    if kind == "polars":
        return data.to_arrow()
    if kind == "polars_lazy":
        return data.collect().to_arrow()
    if hasattr(data, "toArrow"):              # pyspark 4
        return data.toArrow()
    return pa.Table.from_pandas(data.toPandas(), preserve_index=False)


def _from_arrow(table, kind: str, original):
    if kind in ("path", "arrow"):
        return table
    if kind == "pandas":
        return table.to_pandas()
    if kind in ("polars", "polars_lazy"):
        import polars as pl
        frame = pl.from_arrow(table)
        return frame.lazy() if kind == "polars_lazy" else frame
    session = original.sparkSession
    try:
        return session.createDataFrame(table)          # pyspark 4 takes Arrow tables
    except TypeError:
        return session.createDataFrame(table.to_pandas())
