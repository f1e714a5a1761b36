"""The application service: what `segdsl` does, under both the CLI and the Python API.

check, test, apply, compile and stats live here once; the command line
(cli.py) parses arguments and renders, the Python API (api.py) shapes
Python values (kinds of tables, pins, records). Wrong use and failed runs
are raised as Problems (engines/errors.py: code, where, value, detail),
never as sentences naming a flag or a parameter: each caller words them in
its own terms, in one place. Bad rows keep their one wording everywhere.

Further commands (explain, diff, report, fmt) are functions beside these.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from .. import ir
from ..check.frontend import CheckResult, check_file
from ..engines import registry
from ..engines.bad_rows import check_inputs
from ..engines.errors import fail
from ..engines.options import ApplyOptions, Summary

if TYPE_CHECKING:
    from ..engines.base import Engine
    import pyarrow as pa

ON_ERROR = ("fail", "skip", "quarantine")
TEST_ENGINES = ("python", "interp")
SQL_AS = ("select", "view", "table")


# ---- check ---------------------------------------------------------------------

def rule_files(paths: Sequence[Path]) -> list[Path]:
    """The rule files named: a folder stands for every `.seg` file under it (sorted, hidden
    folders skipped), as a project's CI checks them all; a folder without one is a usage error."""
    out: list[Path] = []
    for path in paths:
        if not Path(path).is_dir():
            out.append(path)
            continue
        found = sorted(p for p in Path(path).rglob("*.seg")
                       if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts))
        if not found:
            raise fail("no-rule-files", "files", path, "no .seg file under this folder", usage=True)
        out.extend(found)
    return out


def check(path: str | Path, allow_imports_outside: bool = False, analyse: bool = False,
          cached: bool = False, budgets: tuple[float | None, float | None] = (None, None)) -> CheckResult:
    """A rule file (and its imports) parsed, type-checked and linted; with `analyse`, its
    dimensions analysed by the solver too (analysis/dimensions.py: z3 is loaded only then),
    within `budgets`: seconds per dimension and for the file (None: the analysis's own);
    `cached`: an unchanged file's check comes from the on-disk cache (check/cache.py).
    Warnings and notes the project hides (`# segdsl: ignore[...]`, `[tool.segdsl]`) are left out."""
    from ..diagnostics.suppress import shown
    from .config import selection_for
    result = check_file(path, allow_imports_outside=allow_imports_outside, cached=cached)
    if analyse and result.ok:
        result = _analysed(path, result, budgets, allow_imports_outside, cached)
    return replace(result, diagnostics=shown(result.diagnostics, result.texts, selection_for(path)))


def _analysed(path, result: CheckResult, budgets: tuple, allow_imports_outside: bool, cached: bool) -> CheckResult:
    """The check with the solver's findings; with `cached`, kept in the checked-file cache
    (check/cache.py) beside the check, under the budgets and z3's version too: the same
    files analysed again give the same findings, so an unchanged file is not analysed twice.
    A result in which a time budget ran out is not kept: with more time the analysis may
    say more."""
    from .. import caching
    from ..analysis import dimensions
    from ..check import cache
    from .witnesses import analysed
    seconds = (dimensions.BUDGET_SECONDS if budgets[0] is None else budgets[0],
               dimensions.FILE_BUDGET_SECONDS if budgets[1] is None else budgets[1])
    options = ("analysed", allow_imports_outside, seconds, caching.version_of("z3-solver")) if cached else None
    if options is not None and (hit := cache.lookup(path, options)) is not None:
        return replace(result, diagnostics=hit.diagnostics)
    result = analysed(result, *budgets)
    if options is not None and not any(dimensions.ran_out_of_time(d) for d in result.diagnostics):
        cache.store(path, options, result, ruleset=False)    # the IR is in the check's own entry
    return result


def analysed_diagnostics(rs: ir.Ruleset, diagnostics, texts) -> list:
    """A loaded ruleset's diagnostics with the solver's findings added, as `check` shows
    them (what the project hides left out): the Python API's `Segmentation.check()`."""
    from ..check.frontend import CheckResult
    from ..diagnostics.suppress import shown
    from .config import selection_for
    from .witnesses import analysed
    result = analysed(CheckResult(rs, list(diagnostics), dict(texts)))
    return shown(result.diagnostics, result.texts, selection_for(rs.path))


# ---- test ----------------------------------------------------------------------

def run_tests(rs: ir.Ruleset, params: dict, engine: str = "python"):
    """The file's `test` blocks on `engine` (python: the generated code; interp: the reference
    interpreter): a TestReport."""
    from .testing import run_tests as run
    return run(rs, params, _test_evaluator(engine))


def _test_evaluator(engine: str):
    if engine == "interp":
        from .testing import interpret
        return interpret
    if engine == "python":
        from functools import partial

        from ..backends.python import evaluate_with_generated
        return partial(evaluate_with_generated, lenient=True)
    raise fail("unknown-engine", "engine", engine, f"choose {' or '.join(TEST_ENGINES)}", usage=True)


# ---- apply ---------------------------------------------------------------------

def keep_columns(keep: str | Sequence[str] | None) -> tuple[str, ...]:
    """Input columns to carry through: "a,b", ["a", "b"], or "all" (every column)."""
    if keep is None:
        return ()
    if isinstance(keep, str):
        if keep.strip() == "all":
            return ("*",)
        keep = keep.split(",")
    cols = tuple(str(c).strip() for c in keep if str(c).strip())
    if "_row" in cols:
        raise fail("reserved-column", "keep", "_row", "`_row` is the output's own row number column", usage=True)
    return cols


def null_values(values: str | Sequence[str] | None) -> tuple[str, ...]:
    """Extra null spellings: "NA,NULL" or ["NA", "NULL"]."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = values.split(",")
    return tuple(v for v in values if v)


def check_on_error(on_error: str, allowed: Sequence[str] = ON_ERROR) -> str:
    if on_error not in allowed:
        raise fail("bad-choice", "on_error", on_error, f"choose {_choices(allowed)}", usage=True)
    return on_error


MAX_BATCH_SIZE = 1_000_000     # rows held at once; more only costs memory (and overflows engines' counters)


def check_batch_size(batch_size: Any) -> int:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise fail("bad-number", "batch_size", batch_size, "give a positive whole number", usage=True)
    if batch_size > MAX_BATCH_SIZE:
        raise fail("bad-number", "batch_size", batch_size, f"at most {MAX_BATCH_SIZE:,} rows per batch", usage=True)
    return batch_size


def check_encoding(encoding: Any, where: str = "encoding") -> str:
    """A text encoding Python can read files with (not a bytes-to-bytes codec such as hex)."""
    import codecs
    try:
        info = codecs.lookup(str(encoding))
    except LookupError:
        raise fail("unknown-encoding", where, encoding,
                   "unknown encoding; for example utf-8, gbk, gb18030, big5, latin-1, utf-16", usage=True) from None
    if not getattr(info, "_is_text_encoding", True):
        raise fail("unknown-encoding", where, encoding, "is not a text encoding", usage=True)
    return str(encoding)


def input_files(rs: ir.Ruleset, given: Mapping[str, str] | Sequence[tuple[str, str]],
                cluster: bool = False) -> dict[str, Path]:
    """Input name → file (or pattern of files) to read: every name one the ruleset has, given
    once (a second file for one name would silently replace the first: a pattern reads
    several), every file there, every pattern matching at least one file. `cluster`: also
    what only a cluster engine reads (a directory, `table:NAME`, a URI such as hdfs://...);
    `engine_for` refuses those for the other engines."""
    pairs = list(given.items()) if isinstance(given, Mapping) else [(n, p) for n, p in given]
    check_inputs(rs, [n for n, _ in pairs])
    first: dict[str, str] = {}
    for name, path in pairs:
        if name in first:
            raise fail("repeated-input", "input", f"{name}={path}",
                       f"`{name}` is given twice (also {first[name]}); give each input once "
                       "(a quoted pattern such as 'parts/*.csv' reads several files)", usage=True)
        first[name] = path
    return existing_files(pairs, cluster)


def existing_files(pairs, cluster: bool = False) -> dict[str, Path]:
    """Input name → file, for (name, path or pattern) pairs: a usage problem at `input` for a path
    that names no file, a pattern that matches none, or a folder."""
    import glob

    from ..io.errors import InputError
    from ..io.readers import expand
    files: dict[str, Path] = {}
    for name, path in pairs:
        if cluster and (path.startswith(CLUSTER_TABLE) or _URI.match(path)):
            if path.startswith(CLUSTER_TABLE) and not path[len(CLUSTER_TABLE):].strip():
                raise fail("no-file", "input", f"{name}={path}", "give the table's name: table:db.name", usage=True)
            files[name] = Path(path)
            continue
        if cluster and Path(path).is_dir():
            files[name] = Path(path)
            continue
        if glob.has_magic(path):
            try:
                found = expand(path)
            except InputError:
                found = []
            if not found:
                raise fail("no-file", "input", f"{name}={path}", "no file matches", usage=True)
        elif not Path(path).exists():
            raise fail("no-file", "input", f"{name}={path}", "no such file", usage=True)
        elif Path(path).is_dir():
            raise fail("not-a-file", "input", f"{name}={path}",
                       f"is a directory; give a file, or a quoted pattern such as '{Path(path) / '*.csv'}'",
                       usage=True)
        files[name] = Path(path)
    return files


def spark_conf(given) -> tuple[tuple[str, str], ...]:
    """Spark session settings, `KEY=VALUE` texts or a mapping, checked before anything runs
    (engines/spark_session.py has the rules; it needs no PySpark, but imports pyarrow, which a
    command given none does not wait for here)."""
    if not given:
        return ()
    from ..engines.spark_session import parse_conf
    return parse_conf(given)


CLUSTER_TABLE = "table:"
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def is_cluster_path(path) -> bool:
    """A source or target only a cluster engine reads or writes: `table:NAME` or a URI."""
    text = str(path)
    return text.startswith(CLUSTER_TABLE) or bool(_URI.match(text))


def output_target(text: str | None) -> tuple[Path | None, bool]:
    """`--output` as given: (the path, whether it is a directory of part files). A directory is
    named with a trailing `/` (or is one already); `table:NAME` and URIs are written by Spark."""
    if text is None:
        return None, False
    if text.startswith(CLUSTER_TABLE):
        return Path(text), False
    directory = text.endswith(("/", "\\")) or Path(text).is_dir() or bool(_URI.match(text))
    return Path(text.rstrip("/") or "/"), directory


def quarantine_target(text: str | os.PathLike | None) -> tuple[Path | None, bool]:
    """`--quarantine` as given: (the path, whether it is a directory of part files, named with a
    trailing `/`, or one already, or a URI)."""
    if text is None:
        return None, False
    text = os.fspath(text)
    directory = text.endswith(("/", "\\")) or Path(text).is_dir() or bool(_URI.match(text))
    return Path(text.rstrip("/") or text), directory


def engine_for(name: str, options: ApplyOptions, rs: ir.Ruleset | None = None) -> Engine:
    """The engine called `name`, if it takes every option given and can run the ruleset."""
    engine = registry.get(name)
    takes = engine.supports
    if not takes.cluster_io:
        for input_name, path in options.inputs.items():
            if Path(path).is_dir() and not is_cluster_path(path):
                raise fail("not-a-file", "input", f"{input_name}={path}",
                           f"is a directory; give a file, or a quoted pattern such as '{Path(path) / '*.csv'}' "
                           f"(the {_engines_with('cluster_io')} engine reads a directory of part files)", usage=True)
            if is_cluster_path(path):
                raise fail("not-for-engine", "input", f"{input_name}={path}",
                           f"the {name} engine reads files only; tables and remote paths are read by "
                           f"{_engines_with('cluster_io')}", usage=True)
        if options.quarantine is not None and options.quarantine_dir:
            what = "is a directory" if Path(options.quarantine).is_dir() else "names a directory (it ends in /)"
            raise fail("not-a-file", "quarantine", options.quarantine,
                       f"{what}; give a file path (the {_engines_with('cluster_io')} engine writes "
                       "a directory of part files)", usage=True)
        if options.output is not None and (options.output_dir or is_cluster_path(options.output)):
            if not is_cluster_path(options.output):
                what = "is a directory" if Path(options.output).is_dir() else "names a directory (it ends in /)"
                raise fail("not-a-file", "output", options.output,
                           f"{what}; give a file path (the {_engines_with('cluster_io')} engine writes "
                           "a directory of part files)", usage=True)
            raise fail("not-for-engine", "output", options.output,
                       f"the {name} engine writes one file; tables and remote paths are written by "
                       f"{_engines_with('cluster_io')}", usage=True)
    if options.memory_limit is not None and not takes.memory_limit:
        raise fail("not-for-engine", "memory_limit", options.memory_limit,
                   f"the {name} engine takes no memory limit ({_engines_with('memory_limit')} does)", usage=True)
    if options.master is not None and not takes.master:
        raise fail("not-for-engine", "master", options.master,
                   f"the {name} engine takes no master URL ({_engines_with('master')} does)", usage=True)
    if options.spark_conf and not takes.master:
        key, value = options.spark_conf[0]
        raise fail("not-for-engine", "spark_conf", f"{key}={value}",
                   f"the {name} engine takes no Spark settings ({_engines_with('master')} does)", usage=True)
    if options.stats is not None and not takes.frozen_stats:
        raise fail("not-for-engine", "stats", None, f"the {name} engine takes no frozen population values", usage=True)
    if rs is not None and rs.related and not takes.related_inputs:
        raise fail("not-supported", "engine", name, "runs no ruleset with related inputs")
    if rs is not None and rs.population and not takes.population:
        raise fail("not-supported", "engine", name, "runs no population functions")
    return engine


def _engines_with(ability: str) -> str:
    found = [n for n in registry.available() if getattr(registry.get(n).supports, ability)]
    return " or ".join(found) or "no engine here"


def apply(rs: ir.Ruleset, engine: str, options: ApplyOptions, written: Mapping[str, Path | None] | None = None,
          read: Mapping[str, Path | None] | None = None) -> Summary:
    """Segments the files of `options.inputs` on `engine`; writes `options.output` if given.
    `written` and `read` are the caller's own files by option (a summary it will write, a
    stats file it read): they are checked with the run's before anything is read."""
    from ..passes import build_plan
    chosen = engine_for(engine, options, rs)
    _check_run(rs, options, written, read)
    return chosen.apply(build_plan(rs), options)


def apply_tables(rs: ir.Ruleset, engine: str, tables: Mapping[str, "pa.Table"], options: ApplyOptions,
                 names: Mapping[str, str] | None = None) -> "tuple[pa.Table | None, Summary]":
    """Segments Arrow tables by input name (besides files in `options.inputs`); `names` says how
    messages call each table. The result table, or None when written to `options.output`."""
    from ..passes import build_plan
    check_inputs(rs, [*options.inputs, *tables])
    chosen = engine_for(engine, options, rs)
    _check_run(rs, options)
    return chosen.run_tables(build_plan(rs), tables, options, names)


def apply_frames(rs: ir.Ruleset, frames: Mapping[str, Any], options: ApplyOptions, names: Mapping[str, str],
                 engine: str = "spark"):
    """Segments DataFrames by input name lazily, Spark DataFrames on the Spark engine, polars
    LazyFrames on the polars engine: (the result, the bad rows' frame under the quarantine
    policy, else None); nothing runs until the caller asks for rows (engines/spark_lazy.py,
    engines/polars_lazy.py)."""
    from ..passes import build_plan
    check_inputs(rs, list(frames))
    engine_for(engine, options, rs)
    if options.quarantine is not None:
        raise fail("not-for-engine", "quarantine", options.quarantine,
                   "the bad rows of a lazily segmented frame come back as a frame (apply_with_summary(...).rejected); "
                   "write it where it belongs", usage=True)
    if engine == "polars":
        from ..engines.polars_lazy import apply_frames as lazy
    else:
        from ..engines.spark_lazy import apply_frames as lazy
    done = lazy(build_plan(rs), dict(frames), options, dict(names))
    return done.result, done.rejected


def _check_run(rs: ir.Ruleset, options: ApplyOptions, written: Mapping[str, Path | None] | None = None,
               read: Mapping[str, Path | None] | None = None) -> None:
    check_batch_size(options.batch_size)
    check_encoding(options.encoding)
    check_encoding(options.output_encoding, "output_encoding")
    quarantine = options.quarantine_path() if options.inputs or options.output or options.quarantine else None
    if options.quarantine_dir:
        quarantine = None                   # written by Spark, put in place atomically
    output = options.output
    if output is not None and (options.output_dir or is_cluster_path(output)):
        _check_spark_target(options)
        output = None
    local = {n: p for n, p in options.inputs.items() if not is_cluster_path(p) and not Path(p).is_dir()}
    check_files(rs, local, {"output": output, "quarantine": quarantine, **(written or {})},
                read, tables=() if options.output_format else ("output",))


def _check_spark_target(options: ApplyOptions) -> None:
    """A directory or table Spark writes: not a file already, not an input."""
    out = options.output
    if options.output_format is not None:
        from ..io.writers import output_format
        try:
            output_format("x", options.output_format)
        except ValueError as exc:
            raise fail("bad-choice", "format", options.output_format, str(exc), usage=True) from None
    if is_cluster_path(out):
        for name, path in options.inputs.items():
            if str(path) == str(out):
                raise fail("same-file", "output", out, f"is the input `{name}`; choose another target", usage=True)
        return
    if out.exists() and not out.is_dir():
        raise fail("not-a-file", "output", out, "is a file; a directory output (ending in /) needs a directory "
                   "or nothing there", usage=True)
    real = out.resolve()
    for name, path in options.inputs.items():
        if is_cluster_path(path):
            continue
        p = Path(path).resolve()
        if p == real or real in p.parents:
            raise fail("same-file", "output", out, f"holds the input `{name}` ({path}); choose another directory",
                       usage=True)


# ---- files read and written ----------------------------------------------------

def check_files(rs: ir.Ruleset, inputs: Mapping[str, Path], written: Mapping[str, Path | None],
                read: Mapping[str, Path | None] | None = None, tables: Sequence[str] = ()) -> None:
    """Every file a command will write (by option; `tables` are the options whose suffix names
    a table format) against every file it reads (the rule files, the inputs, `read`) and
    against each other, before anything is read (service/paths.py has the rules)."""
    from .paths import Target, check_paths, reads_of
    rules = list(rs.sources) or [rs.path]
    check_paths(reads_of(rules, inputs, read),
                [Target(where, Path(p), where in tables) for where, p in written.items() if p is not None])


def write_text(where: str, path: Path, text: str) -> None:
    """A whole text file (a summary, compiled code), atomically; a failure is a Problem
    of the option `where` (the paths were checked before the run)."""
    from ..io.atomic import write_text_atomic
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise fail("cannot-write", where, path, f"cannot be written: {exc.strerror or exc}") from None


def write_summary(path: Path, summary: Summary) -> None:
    """The run summary as JSON (`--summary-json`)."""
    import json
    write_text("summary_json", path, json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))


def default_quarantine(options: ApplyOptions) -> Path | None:
    """Where quarantined rows go when no place is given: next to the output, else the input."""
    return replace(options, on_error="quarantine").quarantine_path()


# ---- stats ---------------------------------------------------------------------

def compute_stats(rs: ir.Ruleset, options: ApplyOptions, output: Path | None = None) -> dict:
    """The content of a stats file (`segdsl stats`): every population value, frozen. `output`,
    the file it will be written to, is checked first."""
    from . import stats
    check_on_error(options.on_error, ("fail", "skip"))
    check_inputs(rs, list(options.inputs))
    check_encoding(options.encoding)
    check_files(rs, options.inputs, {"output": output})
    return stats.compute(rs, options)


def write_stats(path: Path, content: dict) -> None:
    from . import stats
    try:
        stats.write(path, content)
    except OSError as exc:
        raise fail("cannot-write", "output", path, f"cannot be written: {exc.strerror or exc}") from None


def load_stats(path: str | Path, rs: ir.Ruleset, params: Mapping[str, Any]) -> dict:
    """Frozen population values by stat id; refused when one the rules need was frozen from
    other definitions, inputs or param values than these."""
    from . import stats
    return stats.load(Path(path), rs, params)


# ---- compile -------------------------------------------------------------------

def compile_python(rs: ir.Ruleset) -> str:
    """The generated Python source the Python engine runs."""
    from ..backends.python import generate
    return generate(rs)[0]


def compile_sql(rs: ir.Ruleset, params: dict, dialect: str = "duckdb", tables: Mapping[str, str] | None = None,
                labels: bool = False, attributes: bool = False, as_: str | None = None,
                name: str | None = None, stats: Mapping[int, Any] | None = None, reasons: bool = False) -> str:
    """One SELECT for `dialect` (or CREATE VIEW/TABLE `name` AS it, with `as_`), reading each
    input from `tables[input]` (default: the input's name). `stats`: frozen population values
    (load_stats), baked in instead of computed. `reasons`: a `_reason` column saying why the
    engines would call a customer row bad (backends/sql_reasons.py). A construct the SQL
    backend cannot express raises backends.sql.NotSupported."""
    import sqlglot

    from ..backends.sql import to_sql
    if sqlglot.Dialect.get(dialect) is None:        # loads that one dialect (`classes` loads them all)
        raise fail("unknown-dialect", "dialect", dialect,
                   f"unknown; sqlglot knows {', '.join(sorted(k for k in sqlglot.Dialect.classes if k))}", usage=True)
    names = ([rs.customer.name] if rs.customer else []) + [r.name for r in rs.related]
    tables = dict(tables or {})
    unknown = [n for n in tables if n not in names]
    if unknown:
        raise fail("unknown-input", "table", unknown[0],
                   f"the ruleset has no input `{unknown[0]}` (inputs: {', '.join(names)})", usage=True)
    if as_ not in (None, *SQL_AS):
        raise fail("bad-choice", "as", as_, f"choose {_choices(SQL_AS)}", usage=True)
    if as_ in ("view", "table") and not name:
        raise fail("missing-name", "name", None, f"needed to create a {as_}", usage=True)
    read = {n: qualified_name(tables[n], "table", n) if n in tables else n for n in names}
    create = (as_, qualified_name(name, "name", name)) if as_ in ("view", "table") else None
    query = to_sql(rs, params, dialect, tables=read, labels=labels, attributes=attributes, create=create, frozen=stats,
                   reasons=reasons)
    return sql_header(rs, params, read) + query


def qualified_name(text: str, where: str, value: str) -> tuple[str, ...]:
    """`table`, `schema.table` or `catalog.schema.table` as its parts; a part in double quotes
    or backticks may hold dots (`dw."stg.v1"`). Each part becomes one quoted identifier."""
    parts, part, quote = [], "", None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
            else:
                part += ch
        elif ch in "\"`" and not part:
            quote = ch
        elif ch == ".":
            parts.append(part)
            part = ""
        else:
            part += ch
    parts.append(part)
    if quote or not 1 <= len(parts) <= 3 or any(not p.strip() for p in parts):
        raise fail("bad-name", where, value, f"`{text}` is not a table name: write TABLE, SCHEMA.TABLE or "
                   'CATALOG.SCHEMA.TABLE (quote a part that holds a dot: dw."stg.v1")', usage=True)
    return tuple(parts)


def sql_header(rs: ir.Ruleset, params: Mapping[str, Any], tables: Mapping[str, str | tuple[str, ...]]) -> str:
    """Comment lines saying what the SQL was compiled from, for whoever finds it in a warehouse.
    Values are JSON-quoted (no line break can end the comment early) and `${` is written `$ {`
    (Spark substitutes variables even inside comments)."""
    from .. import __version__

    def shown(v) -> str:
        text = json.dumps(v.isoformat() if hasattr(v, "isoformat") else v, ensure_ascii=False)
        for ch in "\u2028\u2029\x85":
            text = text.replace(ch, f"\\u{ord(ch):04x}")
        return text.replace("${", "$ {")

    def name(t) -> str:
        return ".".join(f'"{p}"' if "." in p else p for p in t) if isinstance(t, tuple) else t

    lines = [f"-- segdsl {__version__}: ruleset {rs.name}" + (f" version {shown(rs.version)}" if rs.version else "")]
    if params:
        lines.append("-- params: " + ", ".join(f"{k} = {shown(v)}" for k, v in params.items()))
    lines.append("-- inputs: " + ", ".join(f"{k} = {shown(name(v))}" for k, v in tables.items()))
    return "\n".join(lines) + "\n"


def _choices(options: Sequence[str]) -> str:
    return ", ".join(options[:-1]) + " or " + options[-1] if len(options) > 1 else options[0]
